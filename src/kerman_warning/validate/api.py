"""The only thing a rule sees: the rows (`Batch`, `Table`), the run (`Context`) and its `Reporter`.

A rule function gets a `Reporter` (its rule, a scratch `state`, `flag` and `problem`) and, per
batch, a `Batch`: a slice of one table's rows with every column typed, while the engine streams
the CSV. A final rule asks `reporter.table(name)` for a whole table, with the columns it keeps.
`flag(rows, field, mask, message)` reports every row a boolean mask selects, column-wise.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from .._csv import DEFAULT, Dialect
from .report import LIMIT, Collector
from .spec import Rule, RuleSet

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from .._spans import DocText

    Bools = npt.NDArray[np.bool_]
    Ints = npt.NDArray[np.int64]

__all__ = [
    "Batch",
    "Context",
    "Reporter",
    "Rows",
    "Table",
    "Where",
    "foreign_keys",
    "keys",
    "plain",
    "selected",
]


class Where(TypedDict):
    """Which resource and file a problem is in, as keyword arguments of `Collector.add`."""

    resource: str | None
    file: str | None


class Rows:
    """Rows of one table with typed columns: a streamed batch, or a table's kept columns.

    `bad` marks rows with a cell that breaks the Table Schema (stage 3): stage-4 rules do not
    flag them again, so one wrong cell gives one problem.
    """

    name: str
    file: str
    columns: dict[str, Any]
    bad: Bools | None = None

    def __len__(self) -> int:
        raise NotImplementedError

    def line(self, i: int) -> int:
        raise NotImplementedError

    def has(self, *fields: str) -> bool:
        return all(f in self.columns for f in fields)

    def column(self, name: str) -> Any:
        return self.columns[name]

    def value(self, name: str, i: int) -> Any:
        column = self.columns[name]
        if hasattr(column, "dictionary"):
            index = column.indices[i].as_py()
            return None if index is None else column.dictionary[index].as_py()
        return column[i].as_py()


@dataclass(eq=False)
class Batch(Rows):
    """A slice of a table's rows while its CSV is streamed: every column, typed."""

    table: Table
    offset: int  # index of the first row in the table
    columns: dict[str, Any]
    text: dict[str, Any]  # the same cells as text (the CSV as written)
    lines: Ints
    ctx: Context
    memo: dict[Any, Any] = field(default_factory=dict)  # what rules share within the batch

    def __post_init__(self) -> None:
        self.name = self.table.name
        self.file = self.table.file

    def __len__(self) -> int:
        return len(self.lines)

    def line(self, i: int) -> int:
        return int(self.lines[i])


@dataclass(eq=False)
class Table(Rows):
    """A table resource: its schema, and after streaming, the columns later checks need."""

    name: str
    resource: dict[str, Any]
    schema: dict[str, Any]
    file: str
    path: Path
    usable: bool = False  # streamed completely with a readable header
    rows: int = 0
    columns: dict[str, Any] = field(default_factory=dict)
    # Line numbers, compactly: from row shift_at[k] on, row i is on line i + 2 + shift_by[k]
    # (a quoted cell over several lines moves the rows after it); nothing kept per row.
    shift_at: list[int] = field(default_factory=list)
    shift_by: list[int] = field(default_factory=list)
    chunks: dict[str, list[Any]] = field(default_factory=dict)
    bad_rows: list[Ints] = field(default_factory=list)  # rows breaking the schema, by batch
    parquet: str | None = None  # relative path of the Parquet copy, if any
    parquet_path: Path | None = None
    dialect: Dialect = DEFAULT

    @property
    def fields(self) -> list[dict[str, Any]]:
        fields: list[dict[str, Any]] = self.schema["fields"]
        return fields

    @property
    def names(self) -> list[str]:
        return [f["name"] for f in self.fields]

    def spec(self, name: str) -> dict[str, Any] | None:
        """The schema's field descriptor of column `name`."""
        return next((f for f in self.fields if f["name"] == name), None)

    def __len__(self) -> int:
        return self.rows

    def line(self, i: int) -> int:
        if not self.shift_at or i < self.shift_at[0]:
            return i + 2
        return i + 2 + self.shift_by[bisect.bisect_right(self.shift_at, i) - 1]

    def follow(self, lines: Ints) -> None:
        """Note the lines of the next rows streamed (rows from `self.rows` on)."""
        import numpy as np

        shift = lines - np.arange(self.rows + 2, self.rows + 2 + len(lines), dtype=np.int64)
        last = self.shift_by[-1] if self.shift_by else 0
        if len(shift) == 0 or (shift[0] == last and shift[-1] == last):
            return  # shifts never go down: equal at both ends, equal all along
        changes = np.flatnonzero(np.diff(shift, prepend=last)).tolist()
        self.shift_at.extend(self.rows + i for i in changes)
        self.shift_by.extend(int(shift[i]) for i in changes)


@dataclass
class DocMeta:
    """What reading a document's text found, for the `text-hash-matches` rule."""

    line: int
    path: str
    sha256: str | None = None
    length: int | None = None
    problem: str | None = None


@dataclass
class FileInfo:
    """What the hashing thread learns about a file, reading it once."""

    size: int
    digests: dict[str, str]  # by algorithm: sha256 always, another if the descriptor uses it
    quotes: int  # an odd count means a quoted cell is never closed

    @property
    def sha256(self) -> str:
        return self.digests["sha256"]


