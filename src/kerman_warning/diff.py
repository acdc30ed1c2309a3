"""`kerman-warning diff OLD NEW`: every change between two versions, classified by semver.

OLD and NEW are each a package folder (or its `datapackage.json`), a release zip, or a git
revision of the repository. The classification follows the Data Package version recipe
(datapackage.org, "Data Package Version"):

- MAJOR: a field or resource renamed, added to a table's fields, removed or reordered; a type or
  format changed; a constraint tightened; a primary key changed; data removed (a row, a resource).
- MINOR: a resource added, rows added, a constraint loosened (e.g. a vocabulary value added).
- PATCH: a value corrected (a cell changed), descriptive metadata changed (titles, descriptions,
  labels, licences, contributors).
- NONE: nothing a dependent can see: a file moved with identical content, a CSV re-quoted or its
  rows reordered, the derived `bytes`/`hash`/`parquet` blocks, the `version`/`created` stamps.

Croissant (MLCommons) versions datasets by another convention: PATCH = the same data
re-serialised (or metadata corrected), MINOR = new data (fields, rows, resources), MAJOR =
existing data changed (a value corrected, a row or field removed or renamed, a type changed).
A value correction is a PATCH here and a MAJOR there; a new field the reverse. `diff` applies
the Data Package recipe (this package's convention, which `release` enforces) and reports the
bump under Croissant's convention too, for catalogues that read croissant.json.

What cannot be proven compatible (a changed pattern, an unknown constraint, a non-tabular file
whose bytes changed) is classified MAJOR: the recipe protects the dependent, not the maintainer.
Rows are compared as typed values (`kerman_warning.tableschema.read_csv`), keyed by the primary key.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from . import _git, _versions
from ._errors import KermanWarningError, PackageError
from ._package import DESCRIPTOR, Package, open_package
from ._zip import extracted, is_zip, scratch
from .tableschema import read_csv

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "CONVENTIONS",
    "LEVELS",
    "Change",
    "Diff",
    "Side",
    "compare",
    "croissant_level",
    "diff",
    "opened",
]

Level = Literal["none", "patch", "minor", "major"]
LEVELS: tuple[Level, ...] = ("none", "patch", "minor", "major")
_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}

# Descriptor properties that say nothing a dependent can rely on, or are derived by `build`.
_PACKAGE_STAMPS = {"resources", "version", "created"}
_PACKAGE_IDENTITY = {"name", "id", "$schema"}
_RESOURCE_HANDLED = {"name", "path", "schema", "bytes", "hash", "parquet"}
_RESOURCE_FORMAT = {"type", "format", "mediatype", "encoding", "dialect", "scheme", "compression"}
_FIELD_FORMAT = {
    "type",
    "format",
    "trueValues",
    "falseValues",
    "missingValues",
    "bareNumber",
    "groupChar",
    "decimalChar",
}
_SCHEMA_FORMAT = {"missingValues", "fieldsMatch"}
_LOWER_BOUNDS = {"minimum", "exclusiveMinimum", "minLength"}
_UPPER_BOUNDS = {"maximum", "exclusiveMaximum", "maxLength"}
ROW_KINDS = ("row-added", "row-removed", "cell-changed")

# The two version conventions, by name: what each calls the three levels.
CONVENTIONS = {
    "datapackage": "the Data Package version recipe (datapackage.org), which this package "
    "follows: PATCH = data corrected or metadata changed, MINOR = data or resources added or a "
    "constraint loosened, MAJOR = a field added, removed, renamed or retyped, data removed",
    "croissant": "Croissant's convention (MLCommons): PATCH = the same data re-serialised or "
    "metadata changed, MINOR = new fields, rows or resources, MAJOR = existing data changed",
}
# Under Croissant's convention, by kind of change: existing data changed is MAJOR, new data
# MINOR, everything else (re-serialised files, moves, metadata, constraints) PATCH.
_CROISSANT_MAJOR = {
    "cell-changed",
    "row-removed",
    "resource-removed",
    "resource-renamed",
    "field-removed",
    "field-renamed",
    "field-format",
    "resource-format",
    "schema-format",
    "primary-key-changed",
    "package-identity",
    "file-changed",
}
_CROISSANT_MINOR = {"field-added", "row-added", "resource-added"}


@dataclass(frozen=True)
class Change:
    """One change: what (`kind`, `detail`), where (`resource`, `field`, `key`), how bad (`level`).

    `key` is the primary key of the row a row change concerns ({field: value}); `old` and `new`
    are the values before and after (a cell, a property, a row as a dict, a list of names).
    """

    kind: str
    level: Level
    reason: str
    detail: str
    resource: str | None = None
    field: str | None = None
    key: dict[str, Any] | None = None
    old: Any = None
    new: Any = None

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "level": self.level,
            "croissant_level": croissant_level(self),
            "resource": self.resource,
            "field": self.field,
            "key": self.key,
            "old": self.old,
            "new": self.new,
            "detail": self.detail,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Side:
    """One side of a diff: what the user named, what it turned out to be, its version."""

    spec: str
    source: Literal["folder", "zip", "git"]
    version: str | None

    def describe(self) -> str:
        version = f"version {self.version}" if self.version else "no version"
        what = {"folder": "folder", "zip": "release zip", "git": "git revision"}[self.source]
        return f"{self.spec} ({what}, {version})"


@dataclass(frozen=True)
class Diff:
    """The changes between two versions and the semver bump they require."""

    old: Side
    new: Side
    changes: tuple[Change, ...] = field(default_factory=tuple)

    @property
    def bump(self) -> Level:
        """The highest level of any change: the bump the new version needs over the old."""
        return max((c.level for c in self.changes), key=_RANK.__getitem__, default="none")

    @property
    def croissant_bump(self) -> Level:
        """The bump under Croissant's convention (see CONVENTIONS)."""
        levels = [croissant_level(c) for c in self.changes]
        return max(levels, key=_RANK.__getitem__, default="none")

    def counts(self) -> dict[str, int]:
        return {level: sum(c.level == level for c in self.changes) for level in reversed(LEVELS)}

    def next_version(self, convention: str = "datapackage") -> str | None:
        """The version the new side should carry, from the old side's version and the bump
        (under the Data Package recipe unless `convention` is "croissant")."""
        base = _git.parse_version(self.old.version or "")
        bump = self.croissant_bump if convention == "croissant" else self.bump
        return None if base is None else bumped(base, bump)

    def render(self, *, format: Literal["text", "json"] = "text") -> str:
        if format == "json":
            document = {
                "old": {
                    "spec": self.old.spec,
                    "source": self.old.source,
                    "version": self.old.version,
                },
                "new": {
                    "spec": self.new.spec,
                    "source": self.new.source,
                    "version": self.new.version,
                },
                "convention": "datapackage",
                "bump": self.bump,
                "next_version": self.next_version(),
                "bumps": {
                    name: {
                        "bump": self.bump if name == "datapackage" else self.croissant_bump,
                        "next_version": self.next_version(name),
                        "convention": text,
                    }
                    for name, text in CONVENTIONS.items()
                },
                "counts": self.counts(),
                "changes": [c.as_json() for c in self.changes],
            }
            return json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n"
        if format != "text":
            raise PackageError(f"format must be 'text' or 'json', not {format!r}")
        return _render_text(self)


