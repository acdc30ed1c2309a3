"""Write one resource for users of other tools: CSV, Parquet or JSON (rows as JSON Schema says)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from ._errors import PackageError
from ._io import write_atomic
from ._package import PathLike, default_root, open_package
from .load import load


def export(name: str, *, output: str, format: str, path: PathLike | None = None) -> None:
    """Write resource `name` to `output` (`-` is stdout for csv and json) in `format`."""
    package = open_package(default_root() if path is None else path)
    if format == "parquet":
        if output == "-":
            raise PackageError("Parquet is binary: give --output a file name, not -")
        write_atomic(Path(output), package.parquet_path(name).read_bytes())
        return
    if format not in ("csv", "json"):
        raise PackageError(f"format must be csv, parquet or json, not {format!r}")
    table = load(name, path=package.root)
    if format == "json":
        rows = table.to_pylist()
        text = json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n"
        data = text.encode("utf-8")
    else:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        plain = pa.table(
            [
                c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c
                for c in table.columns
            ],
            names=table.column_names,
        )
        sink = io.BytesIO()
        pacsv.write_csv(plain, sink, pacsv.WriteOptions(quoting_style="needed"))
        data = sink.getvalue()
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_atomic(Path(output), data)
