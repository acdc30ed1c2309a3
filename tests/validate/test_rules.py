"""One test per rule: copy the real package, break exactly that rule, and see it fire where it
should, with no other error (one cause, one error). A rule in the catalogue without a case
here fails `test_every_rule_has_a_breaking_case`."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conftest import (
    edit_json,
    get_cell,
    line_of,
    read_rows,
    refresh,
    set_cell,
    write_rows,
)
from kerman_warning._limits import MAX_CELL_CHARS
from kerman_warning.validate import Report, spec, validate
from kerman_warning.validate import catalogue as catalogue_module
from kerman_warning.validate.rules import text as text_rules

ARTICLE = (Path(__file__).resolve().parents[2] / "data/article.ar.txt").read_text("utf-8")


@dataclass(frozen=True)
class Expect:
    """Where the rule must fire; `also`: other error rules the same edit rightly breaks."""

    resource: str | None
    row: int | None
    field: str | None
    also: frozenset[str] = field(default_factory=frozenset)
    exit_code: int = 1


Case = Callable[[Path], Expect]
CASES: dict[str, Case] = {}


def case(rule_id: str) -> Callable[[Case], Case]:
    def register(function: Case) -> Case:
        CASES[rule_id] = function
        return function

    return register


def set_resource(root: Path, name: str, key: str, value: object) -> None:
    def change(package: dict[str, object]) -> None:
        for block in package["resources"]:  # type: ignore[attr-defined]
            if block["name"] == name:
                block[key] = value

    edit_json(root / "datapackage.json", change)


# --- Stage 1 ---------------------------------------------------------------------------------


@case("descriptor-readable")
def _(root: Path) -> Expect:
    (root / "datapackage.json").write_text('{"name": "kerman-warning", ', encoding="utf-8")
    return Expect(None, None, None, exit_code=2)


@case("descriptor-profile")
def _(root: Path) -> Expect:
    edit_json(root / "datapackage.json", lambda p: p.update(licenses="ODC-By-1.0"))
    return Expect(None, None, "licenses")


@case("path-safe")
def _(root: Path) -> Expect:
    set_resource(root, "errata", "path", "../errata.csv")
    return Expect("errata", None, "path")


@case("file-present")
def _(root: Path) -> Expect:
    (root / "data/errata.csv").unlink()
    return Expect("errata", None, "path")


@case("build-complete")
def _(root: Path) -> Expect:
    (root / ".kerman-warning-build").mkdir()
    (root / ".kerman-warning-build/journal.json").write_text(
        '{"files": [], "folders": []}', encoding="utf-8"
    )
    return Expect(None, None, None, exit_code=2)


@case("name-safe")
def _(root: Path) -> Expect:
    set_resource(root, "errata", "name", "../errata")
    return Expect(None, None, "name")


@case("file-size-limit")
def _(root: Path) -> Expect:
    from kerman_warning._limits import MAX_STREAMED_BYTES

    with (root / "data/errata.csv").open("r+b") as handle:
        handle.truncate(MAX_STREAMED_BYTES + 1)  # sparse: no disk used, and never read
    return Expect("errata", None, "path")


# --- Stage 2 ---------------------------------------------------------------------------------


@case("hash-verifiable")
def _(root: Path) -> Expect:
    set_resource(root, "events", "hash", "md5:" + "0" * 32)
    return Expect("events", None, "hash")


@case("bytes-match")
def _(root: Path) -> Expect:
    set_resource(root, "events", "bytes", (root / "data/events.csv").stat().st_size + 1)
    return Expect("events", None, "bytes")


@case("hash-match")
def _(root: Path) -> Expect:
    set_resource(root, "events", "hash", "sha256:" + "0" * 64)
    return Expect("events", None, "hash")


@case("parquet-matches-csv")
def _(root: Path) -> Expect:
    path = root / "data/parquet/events.parquet"
    table = pq.read_table(path)
    changed = table.column("description_en").to_pylist()
    changed[0] = "Something else"
    table = table.set_column(
        table.schema.get_field_index("description_en"), "description_en", pa.array(changed)
    )
    pq.write_table(table, path, compression="zstd")
    data = path.read_bytes()

    def change(package: dict[str, object]) -> None:
        for block in package["resources"]:  # type: ignore[attr-defined]
            if block["name"] == "events":
                block["parquet"]["bytes"] = len(data)
                block["parquet"]["hash"] = f"sha256:{hashlib.sha256(data).hexdigest()}"

    edit_json(root / "datapackage.json", change)
    return Expect("events", None, None)


# --- Stage 3 ---------------------------------------------------------------------------------


@case("csv-readable")
def _(root: Path) -> Expect:
    path = root / "data/errata.csv"
    lines = path.read_text(encoding="utf-8").count("\n")
    with path.open("a", encoding="utf-8") as handle:
        handle.write('err-x,typo,,"never closed,ref-curated-external-facts,doc-x,1,2,x\n')
    refresh(root)
    return Expect("errata", lines + 1, None)


@case("header-matches")
def _(root: Path) -> Expect:
    header, rows = read_rows(root, "events")
    i, j = header.index("date_start"), header.index("date_end")
    header[i], header[j] = header[j], header[i]
    write_rows(root, "events", header, rows)
    refresh(root)
    return Expect("events", 1, None)


@case("has-rows")
def _(root: Path) -> Expect:
    header, _ = read_rows(root, "errata")
    write_rows(root, "errata", header, [])
    refresh(root)
    return Expect("errata", 1, None)


@case("type")
def _(root: Path) -> Expect:
    line = set_cell(root, "casualties", "cas-attack-kerman-killed", "low", "٨٤")
    refresh(root)
    return Expect("casualties", line, "low")


@case("required")
def _(root: Path) -> Expect:
    line = set_cell(root, "casualties", "cas-attack-kerman-killed", "number_as_written", "")
    refresh(root)
    return Expect("casualties", line, "number_as_written")


@case("unique")
def _(root: Path) -> Expect:
    edit_json(
        root / "schemas/entities.schema.json",
        lambda s: (
            next(f for f in s["fields"] if f["name"] == "name_en")
            .setdefault("constraints", {})
            .update(unique=True)
        ),
    )
    # ent-usa comes after ent-iran (rows are in primary-key order): the repeat is its line.
    iran = get_cell(root, "entities", "ent-iran", "name_en")
    line = set_cell(root, "entities", "ent-usa", "name_en", iran)
    refresh(root, json_schemas=True)
    return Expect("entities", line, "name_en")


@case("categories")
def _(root: Path) -> Expect:
    line = set_cell(root, "events", "evt-attack-kerman", "event_type", "bombing")
    refresh(root)
    return Expect("events", line, "event_type")


@case("enum")
def _(root: Path) -> Expect:
    edit_json(
        root / "schemas/documents.schema.json",
        lambda s: (
            next(f for f in s["fields"] if f["name"] == "section_en")
            .setdefault("constraints", {})
            .update(enum=["Middle East", "World"])
        ),
    )
    key = read_rows(root, "documents")[1][0][0]
    line = set_cell(root, "documents", key, "section_en", "Sport")
    refresh(root, json_schemas=True)
    return Expect("documents", line, "section_en")


@case("minimum")
def _(root: Path) -> Expect:
    line = set_cell(root, "casualties", "cas-attack-kerman-killed", "best", "-1")
    refresh(root)
    return Expect("casualties", line, "best")


@case("maximum")
def _(root: Path) -> Expect:
    line = set_cell(root, "entities", "ent-kerman", "latitude", "95")
    refresh(root)
    return Expect("entities", line, "latitude")


@case("length")
def _(root: Path) -> Expect:
    long_id = "cas-" + "a" * 80  # maxLength 80
    line = set_cell(root, "casualties", "cas-attack-kerman-injured", "casualty_id", long_id)
    refresh(root)
    return Expect("casualties", line, "casualty_id")


@case("pattern")
def _(root: Path) -> Expect:
    line = set_cell(root, "casualties", "cas-attack-kerman-injured", "casualty_id", "CAS-X")
    refresh(root)
    return Expect("casualties", line, "casualty_id")


@case("primary-key")
def _(root: Path) -> Expect:
    key = "cas-attack-kerman-injured"  # the first row: the repeat is the second
    line = set_cell(root, "casualties", "cas-attack-kerman-killed", "casualty_id", key)
    refresh(root)
    return Expect("casualties", line, "casualty_id")


@case("unique-keys")
def _(root: Path) -> Expect:
    line = set_cell(root, "casualties", "cas-attack-kerman-killed", "outcome", "injured")
    refresh(root)
    return Expect("casualties", line, "outcome")


@case("foreign-key")
def _(root: Path) -> Expect:
    line = set_cell(root, "casualties", "cas-attack-kerman-killed", "event_id", "evt-missing")
    refresh(root)
    return Expect("casualties", line, "event_id")


# --- Stage 4 ---------------------------------------------------------------------------------


@case("span-matches-text")
def _(root: Path) -> Expect:
    start = int(get_cell(root, "entities", "ent-iran", "start"))
    line = set_cell(root, "entities", "ent-iran", "start", str(start + 1))  # shifted by one
    refresh(root)
    return Expect("entities", line, "exact")


@case("text-hash-matches")
def _(root: Path) -> Expect:
    key = read_rows(root, "documents")[1][0][0]
    line = set_cell(root, "documents", key, "text_length", str(len(ARTICLE) + 1))
    refresh(root)
    return Expect("documents", line, "text_length")


@case("nfc-text")
def _(root: Path) -> Expect:
    name = unicodedata.normalize("NFD", get_cell(root, "entities", "ent-iran", "name_ar"))
    line = set_cell(root, "entities", "ent-iran", "name_ar", name)
    refresh(root)
    return Expect("entities", line, "name_ar")


@case("text-characters")
def _(root: Path) -> Expect:
    name = get_cell(root, "entities", "ent-iran", "name_ar") + "\u200f"
    line = set_cell(root, "entities", "ent-iran", "name_ar", name)
    refresh(root)
    return Expect("entities", line, "name_ar")


@case("no-formula-cells")
def _(root: Path) -> Expect:
    line = set_cell(root, "entities", "ent-iran", "note_en", '=HYPERLINK("http://x")')
    refresh(root)
    return Expect("entities", line, "note_en")


@case("cell-size-limit")
def _(root: Path) -> Expect:
    key = read_rows(root, "references")[1][0][0]
    line = set_cell(root, "references", key, "note", "x" * (MAX_CELL_CHARS + 1))
    refresh(root)
    return Expect("references", line, "note")


@case("every-row-has-provenance")
def _(root: Path) -> Expect:
    assert get_cell(root, "events", "evt-attack-kerman", "date_basis") == "external"
    line = set_cell(root, "events", "evt-attack-kerman", "date_ref_id", "")
    refresh(root)
    return Expect("events", line, "date_ref_id")


@case("project-package")
def _(root: Path) -> Expect:
    edit_json(root / "datapackage.json", lambda d: d.update(name="another-package"))
    refresh(root)
    return Expect(None, None, "name")


@case("project-profile")
def _(root: Path) -> Expect:
    def drop(schema: dict[str, Any]) -> None:
        del schema["fields"][1]["description"]

    edit_json(root / "schemas/events.schema.json", drop)
    refresh(root, json_schemas=True)
    field = json.loads((root / "schemas/events.schema.json").read_text("utf-8"))["fields"][1]
    return Expect("events", None, field["name"])


@case("not-checked")
def _(root: Path) -> Expect:
    inline = {"name": "extra", "title": "Inline", "description": "Inline rows.", "data": [{}]}
    edit_json(root / "datapackage.json", lambda d: d["resources"].append(inline))
    return Expect("extra", None, "data", exit_code=0)  # a warning; no file changed


@case("casualty-bounds")
def _(root: Path) -> Expect:
    line = set_cell(root, "casualties", "cas-attack-kerman-injured", "high", "283")  # below low
    refresh(root)
    return Expect("casualties", line, "high")


@case("qualifier-agrees")
def _(root: Path) -> Expect:
    line = set_cell(root, "casualties", "cas-attack-kerman-killed", "qualifier", "exact")
    refresh(root)
    return Expect("casualties", line, "qualifier")


@case("number-agrees")
def _(root: Path) -> Expect:
    line = set_cell(root, "casualties", "cas-attack-kerman-killed", "number_as_written", "85")
    refresh(root)
    return Expect("casualties", line, "number_as_written")


@case("date-order")
def _(root: Path) -> Expect:
    line = set_cell(root, "events", "evt-negotiation-nuclear-2015", "date_start", "2016-01-01")
    refresh(root)
    return Expect("events", line, "date_end")


@case("date-precision-agrees")
def _(root: Path) -> Expect:
    line = set_cell(root, "events", "evt-attack-kerman", "date_end", "2024-01-04")
    refresh(root)
    return Expect("events", line, "date_precision")


@case("claim-after-attack")
def _(root: Path) -> Expect:
    claim = next(row[0] for row in read_rows(root, "events")[1] if row[1] == "claim")
    set_cell(root, "events", claim, "date_start", "2024-01-02")
    line = set_cell(root, "events", claim, "date_end", "2024-01-02")
    refresh(root)
    return Expect("events", line, "date_start")


@case("event-before-publication")
def _(root: Path) -> Expect:
    set_cell(root, "events", "evt-report-wsj", "date_start", "2024-01-27")
    line = set_cell(root, "events", "evt-report-wsj", "date_end", "2024-01-27")
    refresh(root)
    return Expect("events", line, "date_start")


@case("direct-quote-verbatim")
def _(root: Path) -> Expect:
    assert get_cell(root, "quotes", "quo-official-warned-iran", "kind") == "indirect"
    line = set_cell(root, "quotes", "quo-official-warned-iran", "kind", "direct")
    refresh(root)
    return Expect("quotes", line, "start")


@case("speaker-is-source")
def _(root: Path) -> Expect:
    line = set_cell(root, "quotes", "quo-isis-claim", "source_id", "src-iran-un-mission")
    refresh(root)
    return Expect("quotes", line, "source_id")


@case("parent-acyclic")
def _(root: Path) -> Expect:
    assert get_cell(root, "entities", "ent-us-government", "parent_entity_id") == "ent-usa"
    line = set_cell(root, "entities", "ent-usa", "parent_entity_id", "ent-us-government")
    refresh(root)
    return Expect("entities", line, "parent_entity_id")


@case("text-covered")
def _(root: Path) -> Expect:
    header, rows = read_rows(root, "uncovered")
    gone = next(row for row in rows if row[0] == "unc-full-stop-p1")
    write_rows(root, "uncovered", header, [row for row in rows if row is not gone])
    refresh(root)
    start = int(gone[header.index("start")])
    return Expect("documents", ARTICLE.count("\n", 0, start) + 1, None, exit_code=0)


@case("uncovered-is-uncovered")
def _(root: Path) -> Expect:
    start, end = 320, int(get_cell(root, "uncovered", "unc-comma-p1", "end"))
    set_cell(root, "uncovered", "unc-comma-p1", "start", str(start))
    line = set_cell(root, "uncovered", "unc-comma-p1", "exact", ARTICLE[start:end])
    refresh(root)
    return Expect("uncovered", line, "start", exit_code=0)


@case("versions-agree")
def _(root: Path) -> Expect:
    edit_json(root / "datapackage.json", lambda p: p.update(version="9.9.9"))
    return Expect("documents", None, "datapackage.package")


@case("json-schema-in-sync")
def _(root: Path) -> Expect:
    edit_json(root / "schemas/json/events.json", lambda s: s.update(description="edited"))
    return Expect("events", None, "/description")


@case("row-json-schema")
def _(root: Path) -> Expect:
    edit_json(
        root / "schemas/json/casualties.json",
        lambda s: s["properties"]["best"].update(maximum=100),
    )
    line = line_of(root, "casualties", "cas-attack-kerman-injured")
    return Expect("casualties", line, "best", also=frozenset({"json-schema-in-sync"}))


@case("pattern-linear")
def _(root: Path) -> Expect:
    """A backreference: Python's `re` would run it (and can backtrack forever); RE2 refuses."""
    edit_json(
        root / "schemas/json/casualties.json",
        lambda s: s["properties"]["outcome"].update(pattern="^(k)\\1?illed|injured$"),
    )
    return Expect(
        "casualties", None, "/properties/outcome/pattern", also=frozenset({"json-schema-in-sync"})
    )