def croissant_level(change: Change) -> Level:
    """The level of one change under Croissant's convention (see CONVENTIONS)."""
    if change.kind in _CROISSANT_MAJOR:
        return "major"
    if change.kind in _CROISSANT_MINOR:
        return "minor"
    return "patch"


def bumped(version: tuple[int, int, int], level: Level) -> str:
    major, minor, patch = version
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    if level == "patch":
        return f"{major}.{minor}.{patch + 1}"
    return f"{major}.{minor}.{patch}"


def rank(level: str) -> int:
    return _RANK[level]


# --- opening the two sides -------------------------------------------------------------------


@contextmanager
def opened(spec: str, *, repo: Path | None = None) -> Iterator[tuple[Package, Side]]:
    """The package `spec` names (folder, descriptor, zip or git revision), while in the block.

    A path that exists wins over a git revision of the same name. Revisions are looked up in the
    git repository that contains `repo` (default: the current folder).
    """
    path = Path(spec)
    with ExitStack() as stack:
        source: Literal["folder", "zip", "git"]
        if path.is_dir() or path.name == DESCRIPTOR:
            package, source = open_package(path), "folder"
        elif is_zip(path):
            package, source = open_package(stack.enter_context(extracted(path))), "zip"
        elif path.exists():
            raise PackageError(f"{spec}: neither a package folder nor a release zip")
        else:
            where = Path.cwd() if repo is None else repo
            revision = _versions.revision(where, spec)
            if revision is None:
                raise PackageError(
                    f"{spec}: not a package folder, a release zip, or a git revision of {where} "
                    "(nor a released version: see `kerman-warning versions`)"
                )
            folder = stack.enter_context(scratch("git"))
            _git.export(_git.toplevel(where), revision, folder)
            package, source = open_package(folder), "git"
        version = package.descriptor.get("version")
        yield package, Side(spec, source, str(version) if version is not None else None)


