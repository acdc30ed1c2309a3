"""The engine's own edges: what it does when a table cannot be streamed to the end."""

from __future__ import annotations

from pathlib import Path

import pytest

from _tinypackage import make_package
from kerman_warning.validate import engine, validate


def unclosed_quote(root: Path) -> None:
    """A last row whose quoted cell never closes: the parser takes it to the end of the file."""
    with (root / "data/events.csv").open("a", encoding="utf-8") as out:
        out.write('evt-late,"2024-01-05\n')


def csv_problems(root: Path) -> list[tuple[int | None, str]]:
    report = validate(root, rules="datapackage")
    return [(p.row, p.message) for p in report.problems if p.rule == "csv-readable"]


def test_an_unclosed_quote_is_found_on_its_line(tmp_path: Path) -> None:
    root = make_package(tmp_path / "tiny")
    unclosed_quote(root)
    assert csv_problems(root) == [
        (4, "a quoted cell opened on this line is never closed; expected a closing quote")
    ]


def test_a_csv_too_large_to_read_whole_is_reported_without_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_package(tmp_path / "tiny")
    unclosed_quote(root)
    monkeypatch.setattr(engine, "MAX_CSV_BYTES", 16)  # the file is larger: it is not read whole
    assert csv_problems(root) == [
        (None, "the file has an odd number of quote characters; expected every quoted cell closed")
    ]
