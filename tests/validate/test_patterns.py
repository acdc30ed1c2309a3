"""validate/patterns.py: stage-5 patterns run on RE2, one value at a time or primed in bulk."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerman_warning.validate import patterns

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "event_id": {"type": "string", "pattern": "^evt-[a-z0-9]+(-[a-z0-9]+)*$"},
        "note": {"type": ["string", "null"]},
        "bad": {"type": "string", "pattern": "^(?=x)x$"},  # lookahead: RE2 refuses it
    },
}


@pytest.fixture(autouse=True)
def nothing_primed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patterns, "_primed", {})


@settings(deadline=None, max_examples=50)  # the first example imports pyarrow
@given(st.lists(st.text(alphabet="evt-ab09X\u0628 ", max_size=12), max_size=8))
def test_primed_verdicts_are_the_ones_re2_gives_one_at_a_time(values: list[str]) -> None:
    pattern = SCHEMA["properties"]["event_id"]["pattern"]
    patterns._primed.clear()
    alone = [patterns.re2_search(pattern, v) for v in values]
    patterns._primed.clear()
    patterns.re2_prime(SCHEMA, [{"event_id": v, "note": None} for v in values])
    assert {(pattern, v) for v in values} <= set(patterns._primed)
    assert [patterns.re2_search(pattern, v) for v in values] == alone


def test_only_string_values_of_patterns_re2_accepts_are_primed() -> None:
    patterns.re2_prime(SCHEMA, [{"event_id": 7, "note": "x", "bad": "x"}, {"event_id": "evt-a"}])
    assert patterns._primed == {(SCHEMA["properties"]["event_id"]["pattern"], "evt-a"): True}


def test_priming_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patterns, "PRIMED_MAX", 2)
    for i in range(5):
        patterns.re2_prime(SCHEMA, [{"event_id": f"evt-{i}"}])
    assert len(patterns._primed) <= 3
