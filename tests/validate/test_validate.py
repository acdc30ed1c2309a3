"""`kerman-warning validate`: the report, the bad-input catalogue, random mutations, agreement
with frictionless, and the command line. Per-rule tests are in test_rules.py."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import (
    copy_package,
    csv_path,
    descriptor,
    edit_json,
    get_cell,
    read_rows,
    refresh,
    set_cell,
    write_rows,
)
from kerman_warning import PackageError
from kerman_warning.validate import Problem, Report, validate
from kerman_warning.validate import report as report_module

ROOT = Path(__file__).resolve().parents[2]


def only(report: Report, rule: str) -> list[Problem]:
    return [p for p in report.problems if p.rule == rule]


def no_crash(report: Report) -> None:
    """Whatever the input, validation ends with a report, never with a rule that crashed."""
    stopped = [p for p in report.problems if "could not be checked" in p.message]
    stopped += [p for p in report.problems if p.message.startswith("validation stopped")]
    assert not stopped, report.render(format="text")


# --- The report ------------------------------------------------------------------------------


def test_the_shipped_package_is_valid_and_says_so() -> None:
    report = validate()
    assert report.valid and report.exit_code == 0 and report.problems == []
    text = report.render(format="text")
    assert text.startswith("kerman-warning validate the shipped package\nVALID")
    document = json.loads(report.render(format="json"))
    assert document["valid"] is True and document["exit_code"] == 0
    assert document["counts"] == {"error": 0, "warning": 0}


def test_a_folder_and_its_descriptor_are_the_same_package(package_copy: Path) -> None:
    assert validate(package_copy / "datapackage.json").problems == []
    assert validate(str(package_copy)).problems == []


def test_json_report_is_stable_and_complete(package_copy: Path) -> None:
    low = set_cell(package_copy, "casualties", "cas-attack-kerman-killed", "low", "٨٤")
    kind = set_cell(package_copy, "events", "evt-attack-kerman", "event_type", "bombing")
    refresh(package_copy)
    first = validate(package_copy).render(format="json")
    assert first == validate(package_copy).render(format="json")
    document = json.loads(first)
    assert list(document) == [
        "format",
        "version",
        "package",
        "rules",
        "valid",
        "exit_code",
        "counts",
        "bug",
        "problems",
        "omitted",
    ]
    assert document["format"] == "kerman-warning.validate" and document["version"] == 1
    assert document["exit_code"] == 1 and document["counts"]["error"] == 2
    keys = ["rule", "severity", "stage", "resource", "file", "row", "field", "value", "message"]
    for problem in document["problems"]:
        assert list(problem) == keys
    assert [(p["rule"], p["row"], p["field"]) for p in document["problems"]] == [
        ("type", low, "low"),
        ("categories", kind, "event_type"),
    ]


def test_problems_are_ordered_by_stage_then_catalogue(package_copy: Path) -> None:
    edit_json(package_copy / "schemas/json/events.json", lambda s: s.update(title="x"))
    set_cell(package_copy, "casualties", "cas-attack-kerman-killed", "event_id", "evt-missing")
    report = validate(package_copy)  # the CSV changed without a build: its size is stale too
    assert [p.rule for p in report.problems] == [
        "bytes-match",
        "foreign-key",
        "json-schema-in-sync",
    ]
    assert [p.stage for p in report.problems] == [2, 3, 4]


def test_many_problems_of_one_kind_are_counted_not_all_listed(package_copy: Path) -> None:
    header, rows = read_rows(package_copy, "references")
    template = rows[0]
    extra = []
    for i in range(report_module.LIMIT + 10):
        row = list(template)
        row[0] = f"ref-extra-{i}"
        row[header.index("confidence")] = "certain"
        extra.append(row)
    write_rows(package_copy, "references", header, rows + extra)
    refresh(package_copy)
    report = validate(package_copy)
    listed = only(report, "categories")
    assert len(listed) == report_module.LIMIT
    assert [(o.rule, o.resource, o.field, o.count) for o in report.omitted] == [
        ("categories", "references", "confidence", 10)
    ]
    assert report.errors == report_module.LIMIT + 10
    assert "… and 10 more problems in references.confidence" in report.render(format="text")
    assert json.loads(report.render(format="json"))["omitted"][0]["count"] == 10


def test_text_report_is_a_table_per_rule(package_copy: Path) -> None:
    line = set_cell(package_copy, "casualties", "cas-attack-kerman-injured", "high", "283")
    refresh(package_copy)
    text = validate(package_copy).render(format="text")
    lines = text.splitlines()
    assert lines[1] == "INVALID: 1 error, 0 warnings (11 tables, 137 rows)"
    assert lines[3].startswith("casualty-bounds (error, stage 4): ")
    assert lines[4].split() == ["where", "field", "value", "problem"]
    assert lines[5].split()[:3] == [f"data/casualties.csv:{line}", "high", "283"]
    with pytest.raises(ValueError, match="format"):
        validate(package_copy).render(format="yaml")  # type: ignore[arg-type]


def test_warnings_alone_keep_the_package_valid(package_copy: Path) -> None:
    header, rows = read_rows(package_copy, "uncovered")
    write_rows(package_copy, "uncovered", header, rows[1:])
    refresh(package_copy)
    report = validate(package_copy)
    assert report.warnings > 0 and report.errors == 0
    assert report.valid and report.exit_code == 0


def test_line_numbers_count_lines_inside_quoted_cells(package_copy: Path) -> None:
    note = get_cell(package_copy, "entities", "ent-usa", "note_en")
    set_cell(package_copy, "entities", "ent-usa", "note_en", note + "\nsecond line\nthird")
    line = set_cell(package_copy, "entities", "ent-kerman", "latitude", "north")
    refresh(package_copy)
    found = {p.rule: p for p in validate(package_copy).problems}
    assert set(found) == {"type", "text-characters"}  # the policy refuses LF in a note
    problem = found["type"]
    assert (problem.rule, problem.row, problem.field) == ("type", line, "latitude")
    text = csv_path(package_copy, "entities").read_text(encoding="utf-8").split("\n")
    assert text[line - 1].startswith("ent-kerman,")


def test_crlf_line_ends_are_read_like_lf(package_copy: Path) -> None:
    path = csv_path(package_copy, "events")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    refresh(package_copy)
    assert validate(package_copy).problems == []


# --- The bad-input catalogue -----------------------------------------------------------------
# Each case breaks a fresh copy and says which rule must report it, where; no case may raise.

Bad = Callable[[Path], tuple[str, str | None, int | None, str | None]]
BAD: dict[str, Bad] = {}


def bad(name: str) -> Callable[[Bad], Bad]:
    def register(function: Bad) -> Bad:
        BAD[name] = function
        return function

    return register


@bad("unbalanced quote")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    line = set_cell(root, "entities", "ent-iran", "note_en", "x")
    path = csv_path(root, "entities")
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[line - 1] = lines[line - 1].replace(",x,", ',"x,', 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    return "csv-readable", "entities", line, None


@bad("utf-8 with byte order mark")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    path = csv_path(root, "events")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return "csv-readable", "events", 1, None


@bad("cp1256-encoded file")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    path = csv_path(root, "entities")
    text = path.read_text(encoding="utf-8")
    path.write_bytes(text.encode("cp1256", errors="replace"))
    first = next(i for i, line in enumerate(text.split("\n"), 1) if not line.isascii())
    return "csv-readable", "entities", first, None


@bad("non-NFC Arabic")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    decomposed = "\u0627\u0653\u0644\u0645\u0635\u062f\u0631"  # آ as alef + madda, decomposed
    line = set_cell(root, "sources", "src-us-official", "name_ar", decomposed)
    return "nfc-text", "sources", line, "name_ar"


@bad("right-to-left override")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    line = set_cell(root, "entities", "ent-iran", "note_en", "Iran\u202e")
    return "text-characters", "entities", line, "note_en"


@bad("zero-width joiner")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    name = get_cell(root, "sources", "src-us-official", "name_ar")
    line = set_cell(root, "sources", "src-us-official", "name_ar", "\u200d" + name)
    return "text-characters", "sources", line, "name_ar"


@bad("Arabic-Indic digits in an integer column")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    line = set_cell(root, "casualties", "cas-attack-kerman-injured", "best", "٢٨٤")
    return "type", "casualties", line, "best"


for _mark in "=+-@":

    @bad(f"a text cell starting with {_mark}")
    def _(root: Path, mark: str = _mark) -> tuple[str, str | None, int | None, str | None]:
        line = set_cell(root, "entities", "ent-iran", "note_en", f"{mark}SUM(A1:A9)")
        return "no-formula-cells", "entities", line, "note_en"


@bad("text in a number column")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    line = set_cell(root, "entities", "ent-kerman", "longitude", "east")
    return "type", "entities", line, "longitude"


@bad("an impossible date")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    line = set_cell(root, "events", "evt-attack-kerman", "date_start", "2024-02-30")
    return "type", "events", line, "date_start"


@bad("a boolean spelt yes")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    line = set_cell(root, "sources", "src-cnn", "anonymous", "yes")
    return "type", "sources", line, "anonymous"


@bad("a missing column")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    header, rows = read_rows(root, "events")
    gone = header.index("visibility")
    write_rows(
        root, "events", header[:gone] + header[gone + 1 :], [r[:gone] + r[gone + 1 :] for r in rows]
    )
    return "header-matches", "events", 1, None


@bad("an extra column")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    header, rows = read_rows(root, "events")
    write_rows(root, "events", [*header, "extra"], [[*r, "x"] for r in rows])
    return "header-matches", "events", 1, None


@bad("reordered columns")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    header, rows = read_rows(root, "sources")
    write_rows(root, "sources", header[::-1], [r[::-1] for r in rows])
    return "header-matches", "sources", 1, None


@bad("a row with a cell too few")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    header, rows = read_rows(root, "sources")
    rows[2] = rows[2][:-1]
    lines = write_rows(root, "sources", header, rows)
    return "csv-readable", "sources", lines[2], None


@bad("a blank line")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    path = csv_path(root, "uncovered")
    lines = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join([*lines[:3], "", *lines[3:]]), encoding="utf-8")
    return "csv-readable", "uncovered", 4, None


@bad("an empty file")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    csv_path(root, "errata").write_bytes(b"")
    return "csv-readable", "errata", 1, None


@bad("a header without rows")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    header, _ = read_rows(root, "errata")
    write_rows(root, "errata", header, [])
    return "has-rows", "errata", 1, None


@bad("a truncated Parquet copy")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    path = root / "data/parquet/events.parquet"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return "bytes-match", "events", None, "bytes"


@bad("a missing file")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    (root / "data/parquet/quotes.parquet").unlink()
    return "file-present", "quotes", None, "parquet/path"


@bad("a very long cell")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    key = read_rows(root, "references")[1][0][0]
    line = set_cell(root, "references", key, "note", "و" * 2_000_000)
    return "cell-size-limit", "references", line, "note"


for _number in ("NaN", "inf", "-Infinity", "1e400"):

    @bad(f"{_number} in a number column")
    def _(root: Path, number: str = _number) -> tuple[str, str | None, int | None, str | None]:
        line = set_cell(root, "entities", "ent-kerman", "latitude", number)
        return "type", "entities", line, "latitude"


for _path in (
    "/etc/passwd",
    "../outside.csv",
    "https://example.com/events.csv",
    "file:///etc/passwd",
    ".hidden/events.csv",
    "data\\events.csv",
):

    @bad(f"a resource path {_path}")
    def _(root: Path, path: str = _path) -> tuple[str, str | None, int | None, str | None]:
        edit_json(
            root / "datapackage.json",
            lambda p: next(r for r in p["resources"] if r["name"] == "errata").update(path=path),
        )
        return "path-safe", "errata", None, "path"


@bad("a symlink out of the folder")
def _(root: Path) -> tuple[str, str | None, int | None, str | None]:
    outside = root.parent / "outside.csv"
    outside.write_bytes((root / "data/errata.csv").read_bytes())
    (root / "data/errata.csv").unlink()
    (root / "data/errata.csv").symlink_to(outside)
    return "path-safe", "errata", None, "path"


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_gives_a_clear_problem_and_no_traceback(name: str, package_copy: Path) -> None:
    rule, resource, row, field = BAD[name](package_copy)
    if rule not in ("bytes-match", "hash-match", "file-present"):
        refresh(package_copy)  # so that the edit, not a stale hash, is what is reported
    report = validate(package_copy)
    no_crash(report)
    hits = [
        p
        for p in only(report, rule)
        if p.resource == resource
        and (row is None or p.row == row)
        and (field is None or p.field == field)
    ]
    assert hits, f"expected {rule} at {resource}:{row} [{field}]\n{report.render(format='text')}"
    assert all(p.message for p in report.problems)
    assert report.exit_code == 1


def test_a_truncated_parquet_with_a_matching_hash_cannot_be_read(package_copy: Path) -> None:
    path = package_copy / "data/parquet/events.parquet"
    path.write_bytes(path.read_bytes()[:1000])
    _rehash_parquet(package_copy, "events")
    report = validate(package_copy)
    (problem,) = report.problems
    assert problem.rule == "parquet-matches-csv" and "cannot be read" in problem.message


def _rehash_parquet(root: Path, name: str) -> None:
    import hashlib

    data = (root / f"data/parquet/{name}.parquet").read_bytes()

    def change(package: dict[str, object]) -> None:
        for block in package["resources"]:  # type: ignore[attr-defined]
            if block["name"] == name:
                block["parquet"].update(
                    bytes=len(data), hash=f"sha256:{hashlib.sha256(data).hexdigest()}"
                )

    edit_json(root / "datapackage.json", change)


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b"[1, 2]", b"\xff\xfe{}", b'{"resources": []}', b'{"a": NaN}'],
)
def test_an_unusable_descriptor_gives_exit_code_2(content: bytes, package_copy: Path) -> None:
    (package_copy / "datapackage.json").write_bytes(content)
    report = validate(package_copy)
    no_crash(report)
    assert report.exit_code == 2 and report.problems
    assert report.render(format="text").splitlines()[1].startswith("UNUSABLE")


def test_a_folder_without_a_package_gives_exit_code_2(tmp_path: Path) -> None:
    for path in (tmp_path, tmp_path / "nowhere", tmp_path / "file.csv"):
        if path.name == "file.csv":
            path.write_text("a,b\n1,2\n", encoding="utf-8")
        report = validate(path)
        assert report.exit_code == 2
        assert only(report, "descriptor-readable")


def test_a_table_schema_that_cannot_be_checked_is_said_so_once(package_copy: Path) -> None:
    edit_json(
        package_copy / "schemas/casualties.schema.json",
        lambda s: next(f for f in s["fields"] if f["name"] == "low").update(type="datetime"),
    )
    report = validate(package_copy)
    errors = [(p.rule, p.resource, p.field) for p in report.problems if p.severity == "error"]
    # One problem, at the field: the profile's datetime branch has no integer minimum.
    assert errors == [("descriptor-profile", "casualties", "low/constraints/minimum")]


# --- Random mutations ------------------------------------------------------------------------

TABLES = [r["name"] for r in descriptor(ROOT)["resources"] if r.get("type") == "table"]
SCHEMAS = {
    name: json.loads((ROOT / f"schemas/{name}.schema.json").read_text(encoding="utf-8"))
    for name in TABLES
}
ODD = [
    "",
    "NaN",
    "inf",
    "-1",
    "0",
    "٨٤",
    "84",
    "1e3",
    " 5",
    "2024-02-30",
    "2024-01-03",
    "true",
    "false",
    "yes",
    "=1+1",
    "@x",
    "ent-iran",
    "evt-attack-kerman",
    "src-cnn",
    "ref-missing",
    "x" * 81,
    "killed",
    "day",
    "\u200f",
    '"',
    "a\nb",
    "a,b",
]
VALUES = st.one_of(
    st.sampled_from(ODD),
    st.text(max_size=12),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.dates().map(dt.date.isoformat),
)


def breaks_a_constraint(name: str, field: str, value: str) -> bool:
    """An oracle independent of the engine: does `value` break the field's own constraints?"""
    spec = next(f for f in SCHEMAS[name]["fields"] if f["name"] == field)
    constraints = spec.get("constraints", {})
    if value == "":
        return bool(constraints.get("required")) or field in SCHEMAS[name].get("primaryKey", [])
    kind = spec.get("type", "string")
    number: float | None = None
    if kind == "integer":
        if not re.fullmatch(r"-?[0-9]{1,18}", value):
            return True
        number = int(value)
    elif kind == "number":
        if not re.fullmatch(r"-?[0-9]{1,300}(\.[0-9]+)?", value):
            return True
        number = float(value)
    elif kind == "boolean":
        return value not in ("true", "false")
    elif kind == "date":
        try:
            return dt.date.fromisoformat(value).isoformat() != value
        except ValueError:
            return True
    if "categories" in spec:
        values = [c["value"] if isinstance(c, dict) else c for c in spec["categories"]]
        if value not in values:
            return True
    if number is not None:
        if "minimum" in constraints and number < constraints["minimum"]:
            return True
        if "maximum" in constraints and number > constraints["maximum"]:
            return True
    if kind == "string":
        if "maxLength" in constraints and len(value) > constraints["maxLength"]:
            return True
        if "minLength" in constraints and len(value) < constraints["minLength"]:
            return True
        if "pattern" in constraints and not re.fullmatch(constraints["pattern"], value):
            return True
    return False


