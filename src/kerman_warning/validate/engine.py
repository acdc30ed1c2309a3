"""The engine: the run plan, in the order things really run.

1. Read the descriptor (`stages.descriptor`); check it and every Table Schema against the
   profiles; resolve every path; start hashing every file in a worker thread.
2. Under `--rules all`, read the documents' texts that evidence spans point into.
3. Stream each table once, referenced tables first, as Arrow record batches of about WORK bytes
   of cells: a worker thread parses, numbers the lines and casts the next batch while this
   thread checks the Table Schema column-wise (`stages.tableschema`), runs the batch rules,
   compares the rows with the Parquet copy (`stages.integrity`) and samples rows against their
   JSON Schema (`stages.jsonrows`), and checks keys and foreign keys batch by batch
   (`stages.keys`). Only the columns later checks need stay in memory: the key columns of
   tables other tables refer to, and the columns final rules keep.
4. Sizes and hashes (stage 2), then the final rules on the kept columns.

"Stages" (1-5) label problems in the report; this is the order in which they are found. The
engine alone collects problems; a rule that raises is a bug of the validator (exit code 3).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._csv import BLOCK, Straddle, Unreadable, blank_rows, header_problem, line_numbers, locate
from .._csv import stream as stream_csv
from .._io import read_bounded
from .._limits import MAX_CSV_BYTES
from .._package import DESCRIPTOR
from ..tableschema import apply_missing_values
from . import rules as project_rules
from .api import Batch, Context, Table, foreign_keys
from .report import BUG_REPORTS
from .spec import Ahead, Rule, RuleSet, declare, ordered
from .stages.descriptor import (
    DESCRIPTOR_PROFILE,
    check_name,
    describe_file,
    describe_table,
    open_descriptor,
    profile_errors,
)
from .stages.integrity import ParquetMirror, integrity
from .stages.jsonrows import RowSchema
from .stages.keys import ForeignKeys, Keys
from .stages.schemas import check_key_fields, load_schema
from .stages.tableschema import (
    CATEGORIES,
    CSV_READABLE,
    HAS_ROWS,
    HEADER_MATCHES,
    TYPE,
    check_constraints,
    type_message,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Bools = npt.NDArray[np.bool_]
    Ints = npt.NDArray[np.int64]

__all__ = ["PROJECT", "run"]

PROJECT = "kerman-warning"  # the package whose own rules `--rules all` adds
WORK = 1 << 23  # about as many bytes of cells are checked at a time
AHEAD = 2  # batches prepared ahead by the worker thread

PROJECT_PACKAGE = declare(
    "project-package",
    "error",
    "descriptor",
    f"Under `--rules all` (the default) the package is {PROJECT} itself; any other Data "
    "Package is checked with `--rules datapackage` (its rules run, this project's do not).",
)


class ValidatorBug(Exception):
    """Something inside the validator failed: not a problem of the data (exit code 3)."""


def describe(ctx: Context) -> None:
    """Stage 1: profile, names, paths, files, schemas; collect the tables to stream."""
    if ctx.rules == "all" and ctx.descriptor.get("name") != PROJECT:
        ctx.out.add(
            PROJECT_PACKAGE,
            f"the package is {ctx.descriptor.get('name')!r}, not {PROJECT}, so this project's "
            "rules do not apply; checked with --rules datapackage",
            file=DESCRIPTOR,
            field="name",
        )
        ctx.rules = ctx.out.rules = "datapackage"
    profile_errors(ctx, ctx.descriptor, "package", DESCRIPTOR)
    resources = ctx.descriptor.get("resources")
    if not isinstance(resources, list) or not resources:
        ctx.out.unusable = True
        return
    seen: set[str] = set()
    for resource in resources:
        if not isinstance(resource, dict):
            continue
        name = check_name(ctx, resource)
        if name is None:
            continue
        if name in seen:
            ctx.out.add(
                DESCRIPTOR_PROFILE,
                "two resources have this name; expected unique resource names",
                resource=name,
                file=DESCRIPTOR,
                field="name",
                value=name,
            )
            continue
        seen.add(name)
        target = describe_file(ctx, resource)
        tabular = resource.get("type") == "table" or (
            "type" not in resource and "schema" in resource  # v2: a table by its schema
        )
        if not tabular:
            continue
        schema = load_schema(ctx, resource)
        if schema is not None and target is not None:
            table = describe_table(ctx, resource, target, schema)
            if table is not None:
                ctx.tables[name] = table
    for table in list(ctx.tables.values()):
        check_key_fields(ctx, table)
    ctx.order = _stream_order(ctx)


def _stream_order(ctx: Context) -> list[str]:
    """Tables in an order where referenced tables come first; among the tables ready, the
    smallest file first. A cycle of foreign keys is broken at its smallest file: that table's
    keys into tables not yet complete wait in a pending set (`stages.keys`)."""
    names = list(ctx.tables)
    needs = {
        n: {r for _, r, _ in foreign_keys(ctx.tables[n]) if r != n and r in ctx.tables}
        for n in names
    }

    def size(name: str) -> int:
        try:
            return ctx.tables[name].path.stat().st_size
        except OSError:
            return 0

    def on_cycle(name: str, left: set[str]) -> bool:
        seen: set[str] = set()
        todo = list(needs[name] & left)
        while todo:
            n = todo.pop()
            if n == name:
                return True
            if n not in seen:
                seen.add(n)
                todo.extend(needs[n] & left)
        return False

    order: list[str] = []
    while len(order) < len(names):
        left = [n for n in names if n not in order]
        ready = [n for n in left if needs[n] <= set(order)]
        if not ready:  # only cycles and what waits for them: break a cycle
            ready = [n for n in left if on_cycle(n, set(left))]
        order.append(min(ready, key=size))  # min keeps the first of equal sizes
    return order


@dataclass
class Plan:
    """What to keep of one table while streaming it: until the end of the run."""

    keep: set[str]
    encoded: set[str] = field(default_factory=set)  # kept dictionary-encoded: repetitive text


def _repetitive(column: Any) -> bool:
    """Text with few distinct values (e.g. `doc_id`, one value): kept as a dictionary, it costs
    a small integer a row instead of the text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_string(column.type) or len(column) < 64:
        return False
    return int(pc.count_distinct(column).as_py()) * 4 <= len(column)


