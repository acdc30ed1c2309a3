"""The profiles a descriptor is checked against: the official Data Package v2.0 JSON Schemas,
shipped unchanged in profiles/2.0/, and this project's own (profiles/kerman-warning.*.json),
each `allOf` the official one and a few stricter demands.

The official files are draft 7 and refer to no other file; the project's refer to the official
ones by URL, resolved offline through a `referencing` registry of the shipped files. Formats
are checked with jsonschema's draft 7 format checker.

Three known defects of the official 2.0 files, each worked around here or nearby, with a test
(tests/validate/test_profile.py):

1. Every `$schema` default points at the 1.0 profiles (frictionlessdata/datapackage#1143).
   No default is ever applied here; a package without `$schema` is checked as v2.0, and the
   project profile pins `$schema` to the v2.0 URL.
2. The path pattern rejects "/../" only between two segments, so "data/.." passes it. The one
   containment check (`_package.contained`, rule `path-safe`) refuses any ".." part; profile
   errors about a resource path are left to `path-safe`, so one cause gives one problem.
3. A foreign key's `fields` array carries its `minItems` and `uniqueItems` inside `items`,
   where they constrain strings, so [] and ["a", "a"] pass. `stages.schemas.check_key_fields`
   refuses both.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import jsonschema

__all__ = ["OFFICIAL", "PROFILES", "errors", "validator"]

PROFILES = Path(__file__).resolve().parent / "profiles"
BASE = "https://datapackage.org/profiles/2.0/"
OFFICIAL = ("datapackage.json", "dataresource.json", "tabledialect.json", "tableschema.json")
Kind = Literal["package", "schema"]
_FILES = {
    ("package", False): "2.0/datapackage.json",
    ("schema", False): "2.0/tableschema.json",
    ("package", True): "kerman-warning.datapackage.json",
    ("schema", True): "kerman-warning.tableschema.json",
}


def _load(relative: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((PROFILES / relative).read_text(encoding="utf-8"))
    return value


@functools.cache
def _registry() -> Any:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    resources = [(BASE + name, _load(f"2.0/{name}")) for name in OFFICIAL]
    return Registry().with_resources(
        (uri, Resource.from_contents(contents, default_specification=DRAFT7))
        for uri, contents in resources
    )


@functools.cache
def validator(kind: Kind, *, project: bool) -> jsonschema.Draft7Validator:
    """The draft 7 validator of the official profile of `kind`, or of the project's."""
    return _validator(_load(_FILES[(kind, project)]))


def _validator(schema: dict[str, Any]) -> jsonschema.Draft7Validator:
    import jsonschema

    cls = jsonschema.Draft7Validator
    return cls(schema, registry=_registry(), format_checker=cls.FORMAT_CHECKER)


@functools.cache
def _by_field_type(project: bool) -> tuple[jsonschema.Draft7Validator, dict[str, Any]]:
    """The Table Schema profile without its per-field `oneOf`, and a validator per field type.

    The official profile checks each field against 15 `oneOf` branches, one per type, told
    apart by `type`'s enum: a field with a known `type` can only match its own branch, so
    checking that one branch gives the same verdict at a fifteenth of the cost (and names
    the property that is wrong rather than "not valid under any of the given schemas").
    """
    official = _load("2.0/tableschema.json")
    branches = official["properties"]["fields"]["items"]["oneOf"]
    by_type = {b["properties"]["type"]["enum"][0]: _validator(b) for b in branches}
    official["properties"]["fields"]["items"] = {}
    if project:
        outer = _load(_FILES[("schema", True)])
        outer["allOf"][0] = official  # inline, in place of the $ref to the full profile
        return _validator(outer), by_type
    return _validator(official), by_type


def errors(checker: jsonschema.Draft7Validator, instance: object) -> list[Any]:
    """Where `instance` breaks the profile, as jsonschema errors, leaf first.

    An `allOf` error is replaced by its causes, so that each problem names the part of the
    profile (official or the project's) that it breaks. Errors about a resource's `path` are
    left to the `path-safe` rule (defect 2 above). The same JSON against the same profile is
    checked once per process (validating against the profiles is most of the time of a small
    package, and the same Table Schemas are checked again and again).
    """
    _CHECKERS.setdefault(id(checker), checker)  # kept, so that the id stays its own
    return list(_errors(id(checker), json.dumps(instance, ensure_ascii=False)))


_CHECKERS: dict[int, Any] = {}


@functools.lru_cache(maxsize=256)
def _errors(checker_id: int, text: str) -> tuple[Any, ...]:
    checker, instance = _CHECKERS[checker_id], json.loads(text)
    found: list[Any] = []
    pending = _fast_schema_errors(checker, instance)
    if pending is None:
        pending = list(checker.iter_errors(instance))
    while pending:
        error = pending.pop(0)
        if error.validator in ("allOf", "$ref") and error.context:
            pending.extend(error.context)
            continue
        path = list(error.absolute_path)
        if len(path) == 3 and path[0] == "resources" and path[2] == "path":
            continue
        found.append(error)
    return tuple(found)


def _fast_schema_errors(checker: jsonschema.Draft7Validator, instance: object) -> list[Any] | None:
    """A Table Schema's errors, field by field (see `_by_field_type`); None when the fast way
    does not apply (another profile, or a field without a known `type`)."""
    project = checker is validator("schema", project=True)
    if not (project or checker is validator("schema", project=False)):
        return None
    fields = instance.get("fields") if isinstance(instance, dict) else None
    whole, by_type = _by_field_type(project)
    if not isinstance(fields, list) or not all(
        isinstance(f, dict) and f.get("type") in by_type for f in fields
    ):
        return None
    found = list(whole.iter_errors(instance))
    for index, field in enumerate(fields):
        for error in by_type[field["type"]].iter_errors(field):
            error.path.extendleft([index, "fields"])  # as if found in the whole schema
            prefix = ["allOf", 0] if project else []
            error.schema_path.extendleft(
                reversed([*prefix, "properties", "fields", "items", "oneOf"])
            )
            found.append(error)
    return found
