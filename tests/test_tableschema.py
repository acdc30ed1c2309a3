"""Table Schema -> Arrow types, strict column-wise casting, and JSON Schemas of rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kerman_warning as kw
from kerman_warning import DataError
from kerman_warning.tableschema import (
    arrow_schema,
    json_schema,
    one_array,
    read_csv,
    typed_columns,
)

SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "id", "type": "string", "constraints": {"required": True}},
        {"name": "n", "type": "integer"},
        {"name": "x", "type": "number"},
        {"name": "ok", "type": "boolean"},
        {"name": "day", "type": "date"},
        {
            "name": "level",
            "type": "string",
            "categories": [{"value": "low", "label": "Low"}, "high"],
            "categoriesOrdered": True,
        },
    ],
    "primaryKey": ["id"],
}


def cast(column: str, values: list[str | None]) -> tuple[list[Any], list[int]]:
    """Cast one column of text; return the typed values and the CSV lines that failed."""
    names = [f["name"] for f in SCHEMA["fields"]]
    text = pa.table({n: pa.array(values if n == column else ["a"] * len(values)) for n in names})
    columns, errors = typed_columns(text, SCHEMA)
    return columns[column].to_pylist(), [e.line for e in errors if e.field == column]


def test_arrow_types_follow_the_table_schema() -> None:
    schema = arrow_schema(SCHEMA)
    assert schema.field("n").type == pa.int64()
    assert schema.field("x").type == pa.float64()
    assert schema.field("ok").type == pa.bool_()
    assert schema.field("day").type == pa.date32()
    assert schema.field("level").type == pa.dictionary(pa.int32(), pa.string(), ordered=True)
    assert not schema.field("id").nullable and schema.field("n").nullable


@pytest.mark.parametrize(
    ("column", "good", "bad"),
    [
        ("n", ["84", "-3", "0", None], ["٨٤", "84.0", "1e3", " 84", "NaN", "+7", "9" * 19]),
        ("x", ["30.28389", "-1", "57.0725", None], ["NaN", "inf", "-INF", "1,5", "٣", "1e999"]),
        ("ok", ["true", "false", None], ["True", "1", "yes"]),
        ("day", ["2024-01-03", "2024-02-29", None], ["2024-02-30", "2023-02-29", "3/1/2024"]),
        ("level", ["low", "high", None], ["LOW", "medium"]),
    ],
)
def test_casting_accepts_the_good_and_names_every_bad_cell(
    column: str, good: list[str | None], bad: list[str]
) -> None:
    typed, failed = cast(column, good + bad)
    assert failed == [len(good) + 2 + i for i in range(len(bad))]  # CSV lines, header is line 1
    assert all(value is None for value in typed[len(good) :])
    assert [v is None for v in typed[: len(good)]] == [g is None for g in good]


@given(st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1))
def test_any_int64_round_trips(value: int) -> None:
    typed, failed = cast("n", [str(value)])
    assert typed == [value] and failed == []


@given(st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩+-.e ", min_size=1, max_size=6))
def test_integer_cells_parse_exactly_when_they_are_ascii_integers(value: str) -> None:
    _, failed = cast("n", [value])
    stripped = value[1:] if value[:1] == "-" else value
    is_integer = stripped.isascii() and stripped.isdigit()
    assert (failed == []) == is_integer


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "t.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_read_csv_names_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "id,n,x,ok,day,level\na,1,1,true,2024-01-03,low\nb,٢,1,true,,\n")
    with pytest.raises(DataError, match=r"^t\.csv:3 \[n\]: '٢' is not an integer"):
        read_csv(path, SCHEMA)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xef\xbb\xbfid,n,x,ok,day,level\n", "byte order mark"),
        (b"", "empty"),
        (b"id,n,x,ok,level,day\n", "does not match the schema fields"),
        (b"id,n,x,ok,day\n", "does not match the schema fields"),
        (b'id,n,x,ok,day,level\n"a,1,1,true,,\n', "not a readable UTF-8 CSV"),
        ("id,n,x,ok,day,level\nعلم,1,1,true,,\n".encode("cp1256"), "not a readable UTF-8 CSV"),
    ],
)
def test_unreadable_csv_is_one_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(DataError, match=message) as error:
        read_csv(write(tmp_path, content), SCHEMA)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("name", kw.resource_names())
def test_json_schemas_are_valid_2020_12_and_accept_the_real_rows(name: str) -> None:
    schema = json_schema(kw.schema(name), name=name)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for row in kw.load(name).to_pylist():
        validator.validate(
            {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
        )


def test_json_schema_rejects_a_value_outside_the_vocabulary() -> None:
    schema = json_schema(SCHEMA, name="t")
    row = {"id": "a", "n": 1, "x": 1.0, "ok": True, "day": "2024-01-03", "level": "medium"}
    with pytest.raises(jsonschema.ValidationError, match="'medium' is not one of"):
        jsonschema.validate(row, schema)
    jsonschema.validate(row | {"level": None}, schema)


def test_one_array_keeps_a_single_chunk_as_it_is() -> None:
    """`combine_chunks` copies even one chunk: the validator's batches must not pay for that."""
    array = pa.array(["إيران", None, "x"])
    single = one_array(pa.chunked_array([array]))
    assert single.buffers()[2].address == array.buffers()[2].address
    assert one_array(array) is array
    joined = one_array(pa.chunked_array([array, pa.array(["y"])]))
    assert joined.to_pylist() == ["إيران", None, "x", "y"]
    assert one_array(pa.chunked_array([], pa.string())).to_pylist() == []
