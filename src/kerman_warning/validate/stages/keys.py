"""Stage 3, keys: primary keys, unique fields, `uniqueKeys` and foreign keys, batch by batch.

Memory model (docs/benchmarks.md says it for the whole run):

- A key (primary key, unique field or `uniqueKeys` entry) is first proved by sort order: while
  every batch is strictly increasing, also from the last key of the batch before, no value can
  repeat, and only that last key is kept (O(1)). The first batch out of order switches the key
  to a hashed set: 64-bit hashes of the rows seen so far (re-read once from the file), kept as
  sorted NumPy runs (8 bytes a row). A row whose hash was seen before is a suspect; at the end
  of the table the file's key columns are read again for the suspects' hashes only, and the
  exact values decide: a hash collision is never reported, a true repeat never missed.
- A foreign key into a table streamed earlier is checked on each batch, against that table's
  kept key columns: by binary search when its key was proved sorted, otherwise through a hashed
  index of it (built once, exact values compared). What is kept does not grow with the rows of
  the table that refers. The lookup needs only the batch and the complete target, so the
  engine's worker thread does it ahead of the batch (`ForeignKeys.ahead`).
- A foreign key into a table not yet complete (itself, or a later table of a cycle in the
  foreign-key graph) keeps the batch's distinct values (a compact pending set, deduplicated as it
  grows) and is resolved when the target is complete; the rows are found by reading the
  referring table's key columns again, only if a value is missing.

Reported messages, rows and lines are those of a whole-table check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...tableschema import one_array
from ..api import Batch, Context, Rows, Table, keys, plain
from ..spec import Rule
from .tableschema import FOREIGN_KEY, PRIMARY_KEY, UNIQUE, UNIQUE_KEYS

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Bools = npt.NDArray[np.bool_]
    Ints = npt.NDArray[np.int64]
    Hashes = npt.NDArray[np.uint64]

__all__ = ["ForeignKeys", "KeyCheck", "Keys", "Look", "Picked", "hash_rows", "key_sets"]

# (offset of the first row, typed columns, line numbers) of each batch of a table, read again
Reread = Callable[[Table], Iterator[tuple[int, dict[str, Any], "Ints"]]]
# the engine's reader: a table read again with the parser's block size it was streamed with
Reader = Callable[[Table, int], Iterator[tuple[int, dict[str, Any], "Ints"]]]
# work on a batch's columns, done ahead of it on the engine's worker thread: entries of its memo
Look = Callable[[Table, Mapping[str, Any]], dict[Any, Any]]
PENDING_DEDUP = 1 << 16  # pending values are deduplicated when at least this many pile up
# A sorted target is looked up by hashing the slice a batch's values span when that slice is at
# most this many times as long as they are, plus 512 (hashing a row of the slice costs about as
# much as one step of the binary search for one value).
RANGE_LOOKUP = 8

WHAT = {PRIMARY_KEY.id: "primary key", UNIQUE.id: "unique field", UNIQUE_KEYS.id: "unique key"}


def key_sets(table: Table) -> list[tuple[Rule, list[str]]]:
    """primaryKey, unique fields and uniqueKeys of a table, each set of fields once."""
    sets: list[tuple[Rule, list[str]]] = []
    pk = keys(table.schema.get("primaryKey"))
    if pk:
        sets.append((PRIMARY_KEY, pk))
    for spec in table.fields:
        if spec.get("constraints", {}).get("unique"):
            sets.append((UNIQUE, [spec["name"]]))
    for key in table.schema.get("uniqueKeys", []) or []:
        if keys(key):
            sets.append((UNIQUE_KEYS, keys(key) or []))
    done: set[tuple[str, ...]] = set()
    out = []
    for rule, fields in sets:
        if tuple(fields) in done or not all(f in table.names for f in fields):
            continue
        done.add(tuple(fields))
        out.append((rule, fields))
    return out


@dataclass(eq=False)
class Picked(Rows):
    """A few rows of a table, picked out of it: their lines and their key values."""

    name: str
    file: str
    columns: dict[str, Any]
    lines: Ints

    def __len__(self) -> int:
        return len(self.lines)

    def line(self, i: int) -> int:
        return int(self.lines[i])


# --- hashing ------------------------------------------------------------------------------

_P = 0x100000001B3  # FNV prime: the base of the polynomial over a string's bytes
_GOLDEN = 0x9E3779B97F4A7C15


def _mix(z: Hashes) -> Hashes:
    """splitmix64's finaliser: every input bit moves every output bit."""
    import numpy as np

    z = z ^ (z >> np.uint64(30))
    z = z * np.uint64(0xBF58476D1CE4E5B9)
    z = z ^ (z >> np.uint64(27))
    z = z * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _hash_strings(column: Any) -> Hashes:
    """A polynomial hash of each string's bytes and its length, column-wise."""
    import numpy as np
    import pyarrow as pa

    if not pa.types.is_large_string(column.type) and not pa.types.is_large_binary(column.type):
        column = column.cast(pa.large_binary())
    n = len(column)
    buffers = column.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[column.offset : column.offset + n + 1]
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    lengths = np.diff(offsets)
    start, end = int(offsets[0]), int(offsets[-1])
    data = (
        np.frombuffer(buffers[2], dtype=np.uint8)[start:end]
        if buffers[2] is not None
        else np.zeros(0, dtype=np.uint8)
    )
    starts = offsets[:-1] - start
    longest = int(lengths.max()) if n else 0
    powers = np.ones(max(longest, 1), dtype=np.uint64)  # powers[k] = _P ** k, modulo 2**64
    powers[1:] = np.cumprod(np.full(len(powers) - 1, _P, dtype=np.uint64))
    position = np.arange(len(data), dtype=np.int64) - np.repeat(starts, lengths)
    terms = data.astype(np.uint64) * powers[position]
    terms = np.append(terms, np.uint64(0))
    sums = np.add.reduceat(terms, np.minimum(starts, len(data)))
    sums[lengths == 0] = 0
    return _mix(sums ^ (lengths.astype(np.uint64) * np.uint64(_GOLDEN)))


