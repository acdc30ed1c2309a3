"""export-annotations: every span as W3C Web Annotation (valid by the W3C test-suite schemas),
brat standoff and JSON Lines; each selector points at its exact text; each format reads back
into the same spans; the writes are safe."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import kerman_warning as kw
from kerman_warning import _annotations
from kerman_warning._errors import PackageError
from kerman_warning.cli import main

SCHEMAS = Path(__file__).resolve().parent / "data" / "web-annotation" / "definitions"


@pytest.fixture(scope="module")
def found() -> tuple[list[_annotations.Span], dict[str, str]]:
    return _annotations.spans()


@pytest.fixture(scope="module")
def collection(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    target = tmp_path_factory.mktemp("w3c") / "spans.jsonld"
    kw.export_annotations("w3c", target)
    value: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
    return value


def validator(schema: dict[str, Any]) -> Any:
    """A draft-04 validator whose registry maps the test suite's file-name ids to its files."""
    jsonschema = pytest.importorskip("jsonschema")
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text()), DRAFT4))
        for path in sorted(SCHEMAS.glob("*.json"))
    ]
    assert len(resources) == 21
    registry: Any = Registry().with_resources(resources)
    return jsonschema.Draft4Validator(
        schema, registry=registry, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


OTHER = "otherProperties.json#/definitions"
# The test suite's definitions that apply to what we emit: the MUSTs of an annotation and of a
# collection with its embedded page, and the checks of every optional key we use.
ANNOTATION = {
    "allOf": [
        {"$ref": "annotations.json#/definitions/annotationTypeValueFound"},
        {"$ref": "id.json#/definitions/idValueFound"},
        {"$ref": "annotations.json#/definitions/motivationRecognizedIfPresent"},
        {
            "required": ["@context", "target", "body", "motivation"],
            "properties": {
                "@context": {"$ref": "annotations.json#/definitions/contextValueFound"},
                "motivation": {"$ref": "annotations.json#/definitions/motivationList"},
                "target": {
                    "allOf": [
                        {"$ref": "bodyTarget.json#/definitions/targetResourcesFound"},
                        {"$ref": "bodyTarget.json#/definitions/optionalTargetPropertiesMust"},
                        {"$ref": "specificResource.json#/definitions/specificeResourceDetected"},
                        {"$ref": "specificResource.json#/definitions/selectorDefined"},
                        {"required": ["selector"]},
                    ]
                },
                "body": {
                    "type": "array",
                    "items": {
                        "allOf": [
                            {"$ref": "bodyTarget.json#/definitions/bodyResourcesFound"},
                            {"$ref": "bodyTarget.json#/definitions/optionalBodyPropertiesMust"},
                            {"$ref": f"{OTHER}/purposeRecognizedIfPresent"},
                        ]
                    },
                },
            },
        },
    ]
}
SELECTORS = {
    "type": "array",
    "items": {
        "allOf": [
            {"$ref": "specificResource.json#/definitions/textQuoteSelectorTypeValidIfPresent"},
            {"$ref": "specificResource.json#/definitions/textPositionSelectorTypeValidIfPresent"},
        ]
    },
}
COLLECTION = {
    "allOf": [
        {"$ref": "collections.json#/definitions/annotationCollectionTypeValueFound"},
        {"$ref": "id.json#/definitions/idValueFound"},
        {"$ref": "collections.json#/definitions/labelFound"},
        {"$ref": "collections.json#/definitions/totalFound"},
        {"$ref": "collections.json#/definitions/firstFound"},
        {
            "required": ["@context"],
            "properties": {
                "@context": {"$ref": "collections.json#/definitions/contextValueFound"},
                "first": {
                    "allOf": [
                        {"$ref": "collections.json#/definitions/annotationPageTypeValueFound"},
                        {"$ref": "collections.json#/definitions/itemsFound"},
                        {"$ref": "collections.json#/definitions/startIndexFound"},
                    ]
                },
            },
        },
    ]
}


def errors(schema: dict[str, Any], instance: Any) -> list[str]:
    return [error.message for error in validator(schema).iter_errors(instance)]


def test_the_collection_and_every_annotation_are_valid(collection: dict[str, Any]) -> None:
    assert errors(COLLECTION, collection) == []
    items = collection["first"]["items"]
    assert collection["total"] == len(items) > 0
    for item in items:
        assert errors(ANNOTATION, item) == [], item["id"]
        assert errors(SELECTORS, item["target"]["selector"]) == [], item["id"]
    assert len({item["id"] for item in items}) == len(items)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda a: a.update(motivation="summarising"), "motivation"),
        (lambda a: a.update(type="Note"), "type"),
        (lambda a: a["target"]["selector"][0].update(start=-1), "start"),
        (lambda a: a.update({"@context": "http://example.org/context"}), "@context"),
    ],
    ids=["motivation", "type", "negative-start", "context"],
)
def test_the_schemas_refuse_a_broken_annotation(
    collection: dict[str, Any], change: Any, path: str
) -> None:
    broken = json.loads(json.dumps(collection["first"]["items"][0]))
    change(broken)
    assert errors(ANNOTATION, broken) + errors(SELECTORS, broken["target"]["selector"]), path


def test_every_selector_points_at_its_exact_text(collection: dict[str, Any]) -> None:
    text = kw.text()
    motivations = {}
    for item in collection["first"]["items"]:
        position, quote = item["target"]["selector"]
        assert position["type"] == "TextPositionSelector"
        assert quote["type"] == "TextQuoteSelector"
        start, end = position["start"], position["end"]
        assert text[start:end] == quote["exact"]
        assert text[:start].endswith(quote["prefix"])
        assert text[end:].startswith(quote["suffix"])
        assert text.count(quote["prefix"] + quote["exact"] + quote["suffix"]) == 1
        table = item["body"][0]["value"].removesuffix("_cue")
        motivations.setdefault(table, set()).add(item["motivation"])
    assert all(len(found) == 1 for found in motivations.values()), motivations
    assert motivations["errata"] == {"editing"}


