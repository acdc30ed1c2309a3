"""The validation engine: stages 1-3 and 5, streaming, column-wise; stage 4 rules plug in.

Each CSV is read once, as a stream of Arrow record batches, every cell as text. A worker
thread parses, numbers the lines, drops blank lines and casts each batch of about WORK bytes
(`tableschema.typed_columns`); the main thread checks the Table Schema constraints column-wise,
runs the batch rules of stage 4, compares the rows with the Parquet copy and validates a
sample against the JSON Schema. Only the columns that later checks need (keys, foreign keys,
what final rules `keep`) stay in memory, so memory follows a batch and the key columns, not
the file. SHA-256 digests are computed in another worker thread meanwhile.

One cause gives one problem: a file that cannot be parsed, or whose header is wrong, gets one
problem and no cell checks; a cell that does not parse is null for every later check; a
foreign key into a table that could not be read is not checked; a Parquet copy or text whose
hash does not match is not compared further.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from . import _spans
from ._package import DESCRIPTOR, unsafe_reason
from .rules import LIMIT, RULES, STAGES, Rule, ordered

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Bools = npt.NDArray[np.bool_]
    Ints = npt.NDArray[np.int64]

JSON_HEAD = 100  # rows validated against the JSON Schema: the first JSON_HEAD ...
JSON_SAMPLE = 100  # ... then about JSON_SAMPLE more, evenly spread over the rest
BLOCK = 1 << 20  # CSV bytes the parser reads at a time (it reads a few blocks ahead) ...
WORK = 1 << 23  # ... and about as many bytes of cells as are checked at a time
AHEAD = 2  # batches prepared ahead by the worker thread
VALUE_CHARS = 120  # offending values are cut to this many characters in the report
_SHA256 = re.compile(r"^sha256:[0-9a-f]{64}$")
_SUPPORTED_TYPES = ("string", "integer", "number", "boolean", "date")
_CONSTRAINTS = (
    "required",
    "unique",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "pattern",
    "enum",
)


class Where(TypedDict):
    """Which resource and file a problem is in, as keyword arguments of `Collector.add`."""

    resource: str | None
    file: str | None


@dataclass(frozen=True)
class Problem:
    """One thing wrong, where a person would look for it.

    `row` is the line of the CSV file as an editor numbers it (the header is line 1), or None
    when the problem is about a whole file or the descriptor; `field` is the column (or, for
    the descriptor, the property); `value` is the offending value as text, cut to 120
    characters.
    """

    rule: str
    severity: str
    stage: int
    resource: str | None
    file: str | None
    row: int | None
    field: str | None
    value: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "stage": self.stage,
            "resource": self.resource,
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "value": self.value,
            "message": self.message,
        }


def show(value: object) -> str | None:
    """A value as the report shows it: text, cut to VALUE_CHARS characters."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif hasattr(value, "isoformat"):
        text = value.isoformat()
    else:
        text = str(value)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


class Collector:
    """Problems found so far, at most LIMIT per (rule, resource, field), the rest counted."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.seen: dict[tuple[str, str | None, str | None], int] = {}
        self.unusable = False

    def add(
        self,
        rule: str,
        message: str,
        *,
        resource: str | None = None,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
        value: object = None,
    ) -> None:
        spec = RULES[rule]
        key = (rule, resource, field)
        count = self.seen.get(key, 0)
        self.seen[key] = count + 1
        if count >= LIMIT:
            return
        self.problems.append(
            Problem(
                rule,
                spec.severity,
                STAGES[spec.stage],
                resource,
                file,
                row,
                field,
                show(value),
                message,
            )
        )
        if spec.fatal:
            self.unusable = True

    def count(self, rule: str, resource: str | None, field: str | None, n: int) -> None:
        """Count `n` more problems of a kind already listed LIMIT times."""
        if n > 0:
            key = (rule, resource, field)
            self.seen[key] = self.seen.get(key, 0) + n

    def mark(self) -> tuple[int, dict[tuple[str, str | None, str | None], int]]:
        return len(self.problems), dict(self.seen)

    def rollback(self, mark: tuple[int, dict[tuple[str, str | None, str | None], int]]) -> None:
        del self.problems[mark[0] :]
        self.seen = mark[1]

    def omitted(self) -> list[tuple[str, str | None, str | None, int]]:
        return [(r, res, f, n - LIMIT) for (r, res, f), n in self.seen.items() if n > LIMIT]


# --- Rows: what rules see --------------------------------------------------------------------


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

    table: TableState
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
class TableState(Rows):
    """A table resource: its schema, and after streaming, the columns later checks need."""

    name: str
    resource: dict[str, Any]
    schema: dict[str, Any]
    file: str
    path: Path
    usable: bool = False  # streamed completely with a readable header
    rows: int = 0
    columns: dict[str, Any] = field(default_factory=dict)
    lines: Ints | None = None  # None: line of row i is i + 2
    chunks: dict[str, list[Any]] = field(default_factory=dict)
    line_chunks: list[Ints] = field(default_factory=list)
    bad_chunks: list[Bools] = field(default_factory=list)
    parquet: str | None = None  # relative path of the Parquet copy, if any
    parquet_path: Path | None = None

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
        return i + 2 if self.lines is None else int(self.lines[i])


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
    sha256: str
    quotes: int  # an odd count means a quoted cell is never closed


class Check:
    """What a rule function gets: its rule, the context, a scratch dict, and `flag`."""

    def __init__(self, rule: Rule, ctx: Context) -> None:
        self.rule = rule
        self.ctx = ctx
        self.state: dict[str, Any] = {}

    @property
    def docs(self) -> dict[str, _spans.DocText]:
        return self.ctx.docs

    def table(self, name: str) -> TableState | None:
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
        if self.rule.stage == "consistency" and rows.bad is not None and len(indices):
            indices = indices[~rows.bad[indices]]
        for i in indices[:LIMIT].tolist():
            shown = value(i) if value is not None else (rows.value(field, i) if field else None)
            self.ctx.out.add(
                self.rule.id,
                message(i),
                resource=rows.name,
                file=rows.file,
                row=rows.line(i),
                field=field,
                value=shown,
            )
        self.ctx.out.count(self.rule.id, rows.name, field, len(indices) - LIMIT)
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
            self.rule.id,
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


# --- The context -----------------------------------------------------------------------------


class Context:
    """Everything one validation run knows: the package, its tables and texts, the problems."""

    def __init__(self, root: Path, label: str) -> None:
        self.root = root
        self.label = label
        self.out = Collector()
        self.descriptor: dict[str, Any] = {}
        self.tables: dict[str, TableState] = {}
        self.order: list[str] = []
        self.docs: dict[str, _spans.DocText] = {}
        self.files: dict[str, Future[FileInfo | None]] = {}
        self.declared: dict[str, tuple[str | None, object, object]] = {}  # file -> resource, ...
        self.bad_files: set[str] = set()  # files whose size or hash does not match
        self.checks: dict[str, Check] = {}
        self.pool: ThreadPoolExecutor | None = None
        self.parquet_problems: list[tuple[str, str, str]] = []
        self.doc_meta: dict[str, DocMeta] = {}
        self.doc_stated: dict[str, dict[str, Any]] = {}  # doc_id -> its documents row
        self.parquet_stamps: dict[str, str] = {}  # table -> "name@version" built for
        self.scratch: dict[str, Any] = {}  # facts rules share (e.g. documents with bad spans)
        self.crashed: set[str] = set()

    def check(self, rule: Rule) -> Check:
        if rule.id not in self.checks:
            self.checks[rule.id] = Check(rule, self)
        return self.checks[rule.id]

    def safe_path(
        self,
        relative: object,
        *,
        resource: str | None,
        what: str,
        row: int | None = None,
        file: str = DESCRIPTOR,
    ) -> Path | None:
        """The file a package-relative path names, or None after reporting why not (in `file`,
        the descriptor unless a CSV cell holds the path)."""

        def out(rule: str, message: str) -> None:
            self.out.add(
                rule, message, resource=resource, file=file, row=row, field=what, value=relative
            )

        reason = unsafe_reason(relative)
        if reason is None and isinstance(relative, str) and relative.startswith("~"):
            reason = "starts with ~, which a shell reads as a home folder"
        if reason is not None:
            out("path-safe", f"the path {reason}")
            return None
        assert isinstance(relative, str)
        root = self.root.resolve()
        target = (self.root / relative).resolve()
        if not target.is_relative_to(root):
            out(
                "path-safe",
                "the path resolves outside the package folder (through a symlink); "
                "expected a file inside it",
            )
            return None
        if not target.is_file():
            out("file-present", "no such file in the package; expected the file this path names")
            return None
        return target

    def info(self, relative: str, path: Path) -> None:
        """Start hashing a file in the worker thread."""
        if relative in self.files:
            return
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kw-hash")
        self.files[relative] = self.pool.submit(_file_info, path)

    def file_info(self, relative: str) -> FileInfo | None:
        future = self.files.get(relative)
        return None if future is None else future.result()


def _file_info(path: Path) -> FileInfo | None:
    digest = hashlib.sha256()
    size = quotes = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 22):
                digest.update(chunk)
                size += len(chunk)
                quotes += chunk.count(b'"')
    except OSError:
        return None
    return FileInfo(size, digest.hexdigest(), quotes)


# --- Stage 1: the descriptor -----------------------------------------------------------------


def open_descriptor(ctx: Context) -> bool:
    """Read datapackage.json; False (and a fatal problem) if there is nothing to check."""
    path = ctx.root / DESCRIPTOR
    if not ctx.root.exists():
        ctx.out.add(
            "descriptor-readable", "no such folder; expected a data package", file=DESCRIPTOR
        )
        return False
    if not path.is_file():
        ctx.out.add(
            "descriptor-readable",
            "the folder has no datapackage.json; expected a data package folder",
            file=DESCRIPTOR,
        )
        return False
    try:
        data = path.read_bytes()
    except OSError as error:
        ctx.out.add("descriptor-readable", f"cannot be read ({error.strerror})", file=DESCRIPTOR)
        return False
    if data.startswith(b"\xef\xbb\xbf"):
        ctx.out.add(
            "descriptor-readable",
            "starts with a byte order mark; save as UTF-8 without BOM",
            file=DESCRIPTOR,
        )
        return False
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError as error:
        ctx.out.add("descriptor-readable", f"is not UTF-8 ({error.reason})", file=DESCRIPTOR)
        return False
    except ValueError as error:
        line = error.lineno if isinstance(error, json.JSONDecodeError) else None
        ctx.out.add("descriptor-readable", f"is not valid JSON: {error}", file=DESCRIPTOR, row=line)
        return False
    if not isinstance(value, dict):
        ctx.out.add(
            "descriptor-readable",
            f"holds a JSON {type(value).__name__}; expected an object",
            file=DESCRIPTOR,
        )
        return False
    ctx.descriptor = value
    return True


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _profile_errors(
    ctx: Context,
    instance: object,
    schema: dict[str, Any],
    file: str,
    resource: str | None = None,
) -> int:
    """Report where `instance` breaks the profile `schema`; return how many problems."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    names = _resource_names(ctx.descriptor)
    errors = sorted(
        validator.iter_errors(instance),
        key=lambda e: [f"{p:09d}" if isinstance(p, int) else str(p) for p in e.absolute_path],
    )
    for error in errors:
        path = [str(p) for p in error.absolute_path]
        where = resource
        if file == DESCRIPTOR and len(path) >= 2 and path[0] == "resources":
            where = names.get(int(path[1]))
        message = _profile_message(error)
        ctx.out.add(
            "descriptor-profile",
            message,
            resource=where,
            file=file,
            field="/".join(path) or None,
            value=_short_json(error.instance),
        )
    return len(errors)


