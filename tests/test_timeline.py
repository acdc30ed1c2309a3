"""docs/timeline.py: the committed figures (English and Arabic) are what the script draws from
the current data; events carry readable names; the Arabic is shaped and right to left.

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
import unicodedata
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

matplotlib = pytest.importorskip("matplotlib")
import kerman_warning as kw  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "docs" / "timeline.py"
FILES = ("timeline.svg", "timeline.png", "timeline.ar.svg", "timeline.ar.png")
COMMITTED = {name: ROOT / "docs" / name for name in FILES}


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
    assert done.stdout.split() == [str(out / name) for name in FILES]
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


def test_drawing_twice_gives_the_same_bytes(
    fresh: Path, timeline: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The second drawing is the script's main() in this process (a process of its own would
    cost a cold start with matplotlib): other state, another time, the same bytes."""
    with matplotlib.rc_context():  # draw() sets rcParams: keep them to this test
        timeline.main(["--out", str(tmp_path)])
    assert capsys.readouterr().out.split() == [str(tmp_path / name) for name in FILES]
    for name in COMMITTED:
        assert (tmp_path / name).read_bytes() == (fresh / name).read_bytes(), name


@pytest.mark.parametrize("name", sorted(COMMITTED))
def test_committed_figure_is_fresh(fresh: Path, name: str) -> None:
    if matplotlib.__version__ != pinned_matplotlib():
        pytest.skip(f"matplotlib {matplotlib.__version__} is not the pinned one: bytes may differ")
    assert COMMITTED[name].read_bytes() == (fresh / name).read_bytes(), (
        f"docs/{name} is stale: run `make timeline` (python docs/timeline.py) and commit it"
    )


@pytest.mark.parametrize("stem", ["timeline", "timeline.ar"])
def test_files_carry_no_date_or_version(stem: str) -> None:
    svg = COMMITTED[f"{stem}.svg"].read_text(encoding="utf-8")
    assert "<dc:date>" not in svg and "Matplotlib" not in svg
    assert b"Software" not in COMMITTED[f"{stem}.png"].read_bytes()


@pytest.mark.parametrize("folder", ["committed", "fresh"])
def test_figure_shows_every_event_and_the_casualties(
    fresh: Path, folder: str, timeline: ModuleType
) -> None:
    svg = COMMITTED["timeline.svg"] if folder == "committed" else fresh / "timeline.svg"
    texts = svg_texts(svg)
    for event in kw.load("events").to_pylist():
        assert timeline.name(event) in texts, event["event_id"]  # a readable name ...
        assert event["event_id"] not in texts  # ... not the id
    casualties = {r["outcome"]: r for r in kw.load("casualties").to_pylist()}
    attack = next(t for t in texts if "killed" in t)
    assert f"at least {casualties['killed']['low']} killed" in attack
    assert f"{casualties['injured']['best']} injured" in attack
    assert "the official toll of 4 Jan 2024;" in texts
    assert "attack, 3 Jan 2024" in texts
    assert "before 3 Jan 2024 (inferred), private" in texts  # the warning
    assert any("no date in the article" in t for t in texts)
    assert png_size(COMMITTED["timeline.png"]) == png_size(fresh / "timeline.png")


def test_every_event_has_names_and_the_arabic_quotes_the_article(timeline: ModuleType) -> None:
    events = kw.load("events").to_pylist()
    assert sorted(timeline.NAMES) == sorted(e["event_id"] for e in events)
    english = [timeline.name(e) for e in events]
    assert len(set(english)) == len(english)
    for event in events:
        excerpts = timeline.name(event, "ar").split(" … ")
        at = 0
        for excerpt in excerpts:  # each excerpt is the article's words, in order
            found = event["exact"].find(excerpt, at)
            assert excerpt and found >= 0, (event["event_id"], excerpt)
            at = found + len(excerpt)


def test_arabic_figure_is_in_arabic(fresh: Path, timeline: ModuleType) -> None:
    texts = svg_texts(fresh / "timeline.ar.svg")
    for event in kw.load("events").to_pylist():
        assert timeline.name(event, "ar") in texts, event["event_id"]
    killed = next(r for r in kw.load("casualties").to_pylist() if r["outcome"] == "killed")
    hedge = f"{killed['qualifier_as_written']} {killed['low']} قتيلا"  # the article's own hedge
    assert any(hedge in t for t in texts)
    assert "قبل 3 يناير 2024 (مستنتج)، غير معلن" in texts  # the warning
    assert png_size(COMMITTED["timeline.ar.png"]) == png_size(fresh / "timeline.ar.png")


def glyph_runs(svg: Path) -> dict[str, list[str]]:
    """Each drawn text's glyphs, left to right, as characters of DejaVu Sans (as drawn)."""
    from fontTools.ttLib import TTFont
    from matplotlib import font_manager

    order = TTFont(font_manager.findfont("DejaVu Sans")).getGlyphOrder()
    runs = {}
    source = svg.read_text(encoding="utf-8")
    for found in re.finditer(r"<!-- (.*?) -->\s*<g transform[^>]*>(.*?)</g>", source, re.S):
        uses = re.findall(r'#DejaVuSans-(\w+)"(?: transform="translate\(([-\d.]+))?', found[2])
        glyphs = sorted((float(x or 0), order[int(index, 16)]) for index, x in uses)
        runs[found[1].strip()] = [
            chr(int(name[3:], 16)) if name.startswith("uni") else name for _, name in glyphs
        ]
    return runs


def form(char: str) -> tuple[str, str]:
    """('<initial>', 'ق') for U+FED7: the presentation form and the letter it shapes."""
    if len(char) != 1:  # a glyph named otherwise (digits, Latin): not a letter form
        return "<other>", char
    decomposition = unicodedata.decomposition(char).split()
    if decomposition and decomposition[0].startswith("<"):
        return decomposition[0], "".join(chr(int(c, 16)) for c in decomposition[1:])
    return "<isolated>", char


def test_arabic_labels_are_shaped_and_right_to_left(fresh: Path, timeline: ModuleType) -> None:
    """Letters take their joined forms, and the first letter is drawn rightmost."""
    runs = glyph_runs(fresh / "timeline.ar.svg")
    names = [timeline.name(e, "ar") for e in kw.load("events").to_pylist()]
    checked = 0
    for label in names:
        if not (unicodedata.name(label[0]).startswith("ARABIC LETTER") and label[-1].isalpha()):
            continue  # begins with a quotation mark or ends in Latin: no simple expectation
        glyphs = runs[label]
        assert form(glyphs[-1])[0] in ("<initial>", "<isolated>"), label
        assert form(glyphs[-1])[1].startswith(label[0]), label  # first letter: rightmost
        assert form(glyphs[0])[0] in ("<final>", "<isolated>"), label
        assert form(glyphs[0])[1].endswith(label[-1]), label  # last letter: leftmost
        checked += 1
    assert checked >= len(names) // 2
    every = [form(g)[0] for run in runs.values() for g in run]
    assert {"<initial>", "<medial>", "<final>"} <= set(every)
    assert any(form(g)[1] == "لا" for run in runs.values() for g in run)  # lam-alef ligature


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
