"""croissant.json: the package as Croissant 1.1 (MLCommons), also schema.org Dataset markup.

A pure function of the descriptor `build` has just completed (sizes and hashes filled in), the
Table Schemas and, where the checkout has one, the datasheet. Mapping:

- each file (the text, every CSV, every Parquet copy) is a `cr:FileObject` with its sha256;
- each table is a `cr:RecordSet` read from its Parquet copy (typed, leading zeros kept), whose
  `cr:Field`s carry the Table Schema types, the primary key as `key`, and foreign keys as
  `references` to the referenced table's column (its Parquet FileObject: the tables refer to
  each other in cycles, e.g. documents -> sources -> entities -> documents, which record
  sets may not);
- each vocabulary (`categories`) is an enumeration `cr:RecordSet` (`sc:Enumeration`) with its
  values and labels in `data` (and their position where the vocabulary is ordered), named in the
  field's description: a field that `references` a record set makes mlcroissant 1.1 join
  record sets, which it cannot do while reading records;
- the Responsible-AI properties (`rai:`) are paragraphs of the datasheet.
"""

from __future__ import annotations

import re
from typing import Any

from ._io import json_bytes
from .tableschema import categories

__all__ = ["CONFORMS_TO", "CROISSANT", "LICENSE_URLS", "croissant", "render"]

CROISSANT = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
PARQUET_FORMAT = "application/x-parquet"  # the encodingFormat Croissant readers know
# Licence names of the descriptor (SPDX ids) and the URLs Croissant and schema.org expect.
LICENSE_URLS = {
    "ODC-By-1.0": "https://opendatacommons.org/licenses/by/1-0/",
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "ODbL-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
    "PDDL-1.0": "https://opendatacommons.org/licenses/pddl/1-0/",
}
_DATA_TYPES = {
    "string": "sc:Text",
    "integer": "sc:Integer",
    "number": "sc:Float",
    "boolean": "sc:Boolean",
    "date": "sc:Date",
}
# The standard Croissant 1.1 @context (as mlcroissant writes it), with the RAI vocabulary.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
# Responsible-AI property -> the datasheet paragraphs it is drawn from: (section, lead), where
# the lead is the bold words that open a paragraph; None takes the whole section.
RAI: dict[str, tuple[tuple[str, str | None], ...]] = {
    "rai:dataCollection": (
        ("Collection process", "How was the data acquired?"),
        ("Collection process", "Who coded it, and how?"),
    ),
    "rai:dataPreprocessingProtocol": (("Preprocessing, cleaning, labelling", "Cleaning."),),
    "rai:dataAnnotationProtocol": (
        ("Preprocessing, cleaning, labelling", "Labelling (coding) scheme."),
    ),
    "rai:dataBiases": (
        ("Motivation", "What is it not?"),
        ("Composition", "Is it a sample?"),
    ),
    "rai:dataLimitations": (
        ("Composition", "Is any information missing?"),
        ("Composition", "Known uncertainty and ambiguity."),
    ),
    "rai:personalSensitiveInformation": (
        ("Composition", "Does the dataset identify individuals or contain sensitive data?"),
    ),
    "rai:dataUseCases": (("Uses", "Suitable uses."),),
    "rai:dataSocialImpact": (("Uses", "Uses to avoid, and why."),),
    "rai:dataReleaseMaintenancePlan": (("Maintenance", None),),
}
_HEADING = re.compile(r"^## +(.+?) *$", re.M)
_LEAD = re.compile(r"^\*\*(.+?)\*\* ?")


def render(
    descriptor: dict[str, Any], schemas: dict[str, dict[str, Any]], *, datasheet: str | None
) -> bytes:
    """croissant.json's bytes: see `croissant`."""
    return json_bytes(croissant(descriptor, schemas, datasheet=datasheet))


def croissant(
    descriptor: dict[str, Any], schemas: dict[str, dict[str, Any]], *, datasheet: str | None
) -> dict[str, Any]:
    """The Croissant 1.1 JSON-LD of a built package (`schemas`: Table Schema by table name)."""
    resources = [r for r in descriptor.get("resources", []) if isinstance(r, dict)]
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": descriptor.get("title") or descriptor.get("name"),
        "alternateName": descriptor.get("name"),
        "description": descriptor.get("description", ""),
        "version": descriptor.get("version"),
        "license": license_urls(descriptor),
        "citeAs": cite_as(descriptor),
        "creator": [
            {"@type": "sc:Organization", "name": person.get("title")}
            for person in descriptor.get("contributors", [])
            if "creator" in person.get("roles", [])
        ],
        "datePublished": str(descriptor.get("created", ""))[:10],
        "inLanguage": ["ar", "en"],
        "keywords": descriptor.get("keywords", []),
        "isBasedOn": [s["path"] for s in descriptor.get("sources", []) if s.get("path")],
        "identifier": descriptor.get("id"),
        "distribution": _distribution(resources),
        "recordSet": _record_sets(resources, schemas),
    }
    if datasheet is not None:
        document |= responsible_ai(datasheet)
    return {key: value for key, value in document.items() if value not in (None, [], "")}


