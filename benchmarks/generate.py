"""Scale the real package to N rows per table, keeping every id, key and span consistent.

    python benchmarks/generate.py 1000000 /tmp/kw-bench/1000000

Row i of a table is a copy of real row i mod k (k real rows), so every evidence span still
points at the same text and every value keeps its meaning. Ids become `<prefix>-<i, 8 digits>`
(valid, unique, and in primary-key order, so the CSVs are sorted as `build` sorts the Parquet
copies). A foreign key of copy c points at copy c of the row it pointed at (modulo the copies
the target has); a foreign key inside a `uniqueKeys` entry points at row c of the target
instead, so that the unique key stays unique. `documents` keeps its real rows: every span
points into their texts. The result is built with `kerman-warning build` (Parquet copies,
JSON Schemas, sizes and hashes), so that it is a valid package; validating it must give no
problem. Column-wise with pyarrow: a million rows per table takes about a minute, mostly the
Parquet writer.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from kerman_warning._package import default_root, open_package
from kerman_warning.build import build
from kerman_warning.tableschema import read_csv_text

KEEP = ("documents",)  # tables kept at their real size


def _ids(prefix: str, index: pa.Array) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(index, pa.string()), width=8, padding="0")
    return pc.binary_join_element_wise(pa.scalar(prefix), digits, "-")


def _prefix(values: list[str | None]) -> str:
    first = next(v for v in values if v)
    return first.split("-", 1)[0]


def scale(source: Path, target: Path, rows: int) -> dict[str, int]:
    """Write the scaled package into `target` (replaced if it exists); return rows per table."""
    package = open_package(source)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy2(source / "datapackage.json", target / "datapackage.json")
    for part in ("schemas",):
        shutil.copytree(source / part, target / part)
    (target / "data").mkdir()
    for resource in package.resources:
        if resource.get("type") != "table":
            shutil.copy2(source / resource["path"], target / resource["path"])

    names = package.table_names()
    schemas = {name: package.schema(name) for name in names}
    real = {
        name: read_csv_text(
            source / package.table(name)["path"], [f["name"] for f in schemas[name]["fields"]]
        )
        for name in names
    }
    size = {name: real[name].num_rows if name in KEEP else rows for name in names}
    pk = {name: schemas[name]["primaryKey"][0] for name in names}
    prefix = {name: _prefix(real[name].column(pk[name]).to_pylist()) for name in names}
    position = {  # real id -> its row in the real table
        name: {v: i for i, v in enumerate(real[name].column(pk[name]).to_pylist())}
        for name in names
    }

    for name in names:
        table, k, n = real[name], real[name].num_rows, size[name]
        index = pa.array(range(n), pa.int64())
        copy = pc.divide(index, k)  # kept tables: n == k, a single copy 0
        template = pc.subtract(index, pc.multiply(copy, k))
        columns: dict[str, Any] = {f: table.column(f).take(template) for f in table.column_names}
        if name not in KEEP:
            columns[pk[name]] = _ids(prefix[name], index)
        unique = {f for key in schemas[name].get("uniqueKeys", []) for f in key}
        for fk in schemas[name].get("foreignKeys", []):
            (field,) = fk["fields"]
            ref = fk["reference"].get("resource") or name
            if ref in KEEP:
                continue
            old = columns[field]
            real_row = pa.array(
                [position[ref].get(v) for v in table.column(field).to_pylist()], pa.int64()
            ).take(template)
            if field in unique:
                target_row = pc.if_else(pc.is_valid(old), copy, pa.scalar(None, pa.int64()))
            else:
                copies = max(size[ref] // real[ref].num_rows, 1)
                target_row = pc.add(
                    pc.multiply(
                        pc.subtract(copy, pc.multiply(pc.divide(copy, copies), copies)),
                        real[ref].num_rows,
                    ),
                    real_row,
                )
            columns[field] = _ids(prefix[ref], target_row)
        out = pa.table([columns[f] for f in table.column_names], names=table.column_names)
        pacsv.write_csv(
            out,
            target / package.table(name)["path"],
            pacsv.WriteOptions(quoting_style="needed", batch_size=65536),
        )
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int, help="rows per table, e.g. 1000000")
    parser.add_argument("target", type=Path, help="folder to write (replaced)")
    parser.add_argument("--source", type=Path, default=default_root(), help="the real package")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    size = scale(args.source, args.target, args.rows)
    result = build(args.target)
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": size, "built": len(result.changed), "seconds": round(seconds, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