# --- Factuality (FactBank) -------------------------------------------------------------------


@case("factuality-cue-agrees")
def _(root: Path) -> Expect:
    line = set_cell(root, "factuality", "fac-warning-us-iran-us-official", "value", "PS+")
    refresh(root)
    return Expect("factuality", line, "value")


@case("cue-in-paragraph")
def _(root: Path) -> Expect:
    # The official's "added" (وأضاف) of the second paragraph, moved to his "said" (قال) of the
    # first: a real cue of the text, but not the one that introduces this mention.
    assert get_cell(root, "factuality", "fac-plot-isis-p2-cnn", "cue_ar") == "وأضاف"
    set_cell(root, "factuality", "fac-plot-isis-p2-cnn", "cue_ar", "قال")
    set_cell(root, "factuality", "fac-plot-isis-p2-cnn", "cue_start", "297")
    line = set_cell(root, "factuality", "fac-plot-isis-p2-cnn", "cue_end", "300")
    refresh(root)
    return Expect("factuality", line, "cue_start")


@case("event-has-factuality")
def _(root: Path) -> Expect:
    header, rows = read_rows(root, "factuality")
    write_rows(root, "factuality", header, [r for r in rows if r[1] != "evt-request-comment-cnn"])
    refresh(root)
    return Expect("events", line_of(root, "events", "evt-request-comment-cnn"), "event_id")


