"""Stage 1, the descriptor: read datapackage.json, check it against the profiles, resolve every
path through the one containment check, and collect the tables to stream.

The official Data Package v2.0 profiles decide `descriptor-profile`; under `--rules all` the
project's own profile (`profiles/kerman-warning.json`, which includes the official one with
`allOf`) adds `project-profile`. A resource that cannot be checked is left out of later stages.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..._csv import Dialect
from ..._errors import PackageError
from ..._io import read_bounded
from ..._limits import (
    MAX_JSON_BYTES,
    MAX_PARQUET_BYTES,
    MAX_STREAMED_BYTES,
    MAX_TEXT_BYTES,
)
from ..._package import DESCRIPTOR, JsonError, UnsafePath, contained, name_reason, parse_json
from ..._transaction import JOURNAL, STAGING, pending
from .. import profile
from ..api import Context, Table
from ..spec import declare
from .integrity import check_declared_hash

__all__ = [
    "DESCRIPTOR_PROFILE",
    "FILE_PRESENT",
    "FILE_SIZE",
    "NAME_SAFE",
    "check_name",
    "describe_file",
    "describe_table",
    "open_descriptor",
    "profile_errors",
    "read_checked",
    "safe_path",
]

DESCRIPTOR_READABLE = declare(
    "descriptor-readable",
    "error",
    "descriptor",
    "The package folder holds a datapackage.json that is UTF-8 JSON with an object at the top.",
    fatal=True,
    scope="datapackage",
)

DESCRIPTOR_PROFILE = declare(
    "descriptor-profile",
    "error",
    "descriptor",
    "The descriptor and every Table Schema satisfy the Data Package v2 profile, with unique "
    "names, keys that name existing fields, and only types and constraints this validator "
    "can check.",
    scope="datapackage",
)

PATH_SAFE = declare(
    "path-safe",
    "error",
    "descriptor",
    "Every path the package names is relative, POSIX and stays inside the package folder once "
    "symlinks are resolved: no URL, `file:`, absolute path, `..` or hidden part.",
    scope="datapackage",
)

FILE_PRESENT = declare(
    "file-present",
    "error",
    "descriptor",
    "Every file the package names exists and is a regular file.",
    scope="datapackage",
)

BUILD_COMPLETE = declare(
    "build-complete",
    "error",
    "descriptor",
    "No build was interrupted while replacing its files (`.kerman-warning-build/journal.json`): "
    "such a package may hold old and new files mixed, so nothing else is checked until "
    "`kerman-warning build` has undone it. Validation never writes.",
    fatal=True,
    scope="datapackage",
)

NAME_SAFE = declare(
    "name-safe",
    "error",
    "descriptor",
    "Every resource name is a name that can name a file: lowercase letters, digits, `.`, `_` "
    "and `-`, starting with a letter or digit, at most 64 characters (NAME_PATTERN, "
    "NAME_MAX_CHARS in docs/limits.md); a resource with another name is not checked further.",
    scope="datapackage",
)

FILE_SIZE = declare(
    "file-size-limit",
    "error",
    "descriptor",
    "No file is larger than its limit (docs/limits.md): the descriptor and JSON Schemas "
    "MAX_JSON_BYTES, CSVs MAX_STREAMED_BYTES, texts MAX_TEXT_BYTES, Parquet copies "
    "MAX_PARQUET_BYTES. The size is checked before a byte is read; a larger file is not read.",
    scope="datapackage",
)

NOT_CHECKED = declare(
    "not-checked",
    "warning",
    "descriptor",
    "A part of the package this validator cannot read (inline `data`) is named once, as not "
    "checked, rather than guessed at.",
    scope="datapackage",
)

PROJECT_PROFILE = declare(
    "project-profile",
    "error",
    "descriptor",
    "The descriptor and every Table Schema also satisfy this project's own profile "
    "(profiles/kerman-warning*.json): the v2.0 `$schema`, an id, version, licences and "
    "contributors, and a description of every field.",
)
# The dialect keys this reader understands; a dialect with any other (commentChar, header:
# false, ...) is refused with one problem rather than misread.
_DIALECT_KEYS = {
    "$schema",
    "delimiter",
    "quoteChar",
    "doubleQuote",
    "escapeChar",
    "lineTerminator",
    "header",
}


def safe_path(
    ctx: Context,
    relative: object,
    *,
    resource: str | None,
    what: str,
    row: int | None = None,
    file: str = DESCRIPTOR,
    limit: tuple[int, str] | None = None,
) -> Path | None:
    """The file a package-relative path names, or None after reporting why not (in `file`,
    the descriptor unless a CSV cell holds the path). The check itself is `_package.contained`,
    the one the loader uses; with `limit` (bytes, its name), a larger file is refused too."""
    try:
        path = contained(ctx.root, relative)
        if limit is not None and path.stat().st_size > limit[0]:
            size = path.stat().st_size
            ctx.out.add(
                FILE_SIZE,
                f"the file is {size:,} bytes, over the limit of {limit[0]:,} ({limit[1]}); "
                "it is not read",
                resource=resource,
                file=file,
                row=row,
                field=what,
                value=relative,
            )
            return None
        return path
    except OSError as error:
        ctx.out.add(
            FILE_PRESENT,
            f"the file cannot be read ({error.strerror})",
            resource=resource,
            file=file,
            row=row,
            field=what,
            value=relative,
        )
        return None
    except UnsafePath as error:
        rule, reason = PATH_SAFE, f"the path {error.reason}"
        if error.kind == "outside":
            reason = (
                "the path resolves outside the package folder (through a symlink); "
                "expected a file inside it"
            )
        elif error.kind == "missing":
            rule = FILE_PRESENT
            reason = f"the path {error.reason}; expected a regular file in the package"
        ctx.out.add(rule, reason, resource=resource, file=file, row=row, field=what, value=relative)
        return None


def read_checked(
    ctx: Context,
    relative: str,
    limit: tuple[int, str],
    *,
    resource: str | None,
    what: str,
    row: int | None = None,
    file: str = DESCRIPTOR,
) -> bytes | None:
    """The bytes of a file of the package, after `safe_path` (inside, regular, not over
    `limit`), read with a bound; None after reporting why not."""
    path = safe_path(ctx, relative, resource=resource, what=what, row=row, file=file, limit=limit)
    if path is None:
        return None
    try:
        return read_bounded(path, *limit)
    except PackageError as error:  # changed since it was checked
        reason = str(error).removeprefix(f"{path}: ")
        where = {"resource": resource, "file": file, "row": row, "field": what, "value": relative}
        ctx.out.add(FILE_PRESENT, f"the file {reason}", **where)  # type: ignore[arg-type]
        return None


def open_descriptor(ctx: Context) -> bool:
    """Read datapackage.json; False (and a fatal problem) if there is nothing to check."""
    if not ctx.root.exists():
        ctx.out.add(DESCRIPTOR_READABLE, "no such folder; expected a data package", file=DESCRIPTOR)
        return False
    if pending(ctx.root):
        ctx.out.add(
            BUILD_COMPLETE,
            "a build was interrupted while replacing files, which may now be old and new mixed; "
            "run `kerman-warning build` to undo it, then validate again",
            file=f"{STAGING}/{JOURNAL}",
        )
        return False
    try:
        path = contained(ctx.root, DESCRIPTOR)
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            message = f"is {size:,} bytes, over the limit of {MAX_JSON_BYTES:,} (MAX_JSON_BYTES)"
            ctx.out.add(DESCRIPTOR_READABLE, message, file=DESCRIPTOR)
            return False
        ctx.descriptor = parse_json(read_bounded(path, MAX_JSON_BYTES, "MAX_JSON_BYTES"))
    except UnsafePath as error:
        reason = "the folder has no datapackage.json; expected a data package folder"
        if error.kind != "missing" or Path(ctx.root, DESCRIPTOR).exists():
            reason = f"datapackage.json {error.reason}; expected a regular file in the folder"
        ctx.out.add(DESCRIPTOR_READABLE, reason, file=DESCRIPTOR)
        return False
    except OSError as error:
        ctx.out.add(DESCRIPTOR_READABLE, f"cannot be read ({error.strerror})", file=DESCRIPTOR)
        return False
    except JsonError as error:
        ctx.out.add(DESCRIPTOR_READABLE, error.reason, file=DESCRIPTOR, row=error.line)
        return False
    except PackageError as error:  # read_bounded: changed since it was checked
        ctx.out.add(DESCRIPTOR_READABLE, str(error), file=DESCRIPTOR)
        return False
    return True


def profile_errors(
    ctx: Context,
    instance: object,
    kind: str,
    file: str,
    resource: str | None = None,
) -> int:
    """Report where `instance` breaks its profile (`kind`: "package" or "schema"); return how
    many problems. Under `--rules all` the project profile is used, which includes the
    official one: errors inside its `allOf[0]` are the official profile's."""
    project = ctx.rules == "all"
    validator = profile.validator(kind, project=project)
    names = _resource_names(ctx.descriptor)
    errors = sorted(
        profile.errors(validator, instance),
        key=lambda e: [f"{p:09d}" if isinstance(p, int) else str(p) for p in e.absolute_path],
    )
    for error in errors:
        path = [str(p) for p in error.absolute_path]
        where = resource
        if file == DESCRIPTOR and len(path) >= 2 and path[0] == "resources":
            where = names.get(int(path[1]))
        official = not project or list(error.schema_path)[:2] == ["allOf", 0]
        if kind == "schema" and len(path) >= 2 and path[0] == "fields":
            path = [_field_name(instance, int(path[1])), *path[2:]]  # name the field
        ctx.out.add(
            DESCRIPTOR_PROFILE if official else PROJECT_PROFILE,
            _profile_message(error, official),
            resource=where,
            file=file,
            field="/".join(path) or None,
            value=_short_json(error.instance),
        )
    return len(errors)


