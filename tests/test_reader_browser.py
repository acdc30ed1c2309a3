"""docs/reader.html in a real browser: headless Chromium (Debian's) driven by Playwright.

One browser for the module, a fresh context per test; every test fails if the page logs a
console error, throws, or asks for anything but its own file. Where Chromium or Playwright is
missing the tests skip and say why, except under CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import kerman_warning as kw
from kerman_warning._reader import READER

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / READER
URL = PAGE.as_uri()
CHROMIUM = os.environ.get("KERMAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed: pip install -e '.[browser]'")
    if not Path(CHROMIUM).is_file():
        _missing(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page of docs/reader.html; afterwards, no console error and no request but the file."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    requests: list[str] = []
    errors: list[str] = []

    def route(route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            requests.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    tab = context.new_page()
    tab.on("request", lambda request: requests.append(request.url))
    tab.on("console", lambda message: message.type == "error" and errors.append(message.text))
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(URL)
    yield tab
    context.close()
    assert [url for url in requests if url.split("#")[0] != URL] == [], "requests"
    assert errors == [], "console errors"


@pytest.fixture(scope="module")
def text() -> str:
    return kw.text(path=ROOT)


@pytest.fixture(scope="module")
def spans() -> list[tuple[str, str, int, int]]:
    """(table:id, part, start, end) of every span in the data, evidence and cue alike."""
    found = []
    for name, table in kw.load_all(path=ROOT).items():
        key = kw.schema(name, path=ROOT)["primaryKey"][0]
        for row in table.to_pylist():
            for part, start, end in (("evidence", "start", "end"), ("cue", "cue_start", "cue_end")):
                if row.get(start) is not None:
                    found.append((f"{name}:{row[key]}", part, row[start], row[end]))
    return found


def covering(spans: list[tuple[str, str, int, int]], at: int) -> set[str]:
    return {row for row, _, start, end in spans if start <= at < end}


MARKS = """() => Array.from(document.querySelectorAll('article [data-start]')).map(m =>
  [m.dataset.row, m.dataset.part, +m.dataset.start, +m.dataset.end, m.textContent])"""

# Where code point `at` of the article is on screen, found independently of the page's script:
# walk the text nodes counting code points, scroll the article to it, take its box's centre.
LOCATE = """(at) => {
  const article = document.querySelector('article.text');
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  let before = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const points = Array.from(node.data);
    if (at < before + points.length) {
      const units = points.slice(0, at - before).join('').length;
      const range = document.createRange();
      range.setStart(node, units);
      range.setEnd(node, units + points[at - before].length);
      const box = article.getBoundingClientRect();
      article.scrollTop += range.getBoundingClientRect().top - box.top - box.height / 2;
      const r = range.getBoundingClientRect();
      return [r.left + r.width / 2, r.top + r.height / 2, points[at - before]];
    }
    before += points.length;
  }
  return null;
}"""


def test_every_span_element_spells_its_text_and_its_row(
    page: Any, text: str, spans: list[tuple[str, str, int, int]]
) -> None:
    marks = page.evaluate(MARKS)
    pieces: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
    for row, part, start, end, shown in marks:
        assert shown == text[start:end], (row, part, start, end)  # code points, not UTF-16
        pieces.setdefault((row, part), []).append((start, end, shown))
    exact = {
        f"{name}:{row[kw.schema(name, path=ROOT)['primaryKey'][0]]}": row.get("exact")
        for name, table in kw.load_all(path=ROOT).items()
        for row in table.to_pylist()
    }
    assert sorted(pieces) == sorted((row, part) for row, part, _, _ in spans)
    for row, part, start, end in spans:
        parts = pieces[(row, part)]
        assert [p[0] for p in parts[1:]] == [p[1] for p in parts[:-1]], row  # contiguous
        assert (parts[0][0], parts[-1][1]) == (start, end), row
        assert "".join(p[2] for p in parts) == text[start:end], row
        if part == "evidence":
            assert "".join(p[2] for p in parts) == exact[row], row


def test_every_row_is_an_element(page: Any) -> None:
    shown = page.evaluate(
        "() => Array.from(document.querySelectorAll('[data-table][data-id]'))"
        ".map(r => r.dataset.table + ':' + r.dataset.id)"
    )
    data = [
        f"{name}:{row_id}"
        for name, table in kw.load_all(path=ROOT).items()
        for row_id in table.column(kw.schema(name, path=ROOT)["primaryKey"][0]).to_pylist()
    ]
    assert sorted(shown) == sorted(data)


def test_the_text_reads_right_to_left(page: Any) -> None:
    article = page.locator("article.text")
    assert article.evaluate("a => getComputedStyle(a).direction") == "rtl"
    assert article.get_attribute("lang") == "ar"


def test_clicking_a_row_highlights_its_span(page: Any) -> None:
    key = "quotes:quo-official-warned-iran"  # crosses other spans: several elements
    row = page.locator('[data-table="quotes"][data-id="quo-official-warned-iran"]')
    row.click()
    assert row.get_attribute("aria-pressed") == "true"
    lit = page.evaluate("() => Array.from(document.querySelectorAll('.m.hl'), m => m.dataset.row)")
    owned = page.evaluate(f"() => document.querySelectorAll('.m[data-row=\"{key}\"]').length")
    assert lit == [key] * owned and owned > 1
    assert page.locator(".m.hl").first.evaluate(
        "m => { const r = m.getBoundingClientRect(), a = m.closest('article')"
        ".getBoundingClientRect(); return r.bottom > a.top && r.top < a.bottom; }"
    )
    assert page.evaluate("() => location.hash") == "#quo-official-warned-iran"


def _pick(text: str, spans: list[tuple[str, str, int, int]]) -> list[int]:
    """Characters to click: the most covered, a crossing, a lone cover, uncovered text, none."""

    def plain(i: int) -> bool:  # a character with a box of its own (not a mark or line break)
        return text[i] != "\n" and not unicodedata.category(text[i]).startswith("M")

    counts = [len(covering(spans, i)) for i in range(len(text))]
    chosen = [max(range(len(text)), key=lambda i: (counts[i], plain(i)))]
    quote = next(s for s in spans if s[0] == "quotes:quo-official-warned-iran")
    chosen.append(next(i for i in range(quote[2], quote[3]) if counts[i] >= 3 and plain(i)))
    chosen.append(next(i for i in range(len(text)) if counts[i] == 1 and plain(i)))
    uncovered = next(s for s in spans if s[0].startswith("uncovered:"))
    chosen.append(uncovered[2])
    erratum = next(s for s in spans if s[0] == "errata:err-typo-soldiers")
    chosen.append(erratum[2] + 1)
    chosen.append(next(i for i in range(len(text)) if counts[i] == 0 and text[i] == " "))
    return chosen


def test_clicking_a_character_lists_the_rows_that_cover_it(
    page: Any, text: str, spans: list[tuple[str, str, int, int]]
) -> None:
    for at in _pick(text, spans):
        x, y, char = page.evaluate(LOCATE, at)
        assert char == text[at]
        page.mouse.click(x, y)
        assert page.locator("#hits p[data-offset]").get_attribute("data-offset") == str(at)
        listed = page.evaluate(
            "() => Array.from(document.querySelectorAll('#hits .hit'), a => a.dataset.ref)"
        )
        assert len(listed) == len(set(listed))
        assert set(listed) == covering(spans, at), (at, text[at])
        marked = page.evaluate(
            "() => Array.from(document.querySelectorAll('.row.covers'),"
            " r => r.dataset.table + ':' + r.dataset.id)"
        )
        assert set(marked) == covering(spans, at)


def test_a_deep_link_opens_on_its_row(page: Any) -> None:
    page.goto(URL + "#evt-attack-kerman")
    row = page.locator('[data-table="events"][data-id="evt-attack-kerman"]')
    assert row.get_attribute("aria-pressed") == "true"
    assert row.evaluate("r => r === document.activeElement")
    assert row.evaluate(
        "r => { const b = r.getBoundingClientRect(), p = r.closest('.panel')"
        ".getBoundingClientRect(); return b.top >= p.top && b.top < p.bottom; }"
    )
    assert page.locator('.m.hl[data-row="events:evt-attack-kerman"]').count() >= 1
    for broken in ("#%E0%A4%A", "#no-such-row"):  # nothing selected, and no error
        page.goto(URL + broken)
        page.reload()
        assert page.locator('[aria-pressed="true"]').count() == 0


def test_rows_work_from_the_keyboard(page: Any) -> None:
    first = page.locator('[data-table="events"]').first
    first.focus()
    focused: list[str | None] = [None, None]
    for _ in range(12):  # past the links inside the row (ids of other rows) to the next row
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => [document.activeElement.dataset.table, document.activeElement.dataset.id]"
        )
        if focused[0]:
            break
    second = page.locator('[data-table="events"]').nth(1)
    assert focused == ["events", second.get_attribute("data-id")]
    page.keyboard.press("Enter")
    assert second.get_attribute("aria-pressed") == "true"
    key = f"events:{focused[1]}"
    assert page.locator(f'.m.hl[data-row="{key}"]').count() >= 1
    # From the text: Enter lists the rows covering the start of the highlighted span.
    page.locator("article.text").focus()
    page.keyboard.press("Enter")
    listed = page.evaluate(
        "() => Array.from(document.querySelectorAll('#hits .hit'), a => a.dataset.ref)"
    )
    assert key in listed