@case("perspective-is-heard")
def _(root: Path) -> Expect:
    line = set_cell(
        root, "factuality", "fac-attacks-militias-officials", "source_id", "src-iran-un-mission"
    )
    refresh(root)
    return Expect("factuality", line, "source_id")


@case("outlet-is-outermost")
def _(root: Path) -> Expect:
    line = set_cell(root, "factuality", "fac-report-wsj-cnn", "source_id", "src-wsj")
    refresh(root)
    return Expect("factuality", line, "source_id")


@case("perspective-nests")
def _(root: Path) -> Expect:
    # The outlet asserts the warning instead of reporting the official: the official's row
    # is then nested in a perspective that does not report it.
    for column, value in (("value", "CT+"), ("cue_kind", "none"), ("cue_ar", "")):
        set_cell(root, "factuality", "fac-warning-us-iran-cnn", column, value)
    set_cell(root, "factuality", "fac-warning-us-iran-cnn", "cue_start", "")
    set_cell(root, "factuality", "fac-warning-us-iran-cnn", "cue_end", "")
    refresh(root)
    line = line_of(root, "factuality", "fac-warning-us-iran-us-official")
    return Expect("factuality", line, "parent_factuality_id")


@case("perspective-acyclic")
def _(root: Path) -> Expect:
    line = set_cell(
        root,
        "factuality",
        "fac-warning-us-iran-us-official",
        "parent_factuality_id",
        "fac-warning-us-iran-us-official",
    )
    refresh(root)
    # Its own parent does not report it, and the outlet's row is left without its child.
    return Expect("factuality", line, "parent_factuality_id", also=frozenset({"perspective-nests"}))


