"""Every limit is a named constant in _limits.py and is listed in docs/limits.md."""

from __future__ import annotations

from pathlib import Path

from kerman_warning import _limits

ROOT = Path(__file__).resolve().parents[1]
UNITS = {"KIB", "MIB", "GIB"}


def test_every_limit_is_documented() -> None:
    page = (ROOT / "docs/limits.md").read_text(encoding="utf-8")
    names = [n for n in vars(_limits) if n.isupper() and n not in UNITS]
    assert names
    for name in names:
        assert f"`{name}`" in page, name
        value = getattr(_limits, name)
        if isinstance(value, str):  # a pattern, shown as code
            assert value.startswith("^") and value.endswith("$"), name
            shown = f"`{value}`"
        else:
            assert isinstance(value, int) and value > 0, name
            shown = next(
                (
                    f"{value // unit} {label}"
                    for unit, label in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB"))
                    if value >= unit and value % unit == 0
                ),
                f"{value:,}",
            )
        row = next(line for line in page.splitlines() if line.startswith(f"| `{name}` |"))
        assert f"| {shown} |" in row, (name, shown, row)