def plan(ctx: Context, table: Table, finals: list[Rule]) -> Plan:
    keep: set[str] = set()
    for other in ctx.tables.values():
        for _, resource, ref_fields in foreign_keys(other):
            if resource == table.name:
                keep |= set(ref_fields)
    for r in finals:
        keep |= set(r.keeps.get(table.name, ()))
    return Plan(keep & set(table.names))


def stream_table(
    ctx: Context, table: Table, batch_rules: list[Rule], plan: Plan, fks: ForeignKeys
) -> None:
    """Stage 3 (and the row-wise parts of stages 2, 4 and 5) for one table."""
    block = BLOCK
    while True:
        mark = ctx.out.mark()
        try:
            fks.blocks[table.name] = block
            _stream_table(ctx, table, batch_rules, plan, block, fks)
            return
        except Straddle as bigger:  # a row longer than a block: start this table again
            ctx.out.rollback(mark)
            for check in ctx.checks.values():
                check.state.pop(table.name, None)  # batch rules keep state per table
            _reset(table)
            if int(str(bigger.args[0])) <= block:  # cannot happen; never loop
                ctx.out.add(CSV_READABLE, "a row is too long to parse", resource=table.name)
                return
            block = int(str(bigger.args[0]))


def _stream_table(
    ctx: Context, table: Table, batch_rules: list[Rule], plan: Plan, block: int, fks: ForeignKeys
) -> None:
    mark = ctx.out.mark()
    parquet = ParquetMirror(ctx, table)
    try:
        header, batches = stream_csv(table.path, table.names, block, table.dialect)
        problem = header_problem(header, table.names)
        if problem is not None:
            ctx.out.add(
                HEADER_MATCHES,
                problem,
                resource=table.name,
                file=table.file,
                row=1,
                value=",".join(header),
            )
            return
        table.chunks = {name: [] for name in plan.keep}
        plan.encoded = set()
        rows_schema = RowSchema(ctx, table)
        checks = Keys(ctx, table, fks)
        ahead = [checks.ahead(), *dict.fromkeys(f for rule in batch_rules for f in rule.ahead)]
        for ready in _ahead(_prepare(table, batches, ahead), depth=AHEAD):
            _one_batch(ctx, table, ready, batch_rules, parquet, rows_schema, checks, plan)
        _quotes_balanced(ctx, table)  # the parser takes an unclosed quote to the end of file
    except Unreadable as error:
        ctx.out.rollback(mark)
        _reset(table)
        ctx.out.add(CSV_READABLE, str(error), resource=table.name, file=table.file, row=error.line)
        return
    table.usable = True
    _concatenate(table)
    if table.rows == 0:
        ctx.out.add(
            HAS_ROWS,
            "the file has a header but no rows; expected at least one row",
            resource=table.name,
            file=table.file,
            row=1,
        )
    checks.finish()
    parquet.finish()