@case("row-order")
def _(root: Path) -> Expect:
    header, rows = read_rows(root, "events")
    lines = write_rows(root, "events", header, [rows[1], rows[0], *rows[2:]])
    refresh(root)
    return Expect("events", lines[1], "event_id")


# --- Catalogue metadata ----------------------------------------------------------------------

REPOSITORY = Path(__file__).resolve().parents[2]


def with_metadata(root: Path) -> None:
    """The copy gets the checkout's croissant.json, README, datasheet and CITATION.cff."""
    import shutil

    for relative in ("croissant.json", "README.md", "docs/datasheet.md", "CITATION.cff"):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPOSITORY / relative, root / relative)


@case("metadata-agrees")
def _(root: Path) -> Expect:
    with_metadata(root)
    path = root / "CITATION.cff"
    path.write_text(
        path.read_text("utf-8").replace("license: ODC-By-1.0", "license: CC-BY-4.0"), "utf-8"
    )
    return Expect(None, None, None)


@case("catalogue-files-fresh")
def _(root: Path) -> Expect:
    with_metadata(root)
    edit_json(root / "croissant.json", lambda c: c.update(description="Something else."))
    return Expect(None, None, "/description")


def test_the_card_is_checked_too(package_copy: Path) -> None:
    with_metadata(package_copy)
    assert validate(package_copy).problems == []
    readme = package_copy / "README.md"
    readme.write_text(
        readme.read_text("utf-8").replace("size_categories:", "size_categories:\n- 1M<n<10M", 1),
        "utf-8",
    )
    report = validate(package_copy)
    assert {(p.rule, p.file) for p in report.problems} == {("catalogue-files-fresh", "README.md")}


