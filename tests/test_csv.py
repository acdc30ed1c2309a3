"""The one CSV reader (`_csv`) and the one JSON reading policy (`_package.parse_json`), used by
build, load and validate alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from kerman_warning._csv import Dialect, read_table
from kerman_warning._errors import DataError
from kerman_warning._package import JsonError, parse_json


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    return path


def test_cells_are_text_and_empty_cells_missing(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, b'a,b\n1,"x\ny"\n2,\n'), ["a", "b"])
    assert table.to_pylist() == [{"a": "1", "b": "x\ny"}, {"a": "2", "b": None}]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"a,b\n1,2\n\n3,4\n", r"t\.csv:3: the line is blank"),
        (b'a,b\n"x\n\ny",2\n\n3,4\n', r"t\.csv:5: the line is blank"),  # lines inside a cell
        (b"\xef\xbb\xbfa,b\n1,2\n", r"t\.csv:1: .*byte order mark"),
        (b"a,c\n1,2\n", r"t\.csv:1: header .* does not match"),
        (b"a,b\n1,2,3\n", r"t\.csv:2: .*3 cells"),
    ],
)
def test_one_policy_for_every_reader(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(DataError, match=message):
        read_table(write(tmp_path, data), ["a", "b"])


def test_a_dialect_is_read_as_declared(tmp_path: Path) -> None:
    dialect = Dialect.of({"delimiter": ";", "quoteChar": "'"})
    table = read_table(write(tmp_path, b"a;b\n'x;y';2\n"), ["a", "b"], dialect)
    assert table.to_pylist() == [{"a": "x;y", "b": "2"}]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"a": 1, "a": 2}', "repeats the key 'a'"),
        (b'{"a": NaN}', "holds NaN"),
        (b'{"a": -Infinity}', "holds -Infinity"),
        (b"\xef\xbb\xbf{}", "byte order mark"),
        (b"[]", "expected an object"),
        (b'{"a": "\xff"}', "not UTF-8"),
    ],
)
def test_one_json_policy(data: bytes, reason: str) -> None:
    with pytest.raises(JsonError, match=reason):
        parse_json(data)
