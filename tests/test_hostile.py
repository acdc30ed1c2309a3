"""The hostile-input catalogue: every kind of damage an attacker tried (issue 10, classes A-J)
and more, each with the exact rule or error and exit code it must give.

Every case runs in a child process bounded in time and memory (tests/_hostile.py), and each
asserts: the exit code; the rule id in the JSON report, or the text of the one error line;
no traceback; no hang (an alarm per case, a deadline per child); and that nothing outside
the package changed (nor, unless the command is meant to write, inside it). The cases run
in two children at once, so the whole table costs about two cold starts and the cases.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from _hostile import Case, prepare, run_children, snapshot
from _tinypackage import edit_json, edit_text, make_package
from conftest import copy_package, refresh, set_cell

GIB = 1 << 30
VALIDATE = ("validate", "{pkg}", "--format", "json")
BUILD = ("build", "{pkg}")


# --- damage ----------------------------------------------------------------------------------


def descriptor_edit(change: Callable[[dict[str, Any]], object]) -> Callable[[Path], None]:
    return lambda root: edit_json(root / "datapackage.json", change)


def events(change: Callable[[dict[str, Any]], object]) -> Callable[[Path], None]:
    """Edit the `events` resource of the descriptor (the first resource of both packages)."""

    def edit(descriptor: dict[str, Any]) -> None:
        block = next(r for r in descriptor["resources"] if r["name"] == "events")
        change(block)

    return descriptor_edit(edit)


def name(value: object) -> Callable[[Path], None]:
    return events(lambda block: block.update(name=value))


def path(value: str) -> Callable[[Path], None]:
    return events(lambda block: block.update(path=value))


def replace(relative: str, make: Callable[[Path], object]) -> Callable[[Path], None]:
    """Put something else (a FIFO, a folder, a link) where the package has a file."""

    def damage(root: Path) -> None:
        target = root / relative
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
        make(target)

    return damage


def fifo(target: Path) -> None:
    os.mkfifo(target)


def outside_link(to: str) -> Callable[[Path], None]:
    """A symlink to `to` (absolute, or relative to the case's `outside` folder)."""

    def make(target: Path) -> None:
        outside = target.parents[len(target.relative_to(_root_of(target)).parts) - 1].parent
        destination = Path(to) if to.startswith("/") else outside / "outside" / to
        if not destination.exists() and not to.startswith("/"):
            destination.write_text("outside the package\n", encoding="utf-8")
        target.symlink_to(destination)

    return make


def _root_of(target: Path) -> Path:
    for parent in target.parents:
        if (parent / "datapackage.json").exists() or parent.name == "package":
            return parent
    raise AssertionError(target)


def sparse(relative: str, size: int = 2 * GIB, head: bytes = b"") -> Callable[[Path], None]:
    """A sparse file of `size` bytes (no disk used) starting with `head`."""

    def damage(root: Path) -> None:
        with (root / relative).open("wb") as out:
            out.write(head)
            out.truncate(size)

    return damage


def write(relative: str, data: bytes) -> Callable[[Path], None]:
    return lambda root: (root / relative).write_bytes(data)


def folder_in_the_way(relative: str) -> Callable[[Path], None]:
    def make(target: Path) -> None:
        target.mkdir()
        (target / "keep.txt").write_text("mine\n", encoding="utf-8")

    return replace(relative, make)


def cell(table: str, key: str, field: str, value: str) -> Callable[[Path], None]:
    """Set one cell of the real package and refresh what build derives, so that only this
    cell is wrong."""

    def damage(root: Path) -> None:
        set_cell(root, table, key, field, value)
        refresh(root)

    return damage


def tiny_source_edit(root: Path) -> None:
    edit_text(root / "data/casualties.csv", "84", "85")


def both(*steps: Callable[[Path], object]) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        for step in steps:
            step(root)

    return damage


# --- the catalogue ---------------------------------------------------------------------------

CASES = [
    # A: writes outside the package, names used as paths
    Case("name-climbs-out", "A", name("../../../../tmp/x/PWNED"), BUILD, 2, "error:is not a name"),
    Case("name-with-slash", "A", name("data/events"), BUILD, 2, "error:is not a name"),
    Case("name-absolute", "A", name("/tmp/PWNED"), BUILD, 2, "error:is not a name"),
    Case("name-hidden", "A", name(".events"), BUILD, 2, "error:is not a name"),
    Case("name-uppercase", "A", name("Events"), BUILD, 2, "error:is not a name"),
    Case("name-too-long", "A", name("e" * 65), BUILD, 2, "error:longer than 64 characters"),
    Case("name-not-a-string", "A", name(7), BUILD, 2, "error:is not a non-empty string"),
    Case("name-twice", "A", name("casualties"), BUILD, 2, "error:is used twice"),
    Case(
        "derived-folder-links-out",
        "A",
        both(tiny_source_edit, replace("schemas/json", outside_link("."))),
        BUILD,
        2,
        "error:resolves outside the package",
    ),
    Case(
        "derived-file-links-out",
        "A",
        both(tiny_source_edit, replace("docs/rules.md", outside_link("rules.md"))),
        BUILD,
        2,
        "error:resolves outside the package",
    ),
    Case("source-path-climbs-out", "A", path("../outside/keep.txt"), BUILD, 2, "error:'..'"),
    Case("source-path-absolute", "A", path("/etc/passwd"), BUILD, 2, "error:is absolute"),
    Case("source-path-url", "A", path("https://example.org/x.csv"), BUILD, 2, "error:is a URL"),
    Case(
        "source-links-out",
        "A",
        replace("data/events.csv", outside_link("events.csv")),
        BUILD,
        2,
        "error:resolves outside the package",
    ),
    # B: half-written builds
    Case(
        "derived-file-is-a-folder",
        "B",
        both(tiny_source_edit, folder_in_the_way("docs/rules.md")),
        BUILD,
        2,
        "error:docs/rules.md is not a regular file",
    ),
    Case(
        "derived-file-is-a-fifo",
        "B",
        both(tiny_source_edit, replace("docs/rules.md", fifo)),
        BUILD,
        2,
        "error:docs/rules.md is not a regular file",
    ),
    Case(
        "staging-folder-links-out",
        "B",
        lambda root: (root / ".kerman-warning-build").symlink_to(root.parent / "outside"),
        BUILD,
        2,
        "error:is not a folder that build made",
    ),
    Case(
        "forged-journal-points-out",
        "B",
        both(
            lambda root: (root / ".kerman-warning-build").mkdir(),
            write(
                ".kerman-warning-build/journal.json",
                b'{"files": [{"path": "../outside/keep.txt", "existed": false}], "folders": []}',
            ),
        ),
        BUILD,
        2,
        "error:leaves the package folder",
    ),
    Case(
        "source-is-a-fifo",
        "B",
        replace("data/events.csv", fifo),
        BUILD,
        2,
        "error:is not a regular file",
        timeout=10,
    ),
]


# --- running them ----------------------------------------------------------------------------


def make_tiny(root: Path) -> Path:
    return make_package(root)


def make_real(root: Path) -> Path:
    return copy_package(root)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every case prepared, run in two children at once; results and snapshots by id."""
    work = tmp_path_factory.mktemp("hostile")
    (work / "home").mkdir()
    prepared, before = [], {}
    for case in CASES:
        folder = work / case.id
        make = make_real if case.package == "real" else make_tiny
        prepared.append(prepare(case, folder, make))
        before[case.id] = snapshot(folder)
    batches = [prepared[0::2], prepared[1::2]]
    results = run_children(batches, work)
    return {"work": work, "results": results, "before": before}


def test_the_catalogue_covers_every_class() -> None:
    assert len({case.id for case in CASES}) == len(CASES)
    assert {case.klass for case in CASES} >= set("AB")


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input_gives_its_exact_answer(case: Case, outcomes: dict[str, Any]) -> None:
    assert "<child>" not in outcomes["results"], outcomes["results"].get("<child>")
    result = outcomes["results"][case.id]
    everything = result["stdout"] + result["stderr"]
    assert result["crash"] is None, result["crash"]
    assert "Traceback" not in everything and "unexpected" not in result["stderr"]
    assert result["code"] == case.code, everything
    assert result["seconds"] < case.timeout
    kind, _, expected = case.expect.partition(":")
    if kind == "rule":
        report = json.loads(result["stdout"])
        assert expected in {problem["rule"] for problem in report["problems"]}, everything
    else:
        assert result["stderr"].count("\n") == 1, result["stderr"]
        assert expected in result["stderr"]
    assert "\x1b" not in everything  # control characters reach no terminal
    folder = outcomes["work"] / case.id
    after = snapshot(folder)
    before = outcomes["before"][case.id]
    if case.writes:
        after = {k: v for k, v in after.items() if not k.startswith("package/")}
        before = {k: v for k, v in before.items() if not k.startswith("package/")}
    assert after == before, sorted(set(after.items()) ^ set(before.items()))
    assert not Path("/tmp/x/PWNED.parquet").exists() and not Path("/tmp/PWNED.parquet").exists()