def diff(old: str, new: str, *, repo: Path | None = None) -> Diff:
    """Compare two versions (each a package folder, release zip or git revision) and classify."""
    with ExitStack() as stack:
        old_package, old_side = stack.enter_context(opened(old, repo=repo))
        new_package, new_side = stack.enter_context(opened(new, repo=repo))
        try:
            changes = compare(old_package, new_package)
        except KermanWarningError as error:
            # Name the side as the user did, not by the temporary folder it was unpacked into.
            message = str(error)
            for package, side in ((old_package, old_side), (new_package, new_side)):
                message = message.replace(str(package.root), side.spec)
            raise type(error)(message) from None
        return Diff(old_side, new_side, tuple(changes))
    raise AssertionError("unreachable")  # pragma: no cover  (mypy: ExitStack may swallow)


# --- comparing two packages ------------------------------------------------------------------


def compare(old: Package, new: Package) -> list[Change]:
    """Every change from package `old` to package `new`, in a stable order."""
    changes = _package_changes(old.descriptor, new.descriptor)
    old_resources = {r.get("name"): r for r in old.resources}
    new_resources = {r.get("name"): r for r in new.resources}
    removed = [name for name in old_resources if name not in new_resources]
    added = [name for name in new_resources if name not in old_resources]
    for name in list(removed):
        twin = next((a for a in added if _same_resource(old, name, new, a)), None)
        if twin is not None:
            removed.remove(name)
            added.remove(twin)
            changes.append(
                Change(
                    "resource-renamed",
                    "major",
                    "dependents find a resource by its name; the old name is gone",
                    f"resource renamed {name} -> {twin} (same schema and content)",
                    resource=twin,
                    old=name,
                    new=twin,
                )
            )
    for name in removed:
        changes.append(
            Change(
                "resource-removed",
                "major",
                "data a dependent may read or reference is gone",
                f"resource {name} removed",
                resource=name,
                old=name,
            )
        )
    for name in added:
        changes.append(
            Change(
                "resource-added",
                "minor",
                "new data; everything that was there is still there",
                f"resource {name} added",
                resource=name,
                new=name,
            )
        )
    for name in old_resources:
        if name in new_resources:
            changes += _resource_changes(old, new, str(name))
    return changes


def _changed(a: Any, b: Any) -> bool:
    return bool(a != b)


def _package_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = []
    for key in sorted((set(old) | set(new)) - _PACKAGE_STAMPS):
        a, b = old.get(key), new.get(key)
        if not _changed(a, b):
            continue
        if key in _PACKAGE_IDENTITY:
            changes.append(
                Change(
                    "package-identity",
                    "major",
                    "the package's identity or profile changed; dependents find it by these",
                    f"{key} {_verb(a, b)}",
                    field=key,
                    old=a,
                    new=b,
                )
            )
        else:
            changes.append(
                Change(
                    "package-metadata",
                    "patch",
                    "descriptive metadata",
                    f"{key} {_verb(a, b)}",
                    field=key,
                    old=a,
                    new=b,
                )
            )
    return changes


def _verb(a: object, b: object) -> str:
    """`added: new`, `removed: old` or `changed: old -> new`, values shortened."""
    if a is None:
        return f"added: {_show(b)}"
    if b is None:
        return f"removed: {_show(a)}"
    return f"changed: {_show(a)} -> {_show(b)}"


def _file_bytes(package: Package, resource: dict[str, Any]) -> bytes:
    try:
        return package.read(resource.get("path"), what=f"path of {resource.get('name')!r}")
    except KermanWarningError as error:
        raise type(error)(f"{package.root}: {error}") from None


def _schema(package: Package, resource: dict[str, Any]) -> dict[str, Any] | None:
    if resource.get("type") != "table" and "schema" not in resource:
        return None
    return package.schema(str(resource.get("name")))


def _same_resource(old: Package, old_name: Any, new: Package, new_name: Any) -> bool:
    a, b = old.resource(old_name), new.resource(new_name)
    strip = _RESOURCE_HANDLED
    if {k: v for k, v in a.items() if k not in strip} != {
        k: v for k, v in b.items() if k not in strip
    }:
        return False
    return _file_bytes(old, a) == _file_bytes(new, b) and _schema(old, a) == _schema(new, b)


