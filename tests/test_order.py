"""One row order: the CSVs, Parquet, load(), export and the dictionary all in primary-key order."""

from __future__ import annotations

from pathlib import Path

import pytest

import kerman_warning as kw
from conftest import ROOT, csv_path, read_rows, write_rows
from kerman_warning._order import row_order_problems, sorted_csv
from kerman_warning._package import open_package
from kerman_warning.cli import main

NAMES = kw.resource_names()


def test_the_real_csvs_are_in_primary_key_order() -> None:
    assert row_order_problems(open_package(ROOT)) == []


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
    (problem,) = row_order_problems(open_package(package_copy))
    assert (problem.resource, problem.file, problem.line) == ("events", "data/events.csv", lines[1])
    assert problem.key == (rows[0][0],)
    assert problem.message().startswith(f"data/events.csv:{lines[1]}: key ")
    # sorted_csv puts it back exactly as it was.
    path = csv_path(package_copy, "events")
    fixed = sorted_csv(path.read_text(encoding="utf-8"), kw.schema("events"))
    assert fixed == csv_path(ROOT, "events").read_text(encoding="utf-8")


def test_the_row_order_is_documented() -> None:
    for name in ("CONTRIBUTING.md", "README.md"):
        assert "primary-key order" in (ROOT / name).read_text(encoding="utf-8"), name
