"""The catalogue of tables (`kerman_warning.tables()`) and reading a Parquet copy safely.

A Parquet copy is read only after three checks, each a `PackageError` naming the file: the CSV
it was built from still has the `bytes` and `hash` the descriptor records (else the CSV was
edited after the last build), the copy itself has its recorded `bytes` and `hash`, and the copy
is a regular file within `MAX_PARQUET_BYTES`. The copy is hashed from the bytes then handed to
pyarrow, so it is read once.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _limits
from ._errors import PackageError
from ._io import read_bounded, sha256
from .tableschema import categories

if TYPE_CHECKING:
    import pyarrow as pa

    from ._package import Package

__all__ = [
    "Column",
    "Table",
    "catalogue",
    "check_columns",
    "parquet_bytes",
    "read_parquet",
    "source_bytes",
]

BUILD_HINT = "run `kerman-warning build`"


@dataclass(frozen=True)
class Column:
    """One column: its name, Table Schema type, description, and vocabulary if it has one."""

    name: str
    type: str
    description: str
    categories: tuple[str, ...] | None = None
    ordered: bool = False


@dataclass(frozen=True)
class Table:
    """One table of the package, as `kerman_warning.tables()` lists it."""

    name: str
    title: str
    description: str
    rows: int
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    path: str


def suggestion(word: str, choices: Sequence[str]) -> str:
    """ "; did you mean 'x'?" for the closest choice, or "" if none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_columns(
    name: str, table_schema: dict[str, Any], columns: Sequence[str] | None
) -> list[str] | None:
    """The column names asked for, each checked against the schema (None: every column)."""
    if columns is None:
        return None
    if isinstance(columns, str):
        raise PackageError(f"columns must be a list of names, e.g. [{columns!r}], not a string")
    known = [str(field.get("name")) for field in table_schema.get("fields", [])]
    for column in columns:
        if column not in known:
            raise PackageError(
                f"table {name!r} has no column {column!r}{suggestion(str(column), known)}"
            )
    return list(columns)


def _verified(block: dict[str, Any], path: Path, what: str) -> bytes:
    """The bytes of `path`, refused unless they match the `bytes`/`hash` in `block`."""
    if what == "Parquet copy":
        data = read_bounded(path, _limits.MAX_PARQUET_BYTES, "MAX_PARQUET_BYTES")
    else:
        data = read_bounded(path, _limits.MAX_FILE_BYTES, "MAX_FILE_BYTES")
    recorded = block.get("hash")
    if not isinstance(recorded, str):
        raise PackageError(f"{path}: the descriptor records no hash for this {what}; {BUILD_HINT}")
    algorithm, _, digest = recorded.rpartition(":")
    if algorithm not in ("", "sha256"):
        raise PackageError(f"{path}: hash {recorded!r} is not sha256; {BUILD_HINT}")
    if block.get("bytes") != len(data) or sha256(data) != digest:
        if what == "source file":
            raise PackageError(
                f"{path}: changed after the last build (it no longer matches its hash in "
                f"datapackage.json); {BUILD_HINT}"
            )
        raise PackageError(
            f"{path}: this {what} does not match its hash in datapackage.json; {BUILD_HINT}"
        )
    return data


def source_bytes(package: Package, name: str) -> bytes:
    """The file of resource `name` (a CSV, the text), refused if it changed since the build."""
    resource = package.resource(name)
    source = package.resolve(resource.get("path"), what=f"path of {name!r}")
    return _verified(resource, source, "source file")


def parquet_bytes(package: Package, name: str) -> bytes:
    """The Parquet copy of `name`, checked fresh against its CSV and its own hash."""
    block = package.table(name).get("parquet")
    source_bytes(package, name)
    target = package.parquet_path(name)
    return _verified(block if isinstance(block, dict) else {}, target, "Parquet copy")


def read_parquet(package: Package, name: str, columns: list[str] | None) -> pa.Table:
    """The Parquet copy of `name` as a table (only `columns`, if given)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = parquet_bytes(package, name)
    # The bytes are copied into memory Arrow owns. Arrow wrapping the Python `bytes` itself
    # (pa.BufferReader(data)) lets one of its worker threads drop the last reference after
    # `read` returned; at interpreter exit that thread then needs the GIL, Python ends it
    # with pthread_exit, and C++ aborts ("terminate called without an active exception",
    # exit 134, about one run in 40 of `kerman-warning info events`).
    owned = pa.allocate_buffer(len(data))
    memoryview(owned).cast("B")[:] = data
    try:
        return pq.ParquetFile(pa.BufferReader(owned)).read(columns=columns)
    except (pa.ArrowException, OSError) as error:
        detail = " ".join(str(error).split())[:200]
        raise PackageError(
            f"{package.parquet_path(name)}: not a readable Parquet file ({detail})"
        ) from None


def catalogue(package: Package) -> list[Table]:
    """Every table of `package`: name, title, description, row count, typed columns."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = []
    for name in package.table_names():
        resource = package.table(name)
        table_schema = package.schema(name)
        try:
            rows = pq.ParquetFile(pa.BufferReader(parquet_bytes(package, name))).metadata.num_rows
        except (pa.ArrowException, OSError):
            raise PackageError(
                f"{package.parquet_path(name)}: not a readable Parquet file"
            ) from None
        columns = tuple(
            Column(
                name=str(field.get("name")),
                type=str(field.get("type", "string")),
                description=" ".join(str(field.get("description", "")).split()),
                categories=None if categories(field) is None else tuple(categories(field) or ()),
                ordered=bool(field.get("categoriesOrdered")),
            )
            for field in table_schema.get("fields", [])
        )
        out.append(
            Table(
                name=name,
                title=str(resource.get("title", name)),
                description=" ".join(str(resource.get("description", "")).split()),
                rows=rows,
                columns=columns,
                primary_key=tuple(table_schema.get("primaryKey", [])),
                path=str(resource.get("path")),
            )
        )
    return out
