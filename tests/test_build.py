"""`kerman-warning build`: reproducible, atomic, and `--check` says when a derived file is stale."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from _tinypackage import ROOT, edit_json, edit_text, make_package, read_json
from kerman_warning import DataError, PackageError, _transaction
from kerman_warning import build as build_module
from kerman_warning.build import build
from kerman_warning.cli import main
from kerman_warning.tableschema import read_csv


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root`, by relative path, with its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# --- reproducible ----------------------------------------------------------------------------


BUILD_ELSEWHERE = "import sys; from kerman_warning.build import build; build(sys.argv[1])"


def test_building_twice_gives_identical_bytes(tmp_path: Path) -> None:
    """Two copies in different folders, one built here and one in another process with another
    time zone, locale and hash seed (as on another machine): every file is byte-identical."""
    first = make_package(tmp_path / "first")
    second = make_package(tmp_path / "elsewhere" / "second", built=False)
    environment = os.environ | {"TZ": "Asia/Tehran", "LC_ALL": "C", "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-c", BUILD_ELSEWHERE, str(second)], env=environment, check=True
    )
    assert tree(first) == tree(second)
    # Building again changes nothing.
    assert build(first).changed == []
    assert tree(first) == tree(second)


def test_the_real_package_builds_identically_twice(tmp_path: Path) -> None:
    from conftest import copy_package

    first, second = copy_package(tmp_path / "a"), copy_package(tmp_path / "b")
    build(first)
    build(second)
    assert tree(first) == tree(second)


def test_committed_derived_files_equal_a_fresh_build() -> None:
    """Nobody forgets to build: a stale Parquet copy, JSON Schema, hash or dictionary fails."""
    stale = build(ROOT, check=True).changed
    assert stale == [], f"stale derived files {stale}: run `kerman-warning build` and commit"


def test_derived_files_carry_what_the_issue_promises(tmp_path: Path) -> None:
    root = make_package(tmp_path / "package")
    descriptor = read_json(root / "datapackage.json")
    for resource in descriptor["resources"]:
        raw = (root / resource["path"]).read_bytes()
        assert resource["bytes"] == len(raw)
        assert resource["hash"] == "sha256:" + hashlib.sha256(raw).hexdigest()
        parquet = root / resource["parquet"]["path"]
        assert (
            resource["parquet"]["hash"]
            == "sha256:" + hashlib.sha256(parquet.read_bytes()).hexdigest()
        )
        schema = read_json(root / resource["schema"])
        table = pq.read_table(parquet)
        # Explicit Arrow schema, rows in primary-key order, equal to the typed CSV.
        expected = read_csv(root / resource["path"], schema).sort_by(
            [(k, "ascending") for k in schema["primaryKey"]]
        )
        assert table.equals(expected)
        assert table.schema.names == [f["name"] for f in schema["fields"]]
        # The resource descriptor in the key-value metadata, descriptions in field metadata.
        embedded = json.loads(table.schema.metadata[b"datapackage.resource"])
        assert embedded["name"] == resource["name"] and embedded["schema"] == schema
        for field in schema["fields"]:
            meta = table.schema.field(field["name"]).metadata
            assert meta[b"description"].decode() == field.get("description", "")
        # Fixed compression.
        column = pq.ParquetFile(parquet).metadata.row_group(0).column(0)
        assert column.compression == "ZSTD"
        row_schema = read_json(root / f"schemas/json/{resource['name']}.json")
        assert set(row_schema["properties"]) == {f["name"] for f in schema["fields"]}
    dictionary = (root / "docs/data-dictionary.md").read_text(encoding="utf-8")
    assert "## casualties" in dictionary and "`outcome`" in dictionary


# --- atomic ----------------------------------------------------------------------------------


def no_temporary_files(root: Path) -> bool:
    return not [p for p in root.rglob("*") if p.name.endswith(".tmp")]


def test_a_bad_csv_fails_the_build_and_touches_nothing(tmp_path: Path) -> None:
    root = make_package(tmp_path / "package")
    edit_text(root / "data/events.csv", "2024-01-04", "2024-01-04x")
    edit_text(root / "data/casualties.csv", "84", "85")  # would change casualties.parquet
    before = tree(root)
    with pytest.raises(DataError, match=r"events\.csv:3 \[date\]"):
        build(root)
    assert tree(root) == before
    assert no_temporary_files(root)


@pytest.mark.parametrize(
    ("module", "step", "error"),
    [(build_module, "_parquet_bytes", OSError), (_transaction, "write_synced", PackageError)],
    ids=["while-deriving", "while-staging-files"],
)
def test_a_second_step_failing_touches_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    module: object,
    step: str,
    error: type[Exception],
) -> None:
    """A failure after the first Parquet copy is made, or after the first file is staged."""
    root = make_package(tmp_path / "package")
    edit_text(root / "data/events.csv", "2024-01-04", "2024-01-05")
    edit_text(root / "data/casualties.csv", "84", "85")
    before = tree(root)
    real = getattr(module, step)
    calls: list[int] = []

    def second_fails(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(*args)

    monkeypatch.setattr(module, step, second_fails)
    with pytest.raises(error, match="disk full"):
        build(root)
    assert tree(root) == before
    assert no_temporary_files(root)


def test_a_failing_write_leaves_that_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_package(tmp_path / "package")
    edit_text(root / "data/casualties.csv", "84", "85")
    target = root / "data/parquet/casualties.parquet"
    before = target.read_bytes()

    def fsync_fails(descriptor: int) -> None:
        raise OSError("I/O error")

    monkeypatch.setattr(os, "fsync", fsync_fails)
    with pytest.raises(PackageError, match=r"I/O error\); nothing changed"):
        build(root)
    assert target.read_bytes() == before
    assert no_temporary_files(root)


KILLED_BUILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from kerman_warning import build as b

    real = b._parquet_bytes
    def slow(*args):
        data = real(*args)
        Path(sys.argv[2]).touch()  # tell the test we are mid-way
        time.sleep(60)
        return data
    b._parquet_bytes = slow
    b.build(sys.argv[1])
    """
)


