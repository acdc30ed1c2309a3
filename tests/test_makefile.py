"""`make`: the interpreter checked first in one line; a broken or half-made .venv made again."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_an_old_python_is_one_line_saying_what_to_do() -> None:
    done = make("demo", "MIN_PYTHON=3.99")  # the running Python is older than 3.99
    assert done.returncode != 0
    first = done.stderr.splitlines()[0]
    assert first.startswith("kerman-warning needs Python >= 3.99; 'python3' is 3.")
    assert "PYTHON=python3.12 make demo" in first
    assert "ResolutionImpossible" not in done.stderr + done.stdout


def test_a_missing_python_is_one_line() -> None:
    done = make("test", "PYTHON=/nonexistent/python3")
    assert done.returncode != 0
    assert "'/nonexistent/python3' is not found" in done.stderr.splitlines()[0]


def test_a_broken_or_half_made_venv_is_made_again(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin/python").symlink_to(tmp_path / "gone")  # the interpreter it was made with is gone
    (venv / ".dev-installed").touch()
    # PIP stands in for the real install (minutes): `false` is an install that fails half-way.
    # The venv needs no pip of its own then (ensurepip alone costs seconds).
    failed = make("venv", f"VENV={venv}", "PIP=false", "VENV_FLAGS=--without-pip")
    assert failed.returncode != 0
    assert "making" in failed.stdout and "make runs it again next time" in failed.stderr
    assert not (venv / ".dev-installed").exists()
    assert subprocess.run([str(venv / "bin/python"), "-c", "pass"], check=False).returncode == 0
    again = make("venv", f"VENV={venv}", "PIP=true", "VENV_FLAGS=--without-pip")  # no `make clean`
    assert again.returncode == 0, again.stderr
    assert (venv / ".dev-installed").is_file()
    assert make("venv", f"VENV={venv}", "PIP=false").returncode == 0  # installed: nothing to do
