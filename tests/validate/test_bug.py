"""A validator bug is not bad data: a rule that raises gives exit code 3 and one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kerman_warning.cli import main
from kerman_warning.validate import validate
from kerman_warning.validate.api import Batch, Reporter
from kerman_warning.validate.rules.casualties import CASUALTY_BOUNDS


def boom(c: Reporter, rows: Batch) -> None:
    raise ZeroDivisionError("a slip in the rule")


def test_a_rule_that_raises_gives_exit_code_3_naming_the_rule(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], package_copy: Path
) -> None:
    monkeypatch.setattr(CASUALTY_BOUNDS, "batch", boom)
    report = validate(package_copy)
    assert report.exit_code == 3 and not report.valid
    assert report.bug is not None and "\n" not in report.bug
    assert "rule casualty-bounds failed (ZeroDivisionError: a slip in the rule)" in report.bug
    assert "please report it" in report.bug
    assert json.loads(report.render(format="json"))["exit_code"] == 3
    assert main(["validate", str(package_copy), "--format", "json"]) == 3
    captured = capsys.readouterr()
    assert json.loads(captured.out)["bug"] == report.bug
    assert captured.err.count("\n") == 1 and "casualty-bounds" in captured.err


def test_the_help_documents_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for code in ("0 valid", "1 invalid", "2 unusable input", "3 a bug of the validator"):
        assert code in text


def test_a_look_ahead_that_raises_is_named_by_its_rule(
    monkeypatch: pytest.MonkeyPatch, package_copy: Path
) -> None:
    """Work done ahead of a batch on the worker thread fails there silently and again in the
    rule's own batch function, which names it: exit code 3, never a traceback."""
    from kerman_warning.validate.rules import text

    def broken(column: object) -> bool:
        raise RuntimeError("a slip ahead")

    monkeypatch.setattr(text, "may_hold_suspects", broken)
    report = validate(package_copy)
    assert report.exit_code == 3
    assert report.bug is not None and "a slip ahead" in report.bug
    assert "rule nfc-text failed" in report.bug or "rule text-characters failed" in report.bug
