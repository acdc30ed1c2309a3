"""_reader: the marked-up text keeps the contract for any spans, and the page is self-contained.

The page in a real browser: tests/test_reader_browser.py. Here, the HTML is parsed with the
standard library: every span element's text is `text[start:end]` in code points, the
elements of one span spell it, and the page names nothing outside itself.
"""

from __future__ import annotations

import itertools
import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kerman_warning as kw
from _tinypackage import make_package
from kerman_warning import _reader
from kerman_warning._package import open_package
from kerman_warning._reader import READER, Span, coverage, mark_up
from kerman_warning.build import build

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / READER
SHOT = ROOT / "docs" / "reader.png"
LIMIT = 500_000  # bytes: the bound on the page


class Marks(HTMLParser):
    """The text of a marked-up fragment, and (row, part, start, end, text) of every element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.open: list[tuple[dict[str, str | None], int]] = []
        self.marks: list[tuple[str, str, int, int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append((dict(attrs), len(self.text)))

    def handle_endtag(self, tag: str) -> None:
        attrs, begin = self.open.pop()
        if attrs.get("data-start") is not None:
            row, part = str(attrs["data-row"]), str(attrs["data-part"])
            start, end = int(str(attrs["data-start"])), int(str(attrs["data-end"]))
            self.marks.append((row, part, start, end, self.text[begin:]))

    def handle_data(self, data: str) -> None:
        self.text += data


def parse(markup: str) -> Marks:
    parser = Marks()
    parser.feed(markup)
    parser.close()
    return parser


def check_contract(text: str, spans: list[Span]) -> Marks:
    """The contract of docs/reader.md, on the output of mark_up."""
    markup, _ = mark_up(text, spans)
    marks = parse(markup)
    assert marks.text == text
    for _, _, start, end, shown in marks.marks:
        assert shown == text[start:end]
    for span in spans:
        parts = sorted((m[2], m[3]) for m in marks.marks if (m[0], m[1]) == (span.row, span.part))
        if span.start == span.end:
            assert (span.start, span.end) in parts
            continue
        pieces = [p for p in parts if p[0] < p[1]]
        assert pieces[0][0] == span.start and pieces[-1][1] == span.end
        assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))
    return marks


TEXTS = st.text(alphabet="اب ج\n\r𝐀<&\u00a0é", max_size=40)


@st.composite
def texts_and_spans(draw: st.DrawFn) -> tuple[str, list[Span]]:
    text = draw(TEXTS)
    spans = []
    for i in range(draw(st.integers(0, 8))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, len(text)))
        spans.append(Span(draw(st.sampled_from(["a", "b"])), f"r{i}", "evidence", "d", start, end))
    return text, spans


@given(texts_and_spans())
def test_any_spans_keep_the_contract(case: tuple[str, list[Span]]) -> None:
    check_contract(*case)


def test_a_crossing_span_is_split_where_the_other_ends() -> None:
    outer = Span("a", "first", "evidence", "d", 0, 4)
    crossing = Span("b", "second", "evidence", "d", 2, 6)
    marks = check_contract("abcdef", [outer, crossing])
    assert sorted(m[:4] for m in marks.marks) == [
        ("a:first", "evidence", 0, 4),
        ("b:second", "evidence", 2, 4),
        ("b:second", "evidence", 4, 6),
    ]


def test_nested_spans_nest_and_go_deeper() -> None:
    spans = [Span("a", "out", "evidence", "d", 0, 6), Span("b", "in", "cue", "d", 1, 3)]
    markup, height = mark_up("abcdef", spans)
    assert height == 2
    assert markup.index('data-row="a:out"') < markup.index('data-row="b:in"')
    assert 'data-part="cue"' in markup and "--h:2" in markup


def test_text_survives_markup() -> None:
    """HTML reads a bare carriage return as a line feed; markup characters must be escaped."""
    markup, _ = mark_up("a\r\nb<i>&", [])
    assert "&#13;" in markup and "<i>" not in markup
    assert parse(markup).text == "a\r\nb<i>&"


@given(texts_and_spans())
def test_coverage_is_the_share_of_covered_visible_characters(case: tuple[str, list[Span]]) -> None:
    text, spans = case
    visible = [i for i, char in enumerate(text) if not char.isspace()]
    inside = {i for s in spans for i in range(s.start, s.end)}
    assert coverage(text, spans) == (len(inside & set(visible)), len(visible))


def test_coverage_counts_non_whitespace_and_not_uncovered_rows() -> None:
    spans = [
        Span("events", "e", "evidence", "d", 0, 2),
        Span("uncovered", "u", "evidence", "d", 3, 5),
    ]
    assert coverage("ab cd e", spans) == (2, 5)


def test_the_page_states_the_coverage_of_the_tests() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from test_data import coverage as tested

    figure = re.search(r"<strong>([0-9.]+)</strong> of the article", PAGE.read_text("utf-8"))
    assert figure and float(figure.group(1)) == round(tested(), 4)


def test_the_committed_page_is_small_and_self_contained() -> None:
    data = PAGE.read_bytes()  # fresh: test_build checks every derived file against a build
    assert len(data) <= LIMIT, f"{len(data)} bytes"
    page = data.decode("utf-8")
    # Nothing is fetched: no external script, style, image, frame, font or import.
    assert not re.search(r"<(script|link|img|iframe|object|embed|source)[^>]*\s(src|href)=", page)
    assert not re.search(r"url\(|@import|fetch\(|XMLHttpRequest|@font-face", page)
    assert "default-src 'none'" in page  # and the browser is told to refuse any request
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert all(h.startswith(("#", "https://")) or h == "coverage.md" for h in hrefs), hrefs


def test_a_package_without_a_text_gets_no_page(tmp_path: Path) -> None:
    root = make_package(tmp_path / "tiny")
    assert not (root / READER).exists()
    assert build(root, check=True).changed == []


def test_a_text_that_is_not_utf8_is_one_clear_error(tmp_path: Path) -> None:
    from conftest import copy_package

    root = copy_package(tmp_path / "copy")
    (root / "data/article.ar.txt").write_bytes(b"\xff\xfe")
    with pytest.raises(kw.PackageError, match=r"data/article.ar.txt: not UTF-8 at byte 0"):
        _reader.outputs(open_package(root), {}, {}, kw.load_all(path=root))


def test_a_huge_text_is_refused_before_it_is_read(tmp_path: Path) -> None:
    from conftest import copy_package

    root = copy_package(tmp_path / "copy")
    tables = kw.load_all(path=root)
    with (root / "data/article.ar.txt").open("r+b") as handle:
        handle.truncate(2 << 30)  # sparse: nothing allocated, and nothing may be read
    refused = (
        r"'data/article\.ar\.txt' is [\d,]+ bytes, over the limit of [\d,]+ \(MAX_TEXT_BYTES\)"
    )
    with pytest.raises(kw.PackageError, match=refused):
        _reader.outputs(open_package(root), {}, {}, tables)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_screenshot_is_there_and_not_blank() -> None:
    """docs/reader.png (make reader-screenshot): its size, and ink in the text and the panel."""
    image = pytest.importorskip("PIL.Image")
    assert png_size(SHOT) == (1400, 860)
    assert 30_000 < SHOT.stat().st_size < 2_000_000
    with image.open(SHOT) as shot:
        grey = shot.convert("L")
        for box in ((0, 140, 560, 860), (560, 140, 1400, 860)):  # the panel, the article
            counts = grey.crop(box).histogram()  # pixels by grey level
            ink = sum(counts[:128]) / sum(counts)
            assert 0.01 < ink < 0.5, (box, ink)
        assert len(shot.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 200  # colours


def test_the_page_ships_in_the_release_zip() -> None:
    from kerman_warning.release import _zip_members

    assert READER in _zip_members(ROOT)
