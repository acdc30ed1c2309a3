"""Take docs/reader.png, the screenshot of docs/reader.html that the README shows.

    python docs/reader_shot.py            # or: make reader-screenshot
    python docs/reader_shot.py --out DIR  # write reader.png into DIR instead of docs/

Opens the page in headless Chromium (Debian's, `apt-get install -y chromium`; another with
KERMAN_CHROMIUM=/path) through Playwright (`pip install -e '.[browser]'`) on the deep link to
the Kerman attack, then clicks a character of Qassem Soleimani's name inside it, so the picture
shows a row's span highlighted and the list of every row covering one character. The picture
depends on the browser and its fonts (Debian's fonts-noto-core draws the Arabic best): it is
checked for size and structure (tests/test_reader.py), not for its bytes.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

import kerman_warning as kw

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "reader.html"
SIZE = {"width": 1400, "height": 860}
ROW = "evt-attack-kerman"  # the row selected in the picture
ENTITY = "ent-qassem-soleimani"  # a character of its name is clicked
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

# The centre of code point `at` of the article, scrolled into view.
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
      const r = range.getBoundingClientRect();
      return [r.left + r.width / 2, r.top + r.height / 2];
    }
    before += points.length;
  }
  return null;
}"""


def shoot(out: Path) -> Path:
    entities = kw.load("entities", path=ROOT).to_pylist()
    name = next(row for row in entities if row["entity_id"] == ENTITY)
    chromium = os.environ.get("KERMAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    out.mkdir(parents=True, exist_ok=True)
    target = out / "reader.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS, headless=True)
        page = browser.new_page(viewport=SIZE)
        page.route("**/*", lambda r: r.continue_() if r.request.url[:5] == "file:" else r.abort())
        page.goto(f"{PAGE.as_uri()}#{ROW}")
        x, y = page.evaluate(LOCATE, name["start"] + 2)
        page.mouse.click(x, y)
        page.screenshot(path=str(target))
        browser.close()
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Take docs/reader.png.")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder (docs/)")
    print(shoot(parser.parse_args(argv).out))


if __name__ == "__main__":
    main()
