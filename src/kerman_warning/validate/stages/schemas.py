"""Stage 1, Table Schemas: read each one, check it against the profiles, and decide whether its
table can be checked (types, constraints, keys this validator understands)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..._limits import MAX_JSON_BYTES
from ..._package import DESCRIPTOR, JsonError, parse_json
from ...tableschema import categories, missing_values
from ..api import Context, Table, Where, foreign_keys, keys
from ..patterns import re2_problem
from .descriptor import DESCRIPTOR_PROFILE, profile_errors, read_checked, safe_path

__all__ = ["SUPPORTED_TYPES", "bound", "check_key_fields", "load_schema"]

SUPPORTED_TYPES = ("string", "integer", "number", "boolean", "date")
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


def load_schema(ctx: Context, resource: dict[str, Any]) -> dict[str, Any] | None:
    name = resource["name"]
    raw = resource.get("schema")
    if isinstance(raw, dict):
        schema, file = raw, DESCRIPTOR
    elif raw is None:
        ctx.out.add(
            DESCRIPTOR_PROFILE,
            "a table resource has no `schema`; expected a Table Schema",
            file=DESCRIPTOR,
            resource=name,
            field="schema",
        )
        return None
    else:
        if not isinstance(raw, str):
            safe_path(ctx, raw, resource=name, what="schema")  # says why not
            return None
        limit = (MAX_JSON_BYTES, "MAX_JSON_BYTES")
        data = read_checked(ctx, raw, limit, resource=name, what="schema")
        if data is None:
            return None
        file = raw
        try:
            schema = parse_json(data)
        except JsonError as error:
            ctx.out.add(
                DESCRIPTOR_PROFILE,
                f"the Table Schema {error.reason}; expected a JSON object",
                file=file,
                resource=name,
                row=error.line,
                field="schema",
            )
            return None
        if profile_errors(ctx, schema, "schema", file, resource=name):
            return None
    return schema if _usable_schema(ctx, name, schema, file) else None


def _usable_schema(ctx: Context, name: str, schema: dict[str, Any], file: str) -> bool:
    """Semantic checks of one Table Schema; False if its table cannot be checked."""
    ok = True

    def bad(message: str, field: str | None, value: object = None) -> None:
        nonlocal ok
        ok = False
        ctx.out.add(DESCRIPTOR_PROFILE, message, resource=name, file=file, field=field, value=value)

    fields = schema.get("fields")
    if not isinstance(fields, list) or not all(
        isinstance(f, dict) and isinstance(f.get("name"), str) for f in fields
    ):
        bad("`fields` is not a list of named fields", "fields")
        return False
    names = [f["name"] for f in fields]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        bad("two fields have this name; expected unique field names", duplicate, duplicate)
    for f in [schema, *fields]:
        if missing_values(f) is None:
            where = f.get("name") if f is not schema else None
            bad("missingValues is not a list of strings or {value, label} objects", where)
    if schema.get("fieldsMatch", "exact") != "exact":
        bad("only fieldsMatch 'exact' is checked", None, schema.get("fieldsMatch"))
    for f in fields:
        kind = f.get("type", "string")
        if kind not in SUPPORTED_TYPES:
            bad(
                f"type {kind!r} is not supported; expected one of {', '.join(SUPPORTED_TYPES)}",
                f["name"],
                kind,
            )
            continue
        values = categories(f) if "categories" in f else None
        if values is not None:
            if kind != "string":  # integer categories: not yet (a clear problem, not a guess)
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
        if isinstance(pattern, str) and (reason := re2_problem(f"^(?:{pattern})$")) is not None:
            bad(f"the pattern does not compile ({reason})", f["name"], pattern)
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if key in constraints and bound(f, constraints[key]) is None:
                bad(f"{key} {constraints[key]!r} is not a {kind} value", f["name"])
    return ok


def bound(field: dict[str, Any], value: object) -> Any:
    """A minimum/maximum as an Arrow scalar of the field's type, or None if it is not one."""
    try:
        return _bound(field.get("type", "string"), value)
    except TypeError:  # unhashable (a list, an object): not a bound of any type
        return None


@lru_cache(maxsize=256, typed=True)  # typed: True, 1 and 1.0 are different bounds
def _bound(kind: str, value: object) -> Any:
    import datetime

    import pyarrow as pa

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


def check_key_fields(ctx: Context, table: Table) -> None:
    """Keys name existing fields; foreign keys name existing tables; else the table is dropped."""
    names = set(table.names)
    file = table.resource.get("schema") if isinstance(table.resource.get("schema"), str) else None
    where: Where = {"resource": table.name, "file": file or DESCRIPTOR}
    problems = []
    pk = table.schema.get("primaryKey")
    if pk is not None and (keys(pk) is None or not set(keys(pk) or []) <= names):
        problems.append(("primaryKey", f"primaryKey {pk!r} names a field that does not exist"))
    for key in table.schema.get("uniqueKeys", []) or []:
        if keys(key) is None or not set(keys(key) or []) <= names:
            problems.append(("uniqueKeys", f"uniqueKey {key!r} names a field that does not exist"))
    for fk in table.schema.get("foreignKeys", []) or []:
        fields = keys(fk.get("fields")) if isinstance(fk, dict) else None
        # Official profile defect 3: its minItems/uniqueItems for a foreign key's `fields`
        # sit inside `items`, so [] and ["a", "a"] pass the profile; refuse them here.
        if (
            isinstance(fk, dict)
            and isinstance(fk.get("fields"), list)
            and (not fields or len(set(fields)) != len(fields))
        ):
            problems.append(
                ("foreignKeys", f"foreign key fields {fk['fields']!r} are empty or repeat a field")
            )
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
        ctx.out.add(DESCRIPTOR_PROFILE, message + "; expected existing fields", field=key, **where)
    if problems:
        del ctx.tables[table.name]
