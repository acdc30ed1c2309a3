"""Where this package keeps its derived files, and what they hold: one place for build and validate.

Nothing here reads or writes a file; `build` writes what these functions name and describe, and
`validate` checks that what it finds is exactly that.
"""

from __future__ import annotations

from typing import Any

from .tableschema import json_schema

__all__ = ["json_schema_path", "parquet_path", "row_json_schema"]


def parquet_path(name: str) -> str:
    """The Parquet copy of table `name`, relative to the package folder."""
    return f"data/parquet/{name}.parquet"


def json_schema_path(name: str) -> str:
    """The JSON Schema of one row of table `name`, relative to the package folder."""
    return f"schemas/json/{name}.json"


def row_json_schema(name: str, resource: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one row of `name`, as written to schemas/json/<name>.json."""
    return json_schema(schema, name=name, title=f"One row of {name}: {resource.get('title', name)}")
