"""The loader on the real package: schema types, pandas/polars/DuckDB, CSV equals Parquet."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pyarrow as pa
import pytest

import kerman_warning as kw
from conftest import set_cell
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


# --- the catalogue, column selection, polars (issue 14, point 3) ------------------------------


def test_tables_is_the_catalogue() -> None:
    catalogue = kw.tables()
    assert [t.name for t in catalogue] == NAMES
    for table in catalogue:
        schema = kw.schema(table.name)
        assert table.rows == kw.load(table.name).num_rows
        assert table.title and table.description
        assert [c.name for c in table.columns] == [f["name"] for f in schema["fields"]]
        assert [c.type for c in table.columns] == [
            f.get("type", "string") for f in schema["fields"]
        ]
        assert all(c.description for c in table.columns)
        assert list(table.primary_key) == schema["primaryKey"]
    precision = next(
        c for c in catalogue[NAMES.index("events")].columns if c.name == "date_precision"
    )
    assert precision.ordered and precision.categories is not None


def test_load_selects_columns_in_the_order_asked() -> None:
    table = kw.load("events", columns=["date_start", "event_id"])
    assert table.column_names == ["date_start", "event_id"]
    assert table.column("event_id").equals(kw.load("events").column("event_id"))
    assert kw.load("events", columns=["event_id"], format="csv").column_names == ["event_id"]
    assert list(kw.load_pandas("events", columns=["event_id"]).columns) == ["event_id"]


def test_an_unknown_column_is_a_clear_error_with_a_suggestion() -> None:
    with pytest.raises(kw.PackageError, match="no column 'evnt_id'; did you mean 'event_id'"):
        kw.load("events", columns=["evnt_id"])
    with pytest.raises(kw.PackageError, match="a list of names"):
        kw.load("events", columns="event_id")


def test_load_polars_makes_ordered_vocabularies_enums() -> None:
    import polars as pl

    frame = kw.load_polars("events")
    field = next(f for f in kw.schema("events")["fields"] if f["name"] == "date_precision")
    order = [c["value"] if isinstance(c, dict) else c for c in field["categories"]]
    assert frame.schema["date_precision"] == pl.Enum(order)
    assert frame.schema["event_type"] == pl.Categorical()
    assert frame.schema["date_start"] == pl.Date
    # Enum order is the schema's order, so "at least as precise as a year" is a comparison.
    precise = frame.filter(pl.col("date_precision") <= "year")
    assert set(precise["date_precision"].to_list()) <= {"day", "month", "year"}
    assert frame.height == kw.load("events").num_rows


def test_load_polars_without_polars_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(kw.PackageError, match=r"kerman-warning\[polars\]"):
        kw.load_polars("events")


# --- stale data and hostile files (issue 14 point 4, issue 10 class J) -----------------------


def test_a_csv_edited_after_the_build_is_never_served_stale(package_copy: Path) -> None:
    set_cell(package_copy, "casualties", "cas-attack-kerman-killed", "best", "85")
    with pytest.raises(kw.PackageError) as caught:
        kw.load("casualties", path=package_copy)
    message = str(caught.value)
    assert "data/casualties.csv: changed after the last build" in message
    assert "run `kerman-warning build`" in message and "\n" not in message
    # The CSV itself is the source of truth: format="csv" reads the edit.
    edited = kw.load("casualties", path=package_copy, format="csv").to_pylist()
    assert 85 in [row["best"] for row in edited]


def test_a_parquet_copy_that_does_not_match_its_hash_is_refused(package_copy: Path) -> None:
    parquet = package_copy / "data/parquet/events.parquet"
    parquet.write_bytes(parquet.read_bytes()[:-1] + b"\0")
    with pytest.raises(kw.PackageError, match=r"does not match its hash in datapackage\.json"):
        kw.load("events", path=package_copy)


def test_huge_files_are_refused_before_they_are_read(package_copy: Path) -> None:
    with (package_copy / "data/parquet/events.parquet").open("r+b") as handle:
        handle.truncate(2 << 30)  # a sparse 2 GiB file: nothing is allocated
    with pytest.raises(kw.PackageError, match=r"more than the limit of \d+ \(MAX_PARQUET_BYTES\)"):
        kw.load("events", path=package_copy)
    with (package_copy / "data/article.ar.txt").open("r+b") as handle:
        handle.truncate(2 << 30)
    with pytest.raises(kw.PackageError, match=r"\(MAX_FILE_BYTES\)"):
        kw.text(path=package_copy)


def test_a_fifo_is_not_read(package_copy: Path) -> None:
    import os

    article = package_copy / "data/article.ar.txt"
    article.unlink()
    os.mkfifo(article)
    with pytest.raises(kw.PackageError):
        kw.text(path=package_copy)
