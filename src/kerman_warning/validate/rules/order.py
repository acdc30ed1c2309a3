"""One row order everywhere: a CSV lists its rows in primary-key order, the order of the Parquet
copies, `load()` and `export`, so that a diff of a CSV shows edits, not moves."""

from __future__ import annotations

from typing import Any

from ..api import Batch, Reporter, keys, plain
from ..spec import declare

ROW_ORDER = declare(
    "row-order",
    "error",
    "consistency",
    "A table's rows are in primary-key order (typed values ascending, text by code point), the "
    "order of its Parquet copy, `load()` and `export`.",
)


@ROW_ORDER.each_batch
def row_order(c: Reporter, rows: Batch) -> None:
    """A table's rows are in primary-key order (typed values ascending, text by code point)."""
    import numpy as np
    import pyarrow.compute as pc

    key = keys(rows.table.schema.get("primaryKey"))
    if not key or not rows.has(*key) or len(rows) == 0:
        return
    columns = [plain(rows.column(name)) for name in key]
    n = len(rows)
    # Row i comes before row i - 1 when, on the first key column where they differ, it is
    # smaller: one vectorised pass per key column. Equal keys are the primary-key rule's.
    before = np.zeros(n, dtype=np.bool_)
    tied = np.ones(n, dtype=np.bool_)
    tied[0] = False
    for column in columns:
        here, above = column.slice(1), column.slice(0, n - 1)
        less = np.asarray(
            pc.fill_null(pc.less(here, above), False).to_numpy(zero_copy_only=False), dtype=np.bool_
        )
        equal = np.asarray(
            pc.fill_null(pc.equal(here, above), False).to_numpy(zero_copy_only=False),
            dtype=np.bool_,
        )
        before[1:] |= tied[1:] & less
        tied[1:] &= equal
    last = c.state.get(rows.name)  # the key of the last row of the previous batch
    first = _key(columns, 0)
    if last is not None and None not in first and first < last:
        before[0] = True
    c.state[rows.name] = _key(columns, n - 1)
    if None in c.state[rows.name]:
        c.state[rows.name] = None

    def words(i: int) -> str:
        above = last if i == 0 else _key(columns, i - 1)
        return (
            f"key {_shown(_key(columns, i))} comes after {_shown(above)}; expected the rows in "
            f"primary-key order ({', '.join(key)} ascending)"
        )

    c.flag(rows, key[0], before, words)


def _key(columns: list[Any], i: int) -> tuple[Any, ...]:
    return tuple(column[i].as_py() for column in columns)


def _shown(key: tuple[Any, ...] | None) -> str:
    return ", ".join(repr(part) for part in key or ())