def license_urls(descriptor: dict[str, Any]) -> list[str]:
    """The package licences as URLs: the descriptor's `path`, else the known URL of its name."""
    urls = []
    for item in descriptor.get("licenses", []):
        url = item.get("path") or LICENSE_URLS.get(str(item.get("name")))
        if url:
            urls.append(str(url))
    return urls


def cite_as(descriptor: dict[str, Any]) -> str:
    """A BibTeX entry for the version (the same facts as CITATION.cff)."""
    name, version = descriptor.get("name", "dataset"), descriptor.get("version", "")
    authors = " and ".join(
        "{" + str(person.get("title")) + "}"
        for person in descriptor.get("contributors", [])
        if "creator" in person.get("roles", [])
    )
    fields = {
        "title": "{" + str(descriptor.get("title", name)) + "}",
        "author": authors,
        "year": str(descriptor.get("created", ""))[:4],
        "version": version,
        "note": f"Data package {name}, version {version}",
    }
    body = ",\n".join(f"  {key} = {{{value}}}" for key, value in fields.items() if value)
    return f"@misc{{{name}-{version},\n{body}\n}}"


def _file_id(resource: dict[str, Any]) -> str:
    return str(resource["path"]).rsplit("/", 1)[-1]


def _sha256(block: dict[str, Any]) -> str:
    return str(block.get("hash", "")).removeprefix("sha256:")


