"""The command line: help everywhere, exit codes 0/1/2, one-line errors, exports that load."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import kerman_warning as kw
from kerman_warning.cli import main, parser

COMMANDS = ["info", "export", "validate", "build", "diff", "release", "versions"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own: for what only a process shows (the exit code the
    shell sees, the entry point, bytes on stdout, the terminal's encoding)."""
    return subprocess.run(
        [sys.executable, "-m", "kerman_warning", *args], capture_output=True, text=True, check=False
    )


def call(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """The command called in this process, as `run` gives it (`python -m kerman_warning` is
    `raise SystemExit(main())`): a cold start costs more than most commands."""
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as stop:  # argparse: a usage error or --version
        code = stop.code if isinstance(stop.code, int) else 2
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, out, err)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert command in capsys.readouterr().out


def test_the_reserved_commands_are_all_there() -> None:
    help_text = parser().format_help()
    assert all(command in help_text for command in COMMANDS)


def test_info_lists_every_resource_with_its_row_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"kerman-warning {kw.__version__}")
    for name in kw.resource_names():
        rows = kw.load(name).num_rows
        word = "row" if rows == 1 else "rows"
        assert any(line.split()[:3] == [name, str(rows), word] for line in out.splitlines())


def test_module_entry_point_and_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"kerman-warning {kw.__version__}"


def test_usage_error_exits_2_without_traceback() -> None:
    result = run("export")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_unknown_resource_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    result = call(capsys, "export", "nope", "--format", "csv", "--output", "-")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("kerman-warning: error: no resource named 'nope'")


def test_unreadable_package_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "datapackage.json").write_text("[", encoding="utf-8")
    result = call(capsys, "info", "--package", str(tmp_path))
    assert result.returncode == 2
    assert "not valid JSON" in result.stderr and "Traceback" not in result.stderr


def test_export_json_rows_validate_against_the_json_schema(tmp_path: Path) -> None:
    import jsonschema

    root = Path(kw.__file__).resolve().parents[2]
    for name in kw.resource_names():
        out = tmp_path / f"{name}.json"
        assert main(["export", name, "--format", "json", "--output", str(out)]) == 0
        rows = json.loads(out.read_text(encoding="utf-8"))
        assert len(rows) == kw.load(name).num_rows
        schema = json.loads((root / f"schemas/json/{name}.json").read_text(encoding="utf-8"))
        validator = jsonschema.Draft202012Validator(schema)
        for row in rows:
            validator.validate(row)


def test_export_csv_and_parquet_round_trip(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from kerman_warning.tableschema import read_csv

    assert (
        main(["export", "events", "--format", "parquet", "--output", str(tmp_path / "e.pq")]) == 0
    )
    assert pq.read_table(tmp_path / "e.pq").equals(kw.load("events"))
    assert main(["export", "events", "--format", "csv", "--output", str(tmp_path / "e.csv")]) == 0
    assert read_csv(tmp_path / "e.csv", kw.schema("events")).equals(kw.load("events"))


def test_export_parquet_to_stdout_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "events", "--format", "parquet", "--output", "-"]) == 2
    assert "binary" in capsys.readouterr().err


# --- one grammar (issue 14, point 6) ---------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def test_export_prints_the_published_csv_by_default() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kerman_warning", "export", "events"],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / "data/events.csv").read_bytes()


def test_export_jsonl_is_one_object_per_row(capsys: pytest.CaptureFixture[str]) -> None:
    result = call(capsys, "export", "casualties", "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == kw.load("casualties").num_rows
    assert rows == kw.load("casualties").to_pylist()


def test_export_article_writes_the_text_or_points_at_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kerman_warning", "export", "article"],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("utf-8") == kw.text()
    refused = call(capsys, "export", "article", "--format", "csv")
    assert refused.returncode == 2
    assert "kerman_warning.text()" in refused.stderr
    assert refused.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        (["exprot", "events"], "did you mean 'export'?"),
        (["export", "evnts"], "did you mean 'events'?"),
        (["info", "casualtes"], "did you mean 'casualties'?"),
        (["export", "events", "--format", "jsnl"], "did you mean 'jsonl'?"),
    ],
)
def test_a_mistyped_name_gets_a_suggestion(
    args: list[str], suggestion: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(args)
    except SystemExit as usage:  # argparse: a mistyped command or choice
        code = int(usage.code or 0)
    assert code == 2
    err = capsys.readouterr().err
    assert suggestion in err
    assert "Traceback" not in err


def test_short_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    result = call(capsys, "-V")
    assert (result.returncode, result.stdout.strip()) == (0, f"kerman-warning {kw.__version__}")


def test_info_table_prints_columns_types_descriptions_and_examples(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = call(capsys, "info", "events")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("events: ")
    schema = kw.schema("events")
    for field in schema["fields"]:
        line = next(line for line in out.splitlines() if line.split()[:1] == [field["name"]])
        assert field["type"] in line
        assert field["description"].split()[0] in line
    assert "evt-" in out  # an example id
    assert "ordered vocabulary" in out  # date_precision


def test_output_the_terminal_cannot_encode_is_escaped() -> None:
    env = os.environ | {"PYTHONIOENCODING": "ascii"}
    for args in (["info"], ["info", "quotes"], ["export", "article", "--format", "csv"]):
        result = subprocess.run(
            [sys.executable, "-m", "kerman_warning", *args],
            capture_output=True,
            text=True,
            check=False,
            env=env,
            encoding="ascii",
        )
        assert result.returncode in (0, 2), result.stderr
        assert "Traceback" not in result.stderr and "UnicodeEncodeError" not in result.stderr
    quotes = subprocess.run(
        [sys.executable, "-m", "kerman_warning", "info", "quotes"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        encoding="ascii",
    )
    assert "\\u06" in quotes.stdout  # Arabic examples, escaped


def test_one_row_is_singular(capsys: pytest.CaptureFixture[str]) -> None:
    out = call(capsys, "info").stdout
    assert any(line.split()[:3] == ["documents", "1", "row"] for line in out.splitlines())
    assert " 1 rows" not in out
    dictionary = (ROOT / "docs/data-dictionary.md").read_text(encoding="utf-8")
    assert not re.search(r"\b1 rows\b", dictionary)


def test_the_package_is_named_the_same_way_everywhere(
    package_copy: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    spec = str(package_copy)
    for args in (
        ["info", "--package", spec],
        ["info", "events", "--package", spec],
        ["export", "events", "--package", spec],
        ["validate", "--package", spec],
        ["build", "--check", "--package", spec],
        # the older spellings still work
        ["info", spec],
        ["validate", spec],
        ["build", "--check", spec],
        ["export", "events", "--path", spec],
    ):
        code = main(args)
        # build --check: 1 only because the copy has no docs/ (derived files it would write)
        assert code == (1 if args[0] == "build" else 0), args
        assert capsysbinary.readouterr().err == b""


def test_validate_does_not_import_pandas() -> None:
    # pyarrow would import pandas (about 0.5 s) on its first conversion of Python objects
    code = (
        "import sys; from kerman_warning.cli import main; code = main(['validate']); "
        "print(code, 'pandas' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split()[-2:] == ["0", "False"], done.stdout + done.stderr