def reread(table: Table, block: int) -> Iterator[tuple[int, dict[str, Any], Ints]]:
    """A table's rows again, as the stream gave them: (first row, typed columns, lines)."""
    _, batches = stream_csv(table.path, table.names, block, table.dialect)
    offset = 0
    for ready in _prepare(table, batches, []):
        yield offset, ready.columns, ready.lines
        offset += len(ready.lines)


def _quotes_balanced(ctx: Context, table: Table) -> None:
    info = ctx.file_info(table.file)
    if info is not None and info.quotes % 2:
        found = None
        if info.size <= MAX_CSV_BYTES:  # a larger file is not read whole to find the line
            text = read_bounded(table.path, MAX_CSV_BYTES, "MAX_CSV_BYTES")
            found = locate(text.decode("utf-8", "replace"), len(table.names), table.dialect)
        line, message = found or (
            None,
            "the file has an odd number of quote characters; expected every quoted cell closed",
        )
        raise Unreadable(message, line)


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


def _reset(table: Table) -> None:
    """Forget what streaming a table gathered (to read it again, or because it is unreadable)."""
    table.chunks, table.bad_rows, table.rows = {}, [], 0
    table.usable, table.columns, table.bad = False, {}, None
    table.shift_at, table.shift_by = [], []


def _concatenate(table: Table) -> None:
    """The kept columns of a table, each made one array: one column at a time, its chunks let
    go as it is joined, so that the end of a table never holds two copies of its kept columns."""
    import numpy as np
    import pyarrow as pa

    from ..tableschema import arrow_type

    for name in list(table.chunks):
        chunks = table.chunks.pop(name)
        if chunks:
            table.columns[name] = pa.chunked_array(chunks).combine_chunks()
        else:
            table.columns[name] = pa.array([], type=arrow_type(table.spec(name) or {}))
        del chunks
    if table.bad_rows:
        table.bad = np.zeros(table.rows, dtype=np.bool_)
        table.bad[np.concatenate(table.bad_rows)] = True
    table.bad_rows = []


@dataclass
class Prepared:
    """A batch made ready off the main thread: parsed, numbered, blank lines out, cast."""

    text: Any  # the cells as text (a RecordBatch without the blank lines)
    lines: Ints
    blank: list[int]  # lines that were blank
    columns: dict[str, Any]
    errors: list[Any]  # schema.CellError, for cells that do not parse
    memo: dict[Any, Any]  # what the rules' `ahead` functions worked out, for `Batch.memo`


