"""stages/schemas.py: a Table Schema the validator cannot use is one named problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from _tinypackage import edit_json, make_package
from kerman_warning.validate import validate
from kerman_warning.validate.stages.schemas import bound


def profile_messages(root: Path) -> list[str]:
    report = validate(root, rules="datapackage")
    return [p.message for p in report.problems if p.rule == "descriptor-profile"]


def test_a_pattern_re2_refuses_is_named_and_never_run(tmp_path: Path) -> None:
    root = make_package(tmp_path / "tiny")

    def lookahead(schema: dict[str, Any]) -> None:
        schema["fields"][0]["constraints"]["pattern"] = "^cas-(?=k)[a-z-]+$"

    edit_json(root / "schemas/casualties.schema.json", lookahead)
    messages = profile_messages(root)
    assert len(messages) == 1 and messages[0].startswith("the pattern does not compile ("), messages


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("integer", 1, 1),
        ("integer", True, None),  # after 1 was asked: True == 1, but it is no integer bound
        ("number", 1, 1.0),
        ("number", 1.0, 1.0),
        ("integer", 1.0, None),
        ("date", "2024-01-03", "2024-01-03"),
        ("date", "2024-13-01", None),
        ("integer", [1], None),  # unhashable: not a bound of any type
        ("string", "a", None),
    ],
)
def test_a_bound_is_a_value_of_the_field_type_or_none(
    kind: str, value: object, expected: object
) -> None:
    found = bound({"type": kind}, value)
    if expected is None:
        assert found is None
    else:
        assert str(found.as_py()) == str(expected) and found is not None
