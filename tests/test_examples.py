"""docs/examples.md runs: every recipe's code passes its asserts and prints what the page shows.

A recipe is a `## ` section of the page. Its ```python blocks run in order in one fresh
namespace, from the repository root; the output of each block must equal the ```text block
that follows it (blank lines between them only), and a block without a ```text block after it
must still print something, so that a reader has a result to check.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

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