# --- The tests -------------------------------------------------------------------------------


def fired(report: Report, rule_id: str, expect: Expect) -> bool:
    return any(
        p.rule == rule_id
        and p.resource == expect.resource
        and (expect.row is None or p.row == expect.row)
        and (expect.field is None or p.field == expect.field)
        for p in report.problems
    )


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_the_rule_fires_where_it_is_broken_and_nothing_else(
    rule_id: str, package_copy: Path
) -> None:
    expect = CASES[rule_id](package_copy)
    report = validate(package_copy)
    shown = report.render(format="text")
    assert fired(report, rule_id, expect), f"{rule_id} did not fire at {expect}:\n{shown}"
    others = {p.rule for p in report.problems if p.severity == "error"} - {rule_id}
    assert others <= expect.also, f"one cause, one error; also got {others}:\n{shown}"
    assert not [p for p in report.problems if "could not be checked" in p.message], shown
    assert report.exit_code == expect.exit_code


def test_every_rule_has_a_breaking_case() -> None:
    assert set(spec.RULES) == set(CASES), (
        f"rules without a case: {sorted(set(spec.RULES) - set(CASES))}; "
        f"cases without a rule: {sorted(set(CASES) - set(spec.RULES))}"
    )


def test_the_real_package_breaks_no_rule() -> None:
    report = validate()
    assert report.problems == [], report.render(format="text")
    assert report.exit_code == 0