def _hash_column(column: Any) -> Hashes:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    column = plain(column)
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind):
        return _hash_strings(column)
    if pa.types.is_large_binary(kind):
        return _hash_strings(column)
    if pa.types.is_floating(kind):
        values = np.asarray(pc.fill_null(column.cast(pa.float64()), 0.0).to_numpy(), np.float64)
        return _mix((values + 0.0).view(np.uint64))  # + 0.0: -0.0 and 0.0 are one value
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind) or pa.types.is_date(kind):
        as_int = column.cast(pa.int32() if pa.types.is_date32(kind) else pa.int64())
        values = np.asarray(pc.fill_null(as_int, 0).to_numpy(), dtype=np.int64)
        return _mix(values.view(np.uint64))
    return _hash_strings(pc.cast(column, pa.string()))  # times, durations, …: by their text


def hash_rows(columns: list[Any]) -> Hashes:
    """A 64-bit hash of each row's key (equal keys, equal hashes; the converse is checked)."""
    import numpy as np

    out: Hashes | None = None
    for column in columns:
        h = _hash_column(column)
        out = h if out is None else _mix(out * np.uint64(_GOLDEN) + h)
    assert out is not None
    return out


# --- keys of one table ----------------------------------------------------------------------


def _valid(columns: list[Any]) -> Bools | None:
    """Rows with a value in every key cell (None: all of them)."""
    import numpy as np

    if not any(c.null_count for c in columns):
        return None
    ok = np.ones(len(columns[0]), dtype=np.bool_)
    for c in columns:
        if c.null_count:
            ok &= np.asarray(c.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    return ok


def _less(a: list[Any], b: list[Any]) -> Any:
    """Row-wise: key a < key b, lexicographically over the fields."""
    import pyarrow.compute as pc

    result = pc.less(a[-1], b[-1])
    for x, y in zip(reversed(a[:-1]), reversed(b[:-1]), strict=True):
        result = pc.or_(pc.less(x, y), pc.and_(pc.equal(x, y), result))
    return result


def _increasing(columns: list[Any], last: list[Any] | None) -> bool:
    """Strictly increasing down the batch, and from the last key of the batch before."""
    import pyarrow.compute as pc

    n = len(columns[0])
    try:
        if last is not None and not pc.all(_less(last, [c.slice(0, 1) for c in columns])).as_py():
            return False
        if n < 2:
            return True
        step = _less([c.slice(0, n - 1) for c in columns], [c.slice(1) for c in columns])
        return bool(pc.all(step).as_py())
    except Exception:  # a type without an order: decided by hashing instead
        return False


@dataclass(eq=False)
class KeyCheck:
    """One key of one table, fed batch by batch (see the module's docstring)."""

    rule: Rule
    fields: list[str]
    sorted: bool = True
    last: list[Any] | None = None
    runs: list[Hashes] = field(default_factory=list)  # sorted, distinct hashes
    suspects: list[Hashes] = field(default_factory=list)  # hashes seen again

    def columns(self, columns: dict[str, Any]) -> tuple[list[Any], Ints | None]:
        """The key's columns without rows that have an empty key cell, and those rows' index."""
        import numpy as np

        cols = [plain(columns[f]) for f in self.fields]
        ok = _valid(cols)
        if ok is None:
            return cols, None
        import pyarrow as pa

        mask = pa.array(ok)
        return [c.filter(mask) for c in cols], np.flatnonzero(ok)

    def feed(self, table: Table, columns: dict[str, Any], offset: int, reread: Reread) -> None:
        cols, _ = self.columns(columns)
        if len(cols[0]) == 0:
            return
        if self.sorted:
            if _increasing(cols, self.last):
                self.last = [c.slice(len(c) - 1, 1) for c in cols]
                return
            self.sorted, self.last = False, None
            self._hash_prefix(table, offset, reread)
        self._add(hash_rows(cols))

    def _hash_prefix(self, table: Table, offset: int, reread: Reread) -> None:
        """The rows before `offset` were proved distinct by their order: hash them once."""
        if offset == 0:
            return
        for start, columns, _ in reread(table):
            if start >= offset:
                break
            cols, _ = self.columns({f: columns[f][: offset - start] for f in self.fields})
            if len(cols[0]):
                self._merge(_unique(hash_rows(cols)))

    def _add(self, h: Hashes) -> None:
        import numpy as np

        order = np.sort(h)
        again = order[1:][order[1:] == order[:-1]]
        distinct = _unique(order)
        seen = [distinct[_member(run, distinct)] for run in self.runs]
        found = np.concatenate([again, *seen]) if seen else again
        if len(found):
            self.suspects.append(found)
        self._merge(distinct)

    def _merge(self, distinct: Hashes) -> None:
        """Keep the runs few: merge the newest with the one before while it is not smaller."""
        self.runs.append(distinct)
        while len(self.runs) > 1 and len(self.runs[-1]) * 2 >= len(self.runs[-2]):
            newer = self.runs.pop()
            self.runs[-1] = _unique(_concat([self.runs[-1], newer]))

    def finish(self, ctx: Context, table: Table, reread: Reread) -> None:
        """Resolve the suspects exactly, reading the table's key columns again."""
        import numpy as np
        import pyarrow as pa

        self.runs, self.last = [], None
        if not self.suspects:
            return
        wanted = _unique(_concat(self.suspects))
        self.suspects = []
        first: dict[tuple[Any, ...], int] = {}
        lines: list[int] = []
        values: list[tuple[Any, ...]] = []
        firsts: list[int] = []
        for _, columns, batch_lines in reread(table):
            cols, index = self.columns(columns)
            if len(cols[0]) == 0:
                continue
            hit = np.flatnonzero(np.isin(hash_rows(cols), wanted))
            if len(hit) == 0:
                continue
            taken = pa.array(hit)
            rows = zip(*(c.take(taken).to_pylist() for c in cols), strict=True)
            at = hit if index is None else index[hit]
            for i, value in zip(at.tolist(), rows, strict=True):
                line = int(batch_lines[i])
                if value in first:
                    lines.append(line)
                    values.append(value)
                    firsts.append(first[value])
                else:
                    first[value] = line
        if not lines:
            return
        fields = self.fields
        label = ", ".join(fields)
        picked = Picked(table.name, table.file, {}, np.asarray(lines, dtype=np.int64))
        ctx.reporter(self.rule).flag(
            picked,
            fields[-1] if len(fields) > 1 else fields[0],
            np.ones(len(lines), dtype=np.bool_),
            lambda i: (
                f"repeats the {WHAT[self.rule.id]} ({label}) of line {firsts[i]}; "
                "expected each value once"
            ),
            value=lambda i: " / ".join(str(v) for v in values[i]),
        )


def _unique(h: Hashes) -> Hashes:
    import numpy as np

    if len(h) == 0:
        return h
    h = np.sort(h)
    keep = np.ones(len(h), dtype=np.bool_)
    keep[1:] = h[1:] != h[:-1]
    return h[keep]


def _concat(parts: list[Hashes]) -> Hashes:
    import numpy as np

    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)


