"""A release zip is a package for every command, and a hostile zip is refused cheaply (class C).

Each refusal is one PackageError naming the zip, the member and the limit, decided before the
bomb is expanded; every scratch folder is gone afterwards, even one a killed process left.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

import kerman_warning as kw
from conftest import ROOT
from kerman_warning import PackageError, _limits
from kerman_warning._zip import extracted
from kerman_warning.cli import main
from kerman_warning.release import _package_zip

PREFIX = "kerman-warning-"


@pytest.fixture(autouse=True)
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A TMPDIR of the test's own, so that leftovers can be counted."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setenv("TMPDIR", str(scratch))
    return scratch


def leftovers(scratch: Path) -> list[str]:
    return [p.name for p in scratch.iterdir() if p.name.startswith(PREFIX)]


@pytest.fixture(scope="module")
def release_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("zip") / "kerman-warning-1.0.0-datapackage.zip"
    path.write_bytes(_package_zip(ROOT, "kerman-warning-1.0.0", dt.date(2024, 1, 26)))
    return path


def write_zip(path: Path, members: dict[str, bytes], *, mode: int = 0o100644) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return path


# --- a release zip is a package ----------------------------------------------------------------


def test_the_library_loads_from_a_release_zip(release_zip: Path, private_tmp: Path) -> None:
    for name in kw.resource_names():
        assert kw.load(name, path=release_zip).equals(kw.load(name))
    assert kw.text(path=release_zip) == kw.text()
    assert [t.name for t in kw.tables(path=release_zip)] == kw.resource_names()
    assert leftovers(private_tmp) == []


@pytest.mark.parametrize(
    "args",
    [
        ["info", "--package"],
        ["info", "events", "--package"],
        ["validate", "--package"],
        ["export", "casualties", "--package"],
    ],
)
def test_every_command_takes_a_release_zip(
    args: list[str], release_zip: Path, private_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*args, str(release_zip)]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert str(private_tmp) not in out  # named as the user named it, not by its scratch folder
    assert leftovers(private_tmp) == []


def test_the_zip_carries_the_catalogue_metadata_it_is_checked_against(release_zip: Path) -> None:
    with zipfile.ZipFile(release_zip) as archive:
        names = set(archive.namelist())
    for relative in ("croissant.json", "docs/datasheet.md", "DATA-LICENSE.md", "LICENSE"):
        assert f"kerman-warning-1.0.0/{relative}" in names


def test_validate_names_the_zip_not_the_scratch_folder(
    release_zip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--package", str(release_zip)]) == 0
    assert f"kerman-warning validate {release_zip}" in capsys.readouterr().out


# --- hostile zips ----------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_from_the_central_directory(tmp_path: Path) -> None:
    bomb = write_zip(
        tmp_path / "bomb.zip", {"p/datapackage.json": b"{}", "p/zeros": bytes(8 << 20)}
    )
    assert bomb.stat().st_size < 100_000
    with (
        pytest.raises(
            PackageError, match=r"'p/zeros' is compressed more than 200:1 \(ZIP_MAX_RATIO\)"
        ),
        extracted(bomb),
    ):
        pass


def test_the_cli_refuses_a_bomb_in_one_line_exit_2(tmp_path: Path) -> None:
    bomb = write_zip(
        tmp_path / "bomb.zip", {"p/datapackage.json": b"{}", "p/zeros": bytes(8 << 20)}
    )
    for args in (["diff", str(bomb), str(ROOT)], ["info", "--package", str(bomb)]):
        done = subprocess.run(
            [sys.executable, "-m", "kerman_warning", *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and "ZIP_MAX_RATIO" in done.stderr


@pytest.mark.parametrize(
    ("limit", "value", "members", "message"),
    [
        ("ZIP_MAX_MEMBERS", 2, {f"p/{i}": b"x" for i in range(3)}, "3 members, more than"),
        ("ZIP_MAX_MEMBER_BYTES", 1000, {"p/a": b"x" * 1001}, "expands to 1001 bytes"),
        ("ZIP_MAX_TOTAL_BYTES", 1500, {"p/a": b"x" * 1000, "p/b": b"y" * 1000}, "more than the"),
    ],
)
def test_each_limit_is_named(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    limit: str,
    value: int,
    members: dict[str, bytes],
    message: str,
) -> None:
    monkeypatch.setattr(_limits, limit, value)
    path = write_zip(tmp_path / "x.zip", members)
    with pytest.raises(PackageError, match=rf"x\.zip: .*{message}.*\({limit}\)"), extracted(path):
        pass


@pytest.mark.parametrize(
    ("name", "mode", "message"),
    [
        ("../evil", 0o100644, "not a safe relative path"),
        ("/abs", 0o100644, "not a safe relative path"),
        ("p/.hidden", 0o100644, "not a safe relative path"),
        ("p/link", 0o120777, "not a regular file or folder"),
        ("p/fifo", 0o010644, "not a regular file or folder"),
    ],
)
def test_unsafe_members_are_refused(tmp_path: Path, name: str, mode: int, message: str) -> None:
    path = write_zip(tmp_path / "x.zip", {"p/datapackage.json": b"{}", name: b"x"}, mode=mode)
    with pytest.raises(PackageError, match=message), extracted(path):
        pass
    assert not (tmp_path / "evil").exists()


def test_a_member_that_lies_about_its_size_is_caught_while_streaming(tmp_path: Path) -> None:
    data = b"abc" * 50_000
    path = write_zip(tmp_path / "x.zip", {"p/datapackage.json": b"{}", "p/a": data})
    raw = bytearray(path.read_bytes())
    archive = zipfile.ZipFile(io.BytesIO(bytes(raw)))
    info = archive.getinfo("p/a")
    # Rewrite the declared size (central directory and local header) to something small.
    true_size = len(data).to_bytes(4, "little")
    small = (1000).to_bytes(4, "little")
    assert raw.count(true_size) == 2
    raw[:] = raw.replace(true_size, small)
    path.write_bytes(bytes(raw))
    assert info.file_size == len(data)
    with pytest.raises(PackageError, match=r"x\.zip: "), extracted(path):
        pass


def test_scratch_folders_are_removed_on_every_exit(tmp_path: Path, private_tmp: Path) -> None:
    path = write_zip(tmp_path / "x.zip", {"p/datapackage.json": b"{}", "p/a": b"x"})
    with extracted(path) as root:
        assert (root / "a").is_file()
        assert len(leftovers(private_tmp)) == 1
    assert leftovers(private_tmp) == []
    with pytest.raises(RuntimeError), extracted(path):
        raise RuntimeError("the caller fails")
    assert leftovers(private_tmp) == []


def test_a_folder_left_by_a_killed_process_is_removed_next_time(
    tmp_path: Path, private_tmp: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = int(done.stdout)  # that process has exited: its pid names no live process
    stale = private_tmp / f"{PREFIX}{dead}-zip-abc"
    (stale / "p").mkdir(parents=True)
    alive = private_tmp / f"{PREFIX}{os.getpid()}-zip-def"
    alive.mkdir()
    path = write_zip(tmp_path / "x.zip", {"p/datapackage.json": b"{}"})
    with extracted(path):
        pass
    assert not stale.exists() and alive.exists()


def test_a_fifo_is_not_a_zip(tmp_path: Path) -> None:
    fifo = tmp_path / "x.zip"
    os.mkfifo(fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    with pytest.raises(PackageError, match="not a regular file"), extracted(fifo):
        pass
