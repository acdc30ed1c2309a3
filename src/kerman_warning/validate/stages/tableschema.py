"""Stage 3, the Table Schema, column-wise: types, constraints and categories on each batch (keys
and foreign keys: `stages.keys`). The engine streams; this module judges."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..api import Batch, Context, keys, selected
from ..spec import Rule, declare
from .schemas import bound

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Bools = npt.NDArray[np.bool_]
    Ints = npt.NDArray[np.int64]

__all__ = ["check_constraints", "type_message"]

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
