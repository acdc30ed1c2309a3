"""One row order everywhere: every CSV is kept in primary-key order.

The CSVs, the Parquet copies, `load()`, `export` and the data dictionary all list rows in the
order of their primary key (typed values, ascending; text by code point). Keeping the
hand-edited CSVs in that order means a diff of a CSV shows edits, not moves, and every tool
that reads the CSV directly sees the order the loader gives.

`row_order_problems` is a plain function so that the validator can call it as a rule
(`row-order`); `sorted_csv` gives the bytes a maintainer writes back to fix an order.
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import _limits
from ._io import read_bounded

if TYPE_CHECKING:
    from ._package import Package

__all__ = ["OutOfOrder", "row_order_problems", "sorted_csv"]


@dataclass(frozen=True)
class OutOfOrder:
    """A row whose primary key sorts before the key of the row above it."""

    resource: str
    file: str
    line: int  # the CSV line the row starts on (the header is line 1)
    key: tuple[Any, ...]
    previous: tuple[Any, ...]

    def message(self) -> str:
        return (
            f"{self.file}:{self.line}: key {_show(self.key)} comes after {_show(self.previous)}; "
            "keep the rows in primary-key order"
        )


def _show(key: tuple[Any, ...]) -> str:
    return ", ".join(repr(part) for part in key)


def _records(text: str) -> list[tuple[int, list[str]]]:
    """(starting line, cells) of every record, header first."""
    reader = csv.reader(io.StringIO(text, newline=""))
    out, line = [], 1
    for record in reader:
        out.append((line, record))
        line = reader.line_num + 1
    return out


def _typed(value: str, kind: str) -> Any:
    if kind == "integer":
        try:
            return int(value)
        except ValueError:
            return value
    return value


def _sort_key(header: list[str], schema: dict[str, Any]) -> Any:
    kinds = {f.get("name"): f.get("type", "string") for f in schema.get("fields", [])}
    keys = [k for k in schema.get("primaryKey", []) if k in header]
    index = [(header.index(k), kinds.get(k, "string")) for k in keys]

    def key(cells: list[str]) -> tuple[Any, ...]:
        return tuple(_typed(cells[i], kind) if i < len(cells) else "" for i, kind in index)

    return key if keys else None


def row_order_problems(package: Package) -> list[OutOfOrder]:
    """Every row, in every table, whose key sorts before the one above it."""
    problems = []
    for name in package.table_names():
        resource = package.table(name)
        relative = str(resource.get("path"))
        path = package.resolve(resource.get("path"), what=f"path of {name!r}")
        text = read_bounded(path, _limits.MAX_FILE_BYTES, "MAX_FILE_BYTES").decode("utf-8")
        records = _records(text)
        if not records:
            continue
        key = _sort_key(records[0][1], package.schema(name))
        if key is None:
            continue
        for (_, above), (line, row) in itertools.pairwise(records[1:]):
            if key(row) < key(above):
                problems.append(OutOfOrder(name, relative, line, key(row), key(above)))
    return problems


def sorted_csv(text: str, schema: dict[str, Any]) -> str:
    """The CSV `text` with its rows in primary-key order (minimal quoting, LF line ends)."""
    records = [cells for _, cells in _records(text)]
    if not records:
        return text
    key = _sort_key(records[0], schema)
    body = records[1:] if key is None else sorted(records[1:], key=key)
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows([records[0], *body])
    return out.getvalue()
