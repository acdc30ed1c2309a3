# Two commands do all the set-up: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: demo test lint typecheck pytest fuzz build validate timeline browser reader-screenshot bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The dev environment is pinned by constraints.txt so that builds are reproducible.
$(VENV)/.dev-installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e '.[dev]'
	touch $@

demo: $(VENV)/.dev-installed
	$(BIN)/kerman-warning build
	$(BIN)/kerman-warning validate
	$(BIN)/kerman-warning info
	$(BIN)/python -m kerman_warning._demo

test: $(VENV)/.dev-installed lint typecheck pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests benchmarks docs
	$(BIN)/ruff format --check src tests benchmarks docs

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

# Two workers: the machines (CI's too) have 2 cores, and the suite must stay under 60 s there.
pytest: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -q -n 2

# The long fuzz of descriptor and CSV bytes (tests/test_fuzz.py), outside the 60 s of `make test`.
fuzz: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -q -m fuzz tests/test_fuzz.py

build: $(VENV)/.dev-installed
	$(BIN)/kerman-warning build

validate: $(VENV)/.dev-installed
	$(BIN)/kerman-warning validate

timeline: $(VENV)/.dev-installed
	$(BIN)/python docs/timeline.py

# Debian's Chromium, which the browser tests and the screenshot drive (Playwright's own browser
# download is not used); without it those tests skip and say so, except under CI.
browser:
	command -v chromium >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

reader-screenshot: $(VENV)/.dev-installed browser
	$(BIN)/kerman-warning build
	$(BIN)/python docs/reader_shot.py

bench: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/bench_load.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