def _resource_changes(old: Package, new: Package, name: str) -> list[Change]:
    a, b = old.resource(name), new.resource(name)
    changes: list[Change] = []
    old_bytes, new_bytes = _file_bytes(old, a), _file_bytes(new, b)
    if a.get("path") != b.get("path"):
        same = old_bytes == new_bytes
        changes.append(
            Change(
                "resource-moved",
                "none",
                "a dependent reaches the data through the descriptor, which follows the move",
                f"file moved {a.get('path')} -> {b.get('path')}"
                + (" (identical content)" if same else " (content compared below)"),
                resource=name,
                old=a.get("path"),
                new=b.get("path"),
            )
        )
    if isinstance(a.get("schema"), str) and a.get("schema") != b.get("schema"):
        changes.append(
            Change(
                "schema-moved",
                "none",
                "the schema file's place is not part of the data",
                f"schema file moved {a.get('schema')} -> {b.get('schema')}",
                resource=name,
                old=a.get("schema"),
                new=b.get("schema"),
            )
        )
    for key in sorted((set(a) | set(b)) - _RESOURCE_HANDLED):
        x, y = a.get(key), b.get(key)
        if not _changed(x, y):
            continue
        if key in _RESOURCE_FORMAT:
            changes.append(
                Change(
                    "resource-format",
                    "major",
                    "how the file is read changed; readers of the old form break",
                    f"resource {key} {_verb(x, y)}",
                    resource=name,
                    field=key,
                    old=x,
                    new=y,
                )
            )
        else:
            changes.append(
                Change(
                    "resource-metadata",
                    "patch",
                    "descriptive metadata",
                    f"resource {key} {_verb(x, y)}",
                    resource=name,
                    field=key,
                    old=x,
                    new=y,
                )
            )
    if (a.get("type") == "table") != (b.get("type") == "table"):
        return changes  # already major; the contents cannot be compared row by row
    if a.get("type") != "table":
        if old_bytes != new_bytes:
            changes.append(
                Change(
                    "file-changed",
                    "major",
                    "a non-tabular file cannot be compared value by value, and offsets or "
                    "hashes that point into it may break; treated as breaking",
                    f"content of {b.get('path')} changed",
                    resource=name,
                )
            )
        return changes
    table_changes = _table_changes(
        name, old.schema(name), new.schema(name), _read(old, a), _read(new, b)
    )
    if old_bytes != new_bytes and not table_changes:
        table_changes.append(
            Change(
                "file-reformatted",
                "none",
                "every typed row is the same (quoting, line endings or row order changed)",
                f"{b.get('path')} rewritten with the same rows",
                resource=name,
            )
        )
    return changes + table_changes


def _read(package: Package, resource: dict[str, Any]) -> pa.Table:
    name = str(resource.get("name"))
    try:
        path = package.resolve(resource.get("path"), what=f"path of {name!r}")
        return read_csv(path, package.schema(name))
    except KermanWarningError as error:
        raise type(error)(f"{package.root}: {error}") from None


# --- schemas ---------------------------------------------------------------------------------


