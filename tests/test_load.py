"""The loader on the real package: schema types, pandas/polars/DuckDB, CSV equals Parquet."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pyarrow as pa
import pytest

import kerman_warning as kw
from kerman_warning.tableschema import arrow_schema

ROOT = Path(__file__).resolve().parents[1]
NAMES = kw.resource_names()


def test_every_table_resource_is_listed() -> None:
    tables = [r["name"] for r in kw.datapackage()["resources"] if r.get("type") == "table"]
    assert tables == NAMES
    assert {"documents", "events", "casualties", "quotes", "sources", "entities"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_load_has_the_types_of_the_table_schema(name: str) -> None:
    table = kw.load(name)
    expected = arrow_schema(kw.schema(name))
    assert table.schema.equals(expected, check_metadata=False)
    assert table.num_rows > 0


@pytest.mark.parametrize("name", NAMES)
def test_csv_and_parquet_load_to_equal_tables(name: str) -> None:
    assert kw.load(name, format="csv").equals(kw.load(name, format="parquet"))


@pytest.mark.parametrize("name", NAMES)
def test_rows_come_in_primary_key_order(name: str) -> None:
    keys = kw.schema(name)["primaryKey"]
    table = kw.load(name)
    assert table.equals(table.sort_by([(key, "ascending") for key in keys]))


def test_field_descriptions_travel_as_arrow_field_metadata() -> None:
    table = kw.load("events")
    for field in kw.schema("events")["fields"]:
        assert (
            table.schema.field(field["name"]).metadata[b"description"].decode()
            == field["description"]
        )


def test_load_all_returns_every_resource() -> None:
    tables = kw.load_all()
    assert list(tables) == NAMES
    assert all(isinstance(table, pa.Table) for table in tables.values())


def test_load_pandas_has_nullable_dtypes_and_a_range_index() -> None:
    import pandas as pd

    for name in NAMES:
        frame = kw.load_pandas(name)
        assert isinstance(frame.index, pd.RangeIndex)
        for field in kw.schema(name)["fields"]:
            dtype = frame[field["name"]].dtype
            kind = field.get("type", "string")
            if "categories" in field:
                assert isinstance(dtype, pd.CategoricalDtype)
                assert dtype.ordered == bool(field.get("categoriesOrdered"))
                values = [c["value"] if isinstance(c, dict) else c for c in field["categories"]]
                assert list(dtype.categories) == values
            elif kind == "integer":
                assert dtype == pd.Int64Dtype()
            elif kind == "boolean":
                assert dtype == pd.BooleanDtype()
            elif kind == "date":
                assert pd.api.types.is_datetime64_dtype(dtype)
            elif kind == "string":
                assert isinstance(dtype, pd.StringDtype)


def test_load_pandas_without_pandas_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(kw.PackageError, match=r"kerman-warning\[pandas\]"):
        kw.load_pandas("events")


def test_polars_reads_the_arrow_tables() -> None:
    import polars as pl

    events = pl.from_arrow(kw.load("events"))
    assert isinstance(events, pl.DataFrame)
    assert events.schema["date_start"] == pl.Date
    assert events.height == kw.load("events").num_rows


def test_duckdb_queries_arrow_tables_and_parquet_files() -> None:
    import duckdb

    con = duckdb.connect()
    con.register("casualties", kw.load("casualties"))
    from_arrow = con.sql("select sum(best) from casualties").fetchall()
    (resource,) = [r for r in kw.datapackage()["resources"] if r["name"] == "casualties"]
    parquet = ROOT / resource["parquet"]["path"]
    from_file = con.sql(f"select sum(best) from read_parquet('{parquet}')").fetchall()
    assert from_arrow == from_file
    assert from_arrow[0][0] > 0


def test_text_is_the_article_byte_for_byte() -> None:
    text = kw.text()
    raw = (ROOT / "data" / "article.ar.txt").read_bytes()
    assert text.encode("utf-8") == raw
    documents = kw.load("documents").to_pylist()
    assert hashlib.sha256(raw).hexdigest() == documents[0]["text_sha256"]
    assert kw.text(documents[0]["doc_id"]) == text


def test_text_of_an_unknown_document_is_a_clear_error() -> None:
    with pytest.raises(kw.PackageError, match="no document 'doc-nope'"):
        kw.text("doc-nope")


def test_unknown_resource_is_a_clear_error() -> None:
    with pytest.raises(kw.PackageError, match=r"no resource named 'nope'.*known: "):
        kw.load("nope")


def test_datapackage_is_a_copy() -> None:
    kw.datapackage()["name"] = "changed"
    assert kw.datapackage()["name"] == "kerman-warning"


def test_the_function_schema_is_not_shadowed_by_the_module() -> None:
    import kerman_warning.build  # loads every submodule the loader may use
    import kerman_warning.tableschema  # noqa: F401

    assert callable(kw.load) and callable(kw.schema)
    assert kw.schema("events")["primaryKey"] == ["event_id"]
