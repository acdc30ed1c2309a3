"""Fuzzing the bytes of the descriptor and of a CSV: whatever they hold, `validate` ends with a
report and exit code 0, 1 or 2, never a traceback, a crash of a rule (exit code 3) or a hang.

In-process, on the tiny package. `make test` runs CI_EXAMPLES of each (a smoke test that
keeps the suite under 60 s); the long run is the `fuzz`-marked tests below, LONG_EXAMPLES
(20,000) descriptors and as many CSVs, which `make fuzz` runs (`pytest -m fuzz`) and CI runs
after `make test` (.ci/run): that is where the thousands of examples run in CI.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _tinypackage import make_package
from kerman_warning.validate import validate

CI_EXAMPLES = 100  # per property in `make test`; the long run is `make fuzz`
LONG_EXAMPLES = int(os.environ.get("KERMAN_WARNING_FUZZ_EXAMPLES", "20000"))
SECONDS = 10  # no example may take longer (an alarm turns a hang into a failure)

TOKENS = [
    b"\x00", b"\xff", b"\xef\xbb\xbf", b"\\ud800", b"\\udfff", b"NaN", b"Infinity", b"-0",
    b"1e400", b"[" * 3000, b"{" * 3000, b'"a":1,"a":2', b"\x1b[2J", b"\r", b"\n", b'"', b",",
    b"\\", b"\xe2\x80\xae", b"\xd8\xa8", b"../", b"/etc/passwd", b"\t", b"null", b"true",
]  # fmt: skip


def mutated(original: bytes) -> st.SearchStrategy[bytes]:
    """`original` with a few bytes replaced, inserted or deleted, and some hostile tokens."""
    edit = st.tuples(
        st.sampled_from(["replace", "insert", "delete", "token"]),
        st.integers(min_value=0, max_value=max(len(original) - 1, 0)),
        st.binary(min_size=1, max_size=8),
        st.sampled_from(TOKENS),
    )

    def apply(edits: list[tuple[str, int, bytes, bytes]]) -> bytes:
        data = bytearray(original)
        for kind, at, chunk, token in edits:
            at = min(at, len(data))
            if kind == "replace":
                data[at : at + len(chunk)] = chunk
            elif kind == "insert":
                data[at:at] = chunk
            elif kind == "delete":
                del data[at : at + len(chunk)]
            else:
                data[at:at] = token
        return bytes(data)

    return st.lists(edit, min_size=1, max_size=6).map(apply)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


def replaced_values(value: Any, draw: st.DrawFn) -> Any:
    """The descriptor with some of its values replaced by random JSON."""
    if isinstance(value, dict):
        return {
            k: draw(json_values) if draw(st.integers(0, 9)) == 0 else replaced_values(v, draw)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [replaced_values(v, draw) for v in value]
    return value


@st.composite
def descriptor_bytes(draw: st.DrawFn, original: bytes) -> bytes:
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return draw(mutated(original))
    if choice == 1:
        value = replaced_values(json.loads(original), draw)
        return json.dumps(value, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    return draw(st.binary(max_size=300))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_package(tmp_path_factory.mktemp("fuzz") / "package")


class Hang(BaseException):
    """Raised by the alarm: a BaseException, so that no `except Exception` can hide it."""


def _hang(signum: int, frame: object) -> None:
    raise Hang


@pytest.fixture
def alarm() -> Iterator[None]:
    previous = signal.signal(signal.SIGALRM, _hang)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def validates_cleanly(root: Path) -> None:
    """A report, an exit code 0/1/2, both renderings, and within SECONDS."""
    signal.setitimer(signal.ITIMER_REAL, SECONDS)
    try:
        report = validate(root)
        text, document = report.render(format="text"), report.render(format="json")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    assert report.exit_code in (0, 1, 2), text
    assert json.loads(document)["exit_code"] == report.exit_code
    assert "Traceback" not in text and "\x1b" not in text


def write_and_validate(root: Path, relative: str, data: bytes, original: bytes) -> None:
    target = root / relative
    target.write_bytes(data)
    try:
        validates_cleanly(root)
    finally:
        target.write_bytes(original)


FAST = settings(
    max_examples=CI_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LONG = settings(FAST, max_examples=LONG_EXAMPLES)


def _descriptor_case(tiny: Path, data: st.DataObject) -> None:
    """Mutate the built descriptor (bytes, hashes and all), so that most examples get past
    parsing and reach the later stages."""
    original = (tiny / "datapackage.json").read_bytes()
    write_and_validate(tiny, "datapackage.json", data.draw(descriptor_bytes(original)), original)


def _csv_case(tiny: Path, data: st.DataObject, size: int) -> None:
    original = (tiny / "data/events.csv").read_bytes()
    chosen = data.draw(mutated(original) | st.binary(max_size=size))
    write_and_validate(tiny, "data/events.csv", chosen, original)


@FAST
@given(data=st.data())
def test_any_descriptor_bytes(tiny: Path, alarm: None, data: st.DataObject) -> None:
    """CI_EXAMPLES descriptors in `make test`; the 20,000 of CI run in
    test_any_descriptor_bytes_long (`make fuzz`)."""
    _descriptor_case(tiny, data)


@FAST
@given(data=st.data())
def test_any_csv_bytes(tiny: Path, alarm: None, data: st.DataObject) -> None:
    """CI_EXAMPLES CSVs in `make test`; the 20,000 of CI run in test_any_csv_bytes_long
    (`make fuzz`)."""
    _csv_case(tiny, data, 300)


@pytest.mark.fuzz
@LONG
@given(data=st.data())
def test_any_descriptor_bytes_long(tiny: Path, alarm: None, data: st.DataObject) -> None:
    """LONG_EXAMPLES descriptors: `make fuzz`, which CI runs after `make test`."""
    _descriptor_case(tiny, data)


@pytest.mark.fuzz
@LONG
@given(data=st.data())
def test_any_csv_bytes_long(tiny: Path, alarm: None, data: st.DataObject) -> None:
    """LONG_EXAMPLES CSVs: `make fuzz`, which CI runs after `make test`."""
    _csv_case(tiny, data, 3000)
