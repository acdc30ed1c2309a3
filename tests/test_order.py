"""One row order: the CSVs, Parquet, load(), export and the dictionary all in primary-key order."""

from __future__ import annotations

from pathlib import Path

import pytest

import kerman_warning as kw
from conftest import ROOT, csv_path, read_rows, refresh, write_rows
from kerman_warning.cli import main
from kerman_warning.validate import validate

NAMES = kw.resource_names()


def test_the_real_csvs_are_in_primary_key_order() -> None:
    assert not [p for p in validate(ROOT).problems if p.rule == "row-order"]


@pytest.mark.parametrize("name", NAMES)
def test_csv_parquet_and_export_agree_row_for_row(
    name: str, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    keys = kw.schema(name)["primaryKey"]
    header, rows = read_rows(ROOT, name)
    csv_keys = [tuple(row[header.index(k)] for k in keys) for row in rows]
    loaded = kw.load(name, columns=keys).to_pylist()
    assert csv_keys == [tuple(str(row[k]) for k in keys) for row in loaded]
    assert main(["export", name]) == 0
    assert capsysbinary.readouterr().out == csv_path(ROOT, name).read_bytes()


def test_a_row_out_of_order_is_named_by_file_and_line(package_copy: Path) -> None:
    header, rows = read_rows(package_copy, "events")
    lines = write_rows(package_copy, "events", header, [rows[1], rows[0], *rows[2:]])
    refresh(package_copy)
    (problem,) = [p for p in validate(package_copy).problems if p.rule == "row-order"]
    assert (problem.resource, problem.file, problem.row) == ("events", "data/events.csv", lines[1])
    assert problem.message == (
        f"key {rows[0][0]!r} comes after {rows[1][0]!r}; expected the rows in primary-key order "
        "(event_id ascending)"
    )


def test_the_order_carries_across_batches(
    package_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last row of one streamed batch is compared with the first of the next."""
    from kerman_warning.validate import engine

    monkeypatch.setattr(engine, "BLOCK", 2048)  # events.csv is parsed in several blocks ...
    monkeypatch.setattr(engine, "WORK", 1)  # ... and each block is a batch of its own
    assert csv_path(package_copy, "events").stat().st_size > 3 * 2048
    header, rows = read_rows(package_copy, "events")
    write_rows(package_copy, "events", header, rows[::-1])
    refresh(package_copy)
    report = validate(package_copy)
    shown = [p.row for p in report.problems if p.rule == "row-order"]
    omitted = sum(o.count for o in report.omitted if o.rule == "row-order")
    assert len(shown) + omitted == len(rows) - 1  # every row but the first, batch starts too


def test_the_row_order_is_documented() -> None:
    for name in ("CONTRIBUTING.md", "README.md"):
        assert "primary-key order" in (ROOT / name).read_text(encoding="utf-8"), name
