"""docs/examples.md runs: every recipe's code passes its asserts and prints what the page shows.

A recipe is a `## ` section of the page. Its ```python blocks run in order in one fresh
namespace, from the repository root; the output of each block must equal the ```text block
that follows it (blank lines between them only), and a block without a ```text block after it
must still print something, so that a reader has a result to check.

The README and the datasheet are checked the same way: the README's loading one-liners run, and
the figures both pages quote (row counts, coverage, the uncovered text by reason) are the ones
computed from the data, so the pages cannot drift from the package.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import kerman_warning as kw
from kerman_warning._hfcard import split_front_matter
from test_data import coverage, covered_mask  # tests/ is on sys.path under pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "examples.md"

FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)
# The library each recipe is about, in the order of the issue that asked for them.
LIBRARIES = ["pandas", "polars", "duckdb", "pyarrow", "kerman_warning"]


@dataclass
class Block:
    code: str
    line: int
    expected: str | None = None


@dataclass
class Recipe:
    title: str
    blocks: list[Block] = field(default_factory=list)


def recipes() -> list[Recipe]:
    page = PAGE.read_text(encoding="utf-8")
    found: list[Recipe] = []
    for section in re.split(r"^(?=## )", page, flags=re.M):
        if not section.startswith("## "):
            continue
        offset = page.index(section)
        recipe = Recipe(section.splitlines()[0][3:].strip())
        last_end = None
        for match in FENCE.finditer(section):
            language, body = match.group(1), match.group(2)
            between = section[last_end : match.start()] if last_end is not None else None
            if language == "python":
                line = page.count("\n", 0, offset + match.start()) + 2
                recipe.blocks.append(Block(body, line))
            elif (
                language == "text"
                and recipe.blocks
                and between is not None
                and not between.strip()
                and recipe.blocks[-1].expected is None
            ):
                recipe.blocks[-1].expected = body
            last_end = match.end()
        if recipe.blocks:
            found.append(recipe)
    return found


RECIPES = recipes()


def run(recipe: Recipe) -> list[str]:
    """Run the recipe's blocks in one namespace; return what each printed."""
    namespace: dict[str, object] = {"__name__": "__example__"}
    printed = []
    for block in recipe.blocks:
        code = compile(block.code, f"{PAGE}:{block.line}", "exec")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(code, namespace)
        printed.append(out.getvalue())
    return printed


def test_the_page_has_the_five_recipes() -> None:
    assert len(RECIPES) == 5, [r.title for r in RECIPES]
    for recipe, library in zip(RECIPES, LIBRARIES, strict=True):
        code = "\n".join(block.code for block in recipe.blocks)
        assert f"import {library}" in code, (recipe.title, library)
        assert "assert " in code, f"{recipe.title}: a recipe checks its own result"
        assert all(block.expected is not None for block in recipe.blocks), recipe.title


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.title.split(":")[0] for r in RECIPES])
def test_recipe_runs_and_prints_what_the_page_shows(
    recipe: Recipe, monkeypatch: pytest.MonkeyPatch
) -> None:
    for library in LIBRARIES:
        if f"import {library}" in "\n".join(b.code for b in recipe.blocks):
            pytest.importorskip(library)
    monkeypatch.chdir(ROOT)
    for block, printed in zip(recipe.blocks, run(recipe), strict=True):
        assert printed.strip(), f"{PAGE.name}:{block.line} prints nothing"
        if block.expected is not None:
            assert printed == block.expected, (
                f"{PAGE.name}:{block.line}: the output differs from the page; it prints:\n{printed}"
            )


# --------------------------------------------------------------------------- README and datasheet

README = ROOT / "README.md"
DATASHEET = ROOT / "docs" / "datasheet.md"
COUNT_ROW = re.compile(r"^\| `(\w+)` \| (\d+) \|", re.M)
REASON_ROW = re.compile(r"^\| ([a-z_]+) \| (\d+) \| (\d+) \|", re.M)
LINK = re.compile(r"\]\(([^)#:]+)(?:#[^)]*)?\)")


