"""What several rules share: span helpers, NumPy views of columns, and rule factories."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ... import _spans
from ..api import Batch, Reporter, Table, plain, selected
from ..spec import BatchCheck

SPANS = (("start", "end", "exact"), ("cue_start", "cue_end", "cue_ar"))  # evidence, quote cue


PROVEN_BY_SPAN = frozenset({"exact", "cue_ar"})  # equal to the NFC text: see span-matches-text


def _np(column: Any) -> Any:
    """A numeric or date column as NumPy (nulls as NaN / NaT)."""
    import numpy as np
    import pyarrow as pa

    if pa.types.is_date(column.type):
        return np.asarray(column.to_numpy(zero_copy_only=False), dtype="datetime64[D]")
    if pa.types.is_integer(column.type):
        return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
    return column.to_numpy(zero_copy_only=False)


def _text_fields(rows: Batch) -> list[str]:
    return text_fields(rows.table)


def text_fields(table: Table) -> list[str]:
    """The fields of free text: strings without categories."""
    return [
        f["name"]
        for f in table.fields
        if f.get("type", "string") == "string" and "categories" not in f
    ]


def _quote(value: object, limit: int = 60) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _in_text(c: Reporter, rows: Batch, start: str, end: str, exact: str) -> Iterator[Any]:
    """Per trusted document of the batch: (doc, row indices, starts, ends, in-range mask)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    docs = rows.column("doc_id")
    valid = pc.and_(pc.is_valid(docs), pc.is_valid(rows.column(start)))
    valid = pc.and_(valid, pc.and_(pc.is_valid(rows.column(end)), pc.is_valid(rows.column(exact))))
    for doc_id in pc.unique(pc.filter(docs, valid)).to_pylist():
        doc = c.docs.get(doc_id)
        if doc is None or not doc.trusted:
            continue  # an unknown document is a foreign-key problem; a changed text, a hash one
        index = selected(pc.and_(valid, pc.equal(docs, pa.scalar(doc_id))))
        taken = pa.array(index)
        first = np.asarray(rows.column(start).take(taken).to_numpy(), dtype=np.int64)
        last = np.asarray(rows.column(end).take(taken).to_numpy(), dtype=np.int64)
        inside = (first >= 0) & (first < last) & (last <= doc.length)
        yield doc, index, first, last, inside


def span_verdicts(c: Reporter, rows: Batch, start: str, end: str, exact: str) -> list[Any]:
    """Per trusted document of the batch: (doc, row indices, starts, ends, in-range mask, and
    for the rows in range, whether their cell differs from its span); once per batch, shared
    by `span-matches-text` and `text-characters`."""
    import numpy as np
    import pyarrow as pa

    key = ("span-verdicts", exact)
    if key not in rows.memo:
        cells = rows.column(exact)
        found = []
        for doc, index, first, last, inside in _in_text(c, rows, start, end, exact):
            wrong = np.zeros(0, dtype=np.bool_)
            if inside.any():
                taken = cells.take(pa.array(index[inside]))
                wrong = _spans.mismatches(doc, first[inside], last[inside], taken)
            found.append((doc, index, first, last, inside, wrong))
        rows.memo[key] = found
    verdicts: list[Any] = rows.memo[key]
    return verdicts


def _strings(values: tuple[str, ...]) -> Any:
    import pyarrow as pa

    return pa.array(list(values), pa.string())


def _quiet() -> Any:
    import numpy as np

    return np.errstate(invalid="ignore")


def _flag_per_value(
    c: Reporter,
    rows: Batch,
    field: str,
    wrong: dict[str, Any],
    expected: dict[str, str],
    *,
    skip: Any,
    describe: Callable[[int], str],
) -> None:
    """Flag rows whose `field` value has its `wrong` mask set (but not `skip`), saying what
    that value expects."""
    import numpy as np

    values = np.asarray(plain(rows.column(field)).to_numpy(zero_copy_only=False), dtype=object)
    label = field.removeprefix("date_")
    for value, bad in wrong.items():
        c.flag(
            rows,
            field,
            (values == value) & bad & ~skip,
            lambda i, v=value: f"{label} {v} with {describe(i)}; expected {expected[v]}",
        )