def test_refresh_alone_keeps_a_copy_valid(package_copy: Path) -> None:
    """The helper every case uses must not itself break a rule."""
    refresh(package_copy, json_schemas=True)
    report = validate(package_copy)
    assert report.problems == [], report.render(format="text")


def test_every_rule_has_a_one_sentence_description_and_a_severity() -> None:
    for r in spec.RULES.values():
        assert r.severity in ("error", "warning")
        assert r.description.endswith("."), r.id
        assert r.stage in spec.STAGES


def test_the_catalogue_lists_every_rule_in_all_formats() -> None:
    text = catalogue_module.catalogue(format="text")
    document = json.loads(catalogue_module.catalogue(format="json"))
    markdown = catalogue_module.catalogue(format="markdown")
    for r in spec.RULES.values():
        assert r.id in text and f"`{r.id}`" in markdown
    assert [r["id"] for r in document["rules"]] == [r.id for r in spec.ordered()]
    with pytest.raises(ValueError, match="format"):
        catalogue_module.catalogue(format="yaml")


def test_docs_rules_md_is_the_generated_catalogue() -> None:
    committed = (Path(__file__).resolve().parents[2] / "docs/rules.md").read_text("utf-8")
    assert committed == catalogue_module.catalogue(format="markdown"), "run `kerman-warning build`"


def test_rule_ids_of_the_issue_are_in_the_catalogue() -> None:
    named = {
        "span-matches-text",
        "casualty-bounds",
        "qualifier-agrees",
        "date-order",
        "claim-after-attack",
        "direct-quote-verbatim",
        "speaker-is-source",
        "every-row-has-provenance",
        "text-hash-matches",
        "nfc-text",
        "text-characters",
        "no-formula-cells",
        "versions-agree",
        "json-schema-in-sync",
    }
    assert named <= set(spec.RULES)


def test_nfc_unstable_characters_are_those_of_this_unicode_version() -> None:
    """`nfc-text` looks for NFC only in cells with one of these; derive them again here."""
    import unicodedata as ud

    derived: set[int] = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul V, T
    for point in range(0x110000):
        char = chr(point)
        if ud.combining(char):
            derived.add(point)
            continue
        decomposition = ud.decomposition(char)
        if decomposition and not decomposition.startswith("<"):
            derived.update(int(part, 16) for part in decomposition.split()[1:])
            if ud.normalize("NFC", char) != char:
                derived.add(point)
    listed: set[int] = set()
    for item in text_rules.NFC_UNSTABLE:
        first, _, last = item.partition("-")
        listed.update(range(int(first, 16), int(last or first, 16) + 1))
    assert listed == derived, f"Unicode {ud.unidata_version}: regenerate text_rules.NFC_UNSTABLE"