def _member(run: Hashes, h: Hashes) -> Bools:
    """Which of `h` are in the sorted `run`."""
    import numpy as np

    if len(run) == 0:
        return np.zeros(len(h), dtype=np.bool_)
    at = np.minimum(np.searchsorted(run, h), len(run) - 1)
    found: Bools = run[at] == h
    return found


# --- foreign keys -----------------------------------------------------------------------------


class Target:
    """The exact key values of a complete table, searchable: binary search when the key was
    proved sorted, otherwise a hashed index built once (exact values compared on a hit)."""

    def __init__(self, columns: list[Any], ordered: bool) -> None:
        import numpy as np

        self.columns = [plain(c) for c in columns]
        self.ordered = ordered
        self.hashes: Hashes | None = None
        self.order: Ints | None = None
        if not ordered:
            h = hash_rows(self.columns)
            self.order = np.argsort(h, kind="stable").astype(np.int64)
            self.hashes = h[self.order]

    def _lower_bound(self, values: list[Any]) -> Ints:
        """Per value, the first row of the sorted target whose key is not below it (a vectorised
        binary search: one pass of Arrow calls per halving, whatever the number of values)."""
        import numpy as np
        import pyarrow as pa

        size = len(self.columns[0])
        lo = np.zeros(len(values[0]), dtype=np.int64)
        hi = np.full(len(values[0]), size, dtype=np.int64)
        while (open_ := lo < hi).any():
            mid = (lo + hi) // 2
            probe = pa.array(np.minimum(mid, size - 1))
            below = _less([c.take(probe) for c in self.columns], values)
            right = np.asarray(below.to_numpy(zero_copy_only=False), dtype=np.bool_)
            lo = np.where(open_ & right, mid + 1, lo)
            hi = np.where(open_ & ~right, mid, hi)
        return lo

    def _in_range(self, values: Any) -> Bools | None:
        """For a key of one field: the values' range in the sorted target found by two binary
        searches, then one hashed lookup in that slice alone; None when the slice is much larger
        than the values (they are spread over the target: the binary search does better)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        column = self.columns[0]
        bounds: Any = pc.min_max(values).as_py()
        ends = pa.array([bounds["min"], bounds["max"]], column.type)
        first, last = (int(i) for i in self._lower_bound([ends]))
        if last < len(column) and column[last].equals(ends[1]):
            last += 1  # past the row equal to the largest value
        if last - first > RANGE_LOOKUP * (len(values) + 512):
            return None
        found = pc.is_in(values, value_set=column.slice(first, last - first))
        return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.bool_)

    def contains(self, values: list[Any]) -> Bools:
        """Which rows of `values` (distinct keys, no empty cell) are keys of the target."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        n, size = len(values[0]), len(self.columns[0])
        if n == 0 or size == 0:
            return np.zeros(n, dtype=np.bool_)
        try:
            values = [v.cast(c.type) for v, c in zip(values, self.columns, strict=True)]
        except (ValueError, TypeError, NotImplementedError):  # pa.ArrowInvalid is a ValueError
            return np.zeros(n, dtype=np.bool_)  # no value of another type is a key of the target
        if self.ordered:
            if len(values) == 1 and (found := self._in_range(values[0])) is not None:
                return found
            lo = self._lower_bound(values)
            landed = pa.array(np.minimum(lo, size - 1))
            equal = np.asarray(lo < size, dtype=np.bool_)
            for c, v in zip(self.columns, values, strict=True):
                same = pc.fill_null(pc.equal(c.take(landed), v), False)
                equal &= np.asarray(same.to_numpy(zero_copy_only=False), dtype=np.bool_)
            return equal
        assert self.hashes is not None and self.order is not None
        h = hash_rows(values)
        at: Ints = np.searchsorted(self.hashes, h).astype(np.int64)
        found = np.zeros(n, dtype=np.bool_)
        for step in range(len(self.hashes)):  # rows with the same hash lie side by side
            live = np.flatnonzero(~found & (at + step < size))
            if len(live) == 0:
                break
            pos = at[live] + step
            live_same = self.hashes[pos] == h[live]
            live, pos = live[live_same], pos[live_same]
            if len(live) == 0:
                break
            rows = pa.array(self.order[pos])
            equal = np.ones(len(live), dtype=np.bool_)
            for c, v in zip(self.columns, values, strict=True):
                same = pc.fill_null(pc.equal(c.take(rows), v.take(pa.array(live))), False)
                equal &= np.asarray(same.to_numpy(zero_copy_only=False), dtype=np.bool_)
            found[live[equal]] = True
        return found