def measured() -> dict[str, float | int]:
    """Coverage as tests/test_data.py computes it, whole text and body (from the dateline)."""
    text = kw.text()
    mask = covered_mask()
    body = text.index("(CNN)--")
    visible = [i for i, char in enumerate(text) if not char.isspace()]
    in_body = [i for i in visible if i >= body]
    return {
        "coverage": round(coverage(), 4),
        "covered": sum(mask[i] for i in visible),
        "visible": len(visible),
        "body": round(sum(mask[i] for i in in_body) / len(in_body), 4),
    }


def test_readme_starts_with_the_two_setup_commands() -> None:
    _, page = split_front_matter(README.read_text(encoding="utf-8"))  # the generated card
    lines = page.splitlines()
    assert lines[0] == "# kerman-warning"
    first = lines.index("```sh")
    assert first <= 3, "the commands are the first thing in the README"
    assert lines[first + 1].startswith("make demo ")
    assert lines[first + 2].startswith("make test ")
    assert lines[first + 3] == "```"


def test_readme_python_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    for library in ("pandas", "polars", "duckdb"):
        pytest.importorskip(library)
    monkeypatch.chdir(ROOT)  # the one-liners read data/parquet/ relative to a checkout
    page = README.read_text(encoding="utf-8")
    blocks = [m.group(2) for m in FENCE.finditer(page) if m.group(1) == "python"]
    assert len(blocks) == 2
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    assert len(namespace["events"]) == kw.load("events").num_rows  # type: ignore[arg-type]
    assert namespace["text"] == kw.text()


def test_readme_coverage_is_the_computed_one() -> None:
    figures = measured()
    readme = README.read_text(encoding="utf-8")
    expected = (
        f"**{figures['coverage']:.4f}** of the article's non-whitespace\ncharacters "
        f"({figures['covered']} of {figures['visible']}; body alone {figures['body']:.4f}). "
        f"The uncovered {figures['visible'] - figures['covered']} characters"
    )
    assert expected in readme
    coverage_page = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
    assert f"| {figures['covered']} | {figures['visible']} | **{figures['coverage']:.4f}** |" in (
        coverage_page
    )
    datasheet = DATASHEET.read_text(encoding="utf-8")
    assert f"{figures['coverage'] * 100:.1f} %" in datasheet


def test_readme_lists_the_uncovered_text_by_reason() -> None:
    expected: dict[str, list[int]] = {}
    for row in kw.load("uncovered").to_pylist():
        counts = expected.setdefault(row["reason"], [0, 0])
        counts[0] += 1
        counts[1] += sum(not char.isspace() for char in row["exact"])
    listed = {
        reason: [int(rows), int(chars)]
        for reason, rows, chars in REASON_ROW.findall(README.read_text(encoding="utf-8"))
    }
    assert listed == expected


@pytest.mark.parametrize("page", [README, DATASHEET], ids=["README", "datasheet"])
def test_row_counts_are_the_data(page: Path) -> None:
    counts = {name: kw.load(name).num_rows for name in kw.resource_names()}
    listed = {name: int(rows) for name, rows in COUNT_ROW.findall(page.read_text("utf-8"))}
    assert listed == counts
    if page == DATASHEET:
        assert f"({sum(counts.values())} rows in all)" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("page", [README, DATASHEET, PAGE], ids=["README", "datasheet", "examples"])
def test_local_links_resolve(page: Path) -> None:
    targets = {(page.parent / link).resolve() for link in LINK.findall(page.read_text("utf-8"))}
    missing = sorted(str(t.relative_to(ROOT)) for t in targets if not t.exists())
    assert missing == []


def test_the_timeline_alt_text_counts_the_undated_events() -> None:
    events = kw.load("events", columns=["event_type", "date_precision"]).to_pylist()
    undated = [e["event_type"] for e in events if e["date_precision"] == "unknown"]
    conditions = undated.count("condition")
    assert sorted(set(undated)) == ["condition", "policy"] and undated.count("policy") == 1
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
    alt = README.read_text(encoding="utf-8").split("![", 1)[1].split("](", 1)[0]
    assert f"{words[conditions]} undated conditions and the policy" in alt