# Each example validates the whole real package (about 0.2 s): `make test` runs a few, as a
# smoke test of the property; `make fuzz` (pytest -m fuzz, run by CI after `make test`) runs
# MUTATIONS_LONG of them.
MUTATIONS_CI = 15
MUTATIONS_LONG = int(os.environ.get("KERMAN_WARNING_MUTATION_EXAMPLES", "300"))
MUTATIONS = settings(
    max_examples=MUTATIONS_CI, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@MUTATIONS
@given(data=st.data())
def test_random_mutations_never_crash_and_are_reported(data: st.DataObject) -> None:
    """One random cell of one table set to a random value: no crash, and a value that breaks
    a constraint is reported at its cell. MUTATIONS_CI examples here; the long run is
    test_random_mutations_long (`make fuzz`)."""
    _mutation_case(data)


@pytest.mark.fuzz
@settings(MUTATIONS, max_examples=MUTATIONS_LONG)
@given(data=st.data())
def test_random_mutations_long(data: st.DataObject) -> None:
    """The same property with MUTATIONS_LONG examples (`make fuzz`, run by CI)."""
    _mutation_case(data)


def _mutation_case(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(TABLES), label="resource")
    with tempfile.TemporaryDirectory() as folder:
        root = copy_package(Path(folder) / "package")
        header, rows = read_rows(root, name)
        row = data.draw(st.integers(0, len(rows) - 1), label="row")
        field = data.draw(st.sampled_from(header), label="field")
        value = data.draw(VALUES, label="value")
        rows[row][header.index(field)] = value
        line = write_rows(root, name, header, rows)[row]
        report = validate(root)
        no_crash(report)
        if breaks_a_constraint(name, field, value):
            at_cell = [
                p
                for p in report.problems
                if p.resource == name and p.row == line and p.field == field
            ]
            assert at_cell, f"{name}:{line} [{field}] = {value!r}\n{report.render()}"
            assert report.exit_code == 1


# --- Agreement with frictionless -------------------------------------------------------------

Edit = Callable[[Path], object]
DIFFERENTIAL: dict[str, tuple[Edit, bool]] = {
    # name: (edit, does frictionless see it too?)
    "clean": (lambda r: None, True),
    "type": (lambda r: set_cell(r, "casualties", "cas-attack-kerman-killed", "best", "x"), True),
    "primary key": (
        lambda r: set_cell(
            r, "casualties", "cas-attack-kerman-injured", "casualty_id", "cas-attack-kerman-killed"
        ),
        True,
    ),
    "foreign key": (
        lambda r: set_cell(r, "casualties", "cas-attack-kerman-killed", "event_id", "evt-x"),
        True,
    ),
    "minimum": (
        lambda r: set_cell(r, "casualties", "cas-attack-kerman-killed", "best", "-1"),
        True,
    ),
    "pattern": (lambda r: set_cell(r, "sources", "src-cnn", "entity_id", "ENT"), True),
    "v2 categories": (
        lambda r: set_cell(r, "events", "evt-attack-kerman", "event_type", "bombing"),
        False,
    ),
    "v2 uniqueKeys": (
        lambda r: set_cell(r, "casualties", "cas-attack-kerman-injured", "outcome", "killed"),
        False,
    ),
    "span shifted by one": (lambda r: set_cell(r, "entities", "ent-iran", "start", "25"), False),
    "casualty high below low": (
        lambda r: set_cell(r, "casualties", "cas-attack-kerman-injured", "high", "283"),
        False,
    ),
}


@pytest.mark.parametrize("case", list(DIFFERENTIAL))
def test_frictionless_and_we_agree_and_we_see_more(case: str, package_copy: Path) -> None:
    frictionless = pytest.importorskip("frictionless")
    edit, seen_by_both = DIFFERENTIAL[case]
    edit(package_copy)
    refresh(package_copy)
    theirs = frictionless.validate(str(package_copy / "datapackage.json")).valid
    ours = validate(package_copy).valid
    if case == "clean":
        assert theirs and ours
    elif seen_by_both:
        assert not theirs and not ours, "frictionless and kerman-warning should agree"
    else:
        assert theirs and not ours, "an error frictionless misses and we catch"


# --- The command line ------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KERMAN_WARNING_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "kerman_warning", "validate", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def validate_in_process(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> subprocess.CompletedProcess[str]:
    """`kerman-warning validate ARGS` called in this process (the exit code is what `main`
    returns: `python -m kerman_warning` is `raise SystemExit(main())`), as run_cli gives it."""
    from kerman_warning.cli import main

    monkeypatch.delenv("KERMAN_WARNING_DEBUG", raising=False)
    capsys.readouterr()
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(["validate", *args], code, out, err)


def test_cli_exit_codes_and_no_traceback(
    package_copy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Exit codes 0, 1 and 2 with no traceback: two of the runs are real processes (the code
    as the shell sees it), the others in-process calls of the same command line."""
    valid = validate_in_process(capsys, monkeypatch, str(package_copy))
    assert valid.returncode == 0 and "VALID" in valid.stdout
    set_cell(package_copy, "casualties", "cas-attack-kerman-injured", "high", "283")
    refresh(package_copy)
    invalid = validate_in_process(capsys, monkeypatch, str(package_copy), "--format", "json")
    assert invalid.returncode == 1
    assert json.loads(invalid.stdout)["problems"][0]["rule"] == "casualty-bounds"
    broken = copy_package(tmp_path / "broken")
    (broken / "datapackage.json").write_bytes(b"\x00\x01 not json")
    csv_path(package_copy, "events").write_bytes(os.urandom(4096))
    for args, code, in_a_process in (
        ((str(broken),), 2, True),
        ((str(tmp_path / "none"),), 2, False),
        ((str(package_copy),), 1, True),
    ):
        run = run_cli if in_a_process else partial(validate_in_process, capsys, monkeypatch)
        result = run(*args)
        assert result.returncode == code, result.stdout + result.stderr
        assert "Traceback" not in result.stdout + result.stderr


def test_cli_lists_the_rules(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = validate_in_process(capsys, monkeypatch, "--list-rules")
    assert result.returncode == 0 and "span-matches-text" in result.stdout
    listed = json.loads(
        validate_in_process(capsys, monkeypatch, "--list-rules", "--format", "json").stdout
    )
    assert {"id", "severity", "stage", "description"} <= set(listed["rules"][0])


def test_a_row_longer_than_a_parser_block_late_in_a_big_file(package_copy: Path) -> None:
    """The parser reads 1 MB at a time; a longer row after the first block restarts the table
    with larger blocks, and nothing is reported twice."""
    header, rows = read_rows(package_copy, "references")
    template, more = rows[0], []
    for i in range(4000):  # a few megabytes of ordinary rows first
        row = list(template)
        row[0] = f"ref-filler-{i:05d}"
        more.append(row)
    long_row = list(template)
    long_row[0] = "ref-zzz-long"  # the last in primary-key order, so the last in the file
    long_row[header.index("note")] = "و" * 1_500_000  # 3 MB of UTF-8 in one cell
    ordered = sorted([*rows, *more], key=lambda row: row[0])
    lines = write_rows(package_copy, "references", header, [*ordered, long_row])
    refresh(package_copy)
    report = validate(package_copy)
    no_crash(report)
    assert [(p.rule, p.row, p.field) for p in report.problems] == [
        ("cell-size-limit", lines[-1], "note")
    ]


def test_a_csv_in_key_order_is_compared_with_its_parquet_copy_in_step(
    package_copy: Path,
) -> None:
    """The streaming comparison (CSV already in primary-key order, as large CSVs should be)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    header, rows = read_rows(package_copy, "entities")
    write_rows(package_copy, "entities", header, sorted(rows))
    refresh(package_copy)
    assert validate(package_copy).problems == []
    path = package_copy / "data/parquet/entities.parquet"
    table = pq.read_table(path)
    names = table.column("name_en").to_pylist()
    names[3] = "Somewhere else"
    column = table.schema.get_field_index("name_en")
    pq.write_table(table.set_column(column, "name_en", pa.array(names)), path)
    _rehash_parquet(package_copy, "entities")
    (problem,) = validate(package_copy).problems
    assert problem.rule == "parquet-matches-csv"
    assert "line 5, field name_en" in problem.message
    pq.write_table(pq.read_table(path).slice(0, 10), path)
    _rehash_parquet(package_copy, "entities")
    (problem,) = validate(package_copy).problems
    assert problem.rule == "parquet-matches-csv" and "holds 10 rows" in problem.message


def test_a_foreign_key_of_two_fields(package_copy: Path) -> None:
    def add_key(schema: dict[str, Any]) -> None:
        schema["foreignKeys"].append(
            {
                "fields": ["source_id", "doc_id"],
                "reference": {"resource": "sources", "fields": ["source_id", "doc_id"]},
            }
        )

    edit_json(package_copy / "schemas/quotes.schema.json", add_key)
    refresh(package_copy, json_schemas=True)
    assert validate(package_copy).problems == []
    line = set_cell(package_copy, "quotes", "quo-isis-claim", "source_id", "src-nobody")
    refresh(package_copy)
    report = validate(package_copy)
    found = {(p.rule, p.row, p.field, p.value) for p in report.problems}
    assert ("foreign-key", line, "doc_id", "src-nobody / doc-cnn-arabic-us-warned-iran") in found


def test_without_the_validate_extra_the_error_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "jsonschema" else real(name)
    )
    with pytest.raises(PackageError, match=r"kerman-warning\[validate\]"):
        validate()