def _prepare(table: Table, batches: Iterator[Any], ahead: list[Ahead]) -> Iterator[Prepared]:
    """Parse, group, number, drop blank lines and cast: everything that needs no context; and
    the work rules asked to have done ahead of their batch (`Rule.ahead_of_batch`)."""
    import numpy as np
    import pyarrow as pa

    from ..tableschema import typed_columns

    next_line = 2
    for record_batch in _grouped(batches):
        if record_batch.num_rows == 0:
            continue
        lines, next_line = line_numbers(record_batch, next_line)
        blank: list[int] = []
        mask = blank_rows(record_batch)
        if mask is not None:
            empty = np.asarray(mask.to_numpy(zero_copy_only=False), dtype=np.bool_)
            blank = [int(line) for line in lines[empty]]
            record_batch, lines = record_batch.filter(pa.array(~empty)), lines[~empty]
        text = pa.Table.from_batches([record_batch], schema=record_batch.schema)
        text = apply_missing_values(text, table.schema)
        if text.num_columns and text.column(0).num_chunks == 1:
            record_batch = text.to_batches()[0]
        columns, errors = typed_columns(text, table.schema)
        memo: dict[Any, Any] = {}
        for function in ahead:
            try:
                memo.update(function(table, columns))
            except Exception:  # the batch function works it out itself, and fails there, named
                continue
        yield Prepared(record_batch, lines, blank, columns, errors, memo)


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
    table: Table,
    ready: Prepared,
    batch_rules: list[Rule],
    parquet: ParquetMirror,
    rows_schema: RowSchema,
    checks: Keys,
    plan: Plan,
) -> None:
    import numpy as np
    import pyarrow as pa

    for line in ready.blank:
        ctx.out.add(
            CSV_READABLE,
            "the line is blank; expected a row of cells, or no line at all",
            resource=table.name,
            file=table.file,
            row=line,
        )
    lines, columns, errors = ready.lines, ready.columns, ready.errors
    n = len(lines)
    if n == 0:
        return
    raw = {name: ready.text.column(name) for name in table.names}
    batch = Batch(table, table.rows, columns, raw, lines, ctx, dict(ready.memo))
    row_bad = np.zeros(n, dtype=np.bool_)
    cast_bad: dict[str, Bools] = {}
    for error in errors:
        i = error.line - 2
        row_bad[i] = True
        cast_bad.setdefault(error.field, np.zeros(n, dtype=np.bool_))[i] = True
        spec = table.spec(error.field) or {}
        ctx.out.add(
            CATEGORIES if "categories" in spec else TYPE,
            type_message(error.value, error.expected, spec),
            resource=table.name,
            file=table.file,
            row=int(lines[i]),
            field=error.field,
            value=error.value,
        )
    row_bad |= check_constraints(ctx, batch)
    batch.bad = row_bad
    checks.batch(batch)
    for r in batch_rules:
        run_rule(ctx, r, lambda r=r: r.batch(ctx.reporter(r), batch))
    parquet.feed(batch, cast_bad)
    rows_schema.feed(batch, row_bad)
    for name, chunks in table.chunks.items():
        column = columns[name]
        if not chunks and _repetitive(column):  # decided on a table's first batch
            plan.encoded.add(name)
        if name in plan.encoded and not pa.types.is_dictionary(column.type):
            column = column.dictionary_encode()
        chunks.append(column)
    table.follow(lines)
    if row_bad.any():
        table.bad_rows.append(np.flatnonzero(row_bad) + table.rows)
    table.rows += n


def run_rule(ctx: Context, r: Rule, call: Any) -> None:
    """Run one rule function. A rule that raises is a bug of the validator, not a problem of
    the data: the run goes on without that rule, and the report ends with exit code 3."""
    if r.id in ctx.crashed:
        return
    try:
        call()
    except Exception as error:  # kept as a one-line bug report, never a traceback
        ctx.crashed.add(r.id)
        if ctx.out.bug is None:
            ctx.out.bug = bug_message(f"rule {r.id}", error)


def bug_message(where: str, error: BaseException) -> str:
    """One line: what failed inside the validator, and where to report it."""
    detail = " ".join(f"{type(error).__name__}: {error}".split())[:200]
    return (
        f"{where} failed ({detail}); this is a bug of kerman-warning, not of the data: "
        f"please report it at {BUG_REPORTS}"
    )


def run(path: str | os.PathLike[str] | None, rules: RuleSet = "all") -> Context:
    """Validate the package at `path` (None: the one shipped) and return the context."""
    from .._package import default_root

    root = default_root() if path is None else Path(path)
    label = str(root)
    if root.name == DESCRIPTOR or (root.exists() and root.is_file()):
        root = root.parent
    ctx = Context(root, label, rules)
    try:
        _run(ctx)
    except Exception as error:  # a failure of the engine itself: exit code 3, one line
        ctx.out.bug = bug_message("the validation engine", error)
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
    rules = ordered(ctx.rules)
    batch_rules = [r for r in rules if r.batch is not None]
    finals = [r for r in rules if r.final is not None]
    if ctx.rules == "all":
        project_rules.load_documents(ctx)
    plans = {name: plan(ctx, ctx.tables[name], finals) for name in ctx.order}
    fks = ForeignKeys(ctx, reread)
    for name in ctx.order:
        stream_table(ctx, ctx.tables[name], batch_rules, plans[name], fks)
        if name not in fks.complete:  # not read to its end: what waited for it is dropped
            fks.finish(ctx.tables[name], {})
    integrity(ctx)
    for r in finals:
        run_rule(ctx, r, lambda r=r: r.final(ctx.reporter(r)))