def _profile_message(error: Any) -> str:
    validator = error.validator
    if validator == "required":
        return f"{error.message}; the Data Package v2 profile requires it"
    if validator == "enum" and list(error.absolute_path)[-1:] == ["$schema"]:
        return "is not a Data Package v2 profile URL; expected " + " or ".join(
            repr(v) for v in error.validator_value
        )
    if validator in ("oneOf", "anyOf"):
        return f"{_short_json(error.instance)} is not valid here under the v2 profile"
    return f"{error.message}; see the Data Package v2 profile"


def _short_json(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _resource_names(descriptor: dict[str, Any]) -> dict[int, str]:
    resources = descriptor.get("resources")
    if not isinstance(resources, list):
        return {}
    return {
        i: r["name"]
        for i, r in enumerate(resources)
        if isinstance(r, dict) and isinstance(r.get("name"), str)
    }


def describe(ctx: Context) -> None:
    """Stage 1: profile, names, paths, files, schemas; collect the tables to stream."""
    from . import _profile

    _profile_errors(ctx, ctx.descriptor, _profile.PACKAGE, DESCRIPTOR)
    resources = ctx.descriptor.get("resources")
    if not isinstance(resources, list) or not resources:
        ctx.out.unusable = True
        return
    seen: set[str] = set()
    for resource in resources:
        if not isinstance(resource, dict) or not isinstance(resource.get("name"), str):
            continue
        name = resource["name"]
        if name in seen:
            ctx.out.add(
                "descriptor-profile",
                "two resources have this name; expected unique resource names",
                resource=name,
                file=DESCRIPTOR,
                field="name",
                value=name,
            )
            continue
        seen.add(name)
        _describe_resource(ctx, resource)
    for table in list(ctx.tables.values()):
        _check_keys(ctx, table)
    ctx.order = _stream_order(ctx)


def _describe_resource(ctx: Context, resource: dict[str, Any]) -> None:
    name = resource["name"]
    path = resource.get("path")
    if "data" in resource and path is None:
        ctx.out.add(
            "descriptor-profile",
            "inline `data` is not supported; expected a `path` to a file in the package",
            resource=name,
            file=DESCRIPTOR,
            field="data",
        )
        return
    if isinstance(path, list):
        ctx.out.add(
            "descriptor-profile",
            "a resource split over several files is not supported; expected one path",
            resource=name,
            file=DESCRIPTOR,
            field="path",
            value=_short_json(path),
        )
        return
    target = ctx.safe_path(path, resource=name, what="path")
    if target is not None:
        assert isinstance(path, str)
        ctx.declared[path] = (name, resource.get("bytes"), resource.get("hash"))
        _check_declared_hash(ctx, name, path, resource, "")
        ctx.info(path, target)
    if resource.get("type") != "table":
        return
    schema = _load_schema(ctx, resource)
    if schema is None or target is None:
        return
    assert isinstance(path, str)
    table = TableState(name, resource, schema, path, target)
    if not _describe_dialect(ctx, table):
        return  # a file this validator would misread: one problem, no cell checks
    block = resource.get("parquet")
    if isinstance(block, dict):
        parquet = block.get("path")
        found = ctx.safe_path(parquet, resource=name, what="parquet/path")
        if found is not None:
            assert isinstance(parquet, str)
            table.parquet, table.parquet_path = parquet, found
            ctx.declared[parquet] = (name, block.get("bytes"), block.get("hash"))
            _check_declared_hash(ctx, name, parquet, block, "parquet/")
            ctx.info(parquet, found)
    elif block is not None:
        ctx.out.add(
            "descriptor-profile",
            "`parquet` is not an object; expected {path, format, mediatype, bytes, hash}",
            resource=name,
            file=DESCRIPTOR,
            field="parquet",
        )
    ctx.tables[name] = table


def _describe_dialect(ctx: Context, table: TableState) -> bool:
    """The CSV dialect is the one this validator reads (UTF-8, comma, double quote, header)."""
    resource = table.resource
    problems = []
    encoding = resource.get("encoding")
    if encoding is not None and str(encoding).lower().replace("_", "-") not in ("utf-8", "utf8"):
        problems.append(("encoding", encoding, "only UTF-8 is read; expected utf-8"))
    dialect = resource.get("dialect")
    if dialect is not None:
        defaults = {"delimiter": ",", "quoteChar": '"', "header": True, "doubleQuote": True}
        if not isinstance(dialect, dict) or any(
            k in defaults and dialect[k] != defaults[k] for k in dialect
        ):
            problems.append(("dialect", dialect, "only the default CSV dialect is read"))
    for key, value, message in problems:
        ctx.out.add(
            "descriptor-profile",
            message,
            resource=table.name,
            file=DESCRIPTOR,
            field=key,
            value=_short_json(value),
        )
    return not problems


def _check_declared_hash(
    ctx: Context, name: str, path: str, block: dict[str, Any], prefix: str
) -> None:
    size, digest = block.get("bytes"), block.get("hash")
    missing = [key for key, value in (("bytes", size), ("hash", digest)) if value is None]
    if missing:
        ctx.out.add(
            "hash-verifiable",
            f"declares no {' and no '.join(missing)}; run `kerman-warning build`",
            resource=name,
            file=path,
            field=prefix + missing[0],
        )
    if digest is not None and not (isinstance(digest, str) and _SHA256.match(digest)):
        ctx.out.add(
            "hash-verifiable",
            "is not a sha256:<64 lowercase hex digits> hash, so it cannot be verified; "
            "run `kerman-warning build`",
            resource=name,
            file=path,
            field=prefix + "hash",
            value=digest,
        )


def _load_schema(ctx: Context, resource: dict[str, Any]) -> dict[str, Any] | None:
    from . import _profile

    name = resource["name"]
    raw = resource.get("schema")
    if isinstance(raw, dict):
        schema, file = raw, DESCRIPTOR
    elif raw is None:
        ctx.out.add(
            "descriptor-profile",
            "a table resource has no `schema`; expected a Table Schema",
            file=DESCRIPTOR,
            resource=name,
            field="schema",
        )
        return None
    else:
        path = ctx.safe_path(raw, resource=name, what="schema")
        if path is None:
            return None
        assert isinstance(raw, str)
        file = raw
        try:
            loaded = json.loads(path.read_bytes().decode("utf-8"), parse_constant=_no_constant)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            ctx.out.add(
                "descriptor-profile",
                f"the Table Schema is not valid UTF-8 JSON ({error}); expected a JSON object",
                file=file,
                resource=name,
                field="schema",
            )
            return None
        if not isinstance(loaded, dict):
            ctx.out.add(
                "descriptor-profile",
                "the Table Schema is not a JSON object",
                file=file,
                resource=name,
                field="schema",
            )
            return None
        schema = loaded
        if _profile_errors(ctx, schema, _profile.TABLE_SCHEMA, file, resource=name):
            return None
    return schema if _usable_schema(ctx, name, schema, file) else None


def _usable_schema(ctx: Context, name: str, schema: dict[str, Any], file: str) -> bool:
    """Semantic checks of one Table Schema; False if its table cannot be checked."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .tableschema import categories

    ok = True

    def bad(message: str, field: str | None, value: object = None) -> None:
        nonlocal ok
        ok = False
        ctx.out.add(
            "descriptor-profile", message, resource=name, file=file, field=field, value=value
        )

    fields = schema.get("fields")
    if not isinstance(fields, list) or not all(
        isinstance(f, dict) and isinstance(f.get("name"), str) for f in fields
    ):
        bad("`fields` is not a list of named fields", "fields")
        return False
    names = [f["name"] for f in fields]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        bad("two fields have this name; expected unique field names", duplicate, duplicate)
    missing = schema.get("missingValues")
    if missing is not None and missing != [""]:
        bad("only the empty string is read as missing; expected missingValues ['']", None)
    if schema.get("fieldsMatch", "exact") != "exact":
        bad("only fieldsMatch 'exact' is checked", None, schema.get("fieldsMatch"))
    for f in fields:
        kind = f.get("type", "string")
        if kind not in _SUPPORTED_TYPES:
            bad(
                f"type {kind!r} is not supported; expected one of {', '.join(_SUPPORTED_TYPES)}",
                f["name"],
                kind,
            )
            continue
        values = categories(f) if "categories" in f else None
        if values is not None:
            if kind != "string":
                bad("categories are supported on string fields only", f["name"])
            elif len(set(values)) != len(values):
                bad("categories repeat a value; expected unique values", f["name"])
        constraints = f.get("constraints", {})
        for key in constraints:
            if key not in _CONSTRAINTS:
                bad(
                    f"constraint {key!r} is not supported, so it cannot be checked",
                    f["name"],
                    key,
                )
        enum = constraints.get("enum")
        if values is not None and enum is not None and not set(map(str, enum)) <= set(values):
            bad("enum values must be a subset of the categories", f["name"])
        pattern = constraints.get("pattern")
        if isinstance(pattern, str):
            try:
                pc.match_substring_regex(pa.array([""]), f"^(?:{pattern})$")
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                bad(f"the pattern does not compile ({error})", f["name"], pattern)
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if key in constraints and _bound(f, constraints[key]) is None:
                bad(f"{key} {constraints[key]!r} is not a {kind} value", f["name"])
    return ok


def _bound(field: dict[str, Any], value: object) -> Any:
    """A minimum/maximum as an Arrow scalar of the field's type, or None if it is not one."""
    import datetime

    import pyarrow as pa

    kind = field.get("type", "string")
    try:
        if kind == "date" and isinstance(value, str):
            return pa.scalar(datetime.date.fromisoformat(value), pa.date32())
        if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
            return pa.scalar(value, pa.int64())
        if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
            return pa.scalar(float(value), pa.float64())
    except ValueError:
        return None
    return None


def _keys(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def foreign_keys(table: TableState) -> list[tuple[list[str], str, list[str]]]:
    """(fields, referenced resource, referenced fields) of every well-formed foreign key."""
    out = []
    for fk in table.schema.get("foreignKeys", []) or []:
        if not isinstance(fk, dict) or not isinstance(fk.get("reference"), dict):
            continue
        fields, reference = _keys(fk.get("fields")), fk["reference"]
        ref_fields = _keys(reference.get("fields"))
        resource = reference.get("resource") or table.name
        if fields and ref_fields and isinstance(resource, str):
            out.append((fields, resource, ref_fields))
    return out


def _check_keys(ctx: Context, table: TableState) -> None:
    """Keys name existing fields; foreign keys name existing tables; else the table is dropped."""
    names = set(table.names)
    file = table.resource.get("schema") if isinstance(table.resource.get("schema"), str) else None
    where: Where = {"resource": table.name, "file": file or DESCRIPTOR}
    problems = []
    pk = table.schema.get("primaryKey")
    if pk is not None and (_keys(pk) is None or not set(_keys(pk) or []) <= names):
        problems.append(("primaryKey", f"primaryKey {pk!r} names a field that does not exist"))
    for key in table.schema.get("uniqueKeys", []) or []:
        if _keys(key) is None or not set(_keys(key) or []) <= names:
            problems.append(("uniqueKeys", f"uniqueKey {key!r} names a field that does not exist"))
    for fields, resource, ref_fields in foreign_keys(table):
        target = ctx.tables.get(resource) if resource != table.name else table
        if not set(fields) <= names:
            problems.append(("foreignKeys", f"foreign key {fields} names a missing field"))
        elif len(fields) != len(ref_fields):
            problems.append(("foreignKeys", f"foreign key {fields} -> {ref_fields}: arity"))
        elif target is None:
            if not any(
                isinstance(r, dict) and r.get("name") == resource
                for r in ctx.descriptor.get("resources", [])
            ):
                problems.append(
                    ("foreignKeys", f"foreign key {fields} references no resource {resource!r}")
                )
        elif not set(ref_fields) <= set(target.names):
            problems.append(
                ("foreignKeys", f"foreign key {fields} references missing {resource}.{ref_fields}")
            )
    for key, message in problems:
        ctx.out.add(
            "descriptor-profile", message + "; expected existing fields", field=key, **where
        )
    if problems:
        del ctx.tables[table.name]


def _stream_order(ctx: Context) -> list[str]:
    """Tables in an order where referenced tables come first (cycles broken by position)."""
    names = list(ctx.tables)
    needs = {
        n: {r for _, r, _ in foreign_keys(ctx.tables[n]) if r != n and r in ctx.tables}
        for n in names
    }
    order: list[str] = []
    while len(order) < len(names):
        ready = [n for n in names if n not in order and needs[n] <= set(order)]
        order.append(ready[0] if ready else next(n for n in names if n not in order))
    return order


# --- Stage 3: reading a CSV ------------------------------------------------------------------


class Unreadable(Exception):
    """A CSV that cannot be parsed; the message says where and why."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def _options(names: list[str], block: int) -> tuple[Any, Any, Any]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    read = pacsv.ReadOptions(use_threads=True, block_size=block)
    parse = pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False)
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        null_values=[""],
    )
    return read, parse, convert


class Straddle(Exception):
    """A row longer than the block size: read the file again with larger blocks."""


_READ_ERRORS: tuple[type[Exception], ...] = (ValueError, UnicodeDecodeError, OSError)


def stream_csv(path: Path, names: list[str], block: int = BLOCK) -> tuple[list[str], Iterator[Any]]:
    """The header of a CSV and an iterator over its record batches, every cell as text."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with path.open("rb") as handle:
        head = handle.read(3)
    if not head:
        raise Unreadable("the file is empty; expected a header row", 1)
    if head.startswith(b"\xef\xbb\xbf"):
        raise Unreadable("starts with a byte order mark; save it as UTF-8 without BOM", 1)
    errors: tuple[type[Exception], ...] = (pa.ArrowException, *_READ_ERRORS)
    while True:
        try:
            reader = pacsv.open_csv(path, *_options(names, block))
            header = list(reader.schema.names)
            break
        except errors as error:
            if "straddl" in str(error) and block < (1 << 30):
                block *= 16
                continue
            raise _explain(path, names, error) from None

    def batches() -> Iterator[Any]:
        try:
            yield from reader
        except errors as error:
            if "straddl" in str(error) and block < (1 << 30):
                raise Straddle(block * 16) from None
            raise _explain(path, names, error) from None
        finally:
            reader.close()  # stop its read-ahead now, not when it is collected

    return header, batches()


def read_all(path: Path, names: list[str]) -> tuple[list[str], list[Any]]:
    """A whole CSV as text batches (for small tables and the slow paths), any row length."""
    block = BLOCK
    while True:
        try:
            header, batches = stream_csv(path, names, block)
            return header, [b for b in batches if b.num_rows]
        except Straddle as bigger:
            block = int(str(bigger.args[0]))


def _explain(path: Path, names: list[str], error: Exception) -> Unreadable:
    """Find where and why a CSV cannot be parsed (error path only: plain Python is fine)."""
    try:
        data = path.read_bytes()
    except OSError as unreadable:
        return Unreadable(f"cannot be read ({unreadable.strerror}); expected a readable file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        line = data.count(b"\n", 0, bad.start) + 1
        return Unreadable(
            f"byte {bad.start} is not UTF-8 (is the file saved as cp1256 or Latin-1?); "
            "expected UTF-8 text",
            line,
        )
    found = _locate(text, len(names))
    if found is not None:
        return Unreadable(found[1], found[0])
    message = str(error).splitlines()[0]
    if "straddling" in message:
        return Unreadable("a cell is too long to parse (over 1 GB); expected shorter cells")
    return Unreadable(f"cannot be parsed as CSV ({message})")


def _locate(text: str, width: int) -> tuple[int, str] | None:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    last = 0
    try:
        for record in reader:
            start = last + 1
            last = reader.line_num
            if record and len(record) != width and start > 1:
                return (
                    start,
                    f"the row has {len(record)} cells, the header {width}; expected {width} "
                    "(check for an unquoted comma or a missing cell)",
                )
    except csv.Error as error:
        if "end of data" in str(error):
            return (
                last + 1,
                "a quoted cell opened on this line is never closed; expected a closing quote",
            )
        return (last + 1, f"malformed quoting ({error}); expected RFC 4180 CSV")
    return None


def _quotes_balanced(ctx: Context, table: TableState) -> None:
    info = ctx.file_info(table.file)
    if info is not None and info.quotes % 2:
        found = _locate(table.path.read_text(encoding="utf-8"), len(table.names))
        line, message = found or (
            None,
            "the file has an odd number of quote characters; expected every quoted cell closed",
        )
        raise Unreadable(message, line)


def header_problem(header: list[str], names: list[str]) -> str | None:
    """Say how a header differs from the schema's field names, or None if it does not."""
    if header == names:
        return None
    missing = [n for n in names if n not in header]
    extra = [h for h in header if h not in names]
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if extra:
        parts.append("unexpected " + ", ".join(repr(e) for e in extra))
    if not missing and not extra:
        if len(set(header)) != len(header):
            parts.append("a column is repeated")
        else:
            parts.append("the columns are in another order")
    return "; ".join(parts) + "; expected the schema's fields in order: " + ", ".join(names)


# --- Stage 3: streaming a table --------------------------------------------------------------


@dataclass
class Plan:
    """What to keep of one table while streaming it, and for how long."""

    keep: set[str]  # kept until the end of the run
    local: set[str]  # kept until the end of this table (keys, foreign keys checked here)
    deferred: list[tuple[list[str], str, list[str]]]  # foreign keys checked at the very end


def plan(ctx: Context, table: TableState, finals: list[Rule]) -> Plan:
    keep: set[str] = set()
    for other in ctx.tables.values():
        for _, resource, ref_fields in foreign_keys(other):
            if resource == table.name:
                keep |= set(ref_fields)
    for r in finals:
        keep |= set(r.keeps.get(table.name, ()))
    local: set[str] = set(_keys(table.schema.get("primaryKey")) or [])
    for f in table.fields:
        if f.get("constraints", {}).get("unique"):
            local.add(f["name"])
    for key in table.schema.get("uniqueKeys", []) or []:
        local |= set(_keys(key) or [])
    position = ctx.order.index(table.name)
    deferred = []
    for fk in foreign_keys(table):
        fields, resource, _ = fk
        if resource not in ctx.tables:
            continue  # its table could not be described: reported there
        if resource == table.name or ctx.order.index(resource) > position:
            deferred.append(fk)
            keep |= set(fields)
        else:
            local |= set(fields)
    names = set(table.names)
    return Plan(keep & names, (local - keep) & names, deferred)


def stream_table(ctx: Context, table: TableState, batch_rules: list[Rule], plan: Plan) -> None:
    """Stage 3 (and the row-wise parts of stages 2, 4 and 5) for one table."""
    block = BLOCK
    while True:
        mark = ctx.out.mark()
        try:
            _stream_table(ctx, table, batch_rules, plan, block)
            return
        except Straddle as bigger:  # a row longer than a block: start this table again
            ctx.out.rollback(mark)
            for check in ctx.checks.values():
                check.state.pop(table.name, None)  # batch rules keep state per table
            table.chunks, table.line_chunks, table.bad_chunks, table.rows = {}, [], [], 0
            table.usable, table.columns, table.lines, table.bad = False, {}, None, None
            if int(str(bigger.args[0])) <= block:  # cannot happen; never loop
                ctx.out.add("csv-readable", "a row is too long to parse", resource=table.name)
                return
            block = int(str(bigger.args[0]))


def _stream_table(
    ctx: Context, table: TableState, batch_rules: list[Rule], plan: Plan, block: int
) -> None:
    mark = ctx.out.mark()
    parquet = ParquetMirror(ctx, table)
    try:
        header, batches = stream_csv(table.path, table.names, block)
        problem = header_problem(header, table.names)
        if problem is not None:
            ctx.out.add(
                "header-matches",
                problem,
                resource=table.name,
                file=table.file,
                row=1,
                value=",".join(header),
            )
            return
        table.chunks = {name: [] for name in plan.keep | plan.local}
        rows_schema = RowSchema(ctx, table)
        for ready in _ahead(_prepare(table, batches), depth=AHEAD):
            _one_batch(ctx, table, ready, batch_rules, parquet, rows_schema)
        _quotes_balanced(ctx, table)  # the parser takes an unclosed quote to the end of file
    except Unreadable as error:
        ctx.out.rollback(mark)
        table.chunks, table.line_chunks, table.bad_chunks, table.rows = {}, [], [], 0
        ctx.out.add(
            "csv-readable", str(error), resource=table.name, file=table.file, row=error.line
        )
        return
    table.usable = True
    _concatenate(table)
    if table.rows == 0:
        ctx.out.add(
            "has-rows",
            "the file has a header but no rows; expected at least one row",
            resource=table.name,
            file=table.file,
            row=1,
        )
    check_keys(ctx, table)
    for fk in foreign_keys(table):
        if fk not in plan.deferred:
            check_foreign_key(ctx, table, fk)
    parquet.finish()
    for name in plan.local:
        table.columns.pop(name, None)


def _grouped(batches: Iterator[Any]) -> Iterator[Any]:
    """Join the parser's small batches into batches of about WORK bytes: small reads keep the
    parser's read-ahead (and memory) small, large batches keep per-batch overhead small."""
    import pyarrow as pa

    group: list[Any] = []
    size = 0
    for batch in batches:
        group.append(batch)
        size += batch.nbytes
        if size >= WORK:
            yield pa.Table.from_batches(group).combine_chunks().to_batches()[0]
            group, size = [], 0
    if group:
        joined = pa.Table.from_batches(group).combine_chunks().to_batches()
        if joined:
            yield joined[0]


def _concatenate(table: TableState) -> None:
    import numpy as np
    import pyarrow as pa

    from .tableschema import arrow_type

    for name, chunks in table.chunks.items():
        if chunks:
            table.columns[name] = pa.chunked_array(chunks).combine_chunks()
        else:
            table.columns[name] = pa.array([], type=arrow_type(table.spec(name) or {}))
    table.chunks = {}
    if table.line_chunks:
        lines = np.concatenate(table.line_chunks)
        if not np.array_equal(lines, np.arange(2, len(lines) + 2)):
            table.lines = lines
        bad = np.concatenate(table.bad_chunks)
        table.bad = bad if bad.any() else None
    table.line_chunks, table.bad_chunks = [], []


def _lines(record_batch: Any, first: int) -> tuple[Ints, int]:
    """The line each row of a batch starts on (cells may span lines), and the next line.

    Lines end with LF, CRLF or a lone CR, as in editors and in the CSV parser.
    """
    import numpy as np
    import pyarrow.compute as pc

    n = record_batch.num_rows
    extra = np.zeros(n, dtype=np.int64)
    for column in record_batch.columns:
        data = _raw_bytes(column)
        if data.find(b"\n") < 0 and data.find(b"\r") < 0:
            continue
        for pattern, sign in (("\n", 1), ("\r", 1), ("\r\n", -1)):  # LF, CR, CRLF: one line
            counts = pc.fill_null(pc.count_substring(column, pattern), 0)
            extra += sign * np.asarray(counts.to_numpy(), dtype=np.int64)
    before = np.cumsum(extra) - extra
    lines = first + np.arange(n, dtype=np.int64) + before
    return lines, first + n + int(extra.sum())


def _raw_bytes(column: Any) -> bytes:
    """The UTF-8 bytes of a string array's values, back to back (one copy, no decoding)."""
    import numpy as np

    buffers = column.buffers()
    if len(column) == 0 or buffers[2] is None:
        return b""
    offsets = np.frombuffer(
        buffers[1], dtype=np.int32, count=len(column) + 1, offset=column.offset * 4
    )
    return bytes(memoryview(buffers[2])[int(offsets[0]) : int(offsets[-1])])


def _blank_rows(record_batch: Any) -> Any:
    """Rows whose every cell is empty (a blank line), as a boolean array, or None."""
    import pyarrow.compute as pc

    columns = record_batch.columns
    if not columns or min(c.null_count for c in columns) == 0:
        return None
    anything = pc.is_valid(columns[0])
    for column in columns[1:]:
        anything = pc.or_(anything, pc.is_valid(column))
    blank = pc.invert(anything)
    return blank if pc.any(blank).as_py() else None


@dataclass
class Prepared:
    """A batch made ready off the main thread: parsed, numbered, blank lines out, cast."""

    text: Any  # the cells as text (a RecordBatch without the blank lines)
    lines: Ints
    blank: list[int]  # lines that were blank
    columns: dict[str, Any]
    errors: list[Any]  # schema.CellError, for cells that do not parse


def _prepare(table: TableState, batches: Iterator[Any]) -> Iterator[Prepared]:
    """Parse, group, number, drop blank lines and cast: everything that needs no context."""
    import numpy as np
    import pyarrow as pa

    from .tableschema import typed_columns

    next_line = 2
    for record_batch in _grouped(batches):
        if record_batch.num_rows == 0:
            continue
        lines, next_line = _lines(record_batch, next_line)
        blank: list[int] = []
        mask = _blank_rows(record_batch)
        if mask is not None:
            empty = np.asarray(mask.to_numpy(zero_copy_only=False), dtype=np.bool_)
            blank = [int(line) for line in lines[empty]]
            record_batch, lines = record_batch.filter(pa.array(~empty)), lines[~empty]
        text = pa.Table.from_batches([record_batch], schema=record_batch.schema)
        columns, errors = typed_columns(text, table.schema)
        yield Prepared(record_batch, lines, blank, columns, errors)


def _ahead(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """Run an iterator in a worker thread, `depth` items ahead of its consumer.

    Arrow releases the GIL while it parses and computes, so preparing the next batch overlaps
    checking this one. An exception in the worker is raised in the consumer.
    """
    import queue
    import threading

    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        box.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put(("end", None))
        except BaseException as error:  # handed to the consumer, raised there
            box.put(("error", error))

    worker = threading.Thread(target=work, name="kw-prepare", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = box.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        while worker.is_alive():  # unblock a worker waiting to put
            try:
                box.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.05)


def _one_batch(
    ctx: Context,
    table: TableState,
    ready: Prepared,
    batch_rules: list[Rule],
    parquet: ParquetMirror,
    rows_schema: RowSchema,
) -> None:
    import numpy as np
    import pyarrow as pa

    for line in ready.blank:
        ctx.out.add(
            "csv-readable",
            "the line is blank; expected a row of cells, or no line at all",
            resource=table.name,
            file=table.file,
            row=line,
        )
    lines, columns, errors = ready.lines, ready.columns, ready.errors
    n = len(lines)
    if n == 0:
        return
    text = pa.Table.from_batches([ready.text], schema=ready.text.schema)
    raw = {name: text.column(name).combine_chunks() for name in table.names}
    batch = Batch(table, table.rows, columns, raw, lines, ctx)
    row_bad = np.zeros(n, dtype=np.bool_)
    cast_bad: dict[str, Bools] = {}
    for error in errors:
        i = error.line - 2
        row_bad[i] = True
        cast_bad.setdefault(error.field, np.zeros(n, dtype=np.bool_))[i] = True
        spec = table.spec(error.field) or {}
        ctx.out.add(
            "categories" if "categories" in spec else "type",
            _type_message(error.value, error.expected, spec),
            resource=table.name,
            file=table.file,
            row=int(lines[i]),
            field=error.field,
            value=error.value,
        )
    row_bad |= check_constraints(ctx, batch)
    batch.bad = row_bad
    for r in batch_rules:
        run_rule(ctx, r, lambda r=r: r.batch(ctx.check(r), batch))  # type: ignore[misc]
    parquet.feed(batch, cast_bad)
    rows_schema.feed(batch, row_bad)
    for name, chunks in table.chunks.items():
        chunks.append(columns[name])
    table.line_chunks.append(lines)
    table.bad_chunks.append(row_bad)
    table.rows += n


def _type_message(value: str, expected: str, spec: dict[str, Any]) -> str:
    hint = ""
    if re.search("[\u0660-\u0669\u06f0-\u06f9]", value):
        hint = " (Arabic-Indic digits are not read as numbers)"
    elif value.strip().lower().lstrip("+-") in ("nan", "inf", "infinity"):
        hint = " (NaN and infinity are not numbers here)"
    elif value != value.strip():
        hint = " (remove the spaces around it)"
    if "categories" in spec:
        values = [str(v) for v in expected.removeprefix("one of the categories ").split(", ")]
        listed = ", ".join(values[:12]) + (", …" if len(values) > 12 else "")
        return f"{value!r} is not in the field's categories; expected one of {listed}"
    return f"{value!r} is not {expected}{hint}"


def run_rule(ctx: Context, r: Rule, call: Callable[[], None]) -> None:
    """Run one rule function; a crash becomes one problem of that rule, never a traceback."""
    if r.id in ctx.crashed:
        return
    try:
        call()
    except Exception as error:  # a rule must never stop validation
        ctx.crashed.add(r.id)
        ctx.out.add(r.id, f"could not be checked: {type(error).__name__}: {error}")


# --- Stage 3: constraints, keys --------------------------------------------------------------


def check_constraints(ctx: Context, batch: Batch) -> Bools:
    """required, enum, minimum/maximum, length and pattern, column by column; bad rows."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    table = batch.table
    bad = np.zeros(len(batch), dtype=np.bool_)
    pk = set(_keys(table.schema.get("primaryKey")) or [])

    def flag(rule: str, field: str, mask: Any, message: Callable[..., str]) -> None:
        indices = selected(mask)
        if len(indices) == 0:
            return
        bad[indices] = True
        check = ctx.check(RULES[rule])
        check.flag(batch, field, indices, message, value=lambda i: batch.text[field][i].as_py())

    for spec in table.fields:
        name = spec["name"]
        constraints = spec.get("constraints", {})
        raw, typed = batch.text[name], batch.columns[name]
        if (constraints.get("required") or name in pk) and raw.null_count:
            rule = "required" if constraints.get("required") else "primary-key"
            flag(
                rule,
                name,
                pc.is_null(raw),
                lambda i, r=rule: (
                    "is empty; "
                    + (
                        "the field is required"
                        if r == "required"
                        else "a primary key needs a value"
                    )
                ),
            )
        if pa.types.is_dictionary(typed.type) and (
            "enum" in constraints or "pattern" in constraints
        ):
            typed = typed.dictionary_decode()
        if "enum" in constraints:
            allowed = _enum_values(spec, constraints["enum"])
            if allowed is not None:
                listed = ", ".join(map(str, constraints["enum"]))
                flag(
                    "enum",
                    name,
                    pc.invert(pc.is_in(typed, value_set=allowed)),
                    lambda i, listed=listed: f"is not one of the enum values; expected {listed}",
                )
        for key, rule, op, words in (
            ("minimum", "minimum", pc.less, "below the minimum"),
            ("exclusiveMinimum", "minimum", pc.less_equal, "not above the exclusive minimum"),
            ("maximum", "maximum", pc.greater, "above the maximum"),
            ("exclusiveMaximum", "maximum", pc.greater_equal, "not below the exclusive maximum"),
        ):
            if key in constraints and (bound := _bound(spec, constraints[key])) is not None:
                limit = constraints[key]
                flag(
                    rule,
                    name,
                    op(typed, bound),
                    lambda i, w=words, b=limit: f"is {w} {b}; expected a value within the bounds",
                )
        if spec.get("type", "string") == "string":
            length = None
            sizes = _byte_range(raw) if {"minLength", "maxLength"} & set(constraints) else None
            for key, op in (("minLength", pc.less), ("maxLength", pc.greater)):
                if key in constraints and sizes is not None:
                    # code points lie between bytes / 4 and bytes: often that settles it
                    shortest, longest = sizes
                    if key == "minLength" and shortest >= 4 * constraints[key]:
                        continue
                    if key == "maxLength" and longest <= constraints[key]:
                        continue
                    length = pc.utf8_length(typed) if length is None else length
                    limit = constraints[key]
                    flag(
                        "length",
                        name,
                        op(length, limit),
                        lambda i, k=key, b=limit, n=length: (
                            f"has {n[i].as_py()} characters; {k} is {b}"
                        ),
                    )
            pattern = constraints.get("pattern")
            if isinstance(pattern, str):
                matches = pc.match_substring_regex(typed, f"^(?:{pattern})$")
                flag(
                    "pattern",
                    name,
                    pc.invert(matches),
                    lambda i, p=pattern: f"does not match the pattern {p}; expected a full match",
                )
    return bad


def _byte_range(column: Any) -> tuple[int, int] | None:
    """Fewest and most bytes of the non-empty cells of a string column (None if all empty)."""
    import pyarrow.compute as pc

    lengths: Any = pc.min_max(pc.binary_length(column)).as_py()
    if lengths["min"] is None:
        return None
    return int(lengths["min"]), int(lengths["max"])


def _enum_values(spec: dict[str, Any], values: list[Any]) -> Any:
    import pyarrow as pa

    kind = spec.get("type", "string")
    try:
        if kind == "date":
            import datetime

            return pa.array([datetime.date.fromisoformat(str(v)) for v in values], pa.date32())
        if kind == "integer":
            return pa.array([int(v) for v in values], pa.int64())
        if kind == "number":
            return pa.array([float(v) for v in values], pa.float64())
        if kind == "boolean":
            return pa.array([bool(v) for v in values], pa.bool_())
        return pa.array([str(v) for v in values], pa.string())
    except (TypeError, ValueError):
        return None


def duplicates(columns: list[Any]) -> tuple[Bools, Ints] | None:
    """For a key of one or more columns: which rows repeat an earlier row's key, and which row
    that is; None when no key repeats. Rows with an empty key cell are never repeats."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(columns[0])
    nulls = np.zeros(n, dtype=np.bool_)
    code: Ints | None = None
    for column in columns:
        encoded = _plain(column).dictionary_encode()  # codes in order of first appearance
        indices = encoded.indices
        if len(columns) == 1 and len(encoded.dictionary) == n - column.null_count:
            return None  # every value once: the common case, decided without more work
        if indices.null_count:
            nulls |= np.asarray(indices.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)
        values = np.asarray(pc.fill_null(indices, 0).to_numpy(), dtype=np.int64)
        if code is None:
            code = values
        else:  # combine, then renumber in order of first appearance to keep codes small
            combined = pa.array(code * (len(encoded.dictionary) + 1) + values)
            code = np.asarray(combined.dictionary_encode().indices.to_numpy(), dtype=np.int64)
    assert code is not None
    code = np.where(nulls, -1, code)
    running = np.maximum.accumulate(code)
    first = np.ones(n, dtype=np.bool_)
    first[1:] = code[1:] > running[:-1]
    first &= ~nulls
    repeat = ~first & ~nulls
    if not repeat.any():
        return None
    first_row = np.zeros(int(code.max()) + 1, dtype=np.int64)
    first_row[code[first]] = np.flatnonzero(first)
    return repeat, first_row[np.maximum(code, 0)]


def check_keys(ctx: Context, table: TableState) -> None:
    """primaryKey, unique fields and uniqueKeys on the whole table, each key set once."""
    done: set[tuple[str, ...]] = set()
    pk = _keys(table.schema.get("primaryKey"))
    keys: list[tuple[str, list[str]]] = []
    if pk:
        keys.append(("primary-key", pk))
    for spec in table.fields:
        if spec.get("constraints", {}).get("unique"):
            keys.append(("unique", [spec["name"]]))
    for key in table.schema.get("uniqueKeys", []) or []:
        if _keys(key):
            keys.append(("unique-keys", _keys(key) or []))
    if table.rows == 0:
        return
    for rule, fields in keys:
        if tuple(fields) in done or not table.has(*fields):
            continue
        done.add(tuple(fields))
        found = duplicates([table.columns[f] for f in fields])
        if found is None:
            continue
        repeat, first = found
        label = ", ".join(fields)
        what = {"primary-key": "primary key", "unique": "unique field", "unique-keys": "unique key"}
        check = ctx.check(RULES[rule])
        check.flag(
            table,
            fields[-1] if len(fields) > 1 else fields[0],
            repeat,
            lambda i, first=first, w=what[rule], label=label: (
                f"repeats the {w} ({label}) of line {table.line(int(first[i]))}; "
                "expected each value once"
            ),
            value=lambda i, fields=fields: " / ".join(str(table.value(f, i)) for f in fields),
        )


def check_foreign_key(
    ctx: Context, table: TableState, fk: tuple[list[str], str, list[str]]
) -> None:
    """Every non-empty foreign key value exists in the referenced table."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    fields, resource, ref_fields = fk
    target = table if resource == table.name else ctx.tables.get(resource)
    if target is None or not target.usable or not table.usable or table.rows == 0:
        return  # an unreadable target is reported once, as itself
    if not table.has(*fields) or not target.has(*ref_fields):
        return
    if any(target.columns[f].null_count for f in ref_fields):
        return  # a key cell of the target is empty or broken: that is the one problem to fix

    plain = _plain
    if len(fields) == 1:
        column = plain(table.columns[fields[0]])
        missing = _not_in(column, plain(target.columns[ref_fields[0]]))
        if missing is None:
            return
    else:
        left = pa.table({f"k{i}": plain(table.columns[f]) for i, f in enumerate(fields)})
        left = left.append_column("__row", pa.array(np.arange(table.rows)))
        right = (
            pa.table({f"k{i}": plain(target.columns[f]) for i, f in enumerate(ref_fields)})
            .group_by([f"k{i}" for i in range(len(fields))])
            .aggregate([])
        )
        right = right.append_column("__hit", pa.array(np.ones(right.num_rows, dtype=np.bool_)))
        joined = left.join(right, [f"k{i}" for i in range(len(fields))], join_type="left outer")
        joined = joined.sort_by("__row")
        any_null = np.zeros(table.rows, dtype=np.bool_)
        for f in fields:
            any_null |= np.asarray(
                pc.is_null(table.columns[f]).to_numpy(zero_copy_only=False), dtype=np.bool_
            )
        hits: Any = pc.fill_null(joined.column("__hit"), pa.scalar(False))
        hit = np.asarray(hits.to_numpy(zero_copy_only=False), dtype=np.bool_)
        missing = ~hit & ~any_null
    label = ", ".join(ref_fields)
    check = ctx.check(RULES["foreign-key"])
    check.flag(
        table,
        fields[0] if len(fields) == 1 else fields[-1],
        missing,
        lambda i: f"no row of {resource} has this {label}; expected an existing {resource} row",
        value=lambda i: " / ".join(str(table.value(f, i)) for f in fields),
    )


def _not_in(column: Any, keys: Any) -> Any:
    """Rows of `column` whose value is not among `keys` (None if there are none).

    Only the column's distinct values are looked up, and the hash table is built on the
    smaller side: the cost is one pass over each array, whatever their sizes.
    """
    import numpy as np
    import pyarrow.compute as pc

    values = pc.unique(column).drop_null()
    if len(values) == 0:
        return None
    if len(values) <= len(keys):
        hit = np.zeros(len(values), dtype=np.bool_)
        where: Any = pc.index_in(keys, value_set=values).drop_null()
        hit[np.asarray(where.to_numpy(), dtype=np.int64)] = True
    else:
        found: Any = pc.is_in(values, value_set=keys)
        hit = np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.bool_)
    if hit.all():
        return None
    return pc.is_in(column, value_set=values.filter(~hit))


# --- Stage 2: the Parquet copy, row by row ---------------------------------------------------


class ParquetMirror:
    """Compare the Parquet copy with the CSV while the CSV streams.

    The Parquet rows are in primary-key order (`build` sorts them, stably). While the CSV is
    in that order too, each batch is compared with the next Parquet rows, in bounded memory.
    If it turns out not to be, the comparison is redone at the end on both tables, sorted by
    the key (the CSVs of this package are small; a large CSV should be kept in key order).
    """

    def __init__(self, ctx: Context, table: TableState) -> None:
        self.ctx = ctx
        self.table = table
        self.pk = _keys(table.schema.get("primaryKey")) or []
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

        from .tableschema import arrow_schema

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
        key = _plain(batch.columns[self.pk[0]])
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
            mine, theirs = _plain(mine), _plain(theirs.combine_chunks())
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


def _plain(column: Any) -> Any:
    import pyarrow as pa

    return column.dictionary_decode() if pa.types.is_dictionary(column.type) else column


def _whole_csv(table: TableState) -> tuple[Any, dict[str, Bools]]:
    """A readable CSV as one typed table (blank lines dropped), and its cells that failed."""
    import numpy as np
    import pyarrow as pa

    from .tableschema import typed_columns

    _, record_batches = read_all(table.path, table.names)
    if not record_batches:
        empty = {n: pa.array([], type=pa.string()) for n in table.names}
        text = pa.table(empty)
    else:
        text = pa.Table.from_batches(record_batches, schema=record_batches[0].schema)
    if text.num_rows:
        blank = _blank_rows(text.combine_chunks().to_batches()[0])
        if blank is not None:
            text = text.filter(pa.array(~np.asarray(blank.to_numpy(zero_copy_only=False))))
    columns, errors = typed_columns(text, table.schema)
    bad: dict[str, Bools] = {}
    for error in errors:
        bad.setdefault(error.field, np.zeros(text.num_rows, dtype=np.bool_))[error.line - 2] = True
    return pa.table({n: columns[n] for n in table.names}), bad


class _Sorted(Rows):
    """A whole table in key order, remembering each row's CSV position (for line numbers)."""

    def __init__(self, table: TableState, data: Any, index: Ints) -> None:
        self.name, self.file, self.table, self.index = table.name, table.file, table, index
        self.columns = {n: data.column(n).combine_chunks() for n in data.column_names}

    def __len__(self) -> int:
        return len(self.index)

    def line(self, i: int) -> int:
        return self.table.line(int(self.index[i]))


# --- Stage 5: rows against the JSON Schema ---------------------------------------------------


class RowSchema:
    """Validate rows, as JSON objects, against schemas/json/<name>.json: a bounded sample."""

    def __init__(self, ctx: Context, table: TableState) -> None:
        from .build import json_schema_path

        self.ctx, self.table = ctx, table
        self.validator: Any = None
        self.stride = 0  # known once the first batch tells how long a row is
        path = ctx.root / json_schema_path(table.name)
        try:
            import jsonschema

            schema = json.loads(path.read_text(encoding="utf-8"))
            cls = jsonschema.Draft202012Validator
            cls.check_schema(schema)
            self.validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        except Exception:  # missing or broken: `json-schema-in-sync` reports it
            self.validator = None

    def feed(self, batch: Batch, row_bad: Bools) -> None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.validator is None:
            return
        if not self.stride:  # rows in the file, estimated from the first batch's bytes per row
            size = sum(len(_raw_bytes(c)) + 1 for c in batch.text.values()) / max(len(batch), 1)
            estimate = self.table.path.stat().st_size / max(size, 1.0)
            self.stride = max(1, int(estimate // JSON_SAMPLE))
        index = np.arange(batch.offset, batch.offset + len(batch))
        pick = ((index < JSON_HEAD) | (index % self.stride == 0)) & ~row_bad
        rows = np.flatnonzero(pick)
        if len(rows) == 0:
            return
        arrays = {}
        for name, column in batch.columns.items():
            column = _plain(column.take(rows))  # only the sampled rows
            if pa.types.is_date(column.type):
                column = pc.strftime(column, format="%Y-%m-%d")
            arrays[name] = column
        records = pa.table(arrays).to_pylist()
        check = self.ctx.check(RULES["row-json-schema"])
        for i, record in zip(rows.tolist(), records, strict=True):
            for error in self.validator.iter_errors(record):
                field = str(error.absolute_path[0]) if error.absolute_path else None
                check.problem(
                    f"{error.message}; expected the row to satisfy "
                    f"schemas/json/{self.table.name}.json",
                    resource=self.table.name,
                    file=self.table.file,
                    row=batch.line(i),
                    field=field,
                    value=record.get(field) if field else None,
                )


# --- Putting it together ---------------------------------------------------------------------


def load_documents(ctx: Context) -> None:
    """Read the documents table first, for the texts that every evidence span points into.

    A text is trusted (its spans are checked) only if its SHA-256 matches the document's
    `text_sha256` and, when the text is itself a resource, the descriptor's hash.
    """
    import pyarrow as pa

    from ._io import sha256
    from .tableschema import typed_columns

    table = ctx.tables.get("documents")
    if table is None or not {"doc_id", "text_path"} <= set(table.names):
        return
    try:
        header, record_batches = read_all(table.path, table.names)
        if header != table.names:
            return
    except Unreadable:
        return
    if not record_batches:
        return
    text = pa.Table.from_batches(record_batches).combine_chunks()
    lines, _ = _lines(text.to_batches()[0], 2)
    columns, _ = typed_columns(text, table.schema)
    want = columns.get("text_sha256")
    for i in range(text.num_rows):
        doc_id, relative = columns["doc_id"][i].as_py(), columns["text_path"][i].as_py()
        if doc_id is None or relative is None or doc_id in ctx.docs:
            continue
        ctx.doc_stated[doc_id] = {
            name: columns[name][i].as_py()
            for name in ("text_sha256", "text_length", "published_date")
            if name in columns
        }
        meta = DocMeta(int(lines[i]), relative)
        ctx.doc_meta[doc_id] = meta
        path = ctx.safe_path(
            relative, resource="documents", what="text_path", row=meta.line, file=table.file
        )
        if path is None:
            meta.problem = "unreadable"
            continue
        try:
            data = path.read_bytes()
        except OSError as error:
            meta.problem = "unreadable"
            ctx.out.add(
                "file-present",
                f"the text cannot be read ({error.strerror}); expected a readable file",
                resource="documents",
                file=table.file,
                row=meta.line,
                field="text_path",
                value=relative,
            )
            continue
        meta.sha256 = sha256(data)
        try:
            doc = _spans.doc_text(doc_id, data)
        except UnicodeDecodeError as error:
            meta.problem = f"the text is not UTF-8 (byte {error.start}); expected UTF-8"
            continue
        meta.length = doc.length
        declared = ctx.declared.get(relative)
        stated = want[i].as_py() if want is not None else None
        doc.trusted = meta.sha256 == stated and (
            declared is None or declared[2] == f"sha256:{meta.sha256}"
        )
        ctx.docs[doc_id] = doc


def run(path: str | os.PathLike[str] | None) -> Context:
    """Validate the package at `path` (None: the one shipped) and return the context."""
    from ._package import default_root

    root = default_root() if path is None else Path(path)
    label = str(root)
    if root.name == DESCRIPTOR or (root.exists() and root.is_file()):
        root = root.parent
    ctx = Context(root, label)
    try:
        _run(ctx)
    finally:
        if ctx.pool is not None:
            ctx.pool.shutdown(wait=True, cancel_futures=True)
    return ctx


def _run(ctx: Context) -> None:
    if not open_descriptor(ctx):
        ctx.out.unusable = True
        return
    describe(ctx)
    if ctx.out.unusable:
        return
    rules = ordered()
    batch_rules = [r for r in rules if r.batch is not None]
    finals = [r for r in rules if r.final is not None]
    load_documents(ctx)
    plans = {name: plan(ctx, ctx.tables[name], finals) for name in ctx.order}
    for name in ctx.order:
        stream_table(ctx, ctx.tables[name], batch_rules, plans[name])
    for name in ctx.order:
        for fk in plans[name].deferred:
            check_foreign_key(ctx, ctx.tables[name], fk)
    integrity(ctx)
    for r in finals:
        run_rule(ctx, r, lambda r=r: r.final(ctx.check(r)))  # type: ignore[misc]


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
                "bytes-match",
                f"the file has {info.size} bytes, the descriptor says {size}; edited without "
                "`kerman-warning build`?",
                field="bytes",
                value=info.size,
                **where,
            )
        elif isinstance(digest, str) and _SHA256.match(digest) and digest[7:] != info.sha256:
            ctx.bad_files.add(relative)
            ctx.out.add(
                "hash-match",
                f"the file's SHA-256 is {info.sha256[:12]}…, the descriptor says "
                f"{digest[7:19]}…; edited without `kerman-warning build`?",
                field="hash",
                value=f"sha256:{info.sha256}",
                **where,
            )
    for resource, relative, message in ctx.parquet_problems:
        table = ctx.tables[resource]
        if relative in ctx.bad_files or table.file in ctx.bad_files:
            continue  # the stale or damaged file is reported once, by its size or hash
        ctx.out.add("parquet-matches-csv", message, resource=resource, file=relative)
