"""docs/timeline.py: the committed figure is what the script draws from the current data.

The script's output is byte-for-byte reproducible for one matplotlib version (fixed SVG hash
salt, no dates, Agg), so with the pinned matplotlib of constraints.txt the committed SVG and PNG
must equal a fresh drawing: editing events.csv or casualties.csv without `make timeline` fails.
With another matplotlib version the bytes may differ, and only the content is checked.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

matplotlib = pytest.importorskip("matplotlib")
import kerman_warning as kw  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "docs" / "timeline.py"
COMMITTED = {name: ROOT / "docs" / name for name in ("timeline.svg", "timeline.png")}


def pinned_matplotlib() -> str | None:
    found = re.search(
        r"^matplotlib==(\S+)$", (ROOT / "constraints.txt").read_text(encoding="utf-8"), re.M
    )
    return found.group(1) if found else None


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The figure drawn now, by the documented command, into a temporary folder."""
    out = tmp_path_factory.mktemp("timeline")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=out,  # the script must not depend on the working directory
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(out / "timeline.svg"), str(out / "timeline.png")]
    return out


@pytest.fixture(scope="module")
def timeline() -> ModuleType:
    spec = importlib.util.spec_from_file_location("timeline", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def svg_texts(path: Path) -> list[str]:
    """The texts of the figure: matplotlib writes each drawn text as an XML comment."""
    return [t.strip() for t in re.findall(r"<!-- (.*?) -->", path.read_text(encoding="utf-8"))]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_drawing_twice_gives_the_same_bytes(fresh: Path, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)], check=True, capture_output=True
    )
    for name in COMMITTED:
        assert (tmp_path / name).read_bytes() == (fresh / name).read_bytes(), name


@pytest.mark.parametrize("name", sorted(COMMITTED))
def test_committed_figure_is_fresh(fresh: Path, name: str) -> None:
    if matplotlib.__version__ != pinned_matplotlib():
        pytest.skip(f"matplotlib {matplotlib.__version__} is not the pinned one: bytes may differ")
    assert COMMITTED[name].read_bytes() == (fresh / name).read_bytes(), (
        f"docs/{name} is stale: run `make timeline` (python docs/timeline.py) and commit it"
    )


def test_files_carry_no_date_or_version() -> None:
    svg = COMMITTED["timeline.svg"].read_text(encoding="utf-8")
    assert "<dc:date>" not in svg and "Matplotlib" not in svg
    assert b"Software" not in COMMITTED["timeline.png"].read_bytes()


@pytest.mark.parametrize("folder", ["committed", "fresh"])
def test_figure_shows_every_event_and_the_casualties(fresh: Path, folder: str) -> None:
    svg = COMMITTED["timeline.svg"] if folder == "committed" else fresh / "timeline.svg"
    texts = svg_texts(svg)
    for event_id in kw.load("events").column("event_id").to_pylist():
        assert event_id in texts, event_id
    casualties = {r["outcome"]: r for r in kw.load("casualties").to_pylist()}
    attack = next(t for t in texts if "killed" in t)
    assert f"at least {casualties['killed']['low']} killed" in attack
    assert f"{casualties['injured']['best']} injured" in attack
    assert "the official toll of 4 Jan 2024;" in texts
    assert "attack, 3 Jan 2024" in texts
    assert "before 3 Jan 2024 (inferred), private" in texts  # the warning
    assert any("no date in the article" in t for t in texts)
    assert png_size(COMMITTED["timeline.png"]) == png_size(fresh / "timeline.png")


@pytest.mark.parametrize(
    ("event", "label"),
    [
        ({"date_precision": "day", "date_start": dt.date(2024, 1, 3)}, "3 Jan 2024"),
        ({"date_precision": "month", "date_start": dt.date(2024, 1, 1)}, "Jan 2024"),
        ({"date_precision": "year", "date_start": dt.date(2015, 1, 1)}, "2015"),
        ({"date_precision": "before", "date_start": None}, "before 3 Jan 2024"),
        ({"date_precision": "unknown", "date_start": None, "date_end": None}, "no date"),
    ],
)
def test_date_label(timeline: ModuleType, event: dict[str, Any], label: str) -> None:
    event = {"date_end": dt.date(2024, 1, 3), **event}
    if event["date_precision"] == "day":
        event["date_end"] = event["date_start"]
    assert timeline.date_label(event) == label


def test_casualty_label_keeps_the_hedge(timeline: ModuleType) -> None:
    rows = [
        {"outcome": "injured", "qualifier": "exact", "low": 5, "best": 5, "high": 5},
        {"outcome": "killed", "qualifier": "at_least", "low": 3, "best": 3, "high": None},
    ]
    for row in rows:
        row["context_ref_id"] = "ref-x"
    figures, note = timeline.casualty_label(rows, {"ref-x": {"published_date": None}})
    assert (figures, note) == ("at least 3 killed, 5 injured", "")
