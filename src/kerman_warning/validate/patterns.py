"""Patterns that come from the package run in linear time: RE2 (pyarrow.compute), never `re`.

Python's `re` backtracks, so a pattern like `^(a+)+$` on a long enough cell never ends. RE2
matches in time linear in the text, and refuses what it cannot do so (backreferences,
lookaround): such a pattern is a named problem (`pattern-linear`), never run. The Table
Schema constraints already run on RE2 (stages/tableschema.py); this module gives stage 5 a
JSON Schema validator whose `pattern` and `patternProperties` keywords, and `regex` format,
use RE2 too.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from .spec import declare

__all__ = [
    "PATTERN_LINEAR",
    "re2_prime",
    "re2_problem",
    "re2_search",
    "refused_patterns",
    "row_validator",
]

PATTERN_LINEAR = declare(
    "pattern-linear",
    "error",
    "json-schema",
    "Every pattern of a row JSON Schema compiles in RE2, which matches in linear time; a "
    "pattern it refuses (a backreference, lookaround) is reported and never run.",
    scope="datapackage",
)


@lru_cache(maxsize=1024)
def re2_problem(pattern: str) -> str | None:
    """Why RE2 refuses `pattern` (None if it compiles)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        pc.match_substring_regex(pa.array([""], pa.string()), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        return " ".join(str(error).split())
    return None


# Verdicts matched ahead for a sample of rows (`re2_prime`), so that the validator's calls,
# one value at a time, do not each pay for an Arrow array and a kernel call. Cleared when it
# reaches PRIMED_MAX entries (a few thousand short strings).
PRIMED_MAX = 1 << 14
_primed: dict[tuple[str, str], bool] = {}


def re2_search(pattern: str, text: str) -> bool:
    """Whether `pattern` matches somewhere in `text` (JSON Schema's `pattern`), in RE2."""
    known = _primed.get((pattern, text))
    if known is not None:
        return known
    import pyarrow as pa
    import pyarrow.compute as pc

    return bool(pc.match_substring_regex(pa.array([text], pa.string()), pattern)[0].as_py())


def re2_prime(schema: object, records: list[dict[str, Any]]) -> None:
    """Match every top-level property `pattern` of `schema` against that property's string
    values in `records`, one RE2 call per pattern, for `re2_search` to find."""
    import pyarrow as pa
    import pyarrow.compute as pc

    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return
    if len(_primed) > PRIMED_MAX:
        _primed.clear()
    for name, subschema in properties.items():
        pattern = subschema.get("pattern") if isinstance(subschema, dict) else None
        if not isinstance(pattern, str) or re2_problem(pattern) is not None:
            continue
        texts = [value for r in records if isinstance(value := r.get(name), str)]
        if texts:
            found = pc.match_substring_regex(pa.array(texts, pa.string()), pattern)
            _primed.update(
                ((pattern, t), bool(m)) for t, m in zip(texts, found.to_pylist(), strict=True)
            )


def refused_patterns(schema: object) -> Iterator[tuple[str, str, str]]:
    """(JSON pointer, pattern, reason) of every pattern in `schema` that RE2 refuses."""
    stack: list[tuple[str, object]] = [("", schema)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            found = node.get("pattern")
            if isinstance(found, str) and (reason := re2_problem(found)) is not None:
                yield f"{where}/pattern", found, reason
            keyed = node.get("patternProperties")
            if isinstance(keyed, dict):
                for key in keyed:
                    if (reason := re2_problem(key)) is not None:
                        yield f"{where}/patternProperties", key, reason
            stack.extend((f"{where}/{key}", value) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((f"{where}/{i}", value) for i, value in enumerate(node))


def _pattern(validator: Any, pattern: str, instance: object, schema: object) -> Iterator[Any]:
    from jsonschema import ValidationError

    if not validator.is_type(instance, "string") or re2_problem(pattern) is not None:
        return  # a refused pattern is reported once, as pattern-linear, and never run
    assert isinstance(instance, str)
    if not re2_search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: dict[str, Any], instance: object, schema: object
) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    assert isinstance(instance, dict)
    for pattern, subschema in patterns.items():
        if re2_problem(pattern) is not None:
            continue
        for key, value in instance.items():
            if re2_search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def row_validator(schema: dict[str, Any]) -> Any:
    """A Draft 2020-12 validator of `schema` whose patterns and `regex` format run on RE2."""
    cls, checker = _re2_validator()
    return cls(schema, format_checker=checker)


@lru_cache(maxsize=1)
def _re2_validator() -> tuple[Any, Any]:
    """The validator class (made once: jsonschema generates its code) and format checker."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    checker = jsonschema.FormatChecker()
    checker.checkers = dict(base.FORMAT_CHECKER.checkers)
    checker.checks("regex")(lambda value: not isinstance(value, str) or re2_problem(value) is None)
    cls = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        base, {"pattern": _pattern, "patternProperties": _pattern_properties}
    )
    return cls, checker
