"""The command line: help everywhere, exit codes 0/1/2, one-line errors, exports that load."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import kerman_warning as kw
from kerman_warning.cli import main, parser

COMMANDS = ["info", "export", "validate", "build", "diff", "release"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kerman_warning", *args], capture_output=True, text=True, check=False
    )


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
        assert any(line.split()[:3] == [name, str(rows), "rows"] for line in out.splitlines())


def test_module_entry_point_and_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"kerman-warning {kw.__version__}"


def test_usage_error_exits_2_without_traceback() -> None:
    result = run("export", "events")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_unknown_resource_is_one_line_exit_2() -> None:
    result = run("export", "nope", "--format", "csv", "--output", "-")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("kerman-warning: error: no resource named 'nope'")


def test_unreadable_package_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "datapackage.json").write_text("[", encoding="utf-8")
    result = run("info", str(tmp_path))
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