def _distribution(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    files = []
    for resource in resources:
        files.append(
            {
                "@type": "cr:FileObject",
                "@id": _file_id(resource),
                "name": resource["path"],
                "description": resource.get("description") or resource.get("title", ""),
                "contentUrl": resource["path"],
                "contentSize": f"{resource.get('bytes', 0)} B",
                "encodingFormat": resource.get("mediatype", "application/octet-stream"),
                "sha256": _sha256(resource),
            }
        )
        parquet = resource.get("parquet")
        if isinstance(parquet, dict):
            files.append(
                {
                    "@type": "cr:FileObject",
                    "@id": _file_id(parquet),
                    "name": parquet["path"],
                    "description": f"The {resource['name']} table, typed (Parquet copy of "
                    f"{resource['path']}, generated by `kerman-warning build`).",
                    "contentUrl": parquet["path"],
                    "contentSize": f"{parquet.get('bytes', 0)} B",
                    "encodingFormat": PARQUET_FORMAT,
                    "sha256": _sha256(parquet),
                }
            )
    return files


def _record_sets(
    resources: list[dict[str, Any]], schemas: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    tables = [r for r in resources if r.get("type") == "table" and r["name"] in schemas]
    record_sets: list[dict[str, Any]] = []
    enumerations: list[dict[str, Any]] = []
    for resource in tables:
        name, schema = resource["name"], schemas[resource["name"]]
        references = {}
        for key in schema.get("foreignKeys", []):
            if len(key.get("fields", [])) == 1:
                target = key["reference"].get("resource") or name
                references[key["fields"][0]] = (target, key["reference"]["fields"][0])
        fields = []
        for field in schema["fields"]:
            fields.append(_field(resource, field, references))
            values = categories(field)
            if values is not None:
                enumerations.append(_enumeration(name, field, values))
        record_set: dict[str, Any] = {
            "@type": "cr:RecordSet",
            "@id": name,
            "name": name,
            "description": resource.get("description") or resource.get("title", ""),
            "field": fields,
        }
        keys = schema.get("primaryKey", [])
        if keys:
            ids = [{"@id": f"{name}/{key}"} for key in keys]
            record_set["key"] = ids[0] if len(ids) == 1 else ids
        record_sets.append(record_set)
    return record_sets + enumerations


def _enumeration_id(table: str, field: str) -> str:
    return f"{table}.{field}.categories"


def _field(
    resource: dict[str, Any],
    field: dict[str, Any],
    references: dict[str, tuple[str, str]],
) -> dict[str, Any]:
    table, name = resource["name"], field["name"]
    description = str(field.get("description", ""))
    if categories(field) is not None:
        description += f" Values: the enumeration {_enumeration_id(table, name)}."
    out: dict[str, Any] = {
        "@type": "cr:Field",
        "@id": f"{table}/{name}",
        "name": name,
        "description": description,
        "dataType": _DATA_TYPES.get(field.get("type", "string"), "sc:Text"),
        "source": {
            "fileObject": {"@id": _file_id(resource["parquet"])},
            "extract": {"column": name},
        },
    }
    if name in references:
        target, column = references[name]
        out["references"] = {
            "fileObject": {"@id": f"{target}.parquet"},
            "extract": {"column": column},
        }
    return out


def _enumeration(table: str, field: dict[str, Any], values: list[str]) -> dict[str, Any]:
    """An enumeration record set: the vocabulary of one field, with labels (and order)."""
    identifier = _enumeration_id(table, field["name"])
    ordered = bool(field.get("categoriesOrdered"))
    labels = {
        str(item["value"]): str(item.get("label", ""))
        for item in field.get("categories", [])
        if isinstance(item, dict)
    }
    columns: list[tuple[str, str, str]] = [
        ("value", "sc:Text", "The value as it appears in the table."),
        ("label", "sc:Text", "What the value means."),
    ]
    if ordered:
        columns.append(("position", "sc:Integer", "Rank in the vocabulary's order (0 first)."))
    data = []
    for position, value in enumerate(values):
        row: dict[str, Any] = {
            f"{identifier}/value": value,
            f"{identifier}/label": labels.get(value, ""),
        }
        if ordered:
            row[f"{identifier}/position"] = position
        data.append(row)
    order = "an ordered" if ordered else "a"
    return {
        "@type": "cr:RecordSet",
        "@id": identifier,
        "name": identifier,
        "description": f"The values of {table}.{field['name']}: {order} controlled vocabulary.",
        "dataType": "sc:Enumeration",
        "key": {"@id": f"{identifier}/value"},
        "field": [
            {
                "@type": "cr:Field",
                "@id": f"{identifier}/{column}",
                "name": column,
                "description": text,
                "dataType": kind,
            }
            for column, kind, text in columns
        ],
        "data": data,
    }


# --- the datasheet ---------------------------------------------------------------------------


def sections(datasheet: str) -> dict[str, str]:
    """The datasheet's `## ` sections, by heading, each its text up to the next heading."""
    found = list(_HEADING.finditer(datasheet))
    ends = [m.start() for m in found[1:]] + [len(datasheet)]
    pairs = zip(found, ends, strict=True)
    return {m.group(1): datasheet[m.end() : end].strip() for m, end in pairs}


def paragraph(section: str, lead: str | None) -> str | None:
    """The paragraph of `section` opening with bold `lead` (with the list after it), flattened
    to plain lines; the whole section when `lead` is None; None when there is no such lead."""
    blocks = [block.strip() for block in re.split(r"\n\s*\n", section) if block.strip()]
    if lead is not None:
        start = next((i for i, b in enumerate(blocks) if b.startswith(f"**{lead}**")), None)
        if start is None:
            return None
        end = next(
            (i for i in range(start + 1, len(blocks)) if _LEAD.match(blocks[i])), len(blocks)
        )
        blocks = blocks[start:end]
    texts = [_LEAD.sub("", _flatten(block), count=1).strip() for block in blocks[:1]]
    texts += [_flatten(block) for block in blocks[1:]]
    return "\n\n".join(text for text in texts if text)


def _flatten(block: str) -> str:
    """Markdown line wraps joined; list items and table rows kept one per line."""
    lines: list[str] = []
    for raw in block.splitlines():
        line = raw.strip()
        if not lines or line.startswith(("- ", "| ", "* ")):
            lines.append(line)
        else:
            lines[-1] += " " + line
    return "\n".join(lines)


def responsible_ai(datasheet: str) -> dict[str, str]:
    """The `rai:` properties drawn from the datasheet (a property whose paragraphs are all
    missing is left out, so that a rewritten datasheet never yields an empty statement)."""
    parts = sections(datasheet)
    out = {}
    for prop, sources in RAI.items():
        texts = [paragraph(parts.get(heading, ""), lead) for heading, lead in sources]
        kept = [text for text in texts if text]
        if kept:
            out[prop] = "\n\n".join(kept)
    return out
