"""Repository files: versions agree everywhere, committed row JSON Schemas are the derived ones."""

from __future__ import annotations

from ..._conventions import json_schema_path, row_json_schema
from ..._limits import MAX_JSON_BYTES, MAX_TEXT_BYTES
from ..._package import JsonError, UnsafePath, default_root, parse_json, read_contained
from ..api import Reporter, Where
from ..spec import declare

VERSIONS_AGREE = declare(
    "versions-agree",
    "error",
    "consistency",
    "The package version is a semantic version and agrees with the Parquet copies, CITATION.cff, "
    "the latest CHANGELOG release and the library, where each is present.",
)


@VERSIONS_AGREE.at_end()
def versions_agree(c: Reporter) -> None:
    """The package version is a semantic version and agrees with the Parquet copies, CITATION.cff,
    the latest CHANGELOG release and the library, where each is present."""
    import re

    descriptor = c.ctx.descriptor
    version, name = descriptor.get("version"), descriptor.get("name")
    if not isinstance(version, str) or not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", version):
        c.problem(
            "is not a version X.Y.Z; expected a semantic version",
            file="datapackage.json",
            field="version",
            value=version,
        )
        return
    for other, file, what in _other_versions(c):
        if other is not None and other != version:
            c.problem(
                f"{file} says {other}; expected the package version {version}",
                file=file,
                field=what,
                value=other,
            )
    stale: dict[str, list[str]] = {}
    for table in c.ctx.tables.values():
        stamp = c.ctx.parquet_stamps.get(table.name)
        if stamp is not None and stamp != f"{name}@{version}":
            stale.setdefault(stamp, []).append(table.name)
    for stamp, tables in stale.items():  # one problem per cause, not one per file
        first = c.ctx.tables[tables[0]]
        c.problem(
            f"{len(tables)} Parquet cop{'y was' if len(tables) == 1 else 'ies were'} built for "
            f"{stamp} ({', '.join(tables)}); expected {name}@{version} (run `kerman-warning "
            "build`)",
            resource=first.name,
            file=first.parquet,
            field="datapackage.package",
            value=stamp,
        )


def _other_versions(c: Reporter) -> list[tuple[str | None, str, str]]:
    import re

    root = c.ctx.root
    found: list[tuple[str | None, str, str]] = []

    def read(relative: str) -> str | None:
        try:
            return read_contained(root, relative, MAX_TEXT_BYTES, "MAX_TEXT_BYTES").decode()
        except (UnsafePath, OSError, UnicodeDecodeError):
            return None

    citation = read("CITATION.cff")
    if citation is not None:
        match = re.search(r"^version:\s*[\"']?([^\"'\s]+)", citation, re.M)
        found.append((match.group(1) if match else None, "CITATION.cff", "version"))
    changelog = read("CHANGELOG.md")
    if changelog is not None:
        match = re.search(r"^## \[([0-9]+\.[0-9]+\.[0-9]+)\]", changelog, re.M)
        found.append((match.group(1) if match else None, "CHANGELOG.md", "latest release"))
    source = read("src/kerman_warning/_version.py")
    if source is not None:
        match = re.search(r"^__version__\s*=\s*[\"']([^\"']+)", source, re.M)
        found.append(
            (match.group(1) if match else None, "src/kerman_warning/_version.py", "__version__")
        )
    elif root.resolve() == default_root().resolve():
        from ..._version import __version__

        found.append((__version__, "kerman_warning (installed library)", "__version__"))
    return found


JSON_SCHEMA_IN_SYNC = declare(
    "json-schema-in-sync",
    "error",
    "consistency",
    "Each schemas/json/<resource>.json is exactly the JSON Schema derived from its Table Schema "
    "(so rows that pass stage 3 pass stage 5).",
)


@JSON_SCHEMA_IN_SYNC.at_end()
def json_schema_in_sync(c: Reporter) -> None:
    """Each schemas/json/<resource>.json is exactly the JSON Schema derived from its Table Schema
    (so rows that pass stage 3 pass stage 5)."""

    for table in c.ctx.tables.values():
        relative = json_schema_path(table.name)
        where: Where = {"resource": table.name, "file": relative}
        try:
            data = read_contained(c.ctx.root, relative, MAX_JSON_BYTES, "MAX_JSON_BYTES")
        except UnsafePath as error:
            missing = error.reason == "does not exist"
            reason = "is missing" if missing else f"{error.reason}, so it is not read"
            c.problem(f"{reason}; expected the file `kerman-warning build` writes", **where)
            continue
        try:
            committed = parse_json(data)
        except JsonError as error:
            c.problem(f"{error.reason}; run `kerman-warning build`", **where)
            continue
        derived = row_json_schema(table.name, table.resource, table.schema)
        if committed != derived:
            field = _first_difference(committed, derived)
            c.problem(
                f"differs from the JSON Schema derived from {table.resource.get('schema')} "
                f"(first at {field}); run `kerman-warning build`",
                field=field,
                **where,
            )


def _first_difference(a: object, b: object, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{path}/{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}/{i}")
    return path or "/"