class Reporter:
    """What a rule function gets: its rule, the context, a scratch `state`, `flag`, `problem`."""

    def __init__(self, rule: Rule, ctx: Context) -> None:
        self.rule = rule
        self.ctx = ctx
        self.state: dict[str, Any] = {}

    @property
    def docs(self) -> dict[str, DocText]:
        return self.ctx.docs

    def table(self, name: str) -> Table | None:
        """A table read completely, with the columns this rule keeps; None if unavailable."""
        table = self.ctx.tables.get(name)
        if table is None or not table.usable:
            return None
        wanted = self.rule.keeps.get(name, ())
        return table if table.has(*wanted) else None

    def flag(
        self,
        rows: Rows,
        field: str | None,
        mask: Any,
        message: Callable[..., str],
        *,
        value: Callable[..., object] | None = None,
    ) -> int:
        """Report every row selected by `mask` (boolean array, nulls false); return how many."""
        indices = selected(mask)
        if self.rule.stage == "consistency" and rows.bad is not None and len(indices):  # one cause
            indices = indices[~rows.bad[indices]]
        for i in indices[:LIMIT].tolist():
            shown = value(i) if value is not None else (rows.value(field, i) if field else None)
            self.ctx.out.add(
                self.rule,
                message(i),
                resource=rows.name,
                file=rows.file,
                row=rows.line(i),
                field=field,
                value=shown,
            )
        self.ctx.out.count(self.rule, rows.name, field, len(indices) - LIMIT)
        return len(indices)

    def problem(
        self,
        message: str,
        *,
        resource: str | None = None,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
        value: object = None,
    ) -> None:
        self.ctx.out.add(
            self.rule,
            message,
            resource=resource,
            file=file,
            row=row,
            field=field,
            value=value,
        )


def selected(mask: Any) -> Ints:
    """Row indices where a boolean mask (Arrow or NumPy, nulls false) is true."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(mask, np.ndarray):
        if mask.dtype == np.bool_:
            return np.flatnonzero(mask).astype(np.int64)
        return mask.astype(np.int64)
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks()
    indices = pc.indices_nonzero(pc.fill_null(mask, False))
    return np.asarray(indices.to_numpy(), dtype=np.int64)


class Context:
    """Everything one validation run knows: the package, its tables and texts, the problems."""

    def __init__(self, root: Path, label: str, rules: RuleSet = "all") -> None:
        self.root = root
        self.label = label
        self.rules = rules
        self.out = Collector(rules)
        self.descriptor: dict[str, Any] = {}
        self.tables: dict[str, Table] = {}
        self.order: list[str] = []
        self.docs: dict[str, DocText] = {}
        self.files: dict[str, Future[FileInfo | None]] = {}
        self.declared: dict[str, tuple[str | None, object, object]] = {}  # file -> resource, ...
        self.bad_files: set[str] = set()  # files whose size or hash does not match
        self.checks: dict[str, Reporter] = {}  # by rule id
        self.pool: ThreadPoolExecutor | None = None
        self.parquet_problems: list[tuple[str, str, str]] = []
        self.doc_meta: dict[str, DocMeta] = {}
        self.doc_stated: dict[str, dict[str, Any]] = {}  # doc_id -> its documents row
        self.parquet_stamps: dict[str, str] = {}  # table -> "name@version" built for
        self.scratch: dict[str, Any] = {}  # facts rules share (e.g. documents with bad spans)
        self.crashed: set[str] = set()  # rules that raised: not run again

    def reporter(self, rule: Rule) -> Reporter:
        """The one reporter of `rule` in this run (it keeps the rule's state across tables)."""
        if rule.id not in self.checks:
            self.checks[rule.id] = Reporter(rule, self)
        return self.checks[rule.id]

    def info(self, relative: str, path: Path) -> None:
        """Start hashing a file in the worker thread."""
        if relative in self.files:
            return
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kw-hash")
        declared = self.declared.get(relative, (None, None, None))[2]
        algorithms = {"sha256"}
        if isinstance(declared, str):
            name = declared.split(":")[0] if ":" in declared else "md5"
            if name in ("md5", "sha1", "sha512"):
                algorithms.add(name)
        self.files[relative] = self.pool.submit(_file_info, path, sorted(algorithms))

    def file_info(self, relative: str) -> FileInfo | None:
        future = self.files.get(relative)
        return None if future is None else future.result()


def _file_info(path: Path, algorithms: list[str]) -> FileInfo | None:
    digests = {name: hashlib.new(name) for name in algorithms}
    size = quotes = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 22):
                for digest in digests.values():
                    digest.update(chunk)
                size += len(chunk)
                quotes += chunk.count(b'"')
    except OSError:
        return None
    return FileInfo(size, {name: d.hexdigest() for name, d in digests.items()}, quotes)


def keys(value: object) -> list[str] | None:
    """A key as a list of field names (a single name is a key of one field); None if malformed."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def foreign_keys(table: Table) -> list[tuple[list[str], str, list[str]]]:
    """(fields, referenced resource, referenced fields) of every well-formed foreign key."""
    out = []
    for fk in table.schema.get("foreignKeys", []) or []:
        if not isinstance(fk, dict) or not isinstance(fk.get("reference"), dict):
            continue
        fields, reference = keys(fk.get("fields")), fk["reference"]
        ref_fields = keys(reference.get("fields"))
        resource = reference.get("resource") or table.name
        # A self-reference may omit `resource` (v2) or give it as "" (v1).
        if fields and ref_fields and isinstance(resource, str):
            out.append((fields, resource, ref_fields))
    return out


def plain(column: Any) -> Any:
    """A column with dictionary-encoded values (categories) decoded to plain values."""
    import pyarrow as pa

    return column.dictionary_decode() if pa.types.is_dictionary(column.type) else column
