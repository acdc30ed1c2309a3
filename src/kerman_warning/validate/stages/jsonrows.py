"""Stage 5, rows against their JSON Schema (schemas/json/<name>.json, where present): the first
JSON_HEAD rows of each table and about JSON_SAMPLE more spread over the rest."""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..._conventions import json_schema_path, row_json_schema
from ..._csv import raw_bytes
from ..._limits import MAX_JSON_BYTES
from ..._package import parse_json, read_contained
from ..api import Batch, Context, Table, plain
from ..patterns import PATTERN_LINEAR, re2_prime, refused_patterns, row_validator
from ..spec import declare

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Bools = npt.NDArray[np.bool_]

__all__ = ["ROW_JSON_SCHEMA", "RowSchema"]

JSON_HEAD = 100  # rows validated against the JSON Schema: the first JSON_HEAD ...
JSON_SAMPLE = 100  # ... then about JSON_SAMPLE more, evenly spread over the rest
# Verdicts remembered per process, by schema and row: validating one row against one schema
# always gives the same errors, and a program that validates the same package again (a test
# suite, a notebook, `release`) has the same rows. Each entry is a digest and a few short
# strings, so the memo stays well under 2 MiB; the oldest verdict goes first.
MEMO_ROWS = 8192

Verdict = tuple[tuple[str, "str | None"], ...]  # (message, field) of every error
_memo: dict[bytes, Verdict] = {}
_memo_lock = threading.Lock()

ROW_JSON_SCHEMA = declare(
    "row-json-schema",
    "error",
    "json-schema",
    "Rows, as JSON objects, validate against schemas/json/<resource>.json (the first 100 rows "
    "and about 100 more spread over the rest; `json-schema-in-sync` proves the rest).",
    scope="datapackage",
)


@lru_cache(maxsize=64)
def _parsed(data: bytes) -> dict[str, Any]:
    """A row JSON Schema, parsed once per process."""
    schema: dict[str, Any] = parse_json(data)
    return schema


@lru_cache(maxsize=64)
def _check(data: bytes) -> None:
    """A row JSON Schema checked against the 2020-12 metaschema once per process."""
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(_parsed(data))


def _derived(table: Table) -> dict[str, Any] | None:
    """The row JSON Schema `build` writes for the table (None if its Table Schema has none)."""
    try:
        return row_json_schema(table.name, table.resource, table.schema)
    except Exception:  # a broken Table Schema: stage 1 reports it
        return None


def _checked(data: bytes, table: Table) -> dict[str, Any]:
    """A row JSON Schema, parsed; checked against the metaschema unless it is exactly the one
    `build` derives from the Table Schema (tests/test_tableschema.py checks those), since the
    metaschema's dynamic references make that check the slowest step of a small package."""
    schema = _parsed(data)
    if schema != _derived(table):
        _check(data)
    return schema


class RowSchema:
    """Validate rows, as JSON objects, against schemas/json/<name>.json: a bounded sample."""

    def __init__(self, ctx: Context, table: Table) -> None:
        self.ctx, self.table = ctx, table
        self.validator: Any = None
        self.stride = 0  # known once the first batch tells how long a row is
        relative = json_schema_path(table.name)
        try:
            data = read_contained(ctx.root, relative, MAX_JSON_BYTES, "MAX_JSON_BYTES")
            schema = _checked(data, table)
        except Exception:  # missing, a FIFO, a link out, too large, broken: see json-schema-in-sync
            return
        self.schema_digest = hashlib.sha256(data).digest()
        for pointer, pattern, reason in refused_patterns(schema):
            ctx.out.add(
                PATTERN_LINEAR,
                f"RE2 refuses the pattern ({reason}); expected a pattern that matches in "
                "linear time (no backreference or lookaround)",
                resource=table.name,
                file=relative,
                field=pointer,
                value=pattern,
            )
        self.validator = row_validator(schema)
        self.schema = schema

    def feed(self, batch: Batch, row_bad: Bools) -> None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.validator is None:
            return
        if not self.stride:  # rows in the file, estimated from the first batch's bytes per row
            size = sum(len(raw_bytes(c)) + 1 for c in batch.text.values()) / max(len(batch), 1)
            estimate = self.table.path.stat().st_size / max(size, 1.0)
            self.stride = max(1, int(estimate // JSON_SAMPLE))
        index = np.arange(batch.offset, batch.offset + len(batch))
        pick = ((index < JSON_HEAD) | (index % self.stride == 0)) & ~row_bad
        rows = np.flatnonzero(pick)
        if len(rows) == 0:
            return
        arrays = {}
        for name, column in batch.columns.items():
            column = plain(column.take(rows))  # only the sampled rows
            if pa.types.is_date(column.type):
                column = pc.strftime(column, format="%Y-%m-%d")
            arrays[name] = column
        records = pa.table(arrays).to_pylist()
        verdicts = self.verdicts(records)
        check = self.ctx.reporter(ROW_JSON_SCHEMA)
        for i, record, verdict in zip(rows.tolist(), records, verdicts, strict=True):
            for message, field in verdict:
                check.problem(
                    f"{message}; expected the row to satisfy {json_schema_path(self.table.name)}",
                    resource=self.table.name,
                    file=self.table.file,
                    row=batch.line(i),
                    field=field,
                    value=record.get(field) if field else None,
                )

    def verdicts(self, records: list[dict[str, Any]]) -> list[Verdict]:
        """The (message, field) of every error of each record, remembered by schema and row;
        the rows not remembered are validated, their patterns matched first in bulk."""
        # repr tells apart what the validator tells apart ("1" from 1, 1 from 1.0 and True).
        keys = [hashlib.sha256(self.schema_digest + repr(r).encode()).digest() for r in records]
        with _memo_lock:
            known = [_memo.get(key) for key in keys]
        new = [r for r, found in zip(records, known, strict=True) if found is None]
        re2_prime(self.schema, new)  # one RE2 call per pattern, not one per cell
        out: list[Verdict] = []
        for record, key, found in zip(records, keys, known, strict=True):
            if found is None:
                found = tuple(
                    (error.message, str(error.absolute_path[0]) if error.absolute_path else None)
                    for error in self.validator.iter_errors(record)
                )
                with _memo_lock:
                    if len(_memo) >= MEMO_ROWS:
                        del _memo[next(iter(_memo))]
                    _memo[key] = found
            out.append(found)
        return out
