"""`export` writes safely (class D): never over a file without --force, never over anything that
is not a regular file, the replaced file's mode kept, the parent must exist, atomic, no temp
file left, and the source checked against its hash first."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, csv_path, set_cell
from kerman_warning import PackageError
from kerman_warning._export import export, write_output
from kerman_warning.cli import main

EVENTS = (ROOT / "data/events.csv").read_bytes()


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """The command line called in this process, with its exit code and outputs (the process
    boundary itself is tested in tests/test_cli.py)."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, out, err)


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_new_file_is_written(tmp_path: Path) -> None:
    out = tmp_path / "events.csv"
    assert main(["export", "events", "--output", str(out)]) == 0
    assert out.read_bytes() == EVENTS
    assert no_temp_files(tmp_path)


def test_an_existing_file_needs_force_and_keeps_its_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "events.csv"
    out.write_bytes(b"mine")
    out.chmod(0o600)
    refused = cli(capsys, "export", "events", "--output", str(out))
    assert refused.returncode == 2
    assert refused.stderr.strip().endswith("exists; pass --force to replace it")
    assert out.read_bytes() == b"mine"
    assert cli(capsys, "export", "events", "--output", str(out), "--force").returncode == 0
    assert out.read_bytes() == EVENTS
    assert out.stat().st_mode & 0o777 == 0o600
    assert no_temp_files(tmp_path)


@pytest.mark.parametrize("kind", ["fifo", "folder", "symlink"])
def test_anything_but_a_regular_file_is_never_replaced(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "target"
    if kind == "fifo":
        os.mkfifo(out)
    elif kind == "folder":
        out.mkdir()
    else:
        (tmp_path / "real").write_bytes(b"real")
        out.symlink_to(tmp_path / "real")
    done = cli(capsys, "export", "events", "--output", str(out), "--force")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr and "unexpected" not in done.stderr
    assert out.is_symlink() if kind == "symlink" else out.exists()
    if kind == "symlink":
        assert (tmp_path / "real").read_bytes() == b"real"
    assert no_temp_files(tmp_path)


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("missing/events.csv", "does not exist; create it first"),
        ("", "not a file name"),
        ("out/", "names a folder"),
        ("a\x00b", "not a file name"),
    ],
)
def test_bad_outputs_are_one_line(tmp_path: Path, output: str, message: str) -> None:
    target = f"{tmp_path}/{output}" if output and "\x00" not in output else output
    with pytest.raises(PackageError, match=message):
        write_output(target, b"x")
    assert not (tmp_path / "missing").exists()
    assert no_temp_files(tmp_path)


def test_a_failed_write_leaves_no_temp_file_and_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "events.csv"
    out.write_bytes(b"old")

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(PackageError, match="No space left on device"):
        write_output(str(out), b"new", force=True)
    assert out.read_bytes() == b"old"
    assert no_temp_files(tmp_path)


def test_a_stale_source_is_refused_before_anything_is_written(
    package_copy: Path, tmp_path: Path
) -> None:
    set_cell(package_copy, "casualties", "cas-attack-kerman-killed", "best", "85")  # no build
    out = tmp_path / "out.jsonl"
    for fmt in ("csv", "jsonl", "parquet"):
        with pytest.raises(PackageError, match="run `kerman-warning build`"):
            export("casualties", output=str(out), format=fmt, path=package_copy)
    assert not out.exists()


def test_a_parquet_copy_that_does_not_match_its_hash_is_refused(
    package_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parquet = package_copy / "data/parquet/events.parquet"
    parquet.write_bytes(parquet.read_bytes() + b"\0")
    done = cli(
        capsys,
        "export",
        "events",
        "--format",
        "parquet",
        "--package",
        str(package_copy),
        "--output",
        str(tmp_path / "e.parquet"),
    )
    assert done.returncode == 2
    assert "does not match its hash" in done.stderr and "kerman-warning build" in done.stderr
    assert csv_path(package_copy, "events").is_file()
