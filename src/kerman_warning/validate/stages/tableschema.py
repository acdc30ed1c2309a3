"""Stage 3, the Table Schema, column-wise: types, constraints, categories, keys and foreign keys
on each batch or on a table's kept key columns. The engine streams; this module judges."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..api import Batch, Context, Table, keys, plain, selected
from ..spec import Rule, declare
from .schemas import bound

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Bools = npt.NDArray[np.bool_]
    Ints = npt.NDArray[np.int64]

__all__ = ["check_constraints", "check_foreign_key", "check_keys", "duplicates", "type_message"]

CSV_READABLE = declare(
    "csv-readable",
    "error",
    "table",
    "Each CSV is UTF-8 without a byte order mark, has a header row, balanced quotes, no blank "
    "lines and as many cells in every row as in the header.",
    scope="datapackage",
)

HEADER_MATCHES = declare(
    "header-matches",
    "error",
    "table",
    "The header row names exactly the schema's fields, in the schema's order.",
    scope="datapackage",
)

HAS_ROWS = declare(
    "has-rows", "error", "table", "Every table has at least one data row.", scope="project"
)

TYPE = declare(
    "type",
    "error",
    "table",
    "Every cell parses as its field's type: integers and numbers in ASCII digits (no NaN or "
    "infinity), dates as YYYY-MM-DD, booleans as true/false.",
    scope="datapackage",
)

REQUIRED = declare(
    "required", "error", "table", "A required field has a value in every row.", scope="datapackage"
)

UNIQUE = declare(
    "unique", "error", "table", "A field marked unique holds no value twice.", scope="datapackage"
)

CATEGORIES = declare(
    "categories",
    "error",
    "table",
    "A field with v2 `categories` holds only values from its list.",
    scope="datapackage",
)

ENUM = declare(
    "enum",
    "error",
    "table",
    "A field with an `enum` constraint holds only listed values.",
    scope="datapackage",
)

MINIMUM = declare(
    "minimum",
    "error",
    "table",
    "Values respect `minimum` and `exclusiveMinimum`.",
    scope="datapackage",
)

MAXIMUM = declare(
    "maximum",
    "error",
    "table",
    "Values respect `maximum` and `exclusiveMaximum`.",
    scope="datapackage",
)

LENGTH = declare(
    "length",
    "error",
    "table",
    "Text respects `minLength` and `maxLength` (code points).",
    scope="datapackage",
)

PATTERN = declare(
    "pattern",
    "error",
    "table",
    "Text matches the field's `pattern` as a whole (the pattern is implicitly anchored).",
    scope="datapackage",
)

PRIMARY_KEY = declare(
    "primary-key",
    "error",
    "table",
    "The `primaryKey` fields have a value in every row and identify it: no two rows share them.",
    scope="datapackage",
)

UNIQUE_KEYS = declare(
    "unique-keys",
    "error",
    "table",
    "No two rows share the values of a v2 `uniqueKeys` entry (rows with an empty key cell are "
    "exempt, as in SQL).",
    scope="datapackage",
)

FOREIGN_KEY = declare(
    "foreign-key",
    "error",
    "table",
    "Every `foreignKeys` value names an existing row of the referenced table.",
    scope="datapackage",
)


def type_message(value: str, expected: str, spec: dict[str, Any]) -> str:
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


def check_constraints(ctx: Context, batch: Batch) -> Bools:
    """required, enum, minimum/maximum, length and pattern, column by column; bad rows."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    table = batch.table
    bad = np.zeros(len(batch), dtype=np.bool_)
    pk = set(keys(table.schema.get("primaryKey")) or [])

    def flag(rule: Rule, field: str, mask: Any, message: Callable[..., str]) -> None:
        indices = selected(mask)
        if len(indices) == 0:
            return
        bad[indices] = True
        check = ctx.reporter(rule)
        check.flag(batch, field, indices, message, value=lambda i: batch.text[field][i].as_py())

    for spec in table.fields:
        name = spec["name"]
        constraints = spec.get("constraints", {})
        raw, typed = batch.text[name], batch.columns[name]
        if (constraints.get("required") or name in pk) and raw.null_count:
            rule = REQUIRED if constraints.get("required") else PRIMARY_KEY
            flag(
                rule,
                name,
                pc.is_null(raw),
                lambda i, r=rule: (
                    "is empty; "
                    + ("the field is required" if r is REQUIRED else "a primary key needs a value")
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
                    ENUM,
                    name,
                    pc.and_(pc.is_valid(typed), pc.invert(pc.is_in(typed, value_set=allowed))),
                    lambda i, listed=listed: f"is not one of the enum values; expected {listed}",
                )
        for key, rule, op, words in (
            ("minimum", MINIMUM, pc.less, "below the minimum"),
            ("exclusiveMinimum", MINIMUM, pc.less_equal, "not above the exclusive minimum"),
            ("maximum", MAXIMUM, pc.greater, "above the maximum"),
            ("exclusiveMaximum", MAXIMUM, pc.greater_equal, "not below the exclusive maximum"),
        ):
            if key in constraints and (limit_value := bound(spec, constraints[key])) is not None:
                limit = constraints[key]
                flag(
                    rule,
                    name,
                    op(typed, limit_value),
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
                        LENGTH,
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
                    PATTERN,
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
        encoded = plain(column).dictionary_encode()  # codes in order of first appearance
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


def check_keys(ctx: Context, table: Table) -> None:
    """primaryKey, unique fields and uniqueKeys on the whole table, each key set once."""
    done: set[tuple[str, ...]] = set()
    pk = keys(table.schema.get("primaryKey"))
    sets: list[tuple[Rule, list[str]]] = []
    if pk:
        sets.append((PRIMARY_KEY, pk))
    for spec in table.fields:
        if spec.get("constraints", {}).get("unique"):
            sets.append((UNIQUE, [spec["name"]]))
    for key in table.schema.get("uniqueKeys", []) or []:
        if keys(key):
            sets.append((UNIQUE_KEYS, keys(key) or []))
    if table.rows == 0:
        return
    what = {PRIMARY_KEY.id: "primary key", UNIQUE.id: "unique field", UNIQUE_KEYS.id: "unique key"}
    for rule, fields in sets:
        if tuple(fields) in done or not table.has(*fields):
            continue
        done.add(tuple(fields))
        found = duplicates([table.columns[f] for f in fields])
        if found is None:
            continue
        repeat, first = found
        label = ", ".join(fields)
        ctx.reporter(rule).flag(
            table,
            fields[-1] if len(fields) > 1 else fields[0],
            repeat,
            lambda i, first=first, w=what[rule.id], label=label: (
                f"repeats the {w} ({label}) of line {table.line(int(first[i]))}; "
                "expected each value once"
            ),
            value=lambda i, fields=fields: " / ".join(str(table.value(f, i)) for f in fields),
        )


def check_foreign_key(ctx: Context, table: Table, fk: tuple[list[str], str, list[str]]) -> None:
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
    check = ctx.reporter(FOREIGN_KEY)
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
