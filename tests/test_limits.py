"""Every limit is a named number in `_limits`, and docs/limits.md lists each one."""

from __future__ import annotations

from pathlib import Path

from kerman_warning import _limits

ROOT = Path(__file__).resolve().parents[1]
UNITS = {"KIB", "MIB"}


def test_docs_limits_md_lists_every_limit() -> None:
    page = (ROOT / "docs/limits.md").read_text(encoding="utf-8")
    names = [name for name in vars(_limits) if name.isupper() and name not in UNITS]
    missing = [name for name in names if f"`{name}`" not in page]
    assert not missing, f"docs/limits.md does not list {missing}"


def test_every_limit_is_a_positive_number_or_a_pattern() -> None:
    for name, value in vars(_limits).items():
        if name.isupper():
            assert (isinstance(value, int) and value > 0) or (
                isinstance(value, str) and value.startswith("^")
            ), name
