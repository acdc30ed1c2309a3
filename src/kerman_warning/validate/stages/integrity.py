"""Stage 2, integrity: declared sizes and hashes (computed meanwhile in a worker thread), and
the Parquet copies compared with their CSVs while the CSVs stream."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from ..._csv import blank_rows, read_all
from ...tableschema import apply_missing_values, arrow_schema, one_array, typed_columns
from ..api import Batch, Context, Rows, Table, Where, keys, plain
from ..report import show
from ..spec import declare

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Bools = npt.NDArray[np.bool_]
    Ints = npt.NDArray[np.int64]

__all__ = ["ParquetMirror", "check_declared_hash", "integrity"]

_SHA256 = re.compile(r"^sha256:[0-9a-f]{64}$")
# Hashes as the v2 standard writes them: "<algorithm>:<hex>", or 32 hex digits for MD5.
_HASH = re.compile(r"^(?:(md5|sha1|sha256|sha512):)?([0-9a-fA-F]+)$")

HASH_VERIFIABLE = declare(
    "hash-verifiable",
    "error",
    "integrity",
    "Every file declares its `bytes` and a `sha256:` hash; a hash that cannot be verified is "
    "refused, not skipped.",
    scope="project",
)

BYTES_MATCH = declare(
    "bytes-match",
    "error",
    "integrity",
    "Every file is exactly as long as its declared `bytes`.",
    scope="datapackage",
)

HASH_MATCH = declare(
    "hash-match",
    "error",
    "integrity",
    "Every file's SHA-256 digest equals its declared `hash`.",
    scope="datapackage",
)

PARQUET_MATCHES_CSV = declare(
    "parquet-matches-csv",
    "error",
    "integrity",
    "Each Parquet copy holds exactly the rows of its CSV, with the Arrow types its Table "
    "Schema gives.",
    scope="project",
)


def check_declared_hash(
    ctx: Context, name: str, path: str, block: dict[str, Any], prefix: str
) -> None:
    size, digest = block.get("bytes"), block.get("hash")
    missing = [key for key, value in (("bytes", size), ("hash", digest)) if value is None]
    if missing:
        ctx.out.add(
            HASH_VERIFIABLE,
            f"declares no {' and no '.join(missing)}; run `kerman-warning build`",
            resource=name,
            file=path,
            field=prefix + missing[0],
        )
    if digest is not None and not (isinstance(digest, str) and _SHA256.match(digest)):
        ctx.out.add(
            HASH_VERIFIABLE,
            "is not a sha256:<64 lowercase hex digits> hash, so it cannot be verified; "
            "run `kerman-warning build`",
            resource=name,
            file=path,
            field=prefix + "hash",
            value=digest,
        )


def _declared(digest: object) -> tuple[str, str] | None:
    """(algorithm, lowercase hex) of a declared hash this validator can verify, else None."""
    if not isinstance(digest, str):
        return None
    found = _HASH.match(digest)
    if found is None or (found.group(1) is None and len(found.group(2)) != 32):
        return None
    return found.group(1) or "md5", found.group(2).lower()


def integrity(ctx: Context) -> None:
    """Stage 2: sizes and hashes (computed meanwhile in the worker thread), then Parquet."""
    for relative, (resource, size, digest) in ctx.declared.items():
        info = ctx.file_info(relative)
        if info is None:
            continue
        where: Where = {"resource": resource, "file": relative}
        if isinstance(size, int) and size != info.size:
            ctx.bad_files.add(relative)
            ctx.out.add(
                BYTES_MATCH,
                f"the file has {info.size} bytes, the descriptor says {size}; edited without "
                "`kerman-warning build`?",
                field="bytes",
                value=info.size,
                **where,
            )
        elif (declared := _declared(digest)) is not None:
            algorithm, expected = declared
            actual = info.digests.get(algorithm)
            # Under --rules all, a hash other than sha256 is `hash-verifiable`'s one problem.
            verified = algorithm == "sha256" or ctx.rules == "datapackage"
            if verified and actual is not None and actual != expected:
                ctx.bad_files.add(relative)
                ctx.out.add(
                    HASH_MATCH,
                    f"the file's {algorithm.upper()} is {actual[:12]}…, the descriptor says "
                    f"{expected[:12]}…; edited without `kerman-warning build`?",
                    field="hash",
                    value=f"{algorithm}:{actual}",
                    **where,
                )
    for resource, relative, message in ctx.parquet_problems:
        table = ctx.tables[resource]
        if relative in ctx.bad_files or table.file in ctx.bad_files:
            continue  # the stale or damaged file is reported once, by its size or hash
        ctx.out.add(PARQUET_MATCHES_CSV, message, resource=resource, file=relative)


class ParquetMirror:
    """Compare the Parquet copy with the CSV while the CSV streams.

    The Parquet rows are in primary-key order (`build` sorts them, stably). While the CSV is
    in that order too, each batch is compared with the next Parquet rows, in bounded memory.
    If it turns out not to be, the comparison is redone at the end on both tables, sorted by
    the key (the CSVs of this package are small; a large CSV should be kept in key order).
    """

    def __init__(self, ctx: Context, table: Table) -> None:
        self.ctx = ctx
        self.table = table
        self.pk = keys(table.schema.get("primaryKey")) or []
        self.reader: Iterator[Any] | None = None
        self.pending: Any = None
        self.in_order = len(self.pk) == 1
        self.last_key: Any = None
        self.compared = 0
        self.first: tuple[int, str, object, object] | None = None
        self.differences = 0
        self.problem: str | None = None
        if table.parquet_path is not None:
            self._open()

    def _open(self) -> None:
        import pyarrow.parquet as pq

        assert self.table.parquet_path is not None
        try:
            handle = pq.ParquetFile(self.table.parquet_path)
            actual = handle.schema_arrow
        except Exception as error:  # any failure to open is a finding about the file
            self.problem = f"cannot be read as Parquet ({type(error).__name__}: {error})"
            return
        stamp = (actual.metadata or {}).get(b"datapackage.package")
        if stamp is not None:
            self.ctx.parquet_stamps[self.table.name] = stamp.decode("utf-8", "replace")
        got = [(f.name, str(f.type)) for f in actual]
        want = [(f.name, str(f.type)) for f in arrow_schema(self.table.schema)]
        if got != want:
            diff = next(
                (
                    f"column {g[0]} is {g[1]}, expected {w[0]}: {w[1]}"
                    for g, w in zip(got, want, strict=False)
                    if g != w
                ),
                f"{len(got)} columns, expected {len(want)}",
            )
            self.problem = f"does not have the columns and types of the Table Schema: {diff}"
            return
        if self.in_order:
            self.reader = iter(handle.iter_batches(batch_size=1 << 16))

    def feed(self, batch: Batch, cast_bad: dict[str, Bools]) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.reader is None or not self.in_order or self.problem:
            return
        key = plain(batch.columns[self.pk[0]])
        if (
            key.null_count
            or (len(key) > 1 and pc.any(pc.less(key[1:], key[:-1])).as_py())
            or (self.last_key is not None and pc.less(key[0], self.last_key).as_py())
        ):
            self.in_order = False
        if not self.in_order:
            return
        self.last_key = key[len(key) - 1]
        parts: list[Any] = []
        have = 0
        while have < len(batch):  # the next rows of the Parquet copy, without copying them
            if self.pending is None:
                self.pending = next(self.reader, None)
                if self.pending is None:
                    break
            piece = self.pending.slice(0, len(batch) - have)
            parts.append(piece)
            have += len(piece)
            rest = self.pending.slice(len(piece))
            self.pending = rest if len(rest) else None
        if parts:
            self._compare(batch, pa.Table.from_batches(parts), cast_bad)
            self.compared += have

    def _compare(self, rows: Rows, other: Any, cast_bad: dict[str, Bools]) -> None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        take = other.num_rows
        for name in self.table.names:
            mine = rows.columns[name]
            mine = mine if take == len(mine) else mine[:take]
            theirs = other.column(name)
            if name not in cast_bad and pa.chunked_array([mine]).equals(theirs):
                continue  # one call, no allocation: the usual case
            mine, theirs = plain(mine), plain(one_array(theirs))
            differ = pc.or_(
                pc.fill_null(pc.not_equal(mine, theirs), False),
                pc.not_equal(pc.is_null(mine), pc.is_null(theirs)),
            )
            mask = np.asarray(differ.to_numpy(zero_copy_only=False), dtype=np.bool_)
            if name in cast_bad:
                mask &= ~cast_bad[name][:take]
            count = int(mask.sum())
            if count:
                self.differences += count
                if self.first is None:
                    i = int(np.flatnonzero(mask)[0])
                    self.first = (rows.line(i), name, theirs[i].as_py(), mine[i].as_py())

    def finish(self) -> None:
        """Decide, then queue at most one problem (reported unless a hash explains it)."""
        table = self.table
        if table.parquet is None:
            return
        if self.problem is None and self.reader is not None and self.in_order:
            rest = (0 if self.pending is None else len(self.pending)) + sum(
                len(b) for b in self.reader
            )
            if self.compared + rest != table.rows:
                self.problem = f"holds {self.compared + rest} rows, the CSV {table.rows}"
        elif self.problem is None:
            self.differences, self.first = 0, None
            self._compare_sorted()
        if self.problem is None and self.differences:
            assert self.first is not None
            line, name, theirs, mine = self.first
            self.problem = (
                f"differs from the CSV in {self.differences} cell(s), first at CSV line {line}, "
                f"field {name}: Parquet {show(theirs)!r}, CSV {show(mine)!r}"
            )
        if self.problem is not None:
            self.ctx.parquet_problems.append(
                (table.name, table.parquet, self.problem + "; run `kerman-warning build`")
            )

    def _compare_sorted(self) -> None:
        """The CSV is not in key order: read both whole, sort stably by the key, compare."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.parquet as pq

        assert self.table.parquet_path is not None
        try:
            theirs = pq.read_table(self.table.parquet_path)
        except Exception as error:  # any failure to read is a finding about the file
            self.problem = f"cannot be read as Parquet ({type(error).__name__}: {error})"
            return
        mine, bad = _whole_csv(self.table)
        if mine.num_rows != theirs.num_rows:
            self.problem = f"holds {theirs.num_rows} rows, the CSV {mine.num_rows}"
            return
        index = np.arange(mine.num_rows, dtype=np.int64)
        if self.pk:
            order: list[tuple[str, Literal["ascending", "descending"]]] = [
                (k, "ascending") for k in self.pk
            ]
            mine = mine.append_column("__row", pa.array(index)).sort_by(order)
            index = np.asarray(mine.column("__row").to_numpy(), dtype=np.int64)
            mine = mine.drop_columns(["__row"])
            theirs = theirs.sort_by(order)
        rows = _Sorted(self.table, mine, index)
        self._compare(rows, theirs, {k: v[index] for k, v in bad.items()})


