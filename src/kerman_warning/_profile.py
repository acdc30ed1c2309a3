"""The Data Package v2 profile as JSON Schema, for `validate` stage 1 (descriptor).

Written for this package from the normative text of the Data Package v2 standard
(datapackage.org, June 2024): package, data resource and Table Schema, including `$schema`,
`categories`, `categoriesOrdered` and `uniqueKeys`. It is kept in code so that validation works
offline. Rules that JSON Schema cannot express (unique names, keys naming existing fields,
`enum` a subset of `categories`, ...) are checked in `_checks.describe`.
"""

from __future__ import annotations

from typing import Any

PACKAGE_PROFILES = (
    "https://datapackage.org/profiles/2.0/datapackage.json",
    "https://datapackage.org/profiles/2.1/datapackage.json",
)
RESOURCE_PROFILES = (
    "https://datapackage.org/profiles/2.0/dataresource.json",
    "https://datapackage.org/profiles/2.1/dataresource.json",
)
SCHEMA_PROFILES = (
    "https://datapackage.org/profiles/2.0/tableschema.json",
    "https://datapackage.org/profiles/2.1/tableschema.json",
)

# A relative POSIX path or an http(s)/ftp URL, as the standard words it; the stricter "inside
# the package, no URL" rule for data paths is the `path-safe` rule.
_PATH = r"^(?:(?:https?|ftps?)://\S+|(?![/.~])(?!file:)(?!.*(?:\.\./|\\|://)).+)$"
_RFC3339 = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_STRING: dict[str, Any] = {"type": "string"}
_STRINGS: dict[str, Any] = {"type": "array", "minItems": 1, "items": _STRING}
_KEY: dict[str, Any] = {"oneOf": [_STRING, _STRINGS]}  # v1 allowed a single string
_SOURCE: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "properties": {
        "title": _STRING,
        "path": {"type": "string", "pattern": _PATH},
        "email": _STRING,
        "version": _STRING,
    },
}
_LICENSE: dict[str, Any] = {
    "type": "object",
    "anyOf": [{"required": ["name"]}, {"required": ["path"]}],
    "properties": {
        "name": {"type": "string", "pattern": "^([-a-zA-Z0-9._])+$"},
        "path": {"type": "string", "pattern": _PATH},
        "title": _STRING,
    },
}
_CONTRIBUTOR: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "properties": {
        "title": _STRING,
        "givenName": _STRING,
        "familyName": _STRING,
        "path": {"type": "string", "pattern": _PATH},
        "email": _STRING,
        "organization": _STRING,
        "roles": _STRINGS,
    },
}
_MISSING: dict[str, Any] = {
    "type": "array",
    "items": {
        "oneOf": [
            _STRING,
            {
                "type": "object",
                "required": ["value"],
                "properties": {"value": _STRING, "label": _STRING},
            },
        ]
    },
}
FIELD_TYPES = (
    "string",
    "number",
    "integer",
    "boolean",
    "object",
    "array",
    "list",
    "date",
    "time",
    "datetime",
    "year",
    "yearmonth",
    "duration",
    "geopoint",
    "geojson",
    "any",
)
_CATEGORY_VALUE: dict[str, Any] = {"type": ["string", "integer"]}
FIELD: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "title": _STRING,
        "description": _STRING,
        "type": {"enum": list(FIELD_TYPES)},
        "format": _STRING,
        "example": {},
        "rdfType": _STRING,
        "missingValues": _MISSING,
        "categories": {
            "type": "array",
            "minItems": 1,
            "items": {
                "oneOf": [
                    _CATEGORY_VALUE,
                    {
                        "type": "object",
                        "required": ["value"],
                        "properties": {"value": _CATEGORY_VALUE, "label": _STRING},
                    },
                ]
            },
        },
        "categoriesOrdered": {"type": "boolean"},
        "constraints": {
            "type": "object",
            "properties": {
                "required": {"type": "boolean"},
                "unique": {"type": "boolean"},
                "minLength": {"type": "integer", "minimum": 0},
                "maxLength": {"type": "integer", "minimum": 0},
                "minimum": {"type": ["number", "string"]},
                "maximum": {"type": ["number", "string"]},
                "exclusiveMinimum": {"type": ["number", "string"]},
                "exclusiveMaximum": {"type": ["number", "string"]},
                "pattern": _STRING,
                "enum": {"type": "array", "minItems": 1},
                "jsonSchema": {"type": "object"},
            },
        },
    },
}
TABLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["fields"],
    "properties": {
        "$schema": {"enum": list(SCHEMA_PROFILES)},
        "fields": {"type": "array", "minItems": 1, "items": FIELD},
        "fieldsMatch": {"enum": ["exact", "equal", "subset", "superset", "partial"]},
        "missingValues": _MISSING,
        "primaryKey": _KEY,
        "uniqueKeys": {"type": "array", "minItems": 1, "items": _STRINGS},
        "foreignKeys": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["fields", "reference"],
                "properties": {
                    "fields": _KEY,
                    "reference": {
                        "type": "object",
                        "required": ["fields"],
                        "properties": {"resource": _STRING, "fields": _KEY},
                    },
                },
            },
        },
    },
}
RESOURCE: dict[str, Any] = {
    "type": "object",
    "oneOf": [{"required": ["name", "data"]}, {"required": ["name", "path"]}],
    "properties": {
        "$schema": {"enum": list(RESOURCE_PROFILES)},
        "name": {"type": "string", "minLength": 1},
        # The profile's path pattern is enforced by the stricter `path-safe` rule instead, so
        # that an unsafe path gives one problem, not two.
        "path": {
            "oneOf": [
                {"type": "string"},
                {"type": "array", "minItems": 1, "items": {"type": "string"}},
            ]
        },
        "data": {},
        "type": {"enum": ["table"]},
        "title": _STRING,
        "description": _STRING,
        "homepage": _STRING,
        "sources": {"type": "array", "items": _SOURCE},
        "licenses": {"type": "array", "minItems": 1, "items": _LICENSE},
        "format": _STRING,
        "mediatype": {"type": "string", "pattern": "^(.+)/(.+)$"},
        "encoding": _STRING,
        "bytes": {"type": "integer", "minimum": 0},
        "hash": {"type": "string", "pattern": "^([^:]+:[a-fA-F0-9]+|[a-fA-F0-9]{32})$"},
        "dialect": {"type": ["object", "string"]},
        "schema": {"oneOf": [TABLE_SCHEMA, {"type": "string"}]},  # path: see `path-safe`
    },
}
PACKAGE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Data Package v2 (as checked by kerman-warning validate)",
    "type": "object",
    "required": ["$schema", "resources"],
    "properties": {
        "$schema": {"enum": list(PACKAGE_PROFILES)},
        "name": _STRING,
        "id": _STRING,
        "title": _STRING,
        "description": _STRING,
        "homepage": _STRING,
        "image": _STRING,
        "version": _STRING,
        "created": {"type": "string", "pattern": _RFC3339},
        "keywords": _STRINGS,
        "contributors": {"type": "array", "minItems": 1, "items": _CONTRIBUTOR},
        "licenses": {"type": "array", "minItems": 1, "items": _LICENSE},
        "sources": {"type": "array", "items": _SOURCE},
        "resources": {"type": "array", "minItems": 1, "items": RESOURCE},
    },
}
