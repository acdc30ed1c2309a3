"""croissant.json: mlcroissant accepts it without a warning and reads every table as load() does."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from pathlib import Path
from typing import Any

import pytest

import kerman_warning as kw
from kerman_warning import _croissant
from kerman_warning.tableschema import categories

ROOT = Path(__file__).resolve().parents[1]
CROISSANT = ROOT / "croissant.json"


def document() -> dict[str, Any]:
    value: dict[str, Any] = json.loads(CROISSANT.read_text(encoding="utf-8"))
    return value


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict[str, Any]]]:
    """Every record set as mlcroissant reads it (once: a second `records()` call yields
    nothing), keyed by field name, values as mlcroissant gives them."""
    mlc = pytest.importorskip("mlcroissant", reason="the croissant extra is not installed")
    dataset = mlc.Dataset(jsonld=str(CROISSANT))
    return {
        record_set["@id"]: [
            {key.split("/", 1)[1]: value for key, value in record.items()}
            for record in dataset.records(record_set["@id"])
        ]
        for record_set in document()["recordSet"]
    }


def plain(value: Any) -> Any:
    """A value as mlcroissant gives it, as the loader gives it: text, date, int, bool or None."""
    import numpy as np
    import pandas as pd

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.generic):
        return value.item()
    return value


def test_mlcroissant_reports_no_error_and_no_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mlc = pytest.importorskip("mlcroissant", reason="the croissant extra is not installed")
    with caplog.at_level(logging.WARNING):
        metadata = mlc.Dataset(jsonld=str(CROISSANT)).metadata
    assert metadata.ctx.issues.errors == set()
    assert metadata.ctx.issues.warnings == set()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert document()["conformsTo"] == "http://mlcommons.org/croissant/1.1"


@pytest.mark.parametrize("name", kw.resource_names())
def test_records_are_the_rows_load_gives(
    records: dict[str, list[dict[str, Any]]], name: str
) -> None:
    """Every record set yields the table's rows, in order, value for value: dates stay dates,
    integers integers, booleans booleans, missing values missing, cameo_code '046' text."""
    rows = [{key: plain(value) for key, value in record.items()} for record in records[name]]
    assert rows == kw.load(name).to_pylist()


def test_leading_zeros_and_dates_survive(records: dict[str, list[dict[str, Any]]]) -> None:
    events = records["events"]
    assert b"064" in {event["cameo_code"] for event in events}
    dates = {plain(event["date_end"]) for event in events} - {None}
    assert dt.date(2024, 1, 3) in dates


def test_vocabularies_are_enumerations_in_schema_order(
    records: dict[str, list[dict[str, Any]]],
) -> None:
    field = next(f for f in kw.schema("events")["fields"] if f["name"] == "date_precision")
    identifier = "events.date_precision.categories"
    rows = [{key: plain(value) for key, value in r.items()} for r in records[identifier]]
    assert [r["value"] for r in sorted(rows, key=lambda r: r["position"])] == categories(field)
    record_set = next(r for r in document()["recordSet"] if r["@id"] == identifier)
    assert record_set["dataType"] == "sc:Enumeration"


def test_files_keys_and_references_come_from_the_descriptor() -> None:
    croissant = document()
    descriptor = kw.datapackage()
    files = {f["contentUrl"]: f["sha256"] for f in croissant["distribution"]}
    for resource in descriptor["resources"]:
        assert files[resource["path"]] == resource["hash"].removeprefix("sha256:")
        if "parquet" in resource:
            parquet = resource["parquet"]
            assert files[parquet["path"]] == parquet["hash"].removeprefix("sha256:")
    events = next(r for r in croissant["recordSet"] if r["@id"] == "events")
    assert events["key"] == {"@id": "events/event_id"}
    by_name = {f["name"]: f for f in events["field"]}
    assert by_name["source_id"]["references"] == {
        "fileObject": {"@id": "sources.parquet"},
        "extract": {"column": "source_id"},
    }
    assert by_name["date_start"]["dataType"] == "sc:Date"
    assert by_name["start"]["dataType"] == "sc:Integer"
    assert croissant["version"] == descriptor["version"]
    assert croissant["license"] == ["https://opendatacommons.org/licenses/by/1-0/"]
    assert "CNN" in croissant["description"]


def test_responsible_ai_properties_are_the_datasheets_paragraphs() -> None:
    croissant = document()
    datasheet = (ROOT / "docs/datasheet.md").read_text(encoding="utf-8")
    for prop in _croissant.RAI:
        assert croissant[prop], prop
    assert croissant["rai:personalSensitiveInformation"].startswith("It names people")
    assert "Not for operational, security or targeting use" in croissant["rai:dataSocialImpact"]
    assert "**" not in croissant["rai:dataAnnotationProtocol"]
    assert croissant == json.loads(
        _croissant.render(
            kw.datapackage(), {n: kw.schema(n) for n in kw.resource_names()}, datasheet=datasheet
        )
    )


def test_a_missing_datasheet_paragraph_leaves_its_property_out() -> None:
    page = "## Uses\n\n**Suitable uses.** Teaching.\n\n**Other.** Not this.\n"
    found = _croissant.responsible_ai(page)
    assert found == {"rai:dataUseCases": "Teaching."}
    assert _croissant.paragraph("**A.** one\ntwo\n\n- x\n- y\n\n**B.** no", "A.") == (
        "one two\n\n- x\n- y"
    )
