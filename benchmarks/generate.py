"""Scale the real package to N rows per table, keeping every id, key and span consistent.

    python benchmarks/generate.py 1000000 /tmp/kw-bench/1000000

Row i of a table is a copy of real row i mod k (k real rows), so every evidence span still
points at the same text and every value keeps its meaning. Ids become `<prefix>-<i, 8 digits>`
(valid, unique, and in primary-key order, so the CSVs are sorted as `build` sorts the Parquet
copies). A foreign key of copy c points at copy c of the row it pointed at (modulo the copies
the target has); a foreign key inside a `uniqueKeys` entry points at row c of the target
instead when the target has more real rows than the table, so that the unique key stays
unique (with fewer, the usual mapping is one-to-one already). `documents` keeps its real
rows: every span points into their texts. What `kerman-warning build` derives from the
tables (Parquet copies, row JSON Schemas, sizes and hashes, croissant.json) is then rebuilt
one table at a time (`rebuild`; `build` itself holds every table at once). Validating the
result gives no problem. One exception to "N rows per table": a table whose rows must cover
every row of another (`COVERS`: every event has its factuality rows) is scaled by whole copies
of the covered table, so that copy c of `factuality` covers copy c of `events` and nests its
perspectives within copy c (at 10^6, `events` has 999,984 rows and `factuality` 1,874,970).
Column-wise with pyarrow: a million rows per table takes about a minute, mostly the Parquet
writer.

    python benchmarks/generate.py 10000000 /tmp/kw-bench/events-1e7 --only events \
        --base /tmp/kw-bench/1000000

With --only and --base, the other tables are hard links to an already scaled package (no byte
of them is written again) and only the named tables are written at the new size; then only
what derives from them is rebuilt (`rebuild`: their Parquet copies and row JSON Schemas, the
descriptor's sizes and hashes, croissant.json), never the whole package. Scaled tables can
be larger than what `build` reads whole (`_limits.MAX_CSV_BYTES`, 1 GiB: `events` at 10^7 rows
is 3.3 GB), a limit that guards a person's machine against a hostile package:
`lift_limits()` lifts it in this generating process only (`validate` streams CSVs and needs no
lifting).
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

from kerman_warning import _limits

UNBOUNDED = 1 << 42


def lift_limits() -> None:
    """Lift the file-size limits in this process (before the modules that bind them load)."""
    for name in ("MAX_CSV_BYTES", "MAX_PARQUET_BYTES", "MAX_FILE_BYTES"):
        setattr(_limits, name, UNBOUNDED)


lift_limits()

from kerman_warning._package import default_root, open_package  # noqa: E402
from kerman_warning.tableschema import read_csv_text  # noqa: E402

KEEP = ("documents",)  # tables kept at their real size
# A table whose rows must cover every row of another (event-has-factuality): both are scaled
# by the same number of whole copies of the covered table.
COVERS = {"factuality": "events"}


def _ids(prefix: str, index: pa.Array) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(index, pa.string()), width=8, padding="0")
    return pc.binary_join_element_wise(pa.scalar(prefix), digits, "-")


def _wide(field: pa.Field) -> pa.Field:
    return field.with_type(pa.large_string()) if pa.types.is_string(field.type) else field


def _prefix(values: list[str | None]) -> str:
    first = next(v for v in values if v)
    return first.split("-", 1)[0]


def link_tree(base: Path, target: Path) -> None:
    """`target` made of hard links to every file of `base` (no data copied)."""
    if target.exists():
        shutil.rmtree(target)
    for path in base.rglob("*"):
        there = target / path.relative_to(base)
        if path.is_dir():
            there.mkdir(parents=True, exist_ok=True)
        else:
            there.parent.mkdir(parents=True, exist_ok=True)
            there.hardlink_to(path)


def scale(
    source: Path,
    target: Path,
    rows: int,
    *,
    only: set[str] | None = None,
    base: Path | None = None,
    base_rows: int | None = None,
) -> dict[str, int]:
    """Write the scaled package into `target` (replaced if it exists); return rows per table.
    With `only`, `target` starts as hard links to `base` (scaled to `base_rows`) and only the
    tables in `only` are written, at `rows` rows."""
    package = open_package(source)
    if only is not None and base is not None:
        link_tree(base, target)
    elif only is None or not (target / "datapackage.json").is_file():
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
    other = rows if only is None or base_rows is None else base_rows
    size = {
        name: real[name].num_rows
        if name in KEEP
        else (rows if only is None or name in only else other)
        for name in names
    }
    for name, covered in COVERS.items():
        if name in size and covered in size and (only is None or covered in only):
            copies = max(size[covered] // real[covered].num_rows, 1)
            size[covered] = copies * real[covered].num_rows
            size[name] = copies * real[name].num_rows
            if only is not None:
                only.add(name)  # rewritten with the table it covers (and rebuilt with it)
    pk = {name: schemas[name]["primaryKey"][0] for name in names}
    prefix = {name: _prefix(real[name].column(pk[name]).to_pylist()) for name in names}
    position = {  # real id -> its row in the real table
        name: {v: i for i, v in enumerate(real[name].column(pk[name]).to_pylist())}
        for name in names
    }

    for name in names:
        if only is not None and name not in only:
            continue
        table, k, n = real[name], real[name].num_rows, size[name]
        index = pa.array(range(n), pa.int64())
        copy = pc.divide(index, k)  # kept tables: n == k, a single copy 0
        template = pc.subtract(index, pc.multiply(copy, k))
        # large_string: at 10^7 rows a text column passes the 2 GiB of one string array
        wide = table.cast(pa.schema([_wide(f) for f in table.schema]))
        columns: dict[str, Any] = {f: wide.column(f).take(template) for f in table.column_names}
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
            if field in unique and real[ref].num_rows > k:
                # fewer copies of the target than of this table: its copy c, row c of the
                # target, keeps the unique key unique (when more, the mapping below is one-to-one)
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
        written = target / package.table(name)["path"]
        written.unlink(missing_ok=True)  # a hard link to the base package: never written through
        pacsv.write_csv(out, written, pacsv.WriteOptions(quoting_style="needed", batch_size=65536))
    return size


def rebuild(target: Path, names: set[str]) -> list[str]:
    """What `build` derives from the tables `names`, and only that, written in place (each file
    unlinked first: it may be a hard link into the base package)."""
    import hashlib

    from kerman_warning import _croissant
    from kerman_warning._io import json_bytes
    from kerman_warning._package import optional_text
    from kerman_warning.build import derive_table

    package = open_package(target)
    descriptor = json.loads((target / "datapackage.json").read_text(encoding="utf-8"))
    package_id = f"{descriptor.get('name')}@{descriptor.get('version')}"
    written: dict[str, bytes] = {}
    for resource in descriptor["resources"]:
        name = resource["name"]
        if name not in names:
            continue
        source = target / resource["path"]
        digest = hashlib.sha256()
        with source.open("rb") as handle:
            while chunk := handle.read(1 << 24):
                digest.update(chunk)
        resource["bytes"] = source.stat().st_size
        resource["hash"] = f"sha256:{digest.hexdigest()}"
        table, derived = derive_table(source, resource, package.schema(name), package_id)
        del table  # one table at a time: build() would hold them all
        written |= derived
    schemas = {name: package.schema(name) for name in package.table_names()}
    datasheet = optional_text(target, "docs/datasheet.md")
    written[_croissant.CROISSANT] = _croissant.render(descriptor, schemas, datasheet=datasheet)
    written["datapackage.json"] = json_bytes(descriptor)
    for relative, data in written.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        path.write_bytes(data)
    return list(written)


def marker(package: Path) -> Path:
    """Beside a scaled package (not in it), written last: its sizes, and that it is complete."""
    return package.with_name(package.name + ".scaled.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int, help="rows per table, e.g. 1000000")
    parser.add_argument("target", type=Path, help="folder to write (replaced)")
    parser.add_argument("--source", type=Path, default=default_root(), help="the real package")
    parser.add_argument("--only", nargs="+", default=None, help="tables to scale (needs --base)")
    parser.add_argument("--base", type=Path, default=None, help="a scaled package to link to")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    base_rows = None
    if args.base is not None:
        base_rows = json.loads(marker(args.base).read_text())["rows_per_table"]
    only = set(args.only) if args.only else None
    size = scale(
        args.source, args.target, args.rows, only=only, base=args.base, base_rows=base_rows
    )
    marker(args.target).unlink(missing_ok=True)
    # build() derives every file at once (the reader page holds every table): too much memory
    # at these sizes, so the tables are rebuilt one at a time, all of them or those in --only
    package = open_package(args.target)
    changed = rebuild(args.target, only or set(package.table_names()))
    # Written last, so a package without it is incomplete (a run that failed half-way). Its
    # rows_per_table is what --base reads back: the size of the tables not in --only.
    done = {"rows_per_table": args.rows} if only is None else {"only": sorted(only)}
    marker(args.target).write_text(json.dumps({**done, "rows": size}))
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": size, "built": len(changed), "seconds": round(seconds, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
