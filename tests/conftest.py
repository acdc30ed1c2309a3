"""Shared fixtures: copies of the real package that a test may break without harm, and helpers
to edit them the way a maintainer would (a cell, the descriptor, a schema), then refresh the
derived bytes, hashes and Parquet copies so that only the intended edit is wrong."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_PARTS = ("datapackage.json", "data", "schemas")


def copy_package(target: Path) -> Path:
    """Copy the package (descriptor, data, schemas) into `target` and return it."""
    target.mkdir(parents=True, exist_ok=True)
    for part in PACKAGE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        else:
            shutil.copy2(source, target / part)
    return target


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A fresh copy of the real package in a temporary folder."""
    return copy_package(tmp_path / "package")


# --- Editing a copy --------------------------------------------------------------------------


def descriptor(root: Path) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    return value


def write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def edit_json(path: Path, change: Callable[[Any], object]) -> None:
    """Load a JSON file, let `change` edit it in place, write it back."""
    value = json.loads(path.read_text(encoding="utf-8"))
    change(value)
    write_json(path, value)


def resource(root: Path, name: str) -> dict[str, Any]:
    return next(r for r in descriptor(root)["resources"] if r["name"] == name)


def csv_path(root: Path, name: str) -> Path:
    return root / resource(root, name)["path"]


def read_rows(root: Path, name: str) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of a resource's CSV, every cell as text."""
    with csv_path(root, name).open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    return records[0], records[1:]


def serialize(records: list[list[str]]) -> list[str]:
    """Each record as the text csv.writer gives it (minimal quoting, LF line ends)."""
    out = []
    for record in records:
        buffer = io.StringIO()
        # csv quotes a field with LF but not one with a lone CR: quote that record fully
        quoting = csv.QUOTE_ALL if any("\r" in cell for cell in record) else csv.QUOTE_MINIMAL
        csv.writer(buffer, lineterminator="\n", quoting=quoting).writerow(record)
        out.append(buffer.getvalue())
    return out


def line_breaks(text: str) -> int:
    """Lines a text spans past its first: LF, CRLF and a lone CR each end one."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def write_rows(root: Path, name: str, header: list[str], rows: list[list[str]]) -> list[int]:
    """Write a CSV; return the line each data row starts on (the header is line 1)."""
    texts = serialize([header, *rows])
    csv_path(root, name).write_text("".join(texts), encoding="utf-8", newline="")
    lines, line = [], 1 + line_breaks(texts[0])
    for text in texts[1:]:
        lines.append(line)
        line += line_breaks(text)
    return lines


def set_cell(root: Path, name: str, key: str, field: str, value: str) -> int:
    """Set `field` of the row whose first cell (its id) is `key`; return that row's line."""
    header, rows = read_rows(root, name)
    index = next(i for i, row in enumerate(rows) if row[0] == key)
    rows[index][header.index(field)] = value
    return write_rows(root, name, header, rows)[index]


def get_cell(root: Path, name: str, key: str, field: str) -> str:
    header, rows = read_rows(root, name)
    return next(row for row in rows if row[0] == key)[header.index(field)]


def line_of(root: Path, name: str, key: str) -> int:
    header, rows = read_rows(root, name)
    index = next(i for i, row in enumerate(rows) if row[0] == key)
    return write_rows(root, name, header, rows)[index]


def refresh(root: Path, *, json_schemas: bool = False) -> None:
    """Recompute what `build` derives (bytes, hashes, Parquet; JSON Schemas if asked) so that a
    test's edit breaks its rule and nothing else, even when a cell no longer parses."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from kerman_warning._conventions import json_schema_path, row_json_schema
    from kerman_warning._errors import KermanWarningError
    from kerman_warning._io import json_bytes
    from kerman_warning.tableschema import arrow_schema, read_csv_text, typed_columns

    package = descriptor(root)
    stamp = f"{package.get('name')}@{package.get('version')}"
    for block in package["resources"]:
        if not isinstance(block.get("path"), str):
            continue  # inline data: nothing on disk to refresh
        path = root / block["path"]
        if not path.is_file():
            continue
        data = path.read_bytes()
        block["bytes"], block["hash"] = len(data), f"sha256:{hashlib.sha256(data).hexdigest()}"
        if block.get("type") != "table" or "parquet" not in block:
            continue
        schema = json.loads((root / block["schema"]).read_text(encoding="utf-8"))
        if json_schemas:
            (root / json_schema_path(block["name"])).write_bytes(
                json_bytes(row_json_schema(block["name"], block, schema))
            )
        names = [f["name"] for f in schema["fields"]]
        try:
            text = read_csv_text(path, names)
        except KermanWarningError:
            continue  # an unreadable CSV keeps its old Parquet copy
        columns, _ = typed_columns(text, schema)
        fields = [
            f.with_nullable(f.nullable or columns[f.name].null_count > 0)
            for f in arrow_schema(schema)
        ]
        table = pa.table([columns[f.name] for f in fields], schema=pa.schema(fields))
        keys = schema.get("primaryKey", [])
        if keys and table.num_rows:
            table = table.sort_by([(k, "ascending") for k in keys])
        target = root / block["parquet"]["path"]
        pq.write_table(
            table.replace_schema_metadata({"datapackage.package": stamp}),
            target,
            compression="zstd",
        )
        parquet = target.read_bytes()
        block["parquet"]["bytes"] = len(parquet)
        block["parquet"]["hash"] = f"sha256:{hashlib.sha256(parquet).hexdigest()}"
    (root / "datapackage.json").write_bytes(json_bytes(package))
