"""Table Schema (Frictionless v2) to Arrow types, typed CSV reading, and JSON Schema for rows.

The Table Schemas in `schemas/` are the single source of truth for structure: everything typed
in this package (Parquet copies, pandas dtypes, JSON Schemas, the data dictionary) is derived
here from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import DataError, PackageError, where

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "CellError",
    "arrow_schema",
    "categories",
    "json_schema",
    "one_array",
    "read_csv",
    "read_csv_text",
    "sort_by_key",
    "typed_columns",
]

# Strict spellings: ASCII digits only (Arabic-Indic digits are not numbers here), no NaN/INF.
_PATTERNS = {
    "integer": r"^-?[0-9]{1,18}$",  # 18 digits always fit in int64
    "number": r"^-?[0-9]{1,300}(\.[0-9]+)?$",  # no exponent, so never overflows to inf
    "date": r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
}
_TRUE = ("true",)
_FALSE = ("false",)
_JSON_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}


@dataclass(frozen=True)
class CellError:
    """A cell whose text does not parse as its field's type (`line` is the CSV line, 1-based)."""

    field: str
    line: int
    value: str
    expected: str


def one_array(column: Any) -> pa.Array[Any]:
    """A column (array or chunked array) as one array: a chunked array's only chunk as it is
    (`combine_chunks` copies even that one)."""
    import pyarrow as pa

    one: pa.Array[Any]
    if not isinstance(column, pa.ChunkedArray):
        one = column
    elif column.num_chunks == 1:
        one = column.chunks[0]
    else:
        one = column.combine_chunks()
    return one


def categories(field: dict[str, Any]) -> list[str] | None:
    """The values of a v2 `categories` list (plain values or `{value, label}` objects)."""
    raw = field.get("categories")
    if raw is None:
        return None
    return [str(item["value"]) if isinstance(item, dict) else str(item) for item in raw]


def missing_values(descriptor: dict[str, Any]) -> list[str] | None:
    """The `missingValues` of a schema or field (strings, or `{value, label}` objects, as v2
    allows), as strings; [""] when not given; None when malformed."""
    raw = descriptor.get("missingValues", [""])
    if not isinstance(raw, list):
        return None
    values = [item.get("value") if isinstance(item, dict) else item for item in raw]
    return (
        [v for v in values if isinstance(v, str)]
        if all(isinstance(v, str) for v in values)
        else None
    )


def apply_missing_values(text: pa.Table, table_schema: dict[str, Any]) -> pa.Table:
    """Cells that are a missing value of their field become null (a field's `missingValues`
    overrides the schema's). The empty string is always missing: the CSV reader makes it null.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    default = missing_values(table_schema) or [""]
    for field in table_schema["fields"]:
        given = missing_values(field) if "missingValues" in field else default
        markers = [v for v in (given or [""]) if v != ""]
        if not markers:
            continue  # the common case: nothing to do
        name = field["name"]
        column = text.column(name)
        hit = pc.is_in(column, value_set=pa.array(markers, pa.string()))
        cleared = pc.if_else(hit, pa.scalar(None, pa.string()), column)
        text = text.set_column(text.column_names.index(name), name, cleared)
    return text


def arrow_type(field: dict[str, Any]) -> pa.DataType:
    """The Arrow type of one Table Schema field; categories become dictionary-encoded strings."""
    import pyarrow as pa

    kind = field.get("type", "string")
    if kind == "string" and categories(field) is not None:
        ordered: Any = bool(field.get("categoriesOrdered"))
        dictionary: pa.DataType = pa.dictionary(pa.int32(), pa.string(), ordered=ordered)
        return dictionary
    types: dict[str, pa.DataType] = {
        "string": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
    }
    if kind not in types:
        raise PackageError(f"field {field.get('name')!r}: type {kind!r} is not supported")
    return types[kind]


def arrow_schema(table_schema: dict[str, Any]) -> pa.Schema:
    """The Arrow schema of a resource, with each field's description kept as field metadata."""
    import pyarrow as pa

    fields = []
    for field in table_schema["fields"]:
        required = bool(field.get("constraints", {}).get("required"))
        meta = {"description": field.get("description", "")}
        fields.append(pa.field(field["name"], arrow_type(field), not required, metadata=meta))
    return pa.schema(fields)


def read_csv_text(path: Path, names: list[str], dialect: object = None) -> pa.Table:
    """Every cell of a CSV as text (empty cell -> null), under the one policy of `_csv`."""
    from . import _csv

    return _csv.read_table(path, names, _csv.Dialect.of(dialect))


def _cast_categories(raw: pa.Array[Any], field: dict[str, Any]) -> tuple[pa.Array[Any], str]:
    import pyarrow as pa
    import pyarrow.compute as pc

    names = categories(field) or []
    values = pa.array(names, pa.string())
    indices = pc.index_in(raw, value_set=values).cast(pa.int32())
    typed = pa.DictionaryArray.from_arrays(
        indices, values, ordered=bool(field.get("categoriesOrdered"))
    )
    return typed, "one of the categories " + ", ".join(names)


