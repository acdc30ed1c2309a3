"""`kerman-warning build`: derive every file that is not hand-edited, reproducibly and atomically.

From the CSVs and Table Schemas it derives the Parquet copies, the JSON Schemas of rows, the
data dictionary, croissant.json, the Hugging Face card (README.md's front matter), and the
`bytes`/`hash` of every file in `datapackage.json`. Everything is made
in memory first, then staged to temporary files, and only then renamed into place, the
descriptor last. A build that fails leaves every previous file as it was.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import _croissant, _dictionary, _hfcard
from ._errors import PackageError
from ._io import json_bytes, optional_text, sha256, write_all
from ._package import DESCRIPTOR, PathLike, default_root, is_installed_copy, open_package
from .rules import catalogue
from .tableschema import json_schema, read_csv, sort_by_key

if TYPE_CHECKING:
    import pyarrow as pa

    from ._package import Package

__all__ = ["BuildResult", "build", "derive", "row_json_schema"]

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


def parquet_path(name: str) -> str:
    return f"data/parquet/{name}.parquet"


def json_schema_path(name: str) -> str:
    return f"schemas/json/{name}.json"


def row_json_schema(name: str, resource: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one row of `name`, as written to schemas/json/<name>.json."""
    return json_schema(schema, name=name, title=f"One row of {name}: {resource.get('title', name)}")


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
    outputs: dict[str, bytes] = {}
    schemas: dict[str, dict[str, Any]] = {}
    rows: dict[str, int] = {}
    package_id = f"{descriptor.get('name')}@{descriptor.get('version')}"
    for resource in descriptor.get("resources", []):
        name = resource.get("name")
        source = package.resolve(resource.get("path"), what=f"path of {name!r}")
        raw = source.read_bytes()
        resource["bytes"] = len(raw)
        resource["hash"] = f"sha256:{sha256(raw)}"
        if resource.get("type") != "table":
            continue
        schema = package.schema(name)
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
        outputs[parquet_path(name)] = data
        outputs[json_schema_path(name)] = json_bytes(row_json_schema(name, resource, schema))
        schemas[name] = schema
        rows[name] = table.num_rows
    outputs[DICTIONARY] = _dictionary.render(descriptor, schemas, rows).encode("utf-8")
    outputs[RULES_DOC] = catalogue(format="markdown").encode("utf-8")
    datasheet = optional_text(package.root / DATASHEET)
    outputs[_croissant.CROISSANT] = _croissant.render(descriptor, schemas, datasheet=datasheet)
    readme = optional_text(package.root / README)
    if readme is not None:  # a bare package folder has no README, so no card
        card = _hfcard.card(descriptor, schemas, rows)
        outputs[README] = _hfcard.with_card(readme, card).encode("utf-8")
    outputs[DESCRIPTOR] = json_bytes(descriptor)  # last: written after the files it describes
    return outputs


def build(path: PathLike | None = None, *, check: bool = False) -> BuildResult:
    """Build the package at `path` (default: the one shipped); with `check`, write nothing."""
    package = open_package(default_root() if path is None else path)
    if is_installed_copy(package.root) and not check:
        raise PackageError(f"{package.root} is an installed copy; run build in a checkout")
    outputs = derive(package)
    result = BuildResult(check=check)
    for relative, data in outputs.items():
        target = package.root / relative
        current = target.read_bytes() if target.is_file() else None
        (result.unchanged if current == data else result.changed).append(relative)
    if not check:  # the descriptor comes last in `outputs`, so it is renamed last
        write_all({package.root / relative: outputs[relative] for relative in result.changed})
    return result
