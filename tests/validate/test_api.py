"""`validate.api`: what rules see of a table, kept compactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kerman_warning.validate.api import Table


def test_line_numbers_are_kept_as_shifts_not_per_row() -> None:
    table = Table("t", {}, {"fields": []}, "t.csv", Path("t.csv"))
    lines = [2, 3, 4, 6, 7, 8, 12, 13, 14, 15]  # a cell over two lines, then a blank and more
    for start in range(0, len(lines), 3):  # streamed in batches of three rows
        batch = np.asarray(lines[start : start + 3], dtype=np.int64)
        table.follow(batch)
        table.rows += len(batch)
    assert [table.line(i) for i in range(len(lines))] == lines
    assert table.shift_at == [3, 6] and table.shift_by == [1, 4]  # two changes, not ten lines