# --- The written character policy, both ways, through the validator --------------------------

POLICY_CELLS = [  # (value written into entities.name_ar, refused?)
    ("إيران\x00", True),
    ("إيران\x1b[2J", True),
    ("إيران\x07", True),
    ("إي\u00adران", True),
    ("إيران\U000e0041", True),
    ("إيران\tطهران", True),
    ("إيران\nطهران", True),
    ("إيران\x85", True),
    ("\u200cإيران", True),
    ("می\u200cخواهم", False),  # ZWNJ inside a Persian word
    ("إيران\u00a0الإسلامية", False),  # NO-BREAK SPACE, as the article writes it
    ("إيران", False),
]


ASCII_POLICY_CELLS = [  # (value written into entities.name_en, an all-ASCII column; refused?)
    ("Iran\x7f", True),  # DEL: the highest ASCII byte
    ("Iran\x1b[2J", True),
    ("\x00Iran", True),
    ("Iran\x1f", True),
    ("Iran\nTehran", True),
    ("Iran ~ Tehran", False),  # the highest printable ASCII character
    ("Iran", False),
]


def test_the_character_policy_holds_both_ways_in_the_validator(package_copy: Path) -> None:
    """In an Arabic column (`name_ar`, searched by RE2) and an all-ASCII one (`name_en`, looked
    at by its bytes' range first): the same verdicts as `text_problem`."""
    written = {"name_ar": POLICY_CELLS, "name_en": ASCII_POLICY_CELLS}
    keys = [row[0] for row in read_rows(package_copy, "entities")[1]]
    refused: set[tuple[str, str]] = set()
    for name, cells in written.items():
        for key, (value, bad) in zip(keys, cells, strict=False):
            set_cell(package_copy, "entities", key, name, value)
            if bad:
                refused.add((key, name))
    refused_lines = {(line_of(package_copy, "entities", key), name) for key, name in refused}
    refresh(package_copy)
    report = validate(package_copy)
    flagged = {(p.row, p.field) for p in report.problems if p.rule == "text-characters"}
    assert flagged == refused_lines


def test_an_article_copy_is_searched_where_it_is_not_its_span(package_copy: Path) -> None:
    """`exact` equal to its span in a clean text needs no search; one that differs is searched
    (LF allowed there, ESC not), beside the span-matches-text error."""
    exact = get_cell(package_copy, "entities", "ent-iran", "exact")
    line = set_cell(package_copy, "entities", "ent-iran", "exact", exact + "\x1b")
    set_cell(package_copy, "entities", "ent-kerman", "exact", "a\nb")  # LF: not a policy break
    refresh(package_copy)
    found = {(p.rule, p.row, p.field) for p in validate(package_copy).problems}
    assert ("text-characters", line, "exact") in found
    assert ("span-matches-text", line, "exact") in found
    assert {p for p in found if p[0] == "text-characters"} == {("text-characters", line, "exact")}


@pytest.mark.parametrize(
    ("text", "clean"),
    [("إيران\nطهران", True), ("إي\u00adران", False), ("می\u200cخواهم", False), ("a\x1b", False)],
)
def test_a_text_is_clean_without_any_character_the_policy_may_refuse(
    text: str, clean: bool
) -> None:
    """A joiner makes a text unclean even where it is allowed: a span may cut it off."""
    from types import SimpleNamespace

    c: Any = SimpleNamespace(ctx=SimpleNamespace(scratch={}))
    assert text_rules._clean(c, SimpleNamespace(doc_id="d", text=text)) is clean


@pytest.mark.parametrize(
    ("cell", "suspect"),
    [
        ("Iran\x7f", True),  # DEL, in an all-ASCII column
        ("Iran\x1f", True),
        ("Iran\n", True),
        ("Iran ~", False),
        ("ايران\x7f", True),  # DEL, in a column with other bytes
        ("a\u0301", True),  # NFC composes it
        ("\u212b", True),  # ANGSTROM SIGN: NFC replaces it
        ("ايران\u00ad", True),
        ("ايران\u200c", True),  # a joiner: the policy decides by its neighbours
        ("ايران «طهران»", False),
    ],
)
def test_the_cheap_look_on_one_cell(cell: str, suspect: bool) -> None:
    assert text_rules.may_hold_suspects(pa.array(["Iran", cell, None])) is suspect