def _cast_boolean(raw: pa.Array[Any], field: dict[str, Any]) -> tuple[pa.Array[Any], str]:
    import pyarrow as pa
    import pyarrow.compute as pc

    truth = pc.is_in(raw, value_set=pa.array(_TRUE))
    known = pc.or_(truth, pc.is_in(raw, value_set=pa.array(_FALSE)))
    return pc.if_else(known, truth, pa.scalar(None, pa.bool_())), "true or false"


def _cast_by_pattern(raw: pa.Array[Any], field: dict[str, Any]) -> tuple[pa.Array[Any], str]:
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = field["type"]
    ok = pc.match_substring_regex(raw, _PATTERNS[kind])
    if kind == "date":  # the pattern admits 2023-02-29; strptime rolls it over, so round-trip
        parsed = pc.strptime(raw, format="%Y-%m-%d", unit="s", error_is_null=True)
        ok = pc.and_(ok, pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), raw))
    clean = pc.if_else(ok, raw, pa.scalar(None, pa.string()))
    return clean.cast(arrow_type(field)), _EXPECTED[kind]


_EXPECTED = {
    "integer": "an integer of at most 18 ASCII digits, no sign but -",
    "number": "a decimal number like -30.28 written with ASCII digits",
    "date": "a calendar date written YYYY-MM-DD",
}


def typed_columns(
    text: pa.Table, table_schema: dict[str, Any]
) -> tuple[dict[str, pa.Array[Any]], list[CellError]]:
    """Cast each text column to its field's type; cells that do not parse become CellErrors.

    A cell is bad when it has text but its typed value is null; the typed value is then null.
    """
    import pyarrow.compute as pc

    columns: dict[str, pa.Array[Any]] = {}
    errors: list[CellError] = []
    for field in table_schema["fields"]:
        name, kind = field["name"], field.get("type", "string")
        raw = one_array(text.column(name))
        if kind == "string" and categories(field) is None:
            columns[name] = raw
            continue
        if kind == "string":
            typed, expected = _cast_categories(raw, field)
        elif kind == "boolean":
            typed, expected = _cast_boolean(raw, field)
        else:
            typed, expected = _cast_by_pattern(raw, field)
        columns[name] = typed
        bad = pc.and_(pc.is_valid(raw), pc.is_null(typed))
        rows = [row for row in pc.indices_nonzero(bad).to_pylist() if row is not None]
        errors += [CellError(name, row + 2, str(raw[row].as_py()), expected) for row in rows]
    return columns, errors


def read_csv(path: Path, table_schema: dict[str, Any]) -> pa.Table:
    """A CSV resource as a typed Arrow table, or a DataError naming the first bad cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    schema = arrow_schema(table_schema)
    text = apply_missing_values(read_csv_text(path, schema.names), table_schema)
    columns, errors = typed_columns(text, table_schema)
    if errors:
        first = errors[0]
        raise DataError(
            f"{where(path.name, first.line, first.field)}: {first.value!r} is not {first.expected}"
        )
    for field in schema:
        missing = pc.indices_nonzero(pc.is_null(columns[field.name])).to_pylist()
        if not field.nullable and missing and missing[0] is not None:
            place = where(path.name, missing[0] + 2, field.name)
            raise DataError(f"{place}: the cell is empty but the field is required")
    return pa.table([columns[name] for name in schema.names], schema=schema)


def sort_by_key(table: pa.Table, keys: list[str]) -> pa.Table:
    """Rows in primary-key order (dictionary-encoded keys sort by their text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not keys:
        return table
    columns = [table.column(key) for key in keys]
    plain = pa.table(
        [c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c for c in columns], names=keys
    )
    return table.take(pc.sort_indices(plain, sort_keys=[(key, "ascending") for key in keys]))


def json_schema(table_schema: dict[str, Any], *, name: str, title: str = "") -> dict[str, Any]:
    """JSON Schema (2020-12) of one row as a JSON object; missing values are null."""
    properties: dict[str, Any] = {}
    for field in table_schema["fields"]:
        constraints = field.get("constraints", {})
        kind = field.get("type", "string")
        prop: dict[str, Any] = {"description": field.get("description", "")}
        json_type: str = _JSON_TYPES.get(kind, "string")
        if kind == "date":
            prop["format"] = "date"
            prop["pattern"] = _PATTERNS["date"]
        values = categories(field) or constraints.get("enum")
        if values is not None:
            prop["enum"] = list(values)
        for key in ("pattern", "minLength", "maxLength", "minimum", "maximum"):
            if key in constraints:
                prop[key] = constraints[key]
        required = bool(constraints.get("required"))
        prop["type"] = json_type if required else [json_type, "null"]
        if values is not None and not required:
            prop["enum"].append(None)
        properties[field["name"]] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:kerman-warning:schemas:json:{name}",
        "title": title or f"One row of the {name} resource",
        "description": (
            f"Generated by `kerman-warning build` from schemas/{name}.schema.json; do not edit. "
            "Every field is present; a missing value is null."
        ),
        "type": "object",
        "properties": properties,
        "required": [field["name"] for field in table_schema["fields"]],
        "additionalProperties": False,
    }