def _keys(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _normal_field(field: dict[str, Any]) -> dict[str, Any]:
    """A field with the Table Schema defaults made explicit, so that `{}` equals the default."""
    out = dict(field)
    out.setdefault("type", "string")
    if not out.get("constraints"):
        out.pop("constraints", None)
    if not out.get("categoriesOrdered"):
        out.pop("categoriesOrdered", None)
    return out


def _plain(table: pa.Table) -> pa.Table:
    """Dictionary columns decoded, so that joins and comparisons see plain values."""
    import pyarrow as pa

    columns = [
        c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in table.columns
    ]
    return pa.table(columns, names=table.column_names)


def _same_values(a: pa.ChunkedArray[Any], b: pa.ChunkedArray[Any]) -> bool:
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(a.type):
        a = a.cast(a.type.value_type)
    if pa.types.is_dictionary(b.type):
        b = b.cast(b.type.value_type)
    if a.type != b.type or len(a) != len(b):
        return False
    return bool(a.take(pc.sort_indices(a)).equals(b.take(pc.sort_indices(b))))


def _table_changes(
    name: str, old: dict[str, Any], new: dict[str, Any], old_table: pa.Table, new_table: pa.Table
) -> list[Change]:
    changes: list[Change] = []
    old_fields = [_normal_field(f) for f in old.get("fields", [])]
    new_fields = [_normal_field(f) for f in new.get("fields", [])]
    old_names = [f["name"] for f in old_fields]
    new_names = [f["name"] for f in new_fields]
    removed = [n for n in old_names if n not in new_names]
    added = [n for n in new_names if n not in old_names]

    # Renamed: removed and added at the same position, with the same type and the same values.
    renamed: dict[str, str] = {}  # new name -> old name
    for old_name in list(removed):
        position = old_names.index(old_name)
        if position >= len(new_names) or new_names[position] not in added:
            continue
        new_name = new_names[position]
        if old_fields[position]["type"] != new_fields[position]["type"]:
            continue
        if not _same_values(old_table.column(old_name), new_table.column(new_name)):
            continue
        renamed[new_name] = old_name
        removed.remove(old_name)
        added.remove(new_name)
        changes.append(
            Change(
                "field-renamed",
                "major",
                "dependents read a field by its name; the old name is gone",
                f"field renamed {old_name} -> {new_name} (same position, type and values)",
                resource=name,
                field=new_name,
                old=old_name,
                new=new_name,
            )
        )
    for field_name in removed:
        changes.append(
            Change(
                "field-removed",
                "major",
                "a dependent reading this field breaks",
                f"field {field_name} removed",
                resource=name,
                field=field_name,
                old=field_name,
            )
        )
    for field_name in added:
        changes.append(
            Change(
                "field-added",
                "major",
                "the recipe counts an added field as breaking: the columns of every row change",
                f"field {field_name} added at position {new_names.index(field_name) + 1}",
                resource=name,
                field=field_name,
                new=field_name,
            )
        )
    as_old = [renamed.get(n, n) for n in new_names]  # new order, spelled with the old names
    common_old = [n for n in old_names if n in as_old]
    common_new = [n for n in as_old if n in old_names]
    if common_old != common_new:
        changes.append(
            Change(
                "fields-reordered",
                "major",
                "a dependent reading columns by position breaks",
                "fields reordered",
                resource=name,
                old=common_old,
                new=[next((k for k, v in renamed.items() if v == n), n) for n in common_new],
            )
        )
    for new_field in new_fields:
        old_name = renamed.get(new_field["name"], new_field["name"])
        if old_name in old_names:
            old_field = old_fields[old_names.index(old_name)]
            changes += _field_changes(name, new_field["name"], old_field, new_field)
    changes += _schema_changes(name, old, new)

    # Rows, compared on the fields both sides have with the same Arrow type.
    renamed_table = new_table.rename_columns([renamed.get(n, n) for n in new_table.column_names])
    old_plain, new_plain = _plain(old_table), _plain(renamed_table)
    comparable = [
        n
        for n in old_names
        if n in new_plain.column_names
        and old_plain.schema.field(n).type == new_plain.schema.field(n).type
    ]
    keys = _keys(old.get("primaryKey"))
    if not keys or not set(keys) <= set(comparable):
        keys = [renamed.get(k, k) for k in _keys(new.get("primaryKey"))]
        if not set(keys) <= set(comparable):
            keys = []
    spelled = {v: k for k, v in renamed.items()}  # old name -> name in the new version
    changes += _row_changes(
        name, old_plain.select(comparable), new_plain.select(comparable), keys, spelled
    )
    return changes


def _field_changes(
    resource: str, name: str, old: dict[str, Any], new: dict[str, Any]
) -> list[Change]:
    changes: list[Change] = []
    for key in sorted((set(old) | set(new)) - {"name"}):
        a, b = old.get(key), new.get(key)
        if not _changed(a, b):
            continue
        if key == "constraints":
            changes += _constraint_changes(resource, name, a or {}, b or {})
        elif key in ("categories", "categoriesOrdered"):
            continue  # handled together below
        elif key in _FIELD_FORMAT:
            retyped = key == "type"
            changes.append(
                Change(
                    "field-retyped" if retyped else "field-format",
                    "major",
                    "values are read or typed differently; readers of the old type break",
                    f"{'type' if retyped else key} {_show(a)} -> {_show(b)}",
                    resource=resource,
                    field=name,
                    old=a,
                    new=b,
                )
            )
        else:
            changes.append(
                Change(
                    "field-metadata",
                    "patch",
                    "descriptive metadata",
                    f"{key} {_verb(a, b)}",
                    resource=resource,
                    field=name,
                    old=a,
                    new=b,
                )
            )
    return changes + _category_changes(resource, name, old, new)


def _category_items(field: dict[str, Any]) -> list[tuple[str, Any]] | None:
    raw = field.get("categories")
    if raw is None:
        return None
    return [
        (str(item["value"]), item.get("label")) if isinstance(item, dict) else (str(item), None)
        for item in raw
    ]


def _category_changes(
    resource: str, name: str, old: dict[str, Any], new: dict[str, Any]
) -> list[Change]:
    a, b = _category_items(old), _category_items(new)
    a_ordered, b_ordered = bool(old.get("categoriesOrdered")), bool(new.get("categoriesOrdered"))

    def change(kind: str, level: Level, reason: str, detail: str, x: Any, y: Any) -> Change:
        return Change(kind, level, reason, detail, resource=resource, field=name, old=x, new=y)

    if a is None and b is None:
        return []
    if a is None or b is None:
        values = [v for v, _ in (a or b or [])]
        if a is None:
            return [
                change(
                    "constraint-tightened",
                    "major",
                    "values outside the new vocabulary become invalid, and typed copies become "
                    "categorical",
                    "vocabulary added",
                    None,
                    values,
                )
            ]
        return [
            change(
                "field-retyped",
                "major",
                "typed copies change from categorical to plain text",
                "vocabulary removed",
                values,
                None,
            )
        ]
    changes = []
    old_values, new_values = [v for v, _ in a], [v for v, _ in b]
    gone = [v for v in old_values if v not in new_values]
    extra = [v for v in new_values if v not in old_values]
    if gone:
        changes.append(
            change(
                "constraint-tightened",
                "major",
                "rows using a removed value become invalid",
                f"vocabulary values removed: {', '.join(gone)}",
                old_values,
                new_values,
            )
        )
    if extra:
        changes.append(
            change(
                "constraint-loosened",
                "minor",
                "more values are allowed; every old value is still valid",
                f"vocabulary values added: {', '.join(extra)}",
                old_values,
                new_values,
            )
        )
    if a_ordered != b_ordered:
        changes.append(
            change(
                "field-format",
                "major",
                "the ordering of the vocabulary is part of the type",
                f"categoriesOrdered {a_ordered} -> {b_ordered}",
                a_ordered,
                b_ordered,
            )
        )
    kept_old = [v for v in old_values if v in new_values]
    kept_new = [v for v in new_values if v in old_values]
    if kept_old != kept_new:
        ordered = a_ordered and b_ordered
        changes.append(
            change(
                "field-format" if ordered else "field-metadata",
                "major" if ordered else "patch",
                "the order of an ordered vocabulary is its meaning"
                if ordered
                else "the order of an unordered vocabulary is only presentation",
                "vocabulary reordered",
                kept_old,
                kept_new,
            )
        )
    old_labels, new_labels = dict(a), dict(b)
    relabelled = [v for v in kept_new if old_labels[v] != new_labels[v]]
    if relabelled:
        changes.append(
            change(
                "field-metadata",
                "patch",
                "descriptive metadata: what a value means is explained differently",
                f"vocabulary labels changed: {', '.join(relabelled)}",
                {v: old_labels[v] for v in relabelled},
                {v: new_labels[v] for v in relabelled},
            )
        )
    return changes


def _direction(key: str, a: Any, b: Any) -> str:
    """'tightened', 'loosened', 'changed' (cannot tell) or 'same' for one constraint."""
    if key in ("required", "unique"):
        return "tightened" if bool(b) and not bool(a) else "loosened" if bool(a) else "same"
    if a is None:
        return "tightened"
    if b is None:
        return "loosened"
    if key in _LOWER_BOUNDS or key in _UPPER_BOUNDS:
        try:
            higher = b > a
        except TypeError:
            return "changed"
        return "tightened" if higher == (key in _LOWER_BOUNDS) else "loosened"
    if key == "enum" and isinstance(a, list) and isinstance(b, list):
        old_set, new_set = {json.dumps(v) for v in a}, {json.dumps(v) for v in b}
        if old_set == new_set:
            return "same"
        if new_set < old_set:
            return "tightened"
        if new_set > old_set:
            return "loosened"
    return "changed"


def _constraint_changes(
    resource: str, name: str, old: dict[str, Any], new: dict[str, Any]
) -> list[Change]:
    changes = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if not _changed(a, b):
            continue
        direction = _direction(key, a, b)
        if direction == "same":
            changes.append(
                Change(
                    "field-metadata",
                    "patch",
                    "the same values are allowed, written differently",
                    f"constraint {key} rewritten: {_show(a)} -> {_show(b)}",
                    resource=resource,
                    field=name,
                    old={key: a},
                    new={key: b},
                )
            )
            continue
        level: Level
        if direction == "tightened":
            level, reason = "major", "values that were valid may now be refused"
        elif direction == "loosened":
            level, reason = "minor", "every value that was valid still is"
        else:
            level = "major"
            reason = "cannot prove every value that was valid still is; treated as tightened"
        changes.append(
            Change(
                f"constraint-{direction}",
                level,
                reason,
                f"constraint {key} {direction}: {_show(a)} -> {_show(b)}",
                resource=resource,
                field=name,
                old={key: a} if a is not None else None,
                new={key: b} if b is not None else None,
            )
        )
    return changes


def _schema_changes(resource: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = []
    for key in sorted((set(old) | set(new)) - {"fields"}):
        a, b = old.get(key), new.get(key)
        if not _changed(a, b):
            continue
        if key == "primaryKey":
            if _keys(a) == _keys(b):
                continue
            changes.append(
                Change(
                    "primary-key-changed",
                    "major",
                    "rows are identified differently; references to them break",
                    f"primary key {_show(_keys(a))} -> {_show(_keys(b))}",
                    resource=resource,
                    old=_keys(a),
                    new=_keys(b),
                )
            )
        elif key in ("foreignKeys", "uniqueKeys"):
            old_set = {json.dumps(v, sort_keys=True): v for v in a or []}
            new_set = {json.dumps(v, sort_keys=True): v for v in b or []}
            what = "foreign key" if key == "foreignKeys" else "unique key"
            for text in new_set.keys() - old_set.keys():
                changes.append(
                    Change(
                        "constraint-tightened",
                        "major",
                        "rows that were valid may now be refused",
                        f"{what} added: {_show(new_set[text])}",
                        resource=resource,
                        new=new_set[text],
                    )
                )
            for text in old_set.keys() - new_set.keys():
                changes.append(
                    Change(
                        "constraint-loosened",
                        "minor",
                        "every row that was valid still is",
                        f"{what} removed: {_show(old_set[text])}",
                        resource=resource,
                        old=old_set[text],
                    )
                )
        elif key in _SCHEMA_FORMAT:
            changes.append(
                Change(
                    "schema-format",
                    "major",
                    "the file is read differently",
                    f"schema {key} {_show(a)} -> {_show(b)}",
                    resource=resource,
                    field=key,
                    old=a,
                    new=b,
                )
            )
        else:
            changes.append(
                Change(
                    "schema-metadata",
                    "patch",
                    "descriptive metadata",
                    f"schema {key} {_verb(a, b)}",
                    resource=resource,
                    field=key,
                    old=a,
                    new=b,
                )
            )
    return changes


# --- rows ------------------------------------------------------------------------------------


def _row_changes(
    resource: str, old: pa.Table, new: pa.Table, keys: list[str], spelled: dict[str, str]
) -> list[Change]:
    """Rows added and removed, and cells changed, keyed by `keys` (whole rows if none)."""
    import pyarrow.compute as pc

    def key_of(row: dict[str, Any]) -> dict[str, Any]:
        return {spelled.get(k, k): row[k] for k in keys}

    def spell(row: dict[str, Any]) -> dict[str, Any]:
        return {spelled.get(k, k): v for k, v in row.items()}

    changes: list[Change] = []
    if not keys:
        old_rows = Counter(tuple(r.items()) for r in old.to_pylist())
        new_rows = Counter(tuple(r.items()) for r in new.to_pylist())
        for items in sorted((new_rows - old_rows).elements(), key=repr):
            changes.append(_row_added(resource, None, spell(dict(items))))
        for items in sorted((old_rows - new_rows).elements(), key=repr):
            changes.append(_row_removed(resource, None, spell(dict(items))))
        return changes

    order: list[tuple[str, Literal["ascending", "descending"]]] = [(k, "ascending") for k in keys]
    added = new.join(old.select(keys), keys=keys, join_type="left anti").sort_by(order)
    removed = old.join(new.select(keys), keys=keys, join_type="left anti").sort_by(order)
    for row in added.to_pylist():
        changes.append(_row_added(resource, key_of(row), spell(row)))
    for row in removed.to_pylist():
        changes.append(_row_removed(resource, key_of(row), spell(row)))

    values = [n for n in old.column_names if n not in keys]
    left = old.rename_columns([n if n in keys else f"old\x00{n}" for n in old.column_names])
    right = new.rename_columns([n if n in keys else f"new\x00{n}" for n in new.column_names])
    joined = left.join(right, keys=keys, join_type="inner").sort_by(order)
    cells: list[tuple[int, int, Change]] = []
    rows = joined.select(keys).to_pylist()
    for position, name in enumerate(values):
        a, b = joined.column(f"old\x00{name}"), joined.column(f"new\x00{name}")
        # Kleene logic: a value against a missing one differs; two missing values do not.
        differs = pc.indices_nonzero(
            pc.or_kleene(pc.not_equal(a, b), pc.xor(pc.is_null(a), pc.is_null(b)))
        )
        found = zip(
            differs.to_pylist(),
            a.take(differs).to_pylist(),
            b.take(differs).to_pylist(),
            strict=True,
        )
        for index, before, after in found:
            assert index is not None
            cells.append(
                (
                    index,
                    position,
                    Change(
                        "cell-changed",
                        "patch",
                        "a value corrected: same row, same field, new value",
                        f"{_show(before)} -> {_show(after)}",
                        resource=resource,
                        field=spelled.get(name, name),
                        key=key_of(rows[index]),
                        old=before,
                        new=after,
                    ),
                )
            )
    changes += [change for _, _, change in sorted(cells, key=lambda c: (c[0], c[1]))]
    return changes


def _row_added(resource: str, key: dict[str, Any] | None, row: dict[str, Any]) -> Change:
    return Change(
        "row-added",
        "minor",
        "new rows extend the data; every existing row is unchanged",
        "row added",
        resource=resource,
        key=key,
        new=row,
    )


def _row_removed(resource: str, key: dict[str, Any] | None, row: dict[str, Any]) -> Change:
    return Change(
        "row-removed",
        "major",
        "data a dependent may read or reference is gone",
        "row removed",
        resource=resource,
        key=key,
        old=row,
    )


# --- text ------------------------------------------------------------------------------------


def _show(value: Any, width: int = 48) -> str:
    """A value for a person: short, quoted if text, `(empty)` if missing."""
    if value is None:
        return "(empty)"
    if isinstance(value, str):
        text = " ".join(value.split())
        if len(text) > width:
            text = text[: width - 1] + "…"
        return f'"{text}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= width else text[: width - 1] + "…"
    return str(value)


def _row_label(change: Change) -> str:
    """The primary key of a row change; without one, the row's first value."""
    if change.key is not None:
        return ", ".join(str(v) for v in change.key.values())
    row = change.new or change.old or {}
    return ", ".join(str(v) for v in list(row.values())[:1])


_LIMIT = 12
_HEADINGS = {
    "major": "MAJOR: a dependent can break",
    "minor": "MINOR: new data or looser rules; nothing that worked breaks",
    "patch": "PATCH: corrections and descriptive metadata",
    "none": "NONE: nothing a dependent can see",
}


def _render_text(result: Diff) -> str:
    lines = [f"old: {result.old.describe()}", f"new: {result.new.describe()}", ""]
    bump = result.bump
    following = result.next_version()
    if bump == "none":
        lines.append("required bump: none (no change a dependent can see)")
    else:
        suffix = f" ({result.old.version} -> {following})" if following else ""
        lines.append(f"required bump: {bump}{suffix}")
    lines.append(f"  convention: {CONVENTIONS['datapackage']}")
    other, then = result.croissant_bump, result.next_version("croissant")
    suffix = f" ({result.old.version} -> {then})" if then and other != "none" else ""
    lines.append(f"under Croissant's convention: {other}{suffix}")
    lines.append(f"  convention: {CONVENTIONS['croissant']}")
    for level in reversed(LEVELS):
        group = [c for c in result.changes if c.level == level]
        if not group:
            continue
        lines += ["", _HEADINGS[level]]
        lines += _render_level(group)
    counts = result.counts()
    total = len(result.changes)
    summary = ", ".join(f"{counts[level]} {level}" for level in counts if counts[level])
    lines += ["", f"{total} change{'s' if total != 1 else ''}" + (f": {summary}" if total else "")]
    return "\n".join(lines) + "\n"


def _render_level(changes: list[Change]) -> list[str]:
    lines: list[str] = []
    seen: set[tuple[str, str | None]] = set()
    for change in changes:
        if change.kind not in ROW_KINDS:
            where = change.resource or "package"
            if change.field and change.kind not in ("package-identity", "package-metadata"):
                where = f"{where}.{change.field}"
            lines.append(f"  {where}: {change.detail} ({change.reason})")
            continue
        group_id = (change.kind, change.resource)
        if group_id in seen:
            continue
        seen.add(group_id)
        rows = [c for c in changes if (c.kind, c.resource) == group_id]
        count = len(rows)
        if change.kind == "cell-changed":
            keys = {_row_label(c) for c in rows}
            lines.append(
                f"  {change.resource}: {count} value{'s' if count != 1 else ''} changed in "
                f"{len(keys)} row{'s' if len(keys) != 1 else ''} ({change.reason})"
            )
            for cell in rows[:_LIMIT]:
                lines.append(f"      {_row_label(cell)} {cell.field}: {cell.detail}")
        else:
            verb = "added" if change.kind == "row-added" else "removed"
            lines.append(
                f"  {change.resource}: {count} row{'s' if count != 1 else ''} {verb} "
                f"({change.reason})"
            )
            labels = [_row_label(c) for c in rows]
            shown = ", ".join(labels[:_LIMIT])
            lines.append(f"      {shown}")
        if count > _LIMIT:
            lines.append(f"      … and {count - _LIMIT} more (--format json lists every one)")
    return lines