def test_every_row_span_is_exported(
    collection: dict[str, Any], found: tuple[list[_annotations.Span], dict[str, str]]
) -> None:
    spans, _ = found
    expected = sum(
        sum(row[column] is not None for row in kw.load(name).to_pylist())
        for name in kw.resource_names()
        for column in ("start", "cue_start")
        if column in kw.load(name).column_names
    )
    assert len(spans) == expected == collection["total"]
    assert {s.label for s in spans} >= {"events", "quotes", "quotes_cue", "uncovered"}


def test_brat_reads_back_into_the_same_spans(
    tmp_path: Path, found: tuple[list[_annotations.Span], dict[str, str]]
) -> None:
    spans, _ = found
    written = kw.export_annotations("brat", tmp_path / "article.ann")
    assert written == [tmp_path / "article.txt", tmp_path / "article.ann"]
    text = (tmp_path / "article.txt").read_bytes().decode("utf-8")
    assert text == kw.text()
    ann = (tmp_path / "article.ann").read_text(encoding="utf-8")
    back = _annotations.read_brat(ann)
    assert back == [(s.label, s.start, s.end, f"{s.table} {s.row}") for s in spans]
    for line in ann.splitlines():  # brat's own check: the text column is the spans' text
        if line.startswith("T"):
            _, kind, covered = line.split("\t")
            offsets = kind.split(" ", 1)[1]
            pieces = [tuple(map(int, piece.split())) for piece in offsets.split(";")]
            assert covered == " ".join(text[a:b] for a, b in pieces)
            assert all("\n" not in text[a:b] for a, b in pieces)


def test_a_span_across_a_line_end_becomes_fragments() -> None:
    assert _annotations._fragments("ab\ncd", 0, 5) == [(0, 2), (3, 5)]
    assert _annotations._fragments("ab\n\ncd", 1, 6) == [(1, 2), (4, 6)]
    span = _annotations.Span("t", {"id": "x"}, "evidence", "d", 0, 5, "ab\ncd")
    assert (
        _annotations.brat([span], "ab\ncd") == "T1\tt 0 2;3 5\tab cd\n#1\tAnnotatorNotes T1\tt x\n"
    )


def test_jsonl_reads_back_into_the_same_spans(
    tmp_path: Path, found: tuple[list[_annotations.Span], dict[str, str]]
) -> None:
    spans, texts = found
    kw.export_annotations("jsonl", tmp_path / "spans.jsonl")
    data = (tmp_path / "spans.jsonl").read_text(encoding="utf-8")
    assert _annotations.read_jsonl(data) == [
        (s.doc_id, s.label, s.start, s.end, s.exact) for s in spans
    ]
    for line in data.splitlines():
        document = json.loads(line)
        assert document["text"] == texts[document["id"]]
        for span in document["spans"]:
            assert document["text"][span["start"] : span["end"]] == span["text"]


# --- writing safely --------------------------------------------------------------------------


def test_an_existing_file_is_replaced_only_with_force(tmp_path: Path) -> None:
    target = tmp_path / "spans.jsonl"
    target.write_text("keep\n", encoding="utf-8")
    with pytest.raises(PackageError, match="exists; pass --force"):
        kw.export_annotations("jsonl", target)
    assert target.read_text(encoding="utf-8") == "keep\n"
    kw.export_annotations("jsonl", target, force=True)
    assert target.read_text(encoding="utf-8").startswith('{"id": ')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spans.jsonl"], "no temporary left"


def test_brat_refuses_when_its_text_file_exists(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("mine\n", encoding="utf-8")
    with pytest.raises(PackageError, match=r"a\.txt: exists"):
        kw.export_annotations("brat", tmp_path / "a.ann")
    assert not (tmp_path / "a.ann").exists()


@pytest.mark.parametrize("kind", ["folder", "symlink", "fifo"])
def test_a_non_regular_file_is_never_replaced(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "spans.jsonl"
    if kind == "folder":
        target.mkdir()
    elif kind == "symlink":
        (tmp_path / "real").write_text("x", encoding="utf-8")
        target.symlink_to(tmp_path / "real")
    else:
        os.mkfifo(target)
    with pytest.raises(PackageError, match=r"exists and is (a folder|not a regular file)"):
        kw.export_annotations("jsonl", target, force=True)
    if kind == "symlink":
        assert (tmp_path / "real").read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize(
    ("format", "output", "message"),
    [
        ("jsonl", "missing/spans.jsonl", "does not exist; create it first"),
        ("brat", "spans.txt", "an .ann file"),
        ("csv", "spans.csv", "format must be one of w3c, brat, jsonl"),
    ],
)
def test_bad_requests_are_one_clear_error(
    tmp_path: Path, format: str, output: str, message: str
) -> None:
    with pytest.raises(PackageError, match=message):
        kw.export_annotations(format, tmp_path / output)


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "spans.jsonld"
    assert main(["export-annotations", "--format", "w3c", "--output", str(target)]) == 0
    assert capsys.readouterr().out == f"wrote {target}\n"
    assert main(["export-annotations", "--format", "w3c", "--output", str(target)]) == 2
    assert "exists; pass --force to replace it" in capsys.readouterr().err
    arguments = ["export-annotations", "--format", "w3c", "--output", str(target), "--force"]
    assert main(arguments) == 0
