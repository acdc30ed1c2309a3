"""Typed CSV for every reader: each recipe of docs/readers.md reads every table value for value
as the loader types it; cameo_code keeps its leading zeros, date_precision its order."""

from __future__ import annotations

import csv
import datetime as dt
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import kerman_warning as kw
from kerman_warning import readers
from kerman_warning.tableschema import categories, read_csv

ROOT = Path(__file__).resolve().parents[1]
NAMES = kw.resource_names()
PRECISION = ["day", "month", "year", "before", "unknown"]


def csv_path(name: str) -> Path:
    resource = next(r for r in kw.datapackage()["resources"] if r["name"] == name)
    return ROOT / resource["path"]


def expected(name: str) -> list[dict[str, Any]]:
    """The rows in file order, typed by the Table Schema (the loader's own CSV reader)."""
    rows: list[dict[str, Any]] = read_csv(csv_path(name), kw.schema(name)).to_pylist()
    return rows


def plain(value: Any) -> Any:
    """A cell as pandas gives it, as Python gives it: NA -> None, Timestamp -> date."""
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):
        return value.item()
    return value


@pytest.mark.parametrize("name", NAMES)
def test_pandas_read_csv_kwargs(name: str) -> None:
    import pandas as pd

    frame = pd.read_csv(csv_path(name), **readers.read_csv_kwargs(name))
    rows = [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
    assert rows == expected(name)


def test_pandas_keeps_zeros_and_order() -> None:
    import pandas as pd

    events = pd.read_csv(csv_path("events"), **readers.read_csv_kwargs("events"))
    assert "064" in set(events["cameo_code"].dropna())
    assert list(events["date_precision"].cat.categories) == PRECISION
    assert events["date_precision"].cat.ordered
    assert events.sort_values("date_precision")["date_precision"].iloc[0] == "day"


@pytest.mark.parametrize("name", NAMES)
def test_polars_schema_overrides(name: str) -> None:
    pl = pytest.importorskip("polars")
    frame = pl.read_csv(csv_path(name), schema_overrides=readers.polars_schema(name))
    assert frame.to_dicts() == expected(name)


def test_polars_enum_keeps_the_order() -> None:
    pl = pytest.importorskip("polars")
    events = pl.read_csv(csv_path("events"), schema_overrides=readers.polars_schema("events"))
    assert events.schema["date_precision"] == pl.Enum(PRECISION)
    ordered = events.sort("date_precision")["date_precision"].unique(maintain_order=True)
    assert ordered.to_list() == [p for p in PRECISION if p in set(ordered)]
    assert "046" in set(events["cameo_code"].drop_nulls())


@pytest.mark.parametrize("name", NAMES)
def test_duckdb_typed_read_csv(name: str) -> None:
    duckdb = pytest.importorskip("duckdb")
    relation = duckdb.connect().read_csv(
        str(csv_path(name)), header=True, columns=readers.duckdb_columns(name)
    )
    rows = [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]
    assert rows == expected(name)


def test_duckdb_enum_sorts_in_schema_order() -> None:
    duckdb = pytest.importorskip("duckdb")
    connection = duckdb.connect()
    connection.execute(
        "create table events as select * from read_csv(?, header = true, columns = ?)",
        [str(csv_path("events")), readers.duckdb_columns("events")],
    )
    found = connection.sql("select distinct date_precision from events order by 1").fetchall()
    assert [row[0] for row in found] == [p for p in PRECISION if (p,) in found]
    zeros = connection.sql("select cameo_code from events where cameo_code like '0%'").fetchall()
    assert ("046",) in zeros


def test_frictionless_reads_the_descriptor_typed() -> None:
    frictionless = pytest.importorskip("frictionless")
    package = frictionless.Package(str(ROOT / "datapackage.json"))
    rows = [row.to_dict() for row in package.get_resource("events").read_rows()]
    assert [row["cameo_code"] for row in rows] == [row["cameo_code"] for row in expected("events")]
    assert {type(row["date_end"]) for row in rows} <= {dt.date, type(None)}


# --- R ---------------------------------------------------------------------------------------


def _r_text(value: Any) -> str:
    """A typed value as R's write.csv writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return repr(value).removesuffix(".0")
    return str(value)


R_CLASSES = {"string": "character", "integer": "integer", "number": "numeric"}
R_CLASSES |= {"boolean": "logical", "date": "Date"}


@pytest.mark.parametrize("engine", ["base", "readr"])
def test_r_recipes(tmp_path: Path, engine: str) -> None:
    """Base R read.csv + colClasses, and readr col_types: every column of every table has the
    schema's class, every value its text (leading zeros kept), vocabularies are factors in the
    schema's order. One R process per engine reads every table."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("Rscript is not installed (Debian: apt-get install -y r-base-core)")
    if engine == "readr":
        probe = subprocess.run([rscript, "-e", "library(readr)"], capture_output=True, check=False)
        if probe.returncode != 0:
            pytest.skip("the R package readr is not installed (Debian: r-cran-readr)")
    script = ""
    for name in NAMES:
        script += readers.r_script(name, str(csv_path(name)), readr=engine == "readr")
        script += (
            "classes <- vapply(df, function(column) class(column)[1], character(1))\n"
            "levels <- vapply(df, function(column) paste(levels(column), collapse = '|'), "
            "character(1))\n"
            "info <- data.frame(name = names(df), class = classes, levels = levels)\n"
            f"write.csv(info, {str(tmp_path / f'{name}.info.csv')!r}, row.names = FALSE)\n"
            f"write.csv(as.data.frame(df), {str(tmp_path / f'{name}.csv')!r}, "
            "row.names = FALSE, na = '', fileEncoding = 'UTF-8')\n"
        )
    (tmp_path / "read.R").write_text(script, encoding="utf-8")
    done = subprocess.run(
        [rscript, str(tmp_path / "read.R")], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    for name in NAMES:
        with (tmp_path / f"{name}.info.csv").open(encoding="utf-8", newline="") as handle:
            info = {row["name"]: row for row in csv.DictReader(handle)}
        for field in kw.schema(name)["fields"]:
            values = categories(field)
            found = info[field["name"]]
            if values is not None:
                ordered = bool(field.get("categoriesOrdered"))
                assert found["class"] == ("ordered" if ordered else "factor"), (name, found)
                assert found["levels"].split("|") == values
            else:
                assert found["class"] == R_CLASSES[field.get("type", "string")], (name, found)
        with (tmp_path / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert rows == [{k: _r_text(v) for k, v in row.items()} for row in expected(name)], name


def test_the_python_blocks_of_docs_readers_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re

    for library in ("polars", "duckdb", "frictionless", "datasets"):
        pytest.importorskip(library)
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.chdir(ROOT)  # the recipes read data/ relative to a checkout
    page = (ROOT / "docs" / "readers.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```$", page, re.M | re.S)
    assert len(blocks) == 5
    namespace: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block, "docs/readers.md", "exec"), namespace)
    assert len(namespace["events"]) == kw.load("events").num_rows
    assert len(namespace["rows"]) == kw.load("events").num_rows
