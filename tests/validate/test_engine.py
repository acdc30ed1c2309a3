"""`validate.engine`: what it keeps of a table never changes what the rules find, and what it
does when a table cannot be streamed to the end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from _tinypackage import make_package
from conftest import refresh, set_cell
from kerman_warning.validate import engine, validate


def test_every_rule_reads_kept_text_dictionary_encoded(
    package_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the real tables are too small to be encoded: encode every kept text column instead
    monkeypatch.setattr(engine, "_repetitive", lambda column: pa.types.is_string(column.type))
    report = validate(package_copy)
    assert report.exit_code == 0 and report.bug is None, report.render()
    line = set_cell(package_copy, "events", "evt-claim-isis", "date_start", "2024-01-02")
    set_cell(package_copy, "events", "evt-claim-isis", "date_end", "2024-01-02")
    refresh(package_copy)
    report = validate(package_copy)
    assert report.bug is None, report.render()
    assert [(p.rule, p.row) for p in report.problems] == [("claim-after-attack", line)]


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


def test_work_ahead_of_a_batch_runs_on_the_worker_and_seeds_the_memo(
    monkeypatch: pytest.MonkeyPatch, package_copy: Path
) -> None:
    """`Rule.ahead_of_batch`: what it returns is in `Batch.memo` before the rule runs."""
    import threading

    from kerman_warning.validate.rules import text

    threads: set[str] = set()
    seen: list[bool] = []
    look_ahead, nfc_text = text._look_ahead, text.NFC_TEXT.batch
    assert look_ahead in text.NFC_TEXT.ahead and look_ahead in text.TEXT_CHARACTERS.ahead

    def spy_ahead(table: Any, columns: Any) -> Any:
        threads.add(threading.current_thread().name)
        return look_ahead(table, columns)

    def spy_batch(c: Any, rows: Any) -> None:
        names = text.text_fields(rows.table)
        seen.append(all(("text-look", n) in rows.memo for n in names))
        assert nfc_text is not None
        nfc_text(c, rows)

    monkeypatch.setattr(text.NFC_TEXT, "ahead", [spy_ahead])
    monkeypatch.setattr(text.TEXT_CHARACTERS, "ahead", [spy_ahead])
    monkeypatch.setattr(text.NFC_TEXT, "batch", spy_batch)
    assert validate(package_copy).valid
    assert threads == {"kw-prepare"}
    assert seen and all(seen)