def test_a_killed_build_touches_nothing(tmp_path: Path) -> None:
    root = make_package(tmp_path / "package")
    edit_text(root / "data/events.csv", "2024-01-04", "2024-01-05")
    before = tree(root)
    marker = tmp_path / "midway"
    process = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, str(root), str(marker)])
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert process.poll() is None, "the build ended before it was killed"
            assert time.monotonic() < deadline, "the build never got mid-way"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert tree(root) == before
    assert no_temporary_files(root)


# --- --check ---------------------------------------------------------------------------------


def test_check_exit_codes_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_package(tmp_path / "package")
    assert main(["build", str(root), "--check"]) == 0
    outputs = len(build(root, check=True).unchanged)
    assert capsys.readouterr().out == f"0 changed, {outputs} unchanged\n"

    edit_text(root / "data/casualties.csv", "84", "85")
    before = tree(root)
    assert main(["build", str(root), "--check"]) == 1
    out = capsys.readouterr().out
    assert "would change data/parquet/casualties.parquet" in out
    assert "would change datapackage.json" in out  # its bytes/hash of the CSV
    assert "would change data/parquet/events.parquet" not in out
    assert tree(root) == before  # --check writes nothing

    assert main(["build", str(root)]) == 0
    assert "wrote data/parquet/casualties.parquet" in capsys.readouterr().out
    assert main(["build", str(root), "--check"]) == 0


def test_check_reports_a_hand_edited_derived_file(tmp_path: Path) -> None:
    root = make_package(tmp_path / "package")
    with (root / "docs/data-dictionary.md").open("a", encoding="utf-8") as out:
        out.write("edited by hand\n")
    assert build(root, check=True).changed == ["docs/data-dictionary.md"]
    assert main(["build", str(root), "--check"]) == 1


# --- names and paths -------------------------------------------------------------------------


