"""`kerman-warning build`: derive every file that is not hand-edited, reproducibly and atomically.

From the CSVs and Table Schemas it derives the Parquet copies, the JSON Schemas of rows, the
data dictionary, the reader page, croissant.json, the Hugging Face card (README.md's front
matter), and the `bytes`/`hash` of every file in `datapackage.json`. Resource names are
checked as names before they name any file, and every file read or written goes through
`_package.contained`. Everything is made in memory first, then replaced as one
(`_transaction.replace_all`), the descriptor last: a build that fails or is killed leaves every
previous file as it was, and the next build first undoes one that was interrupted.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import _croissant, _dictionary, _hfcard, _reader
from ._conventions import json_schema_path, parquet_path, row_json_schema
from ._errors import PackageError
from ._io import json_bytes, read_bounded, sha256
from ._limits import MAX_CSV_BYTES, MAX_TEXT_BYTES
from ._package import (
    DESCRIPTOR,
    PathLike,
    check_name,
    default_root,
    is_installed_copy,
    open_package,
    optional_text,
    resolve_in,
)
from ._transaction import locked, pending, recover, remove_stale, replace_all
from .tableschema import read_csv, sort_by_key

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa

    from ._package import Package

__all__ = ["BuildResult", "build", "derive"]

DICTIONARY = "docs/data-dictionary.md"
RULES_DOC = "docs/rules.md"  # the catalogue of `kerman-warning validate`
DATASHEET = "docs/datasheet.md"  # hand-written; croissant.json's rai: properties come from it
README = "README.md"  # build owns its front matter only: the Hugging Face dataset card
# Fixed writer settings: the same input gives the same bytes with the pinned pyarrow.
_PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 9,
    "use_dictionary": True,
    "write_statistics": True,
}


@dataclass(frozen=True)
class BuildResult:
    """What a build changed (or, with `check`, would change), as paths relative to the package."""

    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    check: bool = False


def derive_table(
    source: Path, resource: dict[str, Any], schema: dict[str, Any], package_id: str
) -> tuple[pa.Table, dict[str, bytes]]:
    """What one table's CSV gives: its typed rows in primary-key order, and its Parquet copy and
    row JSON Schema by path; `resource` gets the copy's `parquet` block (path, bytes, hash)."""
    name = resource["name"]
    table = sort_by_key(read_csv(source, schema), schema.get("primaryKey", []))
    embedded = {k: v for k, v in resource.items() if k != "parquet"} | {"schema": schema}
    data = _parquet_bytes(table, embedded, package_id)
    resource["parquet"] = {
        "path": parquet_path(name),
        "format": "parquet",
        "mediatype": "application/vnd.apache.parquet",
        "bytes": len(data),
        "hash": f"sha256:{sha256(data)}",
    }
    row_schema = json_bytes(row_json_schema(name, resource, schema))
    return table, {parquet_path(name): data, json_schema_path(name): row_schema}


def _parquet_bytes(table: pa.Table, resource: dict[str, Any], package_id: str) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    metadata = {
        "datapackage.resource": json.dumps(resource, ensure_ascii=False, sort_keys=True),
        "datapackage.package": package_id,
    }
    sink = pa.BufferOutputStream()
    pq.write_table(table.replace_schema_metadata(metadata), sink, **_PARQUET_OPTIONS)
    return bytes(sink.getvalue().to_pybytes())


def derive(package: Package) -> dict[str, bytes]:
    """Every derived file of `package`, by relative path, made in memory."""
    descriptor = copy.deepcopy(package.descriptor)
    _check_names(descriptor)
    outputs: dict[str, bytes] = {}
    schemas: dict[str, dict[str, Any]] = {}
    rows: dict[str, int] = {}
    tables: dict[str, pa.Table] = {}  # typed, for the reader page
    package_id = f"{descriptor.get('name')}@{descriptor.get('version')}"
    for resource in descriptor.get("resources", []):
        name = resource.get("name")
        source = package.resolve(resource.get("path"), what=f"path of {name!r}")
        tabular = resource.get("type") == "table"
        limit = (MAX_CSV_BYTES, "MAX_CSV_BYTES") if tabular else (MAX_TEXT_BYTES, "MAX_TEXT_BYTES")
        raw = read_bounded(source, *limit)  # checked before a byte is read
        resource["bytes"] = len(raw)
        resource["hash"] = f"sha256:{sha256(raw)}"
        if resource.get("type") != "table":
            continue
        schema = package.schema(name)
        table, derived = derive_table(source, resource, schema, package_id)
        outputs |= derived
        schemas[name] = schema
        rows[name] = table.num_rows
        tables[name] = table
    outputs[DICTIONARY] = _dictionary.render(descriptor, schemas, rows).encode("utf-8")
    from .validate.catalogue import catalogue  # lazily: build sits above, validate is optional

    outputs[RULES_DOC] = catalogue(format="markdown").encode("utf-8")
    outputs |= _reader.outputs(package, descriptor, schemas, tables)  # docs/reader.html
    datasheet = optional_text(package.root, DATASHEET)
    outputs[_croissant.CROISSANT] = _croissant.render(descriptor, schemas, datasheet=datasheet)
    readme = optional_text(package.root, README)
    if readme is not None:  # a bare package folder has no README, so no card
        card = _hfcard.card(descriptor, schemas, rows)
        outputs[README] = _hfcard.with_card(readme, card).encode("utf-8")
    outputs[DESCRIPTOR] = json_bytes(descriptor)  # last: written after the files it describes
    return outputs


def _check_names(descriptor: dict[str, Any]) -> None:
    """Refuse, before anything is read or written, a resource name that cannot name a file."""
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        raise PackageError(f"{DESCRIPTOR}: resources is not a list of objects")
    seen: set[str] = set()
    for resource in resources:
        name = check_name(resource.get("name"))
        if name in seen:
            raise PackageError(f"{DESCRIPTOR}: resource name {name!r} is used twice")
        seen.add(name)


def _holds(target: Path, data: bytes) -> bool:
    """Whether the file at `target` holds `data` (read only if the sizes agree)."""
    return target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data


def _compare(package: Package, outputs: dict[str, bytes], *, check: bool) -> BuildResult:
    """Which derived files differ from what is on disk (each found through `contained`)."""
    result = BuildResult(check=check)
    for relative, data in outputs.items():
        target = resolve_in(package.root, relative, what="derived file", existing=False)
        (result.unchanged if _holds(target, data) else result.changed).append(relative)
    return result


def build(path: PathLike | None = None, *, check: bool = False) -> BuildResult:
    """Build the package at `path` (default: the one shipped); with `check`, write nothing."""
    package = open_package(default_root() if path is None else path)
    if is_installed_copy(package.root) and not check:
        raise PackageError(f"{package.root} is an installed copy; run build in a checkout")
    if check:
        if pending(package.root):
            raise PackageError("a build was interrupted; run `kerman-warning build` to undo it")
        return _compare(package, derive(package), check=True)
    with locked(package.root):
        if recover(package.root):
            package = open_package(package.root)  # the descriptor may have been put back
        outputs = derive(package)
        result = _compare(package, outputs, check=False)
        # The descriptor comes last in `outputs`, so it is renamed last.
        replace_all(package.root, {relative: outputs[relative] for relative in result.changed})
        remove_stale(package.root, outputs)
    return result
