"""Typed CSV for every reader: the Table Schemas spelled in each tool's own terms.

A CSV says nothing about types, so every reader guesses: pandas reads cameo_code "046" as 46.0,
polars sorts date_precision alphabetically. These helpers give each tool the types the Table
Schema declares (text stays text, integers stay integers, dates are dates, a vocabulary is a
categorical in the schema's order). Recipes for each tool: docs/readers.md.

Nothing is imported at module level: pandas and polars are imported by the helper that needs
them, so that `import kerman_warning` stays free.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

    from ._package import PathLike

__all__ = [
    "duckdb_columns",
    "pandas_dtypes",
    "polars_schema",
    "r_script",
    "read_csv_kwargs",
    "readr_col_types",
]


def _fields(name: str, path: PathLike | None) -> list[dict[str, Any]]:
    from .load import schema

    fields: list[dict[str, Any]] = schema(name, path=path)["fields"]
    return fields


def _vocabulary(field: dict[str, Any]) -> list[str] | None:
    from .tableschema import categories

    return categories(field)


def pandas_dtypes(name: str, *, path: PathLike | None = None) -> dict[str, Any]:
    """`dtype=` for `pandas.read_csv` of table `name` (dates are in `read_csv_kwargs`):
    `string`, nullable `Int64`/`Float64`/`boolean`, and ordered or unordered categoricals."""
    import pandas as pd

    simple = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}
    dtypes: dict[str, Any] = {}
    for field in _fields(name, path):
        values = _vocabulary(field)
        if values is not None:
            ordered = bool(field.get("categoriesOrdered"))
            dtypes[field["name"]] = pd.CategoricalDtype(values, ordered=ordered)
        elif field.get("type", "string") in simple:
            dtypes[field["name"]] = simple[field.get("type", "string")]
    return dtypes


def read_csv_kwargs(name: str, *, path: PathLike | None = None) -> dict[str, Any]:
    """Every keyword `pandas.read_csv` needs to read table `name` as its Table Schema says:
    `pandas.read_csv(csv_path, **read_csv_kwargs("events"))`."""
    dates = [f["name"] for f in _fields(name, path) if f.get("type") == "date"]
    return {
        "dtype": pandas_dtypes(name, path=path),
        "parse_dates": dates,
        "date_format": "%Y-%m-%d",
        "keep_default_na": False,  # only an empty cell is missing: "NA" and "null" are text
        "na_values": [""],
        "true_values": ["true"],
        "false_values": ["false"],
        "encoding": "utf-8",
    }


def polars_schema(name: str, *, path: PathLike | None = None) -> dict[str, Any]:
    """`schema_overrides=` for `polars.read_csv` of table `name`: ordered vocabularies are
    `pl.Enum` in the schema's order, unordered ones `pl.Categorical`."""
    import polars as pl

    simple = {
        "string": pl.String(),
        "integer": pl.Int64(),
        "number": pl.Float64(),
        "boolean": pl.Boolean(),
        "date": pl.Date(),
    }
    out: dict[str, Any] = {}
    for field in _fields(name, path):
        values = _vocabulary(field)
        if values is not None:
            out[field["name"]] = (
                pl.Enum(values) if field.get("categoriesOrdered") else pl.Categorical()
            )
        else:
            out[field["name"]] = simple[field.get("type", "string")]
    return out


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def duckdb_columns(name: str, *, path: PathLike | None = None) -> dict[str, str]:
    """`columns=` for DuckDB's `read_csv` of table `name`, in schema order: every vocabulary an
    `ENUM` of its values in the schema's order (DuckDB's ENUM order is its sort order)."""
    simple = {
        "string": "VARCHAR",
        "integer": "BIGINT",
        "number": "DOUBLE",
        "boolean": "BOOLEAN",
        "date": "DATE",
    }
    out = {}
    for field in _fields(name, path):
        values = _vocabulary(field)
        if values is not None:
            out[field["name"]] = "ENUM(" + ", ".join(_sql_string(v) for v in values) + ")"
        else:
            out[field["name"]] = simple[field.get("type", "string")]
    return out


def _r_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _r_vector(values: list[str]) -> str:
    return "c(" + ", ".join(_r_string(v) for v in values) + ")"


def readr_col_types(name: str, *, path: PathLike | None = None) -> str:
    """The R expression `readr::cols(...)` for `col_types=` of `readr::read_csv`."""
    simple = {
        "string": "readr::col_character()",
        "integer": "readr::col_integer()",
        "number": "readr::col_double()",
        "boolean": "readr::col_logical()",
        "date": 'readr::col_date(format = "%Y-%m-%d")',
    }
    parts = []
    for field in _fields(name, path):
        values = _vocabulary(field)
        if values is not None:
            ordered = "TRUE" if field.get("categoriesOrdered") else "FALSE"
            kind = f"readr::col_factor(levels = {_r_vector(values)}, ordered = {ordered})"
        else:
            kind = simple[field.get("type", "string")]
        parts.append(f"  {field['name']} = {kind}")
    return "readr::cols(\n" + ",\n".join(parts) + "\n)"


def r_script(name: str, csv: str, *, path: PathLike | None = None, readr: bool = False) -> str:
    """An R script that reads `csv` (table `name`) typed into the data frame `df`: with base
    R's `read.csv` and `colClasses` (then factors with the schema's levels), or with readr."""
    fields = _fields(name, path)
    if readr:
        return (
            f'df <- readr::read_csv({_r_string(csv)}, na = "", '
            f"col_types = {readr_col_types(name, path=path)})\n"
        )
    classes = {
        "string": "character",
        "integer": "integer",
        "number": "numeric",
        "boolean": "logical",
        "date": "Date",
    }
    column_classes = ", ".join(
        f"{f['name']} = {_r_string(classes[f.get('type', 'string')])}" for f in fields
    )
    lines = [
        f'df <- read.csv({_r_string(csv)}, encoding = "UTF-8", fileEncoding = "UTF-8", '
        f'na.strings = "", check.names = FALSE, colClasses = c({column_classes}))'
    ]
    for field in fields:
        values = _vocabulary(field)
        if values is not None:
            ordered = "TRUE" if field.get("categoriesOrdered") else "FALSE"
            lines.append(
                f"df${field['name']} <- factor(df${field['name']}, "
                f"levels = {_r_vector(values)}, ordered = {ordered})"
            )
    return "\n".join(lines) + "\n"