def rename_events(root: Path, name: object) -> None:
    def change(descriptor: Any) -> None:
        descriptor["resources"][0]["name"] = name

    edit_json(root / "datapackage.json", change)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../../../../tmp/x/PWNED", "is not a name"),
        ("../escape", "is not a name"),
        ("/tmp/absolute", "is not a name"),
        ("a/b", "is not a name"),
        ("a\\b", "is not a name"),
        (".hidden", "is not a name"),
        ("..", "is not a name"),
        ("-rf", "is not a name"),
        ("Events", "is not a name"),
        ("évents", "is not a name"),
        ("events\x00", "is not a name"),
        ("ev\x1b]0;owned\x07", "is not a name"),
        ("x" * 65, "is longer than 64 characters"),
        ("", "is not a non-empty string"),
        (None, "is not a non-empty string"),
        (["events"], "is not a non-empty string"),
        ("casualties", "is used twice"),
    ],
)
def test_a_bad_resource_name_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: object, reason: str
) -> None:
    root = make_package(tmp_path / "package")
    rename_events(root, name)
    before = tree(tmp_path)
    assert main(["build", str(root)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "resource name" in error and reason in error
    assert "\x1b" not in error and "\x00" not in error  # shown escaped
    assert tree(tmp_path) == before  # nothing written, inside the package or out of it
    assert not Path("/tmp/x/PWNED.parquet").exists()


def test_every_name_the_pattern_accepts_names_a_file_inside(tmp_path: Path) -> None:
    from kerman_warning._package import NAME_MAX_CHARS, contained, name_reason

    for name in ("events", "event_details", "a.b-c_9", "9" * NAME_MAX_CHARS):
        assert name_reason(name) is None
        assert (
            contained(tmp_path, f"data/parquet/{name}.parquet", existing=False).parent
            == tmp_path.resolve() / "data/parquet"
        )


def test_a_derived_folder_linked_outside_is_refused(tmp_path: Path) -> None:
    root = make_package(tmp_path / "package")
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(root / "schemas/json")
    (root / "schemas/json").symlink_to(outside)
    edit_text(root / "data/casualties.csv", "84", "85")
    before = tree(tmp_path)
    with pytest.raises(
        PackageError, match=r"derived file 'schemas/json/events\.json' resolves outside"
    ):
        build(root)
    assert tree(tmp_path) == before and list(outside.iterdir()) == []


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_derived_file_that_is_not_a_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    """`docs/rules.md` a non-empty folder or a FIFO: one line, nothing replaced, no hang."""
    root = make_package(tmp_path / "package")
    rules = root / "docs/rules.md"
    rules.unlink()
    if kind == "folder":
        rules.mkdir()
        (rules / "keep.txt").write_text("mine\n", encoding="utf-8")
    else:
        os.mkfifo(rules)
    edit_text(root / "data/casualties.csv", "84", "85")
    before = tree(root)
    with pytest.raises(
        PackageError, match=r"docs/rules\.md is not a regular file.*nothing changed"
    ):
        build(root)
    assert tree(root) == before
    assert not (root / _transaction.STAGING).exists()


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("data/events\x00.csv", "holds a NUL"),
        ("data/\u202eevents.csv", "not printable"),
        ("data/" + "x" * 1100, "is longer than 1024 characters"),
    ],
)
def test_a_source_path_is_checked_before_it_is_read(tmp_path: Path, path: str, reason: str) -> None:
    root = make_package(tmp_path / "package")
    edit_json(root / "datapackage.json", lambda d: d["resources"][0].update(path=path))
    with pytest.raises(PackageError, match=reason):
        build(root)


def test_a_source_that_is_a_fifo_is_refused_without_reading(tmp_path: Path) -> None:
    root = make_package(tmp_path / "package")
    (root / "data/events.csv").unlink()
    os.mkfifo(root / "data/events.csv")  # reading it would wait forever
    with pytest.raises(PackageError, match=r"'data/events\.csv' is not a regular file"):
        build(root)