def _field_name(schema: object, index: int) -> str:
    fields = schema.get("fields") if isinstance(schema, dict) else None
    if isinstance(fields, list) and index < len(fields) and isinstance(fields[index], dict):
        name = fields[index].get("name")
        if isinstance(name, str):
            return name
    return f"fields/{index}"


def _profile_message(error: Any, official: bool) -> str:
    which = "the Data Package v2.0 profile" if official else "this project's profile"
    if error.validator == "required":
        return f"{error.message}; {which} requires it"
    if error.validator in ("oneOf", "anyOf"):
        return f"{_short_json(error.instance)} is not valid here under {which}"
    return f"{error.message}; see {which}"


def _short_json(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _resource_names(descriptor: dict[str, Any]) -> dict[int, str]:
    resources = descriptor.get("resources")
    if not isinstance(resources, list):
        return {}
    return {
        i: r["name"]
        for i, r in enumerate(resources)
        if isinstance(r, dict) and isinstance(r.get("name"), str)
    }


def describe_file(ctx: Context, resource: dict[str, Any]) -> Path | None:
    """A resource's file, if it may be read: its path is safe and the file is there. Its
    declared size and hash are noted for stage 2, and hashing starts in the worker thread."""
    name = resource["name"]
    path = resource.get("path")
    if "data" in resource and path is None:
        ctx.out.add(
            NOT_CHECKED,
            "inline `data` is not supported by this validator, so this resource is not "
            "checked; give it a `path` to a CSV file to have it checked",
            resource=name,
            file=DESCRIPTOR,
            field="data",
        )
        return None
    if isinstance(path, list):
        ctx.out.add(
            DESCRIPTOR_PROFILE,
            "a resource split over several files is not supported; expected one path",
            resource=name,
            file=DESCRIPTOR,
            field="path",
            value=_short_json(path),
        )
        return None
    tabular = resource.get("type") == "table" or ("type" not in resource and "schema" in resource)
    limit = (
        (MAX_STREAMED_BYTES, "MAX_STREAMED_BYTES")
        if tabular
        else (MAX_TEXT_BYTES, "MAX_TEXT_BYTES")
    )
    target = safe_path(ctx, path, resource=name, what="path", limit=limit)
    if target is not None:
        assert isinstance(path, str)
        ctx.declared[path] = (name, resource.get("bytes"), resource.get("hash"))
        check_declared_hash(ctx, name, path, resource, "")
        ctx.info(path, target)
    return target


def describe_table(
    ctx: Context, resource: dict[str, Any], target: Path, schema: dict[str, Any]
) -> Table | None:
    """A table to stream, if its dialect is one this validator reads; its Parquet copy noted."""
    name, path = resource["name"], resource["path"]
    table = Table(name, resource, schema, path, target, dialect=Dialect.of(resource.get("dialect")))
    if not _describe_dialect(ctx, table):
        return None  # a file this validator would misread: one problem, no cell checks
    block = resource.get("parquet")
    if isinstance(block, dict):
        parquet = block.get("path")
        found = safe_path(
            ctx,
            parquet,
            resource=name,
            what="parquet/path",
            limit=(MAX_PARQUET_BYTES, "MAX_PARQUET_BYTES"),
        )
        if found is not None:
            assert isinstance(parquet, str)
            table.parquet, table.parquet_path = parquet, found
            ctx.declared[parquet] = (name, block.get("bytes"), block.get("hash"))
            check_declared_hash(ctx, name, parquet, block, "parquet/")
            ctx.info(parquet, found)
    elif block is not None:
        ctx.out.add(
            DESCRIPTOR_PROFILE,
            "`parquet` is not an object; expected {path, format, mediatype, bytes, hash}",
            resource=name,
            file=DESCRIPTOR,
            field="parquet",
        )
    return table


def _describe_dialect(ctx: Context, table: Table) -> bool:
    """The encoding and CSV dialect are ones this validator reads: UTF-8; any delimiter, quote
    character, doubled quotes or an escape character; a header row."""
    resource = table.resource
    problems = []
    encoding = resource.get("encoding")
    if encoding is not None and str(encoding).lower().replace("_", "-") not in ("utf-8", "utf8"):
        problems.append(("encoding", encoding, "only UTF-8 is read; expected utf-8"))
    dialect = resource.get("dialect")
    if dialect is not None:
        if not isinstance(dialect, dict):
            problems.append(("dialect", dialect, "a dialect given by path is not supported"))
        elif set(dialect) - _DIALECT_KEYS or dialect.get("header", True) is not True:
            unknown = sorted(set(dialect) - _DIALECT_KEYS) or ["header"]
            problems.append(
                ("dialect", dialect, f"{', '.join(unknown)} is not supported by this reader")
            )
        else:
            single = ("delimiter", "quoteChar", "escapeChar")
            if any(
                not isinstance(dialect.get(k, ","), str) or len(dialect.get(k, ",")) != 1
                for k in single
            ):
                problems.append(
                    (
                        "dialect",
                        dialect,
                        "delimiter, quoteChar and escapeChar are one character each",
                    )
                )
    for key, value, message in problems:
        ctx.out.add(
            DESCRIPTOR_PROFILE,
            message,
            resource=table.name,
            file=DESCRIPTOR,
            field=key,
            value=_short_json(value),
        )
    return not problems


def check_name(ctx: Context, resource: dict[str, Any]) -> str | None:
    """A resource's name if it may name files; else None, after reporting why (NAME_SAFE)."""
    name = resource.get("name")
    reason = name_reason(name)
    if reason is None:
        assert isinstance(name, str)
        return name
    ctx.out.add(
        NAME_SAFE,
        f"the resource name {reason}",
        file=DESCRIPTOR,
        field="name",
        value=name if isinstance(name, str) else _short_json(name),
    )
    return None