def _numbers(column: Any) -> Any:
    """A numeric or date column as float64 NumPy (dates as day numbers; nulls as NaN)."""
    import numpy as np
    import pyarrow as pa

    if pa.types.is_date(column.type):
        column = column.cast(pa.int32())
    return np.asarray(column.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def ordered(table: str | None, columns: tuple[str, ...]) -> BatchCheck:
    """A batch check that the given values of `columns` never decrease along the row (in
    `table`, or in any table that has them when `table` is None); it flags the first column
    whose value is below an earlier one's."""
    expected = " <= ".join(columns)

    def check(c: Reporter, rows: Batch) -> None:
        import numpy as np

        if (table is not None and rows.name != table) or not rows.has(*columns):
            return
        highest = np.full(len(rows), -np.inf)
        flagged = np.zeros(len(rows), dtype=np.bool_)

        def words(i: int) -> str:
            values = ", ".join(f"{f} {rows.value(f, i)}" for f in columns)
            return f"{values}; expected {expected}"

        for name in columns:
            values = _numbers(rows.column(name))
            with _quiet():
                below = ~np.isnan(values) & (values < highest) & ~flagged
            c.flag(rows, name, below, words)
            flagged |= below
            highest = np.fmax(highest, values)

    check.__doc__ = f"{expected} where given" + (f" in {table}." if table else ".")
    return check


def cycles(ids: Any, parents: Any) -> Any:
    """Rows on a cycle of parent links (`parents` holds values of `ids`, or null at a root), as
    a boolean NumPy array; rows that merely lead into a cycle are not on it."""
    import numpy as np
    import pyarrow.compute as pc

    n = len(ids)
    step = np.asarray(
        pc.fill_null(pc.index_in(parents, value_set=plain(ids)), n).to_numpy(), np.int64
    )
    jump = np.append(step, n)  # n: the root sentinel, its own parent
    for _ in range(max(1, int(np.ceil(np.log2(n + 1))) + 1)):
        jump = jump[jump]  # pointer doubling: after k rounds, the 2^k-th ancestor
    # After at least n steps every walk is inside a cycle (or at the root): those rows are the
    # cycles themselves.
    on_cycle = np.zeros(n + 1, dtype=np.bool_)
    on_cycle[jump[:n]] = True
    return on_cycle[:n]


def relation_is(
    c: Reporter, name: str, allowed: tuple[str, ...], expected: str, *, who: str = "source"
) -> None:
    """Flag rows of table `name` whose `source_id` (the row's `who`) is a source with a
    `relation` outside `allowed` (an unknown source is the foreign-key rule's)."""
    import pyarrow.compute as pc

    table, sources = c.table(name), c.table("sources")
    if table is None or sources is None:
        return
    position = pc.index_in(table.column("source_id"), value_set=plain(sources.column("source_id")))
    relation = plain(sources.column("relation")).take(position)
    c.flag(
        table,
        "source_id",
        pc.and_(pc.is_valid(relation), pc.invert(pc.is_in(relation, value_set=_strings(allowed)))),
        lambda i: (
            f"the {who}'s relation is {relation[i].as_py()}; expected {expected} "
            f"({', '.join(allowed)})"
        ),
    )


def joined(table: Table, columns: tuple[str, ...], start: int = 0, size: int = -1) -> Any:
    """One string per row joining `columns` (null where any is null): a composite key; of the
    rows from `start`, `size` of them (-1: all), so that a large table is joined a slice at a
    time."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = []
    for name in columns:
        column = table.column(name)
        if start or size >= 0:
            column = column.slice(start, None if size < 0 else size)
        parts.append(plain(column).cast(pa.string()))
    return pc.binary_join_element_wise(*parts, "\x1f")
