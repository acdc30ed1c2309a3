"""Which package (class I): one rule for the command line and the library, and writes refused
in a package that is not kerman-warning unless told explicitly."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import kerman_warning as kw
from _tinypackage import GIT_ENVIRONMENT, edit_json, make_package, make_repo
from conftest import ROOT, copy_package, set_cell
from kerman_warning import PackageError
from kerman_warning.cli import main


def cli(cwd: Path, *args: str) -> tuple[int, str, str]:
    """Run the command in folder `cwd`, in this process: (exit code, stdout, stderr)."""
    here = Path.cwd()
    os.chdir(cwd)
    try:
        with (
            contextlib.redirect_stdout(io.StringIO()) as out,
            contextlib.redirect_stderr(io.StringIO()) as err,
        ):
            code = main(list(args))
    finally:
        os.chdir(here)
    return code, out.getvalue(), err.getvalue()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    """Another project's data package (the tiny one, under another name)."""
    root = make_package(tmp_path / "theirs")
    edit_json(root / "datapackage.json", lambda d: d.update(name="my-own-project"))
    return root


def test_a_foreign_package_in_the_current_folder_is_never_used_unnamed(foreign: Path) -> None:
    before = snapshot(foreign)
    code, out, err = cli(foreign, "info")
    assert code == 0, err
    assert out.startswith(f"kerman-warning {kw.__version__}")
    assert cli(foreign, "build", "--check")[0] == 0  # checks the shipped package
    assert cli(foreign, "validate")[0] == 0
    assert snapshot(foreign) == before


def test_the_library_and_the_command_line_agree(tmp_path: Path) -> None:
    """In a folder holding an edited copy, both read the shipped package."""
    copy = copy_package(tmp_path / "copy")
    set_cell(copy, "casualties", "cas-attack-kerman-killed", "best", "1")
    code = "import kerman_warning as kw; print(kw.load('casualties').to_pylist()[1]['best'])"
    library = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=copy
    )
    assert cli(copy, "export", "casualties", "--format", "jsonl", "--output", "out.jsonl")[0] == 0
    command = (copy / "out.jsonl").read_text(encoding="utf-8").splitlines()[1]
    assert library.stdout.strip() == str(json.loads(command)["best"]) == "84"


def test_build_refuses_a_foreign_package_unless_told(foreign: Path) -> None:
    before = snapshot(foreign)
    code, _, err = cli(foreign, "build", "--package", ".")
    assert code == 2
    assert "'my-own-project' is not kerman-warning; pass --any-package" in err
    assert snapshot(foreign) == before
    assert cli(foreign, "build", "--package", ".", "--any-package")[0] == 0


def test_release_refuses_a_foreign_repository_unless_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in GIT_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    repo = make_repo(tmp_path / "repo", with_sources=False)
    edit_json(repo / "datapackage.json", lambda d: d.update(name="my-own-project"))
    before = snapshot(repo)
    assert main(["release", "patch", "--repo", str(repo)]) == 2
    assert "pass --any-package" in capsys.readouterr().err
    assert snapshot(repo) == before


def test_a_nul_in_a_path_is_a_package_error() -> None:
    with pytest.raises(PackageError, match="NUL"):
        kw.load("events", path="data\x00x")
    assert main(["info", "--package", "a\x00b"]) == 2


def test_a_file_that_is_not_a_package_is_named(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello", encoding="utf-8")
    with pytest.raises(PackageError, match="neither a package folder"):
        kw.load("events", path=other)


def test_the_shipped_package_is_this_checkout() -> None:
    assert Path(kw.datapackage()["resources"][0]["path"]).parts[0] == "data"
    assert kw.load("events").equals(kw.load("events", path=ROOT))
