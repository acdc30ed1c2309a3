"""Checks on the real data: the hand-edited CSVs, their Table Schemas and datapackage.json.

Standard library and pytest only; nothing here imports the project's own library, so the data
can be checked even when the library is broken. Each test is one rule; each can fail.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DESCRIPTOR = ROOT / "datapackage.json"

# Share of non-whitespace characters of the whole text (title, page furniture, caption and
# body) inside some evidence or cue span. The uncovered remainder is page furniture, the
# headline shown twice, the caption's "archive photo", repeated mentions of the official, and
# punctuation: 139 of 1883 characters, coverage 0.926. The threshold leaves room for about
# two short words (11 characters) before it fails, so losing a coded statement fails.
COVERAGE_THRESHOLD = 0.92

# Identifiers the curators' reference file lists as verified; nothing else may be filled in.
VERIFIED_WIKIDATA = {"Q794", "Q30", "Q2429253", "Q48340", "Q164746", "Q40464"}
VERIFIED_GEONAMES = {"128234"}

# Identifier columns that hold outside identifiers, not references to rows of this package.
EXTERNAL_IDS = {"wikidata_id", "geonames_id"}

# The defects the reference file lists, as they are written in the text.
KNOWN_DEFECTS = {"لعلمي إيران وإيران", "الحنود", "أوالمسؤولين", '"'}

QUOTE_MARK = '"'
EVIDENCE = ("doc_id", "start", "end", "exact")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$")


# --------------------------------------------------------------------------- helpers


@cache
def descriptor() -> dict[str, Any]:
    return json.loads(DESCRIPTOR.read_text(encoding="utf-8"))


def tables() -> list[dict[str, Any]]:
    return [r for r in descriptor()["resources"] if r.get("type") == "table"]


def table_names() -> list[str]:
    return [r["name"] for r in tables()]


@cache
def schema(name: str) -> dict[str, Any]:
    (resource,) = (r for r in tables() if r["name"] == name)
    return json.loads((ROOT / resource["schema"]).read_text(encoding="utf-8"))


def csv_path(name: str) -> Path:
    (resource,) = (r for r in tables() if r["name"] == name)
    return ROOT / resource["path"]


@cache
def rows(name: str) -> tuple[dict[str, str], ...]:
    with csv_path(name).open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


def all_rows() -> list[tuple[str, dict[str, str]]]:
    return [(name, row) for name in table_names() for row in rows(name)]


@cache
def text() -> str:
    (document,) = rows("documents")
    # newline="" keeps every character as it is, so that offsets count every code point.
    with (ROOT / document["text_path"]).open(encoding="utf-8", newline="") as handle:
        return handle.read()


def by_id(name: str) -> dict[str, dict[str, str]]:
    (key,) = schema(name)["primaryKey"]
    return {row[key]: row for row in rows(name)}


def day(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def spans(*, include_uncovered: bool = False) -> list[tuple[int, int]]:
    """Every evidence span (start/end) and quote cue span of the package."""
    found = []
    for name, row in all_rows():
        if name == "uncovered" and not include_uncovered:
            continue
        if row.get("start"):
            found.append((int(row["start"]), int(row["end"])))
        if row.get("cue_start"):
            found.append((int(row["cue_start"]), int(row["cue_end"])))
    return found


def covered_mask() -> list[bool]:
    mask = [False] * len(text())
    for start, end in spans():
        for i in range(start, end):
            mask[i] = True
    return mask


def coverage() -> float:
    mask = covered_mask()
    visible = [i for i, char in enumerate(text()) if not char.isspace()]
    return sum(mask[i] for i in visible) / len(visible)


# --------------------------------------------------------------------------- descriptor


def test_descriptor_is_data_package_v2() -> None:
    package = descriptor()
    assert package["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert package["name"] == "kerman-warning"
    assert SEMVER.match(package["version"])
    assert RFC3339.match(package["created"])
    for key in ("id", "title", "description", "keywords", "licenses", "contributors", "sources"):
        assert package.get(key), key
    assert all(c.get("roles") for c in package["contributors"])


def test_descriptor_states_cnn_copyright() -> None:
    assert "copyright of CNN" in descriptor()["description"]
    (article,) = (r for r in descriptor()["resources"] if r["name"] == "article")
    assert article["path"] == "data/article.ar.txt"
    assert "Copyright CNN" in article["licenses"][0]["title"]


def test_table_resources_are_complete() -> None:
    for resource in tables():
        name = resource["name"]
        assert resource["path"] == f"data/{name}.csv"
        assert resource["schema"] == f"schemas/{name}.schema.json"
        assert (resource["format"], resource["mediatype"]) == ("csv", "text/csv")
        assert resource["encoding"] == "utf-8"
        assert resource.get("description"), name


def test_every_csv_and_schema_is_declared() -> None:
    declared = set(table_names())
    assert {p.stem for p in (ROOT / "data").glob("*.csv")} == declared
    assert {p.name.removesuffix(".schema.json") for p in (ROOT / "schemas").glob("*.json")} == (
        declared
    )


# --------------------------------------------------------------------------- files


def test_csv_files_are_utf8_without_bom_with_lf() -> None:
    for name in table_names():
        raw = csv_path(name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), name
        assert b"\r" not in raw, name
        assert raw.endswith(b"\n"), name
        raw.decode("utf-8")


def test_csv_header_equals_schema_fields() -> None:
    for name in table_names():
        with csv_path(name).open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        assert header == [f["name"] for f in schema(name)["fields"]], name


def test_text_is_nfc_and_matches_documents_row() -> None:
    (document,) = rows("documents")
    raw = (ROOT / document["text_path"]).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == document["text_sha256"]
    assert unicodedata.is_normalized("NFC", text())
    assert len(text()) == int(document["text_length"])
    assert not text().endswith("\n")


def test_csv_text_fields_are_nfc() -> None:
    for name, row in all_rows():
        for value in row.values():
            assert unicodedata.is_normalized("NFC", value), (name, value)


# --------------------------------------------------------------------------- schemas


def test_schemas_are_v2_with_described_fields() -> None:
    for name in table_names():
        table_schema = schema(name)
        assert table_schema["$schema"] == "https://datapackage.org/profiles/2.0/tableschema.json"
        assert table_schema["missingValues"] == [""]
        assert isinstance(table_schema["primaryKey"], list)
        assert table_schema["primaryKey"] == [table_schema["fields"][0]["name"]]
        for field in table_schema["fields"]:
            assert field.get("description"), (name, field["name"])


def test_english_fields_say_they_are_the_curators() -> None:
    for name in table_names():
        for field in schema(name)["fields"]:
            if field["name"].endswith("_en"):
                assert "curators'" in field["description"].lower(), (name, field["name"])


def test_every_id_reference_has_a_foreign_key() -> None:
    for name in table_names():
        table_schema = schema(name)
        keyed = {fk["fields"][0] for fk in table_schema.get("foreignKeys", [])}
        exempt = {*table_schema["primaryKey"], *EXTERNAL_IDS}
        for field in table_schema["fields"]:
            if field["name"].endswith("_id") and field["name"] not in exempt:
                assert field["name"] in keyed, (name, field["name"])


def test_categories_are_labelled_objects() -> None:
    for name in table_names():
        for field in schema(name)["fields"]:
            for category in field.get("categories", []):
                assert set(category) == {"value", "label"}, (name, field["name"])
                assert category["label"].strip(), (name, field["name"], category["value"])


def test_date_precision_categories_are_ordered() -> None:
    (field,) = (f for f in schema("events")["fields"] if f["name"] == "date_precision")
    assert field["categoriesOrdered"] is True
    assert [c["value"] for c in field["categories"]] == [
        "day",
        "month",
        "year",
        "before",
        "unknown",
    ]


# --------------------------------------------------------------------------- values


def test_values_are_in_their_categories() -> None:
    # frictionless 5 does not check v2 categories: this test does.
    for name in table_names():
        for field in schema(name)["fields"]:
            allowed = {c["value"] for c in field.get("categories", [])}
            if not allowed:
                continue
            for row in rows(name):
                value = row[field["name"]]
                assert value == "" or value in allowed, (name, field["name"], value)


def test_values_match_their_patterns() -> None:
    for name in table_names():
        for field in schema(name)["fields"]:
            pattern = field.get("constraints", {}).get("pattern")
            if not pattern:
                continue
            for row in rows(name):
                value = row[field["name"]]
                assert value == "" or re.fullmatch(pattern, value), (name, field["name"], value)


def test_required_values_are_present() -> None:
    for name in table_names():
        for field in schema(name)["fields"]:
            if field.get("constraints", {}).get("required"):
                for row in rows(name):
                    assert row[field["name"]] != "", (name, field["name"], row)


def test_primary_keys_are_unique() -> None:
    for name in table_names():
        (key,) = schema(name)["primaryKey"]
        values = [row[key] for row in rows(name)]
        assert len(values) == len(set(values)), name


def test_unique_keys_hold() -> None:
    # frictionless 5 does not check v2 uniqueKeys: this test does.
    for name in table_names():
        for unique_key in schema(name).get("uniqueKeys", []):
            values = [tuple(row[k] for k in unique_key) for row in rows(name)]
            assert len(values) == len(set(values)), (name, unique_key)


def test_foreign_keys_resolve() -> None:
    for name in table_names():
        for fk in schema(name).get("foreignKeys", []):
            (field,) = fk["fields"]
            (target_field,) = fk["reference"]["fields"]
            target = fk["reference"].get("resource") or name
            known = {row[target_field] for row in rows(target)}
            for row in rows(name):
                assert row[field] == "" or row[field] in known, (name, field, row[field])


# --------------------------------------------------------------------------- evidence


def test_every_row_has_provenance() -> None:
    for name, row in all_rows():
        if name == "references":
            assert row["url"] or row["locator"], row["ref_id"]
        else:
            assert all(row[k] != "" for k in EVIDENCE), (name, row)


def test_evidence_spans_match_text() -> None:
    for name, row in all_rows():
        if name == "references":
            continue
        start, end = int(row["start"]), int(row["end"])
        assert 0 <= start < end <= len(text()), (name, row)
        assert text()[start:end] == row["exact"], (name, start, end)


def test_cue_spans_match_text() -> None:
    for name, row in all_rows():
        if row.get("cue_start"):
            start, end = int(row["cue_start"]), int(row["cue_end"])
            assert 0 <= start < end <= len(text()), (name, row)
            assert text()[start:end] == row["cue_ar"], (name, start, end)
        elif "cue_start" in row:
            assert row["cue_end"] == row["cue_ar"] == "", (name, row)


def test_spans_are_trimmed() -> None:
    for name, row in all_rows():
        if name == "references":
            continue
        assert row["exact"] == row["exact"].strip(), (name, row["exact"])


def test_cue_lies_outside_its_content() -> None:
    for row in rows("quotes"):
        assert int(row["cue_end"]) <= int(row["start"]) or int(row["cue_start"]) >= int(
            row["end"]
        ), row["quote_id"]


def test_title_is_the_documents_evidence() -> None:
    for row in rows("documents"):
        assert row["exact"] == row["title_ar"]


# --------------------------------------------------------------------------- quotes


def test_direct_quotes_are_enclosed_in_quotation_marks() -> None:
    for row in rows("quotes"):
        if row["kind"] == "direct":
            start, end = int(row["start"]), int(row["end"])
            assert text()[start - 1] == QUOTE_MARK, row["quote_id"]
            assert text()[end] == QUOTE_MARK, row["quote_id"]
            assert QUOTE_MARK not in row["exact"], row["quote_id"]


def test_document_excerpts_carry_quotation_marks() -> None:
    for row in rows("quotes"):
        if row["kind"] == "document_excerpt":
            marks = row["exact"].count(QUOTE_MARK)
            assert marks >= 2, row["quote_id"]
            assert marks % 2 == 0, row["quote_id"]


def test_indirect_statements_are_not_enclosed_in_quotation_marks() -> None:
    for row in rows("quotes"):
        if row["kind"] == "indirect":
            assert text()[int(row["start"]) - 1] != QUOTE_MARK, row["quote_id"]


# --------------------------------------------------------------------------- factuality

# FactBank value -> the kind of cue that carries it (docs/datasheet.md, "Factuality").
CUE_OF_VALUE = {
    "CT+": "none",
    "PR+": "hedge",
    "PS+": "hedge",
    "CT-": "negation",
    "PR-": "hedged_negation",
    "PS-": "hedged_negation",
    "Uu": "reporting",
}
SPEAKING = {"quoted", "cited", "claimant"}  # sources.relation values whose words are reported


def mention(row: dict[str, str]) -> tuple[str, str, str]:
    return row["doc_id"], row["start"], row["end"]


def chain(row: dict[str, str]) -> list[dict[str, str]]:
    """The row and its ancestors, outermost (the outlet) first."""
    found, facts = [row], by_id("factuality")
    while found[0]["parent_factuality_id"]:
        found.insert(0, facts[found[0]["parent_factuality_id"]])
        assert len(found) <= len(facts), row["factuality_id"]  # a cycle never ends
    return found


def paragraph(offset: int) -> int:
    return text().count("\n", 0, offset)


def test_factuality_vocabulary_is_factbank() -> None:
    (field,) = (f for f in schema("factuality")["fields"] if f["name"] == "value")
    assert [c["value"] for c in field["categories"]] == list(CUE_OF_VALUE)
    (kinds,) = (f for f in schema("factuality")["fields"] if f["name"] == "cue_kind")
    assert {c["value"] for c in kinds["categories"]} == set(CUE_OF_VALUE.values())


def test_every_event_has_factuality_at_its_evidence() -> None:
    roots = {
        (r["event_id"], *mention(r)) for r in rows("factuality") if not r["parent_factuality_id"]
    }
    for event in rows("events"):
        assert (event["event_id"], *mention(event)) in roots, event["event_id"]


def test_factuality_value_agrees_with_its_cue() -> None:
    for row in rows("factuality"):
        assert row["cue_kind"] == CUE_OF_VALUE[row["value"]], row["factuality_id"]
        assert bool(row["cue_ar"]) == (row["cue_kind"] != "none"), row["factuality_id"]


def test_factuality_chains_nest_sources_at_one_mention() -> None:
    sources, facts = by_id("sources"), by_id("factuality")
    children: dict[str, list[str]] = {}
    for row in rows("factuality"):
        path = chain(row)
        assert sources[path[0]["source_id"]]["relation"] == "publisher", row["factuality_id"]
        parent_id = row["parent_factuality_id"]
        if parent_id:
            parent = facts[parent_id]
            assert parent["event_id"] == row["event_id"], row["factuality_id"]
            assert mention(parent) == mention(row), row["factuality_id"]
            assert parent["source_id"] != row["source_id"], row["factuality_id"]
            children.setdefault(parent_id, []).append(row["factuality_id"])
    for row in rows("factuality"):
        # A source that reports the event hands it to exactly one other source.
        expected = 1 if row["cue_kind"] == "reporting" else 0
        assert len(children.get(row["factuality_id"], [])) == expected, row["factuality_id"]


def test_perspective_sources_are_heard() -> None:
    sources = by_id("sources")
    for row in rows("factuality"):
        relation = sources[row["source_id"]]["relation"]
        assert relation in SPEAKING or relation == "publisher", row["factuality_id"]


def test_outlet_cues_are_the_cues_of_the_quotes_they_introduce() -> None:
    facts = by_id("factuality")
    cues = {(q["source_id"], q["cue_start"], q["cue_end"]) for q in rows("quotes")}
    for row in rows("factuality"):
        parent = facts.get(row["parent_factuality_id"])
        if parent is not None and not parent["parent_factuality_id"]:
            assert (row["source_id"], parent["cue_start"], parent["cue_end"]) in cues, row[
                "factuality_id"
            ]


def test_cues_are_in_the_paragraph_of_their_mention() -> None:
    for row in rows("factuality"):
        if row["cue_start"]:
            assert paragraph(int(row["cue_start"])) == paragraph(int(row["start"]))
            assert paragraph(int(row["cue_end"])) == paragraph(int(row["end"]))


def test_event_source_is_on_its_main_chain() -> None:
    facts = rows("factuality")
    for event in rows("events"):
        on_chain = {
            r["source_id"]
            for r in facts
            if r["event_id"] == event["event_id"] and mention(r) == mention(event)
        }
        assert event["source_id"] in on_chain, event["event_id"]


def test_further_mentions_add_a_perspective() -> None:
    events = by_id("events")
    seen: dict[str, set[tuple[tuple[str, ...], str]]] = {}
    for row in rows("factuality"):
        if mention(row) == mention(events[row["event_id"]]):
            sources = tuple(r["source_id"] for r in chain(row))
            seen.setdefault(row["event_id"], set()).add((sources, row["value"]))
    further: dict[tuple[str, str, str, str], set[tuple[tuple[str, ...], str]]] = {}
    for row in rows("factuality"):
        if mention(row) != mention(events[row["event_id"]]):
            sources = tuple(r["source_id"] for r in chain(row))
            further.setdefault((row["event_id"], *mention(row)), set()).add((sources, row["value"]))
    for (event_id, *_), perspectives in further.items():
        assert perspectives - seen[event_id], event_id


def test_negative_states_are_certain_not_negated() -> None:
    # The value is of the event as coded: an asserted absence or failure is CT+ (datasheet).
    facts = {r["event_id"]: r for r in rows("factuality") if not r["parent_factuality_id"]}
    for event_id in ("evt-condition-not-ally", "evt-condition-no-relations", "evt-failure-iran"):
        assert facts[event_id]["value"] == "CT+", event_id


# --------------------------------------------------------------------------- references


def test_references_can_be_followed() -> None:
    for row in rows("references"):
        assert row["url"].startswith("https://") or (row["url"] == "" and " " in row["locator"])
        for value in row.values():
            assert "not published" not in value, row["ref_id"]


def test_identifiers_cite_their_public_records() -> None:
    references = by_id("references")
    records = {
        "wikidata_id": ("ids_ref_id", "ids_confidence", "https://www.wikidata.org/wiki/{}"),
        "geonames_id": ("ids_ref_id", "ids_confidence", "https://www.geonames.org/{}"),
    }
    for row in rows("entities"):
        for column, (ref, confidence, url) in records.items():
            if row[column]:
                reference = references[row[ref]]
                assert reference["url"] == url.format(row[column]), row["entity_id"]
                assert reference["confidence"] == row[confidence], row["entity_id"]
        if row["latitude"]:
            assert references[row["coords_ref_id"]]["url"], row["entity_id"]


# --------------------------------------------------------------------------- casualties


def test_casualty_bounds_are_ordered() -> None:
    for row in rows("casualties"):
        bounds = [int(row[k]) for k in ("low", "best", "high") if row[k]]
        assert bounds == sorted(bounds), row["casualty_id"]


def test_casualty_qualifier_agrees_with_bounds() -> None:
    for row in rows("casualties"):
        low, best, high, qualifier = row["low"], row["best"], row["high"], row["qualifier"]
        if qualifier == "exact":
            assert low == best == high != "", row["casualty_id"]
        elif qualifier == "at_least":
            assert low == best != "" and high == "", row["casualty_id"]
        elif qualifier == "at_most":
            assert high == best != "" and low == "", row["casualty_id"]
        elif qualifier == "range":
            assert low != "" and high != "", row["casualty_id"]


def test_casualty_numbers_are_as_written() -> None:
    for row in rows("casualties"):
        assert row["number_as_written"] in row["exact"], row["casualty_id"]
        assert row["qualifier_as_written"] in row["exact"], row["casualty_id"]
        assert int(row["number_as_written"]) == int(row["best"]), row["casualty_id"]


def test_hedged_figure_is_at_least() -> None:
    killed = by_id("casualties")["cas-attack-kerman-killed"]
    assert "ما لا يقل عن" in killed["exact"]
    assert (killed["low"], killed["best"], killed["high"]) == ("84", "84", "")
    assert killed["qualifier"] == "at_least"


# --------------------------------------------------------------------------- dates


def test_date_ranges_are_ordered() -> None:
    for row in rows("events"):
        start, end = day(row["date_start"]), day(row["date_end"])
        if start and end:
            assert start <= end, row["event_id"]


def test_date_precision_agrees_with_range() -> None:
    for row in rows("events"):
        start, end, precision = day(row["date_start"]), day(row["date_end"]), row["date_precision"]
        if precision == "day":
            assert start is not None and start == end, row["event_id"]
        elif precision == "month":
            assert start is not None and end is not None, row["event_id"]
            assert start.day == 1 and (start.year, start.month) == (end.year, end.month)
            assert (end + dt.timedelta(days=1)).day == 1, row["event_id"]
        elif precision == "year":
            assert start is not None and end is not None, row["event_id"]
            assert (start.month, start.day, end.month, end.day) == (1, 1, 12, 31)
            assert start.year == end.year, row["event_id"]
        elif precision == "before":
            assert start is None and end is not None, row["event_id"]
        else:
            assert start is None and end is None, row["event_id"]


def test_dates_carry_their_basis() -> None:
    for row in rows("events"):
        has_dates = bool(row["date_start"] or row["date_end"])
        assert bool(row["date_basis"]) == has_dates, row["event_id"]
        if row["date_basis"] in ("external", "inferred"):
            assert row["date_ref_id"], row["event_id"]


def test_dates_as_written_are_in_the_text() -> None:
    for row in rows("events"):
        if row["date_as_written"]:
            assert row["date_as_written"] in text(), row["event_id"]


def test_stated_dates_are_stated() -> None:
    for row in rows("events"):
        if row["date_basis"] == "stated":
            assert row["date_start"][:4] in row["date_as_written"], row["event_id"]


def test_warning_ends_no_later_than_the_attack() -> None:
    events = by_id("events")
    warning, attack = events["evt-warning-us-iran"], events["evt-attack-kerman"]
    assert warning["date_start"] == ""
    assert day(warning["date_end"]) <= day(attack["date_start"])


def test_claim_is_one_day_after_the_attack() -> None:
    events = by_id("events")
    claim, attack = events["evt-claim-isis"], events["evt-attack-kerman"]
    assert day(claim["date_start"]) == day(attack["date_end"]) + dt.timedelta(days=1)
    assert claim["date_basis"] == "inferred"


def test_statement_comes_after_warning_and_claim() -> None:
    events = by_id("events")
    statement = day(events["evt-statement-us-official"]["date_start"])
    assert statement > day(events["evt-warning-us-iran"]["date_end"])
    assert statement > day(events["evt-claim-isis"]["date_end"])
    assert events["evt-statement-us-official"]["date_as_written"] == "الخميس"
    assert statement.weekday() == 3  # a Thursday, as the text says


def test_attack_year_is_labelled_external() -> None:
    attack = by_id("events")["evt-attack-kerman"]
    assert "2024" not in attack["date_as_written"]
    assert attack["date_basis"] == "external"


# --------------------------------------------------------------------------- content


def test_enrichment_is_labelled() -> None:
    for row in rows("entities"):
        if row["wikidata_id"] or row["geonames_id"]:
            assert row["ids_ref_id"] and row["ids_confidence"], row["entity_id"]
        if row["latitude"] or row["longitude"]:
            assert row["coords_ref_id"] and row["coords_confidence"], row["entity_id"]
    for row in rows("documents"):
        assert row["published_date_basis"] in ("external", "inferred")
        assert row["published_date_ref_id"] and row["url_ref_id"]


def test_identifiers_are_only_verified_ones() -> None:
    for row in rows("entities"):
        assert row["wikidata_id"] == "" or row["wikidata_id"] in VERIFIED_WIKIDATA
        assert row["geonames_id"] == "" or row["geonames_id"] in VERIFIED_GEONAMES


def test_known_defects_are_recorded() -> None:
    assert {row["exact"] for row in rows("errata")} == KNOWN_DEFECTS


def test_defects_are_not_corrected_anywhere() -> None:
    intended = [row["intended_ar"] for row in rows("errata") if row["intended_ar"]]
    for reading in intended:
        assert reading not in text()
        for name, row in all_rows():
            for key, value in row.items():
                if key == "exact" or (key.endswith("_ar") and key != "intended_ar"):
                    assert reading not in value, (name, key)


def test_no_method_beyond_attack_is_claimed() -> None:
    # The article says "attack" (هجوم); the outside record's "bombing" must not leak in.
    for name in ("events", "event_details", "quotes", "casualties"):
        for row in rows(name):
            for key in ("description_en", "value_en", "text_en"):
                assert not re.search(r"bomb|suicide|explos", row.get(key, ""), re.I), (name, key)


def test_secret_acts_are_private() -> None:
    for row in rows("events"):
        if "سرا" in row["exact"]:
            assert row["visibility"] == "private", row["event_id"]


def test_anonymous_sources_have_no_names() -> None:
    for row in rows("sources"):
        if row["anonymous"] == "true":
            assert "unnamed" in row["name_en"], row["source_id"]


# --------------------------------------------------------------------------- coverage


def test_coverage_reaches_threshold() -> None:
    assert coverage() >= COVERAGE_THRESHOLD


def test_every_uncovered_character_is_accounted_for() -> None:
    mask = covered_mask()
    listed = [False] * len(text())
    for row in rows("uncovered"):
        for i in range(int(row["start"]), int(row["end"])):
            listed[i] = True
    missing = [i for i, char in enumerate(text()) if not char.isspace() and not mask[i]]
    assert [i for i in missing if not listed[i]] == []


def test_uncovered_rows_cover_only_uncovered_text() -> None:
    mask = covered_mask()
    for row in rows("uncovered"):
        inside = range(int(row["start"]), int(row["end"]))
        assert not any(mask[i] for i in inside), row["uncovered_id"]


def test_coverage_page_is_current() -> None:
    page = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
    assert f"**{coverage():.4f}**" in page
    for row in rows("uncovered"):
        assert f"`{row['uncovered_id']}` | {row['start']}–{row['end']} |" in page


# --------------------------------------------------------------------------- validator


def test_frictionless_validates_the_package() -> None:
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.Package(str(DESCRIPTOR)).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