def _needs_a_closer_look(value: str) -> bool:
    """What either text rule would look for in `value`, character by character."""
    from kerman_warning._text import text_problem

    return text_problem(value) is not None or unicodedata.normalize("NFC", value) != value


# Characters at the edges of what the cheap look decides on, and any character at all.
_EDGES = st.sampled_from(
    [
        *"aZ~ ايران«»=+-@\r",
        *("\x00", "\x1f", "\x7f", "\n", "\t", "\x85", "\u00a0", "\u00ad"),
        *("\u0301", "\u0653", "\u064b", "\u212b", "\u200c", "\u200d", "\ufeff", "\U000e0041"),
    ]
)
_CELLS = st.text(_EDGES | st.characters(blacklist_categories=["Cs"]), max_size=12)


@given(st.lists(_CELLS | st.none(), max_size=6), st.integers(0, 3))
def test_the_cheap_look_never_misses_a_character_either_rule_looks_for(
    values: list[str | None], skip: int
) -> None:
    """`may_hold_suspects` may say yes for nothing, never no for something (sliced arrays too)."""
    column = pa.array(["x"] * skip + values, pa.string()).slice(skip)
    if any(v is not None and _needs_a_closer_look(v) for v in values):
        assert text_rules.may_hold_suspects(column)


@given(st.lists(_CELLS | st.none(), max_size=8), st.integers(0, 3))
@example(["", "=a"], 0)  # an empty cell: its "first byte" would be its neighbour's
@example([None, "+1", "", "@"], 1)
def test_formula_starts_are_the_cells_whose_first_character_is_one(
    values: list[str | None], skip: int
) -> None:
    column = pa.array(["=x"] * skip + values, pa.string()).slice(skip)
    expected = [i for i, v in enumerate(values) if v and v[0] in "=+-@\t\r"]
    assert text_rules.formula_starts(column).tolist() == expected


@pytest.mark.parametrize(
    ("written", "refused"),
    [("８４", True), ("8٤", True), ("84 قتيلا", True), ("٨٤", False), ("۸۴", False)],
    ids=["full-width", "mixed-systems", "with-a-word", "arabic-indic", "persian"],
)
def test_number_as_written_is_digits_of_one_system(
    package_copy: Path, written: str, refused: bool
) -> None:
    """Full-width digits were stripped to nothing and the row skipped; now they are an error."""
    line = set_cell(
        package_copy, "casualties", "cas-attack-kerman-killed", "number_as_written", written
    )
    refresh(package_copy)
    problems = [p for p in validate(package_copy).problems if p.rule == "number-agrees"]
    assert [(p.row, p.field) for p in problems] == (
        [(line, "number_as_written")] if refused else []
    )
    if refused:
        assert "digits only" in problems[0].message


def test_a_direct_quote_cannot_run_from_one_quotation_into_the_next(package_copy: Path) -> None:
    """From inside the first quotation to the end of the second: both neighbours are
    quotation marks, but the span holds a closing and an opening mark of its own."""
    key, following = "quo-official-private-warning", "quo-official-duty-to-warn"
    end = get_cell(package_copy, "quotes", following, "end")
    start = int(get_cell(package_copy, "quotes", key, "start"))
    set_cell(package_copy, "quotes", key, "end", end)
    line = set_cell(package_copy, "quotes", key, "exact", ARTICLE[start : int(end)])
    refresh(package_copy)
    found = [p for p in validate(package_copy).problems if p.rule == "direct-quote-verbatim"]
    assert [(p.row, p.field) for p in found] == [(line, "exact")]
    assert "holds the quotation mark" in found[0].message


def test_a_claim_cannot_be_about_itself(package_copy: Path) -> None:
    line = set_cell(package_copy, "events", "evt-claim-isis", "about_event_id", "evt-claim-isis")
    refresh(package_copy)
    found = [p for p in validate(package_copy).problems if p.rule == "claim-after-attack"]
    assert [(p.row, p.field) for p in found] == [(line, "about_event_id")]
    assert "about itself" in found[0].message
