# Two commands do all the set-up: `make demo` and `make test` (see README).
PYTHON     ?= python3
MIN_PYTHON := 3.11
VENV       ?= .venv
BIN        := $(VENV)/bin
PIP        := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt
STAMP      := $(VENV)/.dev-installed
# Options of `python -m venv`: tests/test_makefile.py passes --without-pip (its PIP is a stand-in).
VENV_FLAGS ?=
# Exit 0 if the interpreter it runs in is new enough.
VERSION_OK := 'import sys; sys.exit(sys.version_info[:2] < tuple(map(int, "$(MIN_PYTHON)".split("."))))'
VERSION_OF := 'import platform; print(platform.python_version())'

.PHONY: demo test lint typecheck pytest fuzz build validate timeline browser reader-screenshot bench clean venv python-ok

# The interpreter first, with one line that says what to do (not a resolver error from pip).
python-ok:
	@$(PYTHON) -c $(VERSION_OK) 2>/dev/null || { \
	  echo "kerman-warning needs Python >= $(MIN_PYTHON); '$(PYTHON)' is $$($(PYTHON) -c $(VERSION_OF) 2>/dev/null || echo 'not found'): run e.g. PYTHON=python3.12 make $(or $(MAKECMDGOALS),demo)" >&2; \
	  exit 1; }

# The dev environment, pinned by constraints.txt so that builds are reproducible. A .venv that
# is broken (its python gone, too old, or an install that stopped half-way) is made again.
venv: python-ok
	@if ! $(BIN)/python -c $(VERSION_OK) 2>/dev/null; then \
	  echo "making $(VENV) with $(PYTHON)"; rm -rf $(VENV); $(PYTHON) -m venv $(VENV_FLAGS) $(VENV) || exit 1; fi
	@if [ ! -f $(STAMP) ] || [ pyproject.toml -nt $(STAMP) ] || [ constraints.txt -nt $(STAMP) ]; then \
	  rm -f $(STAMP); echo "installing the pinned dev environment into $(VENV)"; \
	  $(PIP) -e '.[dev]' && touch $(STAMP) || true; fi
	@test -f $(STAMP) || { echo "the install into $(VENV) failed (see above); make runs it again next time" >&2; exit 1; }

demo: venv
	$(BIN)/kerman-warning build
	$(BIN)/kerman-warning validate
	$(BIN)/kerman-warning info
	$(BIN)/python -m kerman_warning._demo

test: venv lint typecheck pytest

lint: venv
	$(BIN)/ruff check src tests benchmarks docs hatch_build.py
	$(BIN)/ruff format --check src tests benchmarks docs hatch_build.py

typecheck: venv
	$(BIN)/mypy

# Two workers: the machines (CI's too) have 2 cores, and the suite must stay under 60 s there
# (tests/conftest.py hands the long tests out first; CONTRIBUTING.md says what runs where).
pytest: venv
	$(BIN)/python -m pytest -q -n 2

# The long fuzz runs, outside the 60 s of `make test`: descriptor and CSV bytes
# (tests/test_fuzz.py) and random cells of the real package (tests/validate/test_validate.py).
fuzz: venv
	$(BIN)/python -m pytest -q -n 2 -m fuzz tests/test_fuzz.py tests/validate/test_validate.py

build: venv
	$(BIN)/kerman-warning build

validate: venv
	$(BIN)/kerman-warning validate

timeline: venv
	$(BIN)/python docs/timeline.py

# Debian's Chromium, which the browser tests and the screenshot drive (Playwright's own browser
# download is not used); without it those tests skip and say so, except under CI.
browser:
	command -v chromium >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

reader-screenshot: venv browser
	$(BIN)/kerman-warning build
	$(BIN)/python docs/reader_shot.py

bench: venv
	$(BIN)/python benchmarks/bench_load.py
	$(BIN)/python benchmarks/bench_scale.py --quick

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