def _whole_csv(table: Table) -> tuple[Any, dict[str, Bools]]:
    """A readable CSV as one typed table (blank lines dropped), and its cells that failed."""
    import numpy as np
    import pyarrow as pa

    _, record_batches = read_all(table.path, table.names, table.dialect)
    if not record_batches:
        empty = {n: pa.array([], type=pa.string()) for n in table.names}
        text = pa.table(empty)
    else:
        text = pa.Table.from_batches(record_batches, schema=record_batches[0].schema)
    if text.num_rows:
        blank = blank_rows(text.combine_chunks().to_batches()[0])
        if blank is not None:
            text = text.filter(pa.array(~np.asarray(blank.to_numpy(zero_copy_only=False))))
    columns, errors = typed_columns(apply_missing_values(text, table.schema), table.schema)
    bad: dict[str, Bools] = {}
    for error in errors:
        bad.setdefault(error.field, np.zeros(text.num_rows, dtype=np.bool_))[error.line - 2] = True
    return pa.table({n: columns[n] for n in table.names}), bad


class _Sorted(Rows):
    """A whole table in key order, remembering each row's CSV position (for line numbers)."""

    def __init__(self, table: Table, data: Any, index: Ints) -> None:
        self.name, self.file, self.table, self.index = table.name, table.file, table, index
        self.columns = {n: one_array(data.column(n)) for n in data.column_names}

    def __len__(self) -> int:
        return len(self.index)

    def line(self, i: int) -> int:
        return self.table.line(int(self.index[i]))