def _distinct(columns: list[Any]) -> list[Any]:
    """The distinct keys among rows with a value in every key cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(columns) == 1:
        return [pc.unique(columns[0]).drop_null()]
    names = [f"k{i}" for i in range(len(columns))]
    t = pa.table(dict(zip(names, columns, strict=True))).drop_null()
    t = t.group_by(names).aggregate([])
    return [one_array(t.column(name)) for name in names]


@dataclass(eq=False)
class Pending:
    """A foreign key into a table not yet complete: the distinct values it refers to."""

    table: Table
    fk: tuple[list[str], str, list[str]]
    parts: list[list[Any]] = field(default_factory=list)
    size: int = 0
    limit: int = PENDING_DEDUP  # deduplicated when this many values have piled up

    def add(self, values: list[Any]) -> None:
        self.parts.append(values)
        self.size += len(values[0])
        if self.size >= self.limit and len(self.parts) > 1:
            self.parts = [self.values()]
            self.size = len(self.parts[0][0])
            # twice what is left: each value is deduplicated a bounded number of times
            self.limit = max(PENDING_DEDUP, 2 * self.size)

    def values(self) -> list[Any]:
        import pyarrow as pa

        if len(self.parts) == 1:
            return self.parts[0]
        joined = [pa.concat_arrays([p[i] for p in self.parts]) for i in range(len(self.fk[0]))]
        return _distinct(joined)


class ForeignKeys:
    """Every foreign key of the run, checked on each batch of the table that refers."""

    def __init__(self, ctx: Context, reader: Reader) -> None:
        self.ctx = ctx
        self.reader = reader
        self.blocks: dict[str, int] = {}  # by table: the parser's block size it streams with
        self.complete: set[str] = set()  # tables streamed completely
        self.ordered: dict[tuple[str, tuple[str, ...]], bool] = {}  # keys proved sorted
        self.targets: dict[tuple[str, tuple[str, ...]], Target | None] = {}
        self.pending: list[Pending] = []

    def reread(self, table: Table) -> Iterator[tuple[int, dict[str, Any], Ints]]:
        """The rows of a table streamed before, read again (only when a problem needs them)."""
        return self.reader(table, self.blocks[table.name])

    def target(self, resource: str, ref_fields: list[str]) -> Target | None:
        """The key values of a complete, usable table; None when they cannot be checked."""
        key = (resource, tuple(ref_fields))
        if key not in self.targets:
            table = self.ctx.tables.get(resource)
            if table is None or not table.usable or not table.has(*ref_fields):
                self.targets[key] = None
            elif any(table.columns[f].null_count for f in ref_fields):
                self.targets[key] = None  # an empty key cell of the target: the one problem
            else:
                columns = [table.columns[f] for f in ref_fields]
                self.targets[key] = Target(columns, self.ordered.get(key, False))
        return self.targets[key]

    def ahead(self, table: Table, pending: dict[int, Pending]) -> Look:
        """The part of `batch` that needs only a batch's columns and complete targets (built
        now, on this thread), for the engine's worker thread: per foreign key, the batch's
        distinct values and which of them the target lacks."""
        import numpy as np

        checked = [
            (number, fk, None if number in pending else self.target(fk[1], fk[2]))
            for number, fk in enumerate(_checked(self.ctx, table))
        ]

        def look(_table: Table, columns: Mapping[str, Any]) -> dict[Any, Any]:
            memo: dict[Any, Any] = {}
            for number, fk, target in checked:
                values = _distinct([plain(columns[f]) for f in fk[0]])
                missing: Bools | None = None
                if target is not None and len(values[0]):
                    missing = np.asarray(~target.contains(values), dtype=np.bool_)
                memo[("foreign-key", number)] = (values, missing)
            return memo

        return look

    def batch(self, batch: Batch, pending: dict[int, Pending]) -> None:
        """Check one batch of `batch.table` (pending: this table's keys into incomplete ones),
        with what `ahead` worked out for it when it did."""
        table = batch.table
        for number, fk in enumerate(_checked(self.ctx, table)):
            fields, resource, ref_fields = fk
            columns = [batch.columns[f] for f in fields]
            values, missing = batch.memo.get(("foreign-key", number)) or (
                _distinct([plain(c) for c in columns]),
                None,
            )
            if len(values[0]) == 0:
                continue
            if number in pending:
                pending[number].add(values)
                continue
            if missing is None:
                target = self.target(resource, ref_fields)
                if target is None:
                    continue
                missing = ~target.contains(values)
            if missing.any():
                _flag(self.ctx, batch, fk, columns, [v.filter(missing) for v in values])

    def start(self, table: Table) -> dict[int, Pending]:
        """The foreign keys of `table` whose target is not complete yet."""
        self.pending = [p for p in self.pending if p.table is not table]  # a table read again
        out = {}
        for number, fk in enumerate(_checked(self.ctx, table)):
            if fk[1] not in self.complete:
                out[number] = Pending(table, fk)
                self.pending.append(out[number])
        return out

    def finish(self, table: Table, proved: dict[tuple[str, ...], bool]) -> None:
        """`table` is complete: resolve what referred to it while it was not."""
        self.complete.add(table.name)
        for fields, ordered in proved.items():
            self.ordered[(table.name, fields)] = ordered
        for pending in [p for p in self.pending if p.fk[1] == table.name]:
            self.pending.remove(pending)
            if pending.parts and pending.table.usable:
                self._resolve(pending)

    def _resolve(self, pending: Pending) -> None:
        fields, resource, ref_fields = pending.fk
        target = self.target(resource, ref_fields)
        if target is None:
            return
        values = pending.values()
        pending.parts = []
        missing = ~target.contains(values)
        if not missing.any():
            return
        absent = [v.filter(missing) for v in values]
        table = pending.table
        for _, columns, lines in self.reread(table):
            picked = Picked(table.name, table.file, {f: columns[f] for f in fields}, lines)
            _flag(self.ctx, picked, pending.fk, [columns[f] for f in fields], absent)


def _checked(ctx: Context, table: Table) -> list[tuple[list[str], str, list[str]]]:
    from ..api import foreign_keys

    return [
        fk
        for fk in foreign_keys(table)
        if fk[1] in ctx.tables and all(f in table.names for f in fk[0])
    ]


def _flag(
    ctx: Context,
    rows: Rows,
    fk: tuple[list[str], str, list[str]],
    columns: list[Any],
    absent: list[Any],
) -> None:
    """Report the rows of `rows` whose key is one of the `absent` values."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    fields, resource, ref_fields = fk
    cols = [plain(c) for c in columns]
    if len(cols) == 1:
        mask = pc.fill_null(pc.is_in(cols[0], value_set=absent[0].cast(cols[0].type)), False)
    else:
        names = [f"k{i}" for i in range(len(cols))]
        left = pa.table(dict(zip(names, cols, strict=True)))
        left = left.append_column("__row", pa.array(np.arange(len(cols[0]))))
        right = pa.table(dict(zip(names, absent, strict=True)))
        right = right.append_column("__hit", pa.array(np.ones(len(absent[0]), dtype=np.bool_)))
        joined = left.join(right, names, join_type="inner")
        hit = np.zeros(len(cols[0]), dtype=np.bool_)
        hit[np.asarray(joined.column("__row").to_numpy(), dtype=np.int64)] = True
        mask = hit
    label = ", ".join(ref_fields)
    ctx.reporter(FOREIGN_KEY).flag(
        rows,
        fields[0] if len(fields) == 1 else fields[-1],
        mask,
        lambda i: f"no row of {resource} has this {label}; expected an existing {resource} row",
        value=lambda i: " / ".join(str(rows.value(f, i)) for f in fields),
    )


class Keys:
    """The key checks of one table while it streams."""

    def __init__(self, ctx: Context, table: Table, fks: ForeignKeys) -> None:
        self.ctx, self.table, self.fks = ctx, table, fks
        self.checks = [KeyCheck(rule, fields) for rule, fields in key_sets(table)]
        self.pending = fks.start(table)

    def ahead(self) -> Look:
        """What the engine's worker thread can do of `batch` before it (`ForeignKeys.ahead`)."""
        return self.fks.ahead(self.table, self.pending)

    def batch(self, batch: Batch) -> None:
        for check in self.checks:
            check.feed(self.table, batch.columns, batch.offset, self.fks.reread)
        self.fks.batch(batch, self.pending)

    def finish(self) -> None:
        proved = {}
        for check in self.checks:
            proved[tuple(check.fields)] = check.sorted and self.table.rows > 0
            if self.table.rows:
                check.finish(self.ctx, self.table, self.fks.reread)
        self.fks.finish(self.table, proved)
