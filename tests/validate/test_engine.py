"""`validate.engine`: what it keeps of a table, and how, never changes what the rules find."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

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
