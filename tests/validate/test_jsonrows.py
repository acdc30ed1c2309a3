"""stages/jsonrows.py: rows against their JSON Schema, with verdicts remembered per process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _tinypackage import make_package
from kerman_warning.validate import validate
from kerman_warning.validate.stages import jsonrows

SCHEMA = "schemas/json/casualties.json"


def row_errors(root: Path) -> list[tuple[int | None, str | None]]:
    report = validate(root, rules="datapackage")
    return [(p.row, p.field) for p in report.problems if p.rule == "row-json-schema"]


def tighten(root: Path) -> None:
    """The same rows under another JSON Schema: `best` at most 100 (284 breaks it)."""
    path = root / SCHEMA
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["properties"]["best"]["maximum"] = 100
    path.write_text(json.dumps(schema), encoding="utf-8")


def test_a_remembered_verdict_is_for_its_schema_only(tmp_path: Path) -> None:
    root = make_package(tmp_path / "tiny")
    assert row_errors(root) == []  # every row is now remembered as valid under this schema
    tighten(root)
    assert (3, "best") in row_errors(root)  # other schema bytes: validated again, and it fails


def test_remembering_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonrows, "MEMO_ROWS", 2)
    monkeypatch.setattr(jsonrows, "_memo", {})
    root = make_package(tmp_path / "tiny")
    assert row_errors(root) == []
    assert len(jsonrows._memo) == 2


def test_only_a_schema_build_did_not_derive_is_checked_against_the_metaschema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The derived schema is known valid (tests/test_tableschema.py); any other is checked,
    and one the metaschema refuses is not used to validate rows."""
    checked: list[bytes] = []
    check = jsonrows._check

    def spy(data: bytes) -> None:
        checked.append(data)
        check(data)

    monkeypatch.setattr(jsonrows, "_check", spy)
    root = make_package(tmp_path / "tiny")
    assert row_errors(root) == [] and checked == []
    tighten(root)
    assert (3, "best") in row_errors(root) and len(checked) == 1
    path = root / SCHEMA
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["properties"]["best"]["maximum"] = "a hundred"  # the metaschema wants a number
    path.write_text(json.dumps(schema), encoding="utf-8")
    assert row_errors(root) == []  # not used: json-schema-in-sync says it is not the derived one
    assert len(checked) == 2
