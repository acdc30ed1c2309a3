"""One truth for metadata: version, licence, title and citation agree across datapackage.json,
croissant.json, the Hugging Face card and CITATION.cff."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kerman_warning._metadata import disagreements, simple_yaml

ROOT = Path(__file__).resolve().parents[1]
FILES = ("datapackage.json", "croissant.json", "README.md", "CITATION.cff")
# The version every file states now (a release changes it); the edits below move one file off it.
VERSION = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))["version"]


def test_the_repository_agrees_with_itself() -> None:
    assert disagreements(ROOT) == []


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for name in FILES:
        shutil.copy2(ROOT / name, tmp_path / name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (old, path)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "found"),
    [
        ("CITATION.cff", f'version: "{VERSION}"', 'version: "0.0.1"', "CITATION.cff: version"),
        ("CITATION.cff", "license: ODC-By-1.0", "license: CC-BY-4.0", "CITATION.cff: license"),
        ("CITATION.cff", 'name: "kerman-warning curators"', 'name: "Someone"', "authors"),
        ("CITATION.cff", 'title: "The US', 'title: "A US', "CITATION.cff: title"),
        (
            "croissant.json",
            f'"version": "{VERSION}"',
            '"version": "0.1.0"',
            "croissant.json: version",
        ),
        ("croissant.json", "by/1-0/", "by/2-0/", "croissant.json: license"),
        ("croissant.json", f"version = {{{VERSION}}}", "version = {0.9.0}", "citeAs version"),
        ("README.md", 'license: "odc-by"', 'license: "mit"', "README.md card: license"),
        ("README.md", 'pretty_name: "The US', 'pretty_name: "A US', "card: pretty_name"),
    ],
)
def test_each_disagreement_is_named(copy: Path, file: str, old: str, new: str, found: str) -> None:
    edit(copy / file, old, new)
    problems = disagreements(copy)
    assert len(problems) == 1 and found in problems[0], problems


def test_absent_files_are_not_compared(tmp_path: Path) -> None:
    shutil.copy2(ROOT / "datapackage.json", tmp_path / "datapackage.json")
    assert disagreements(tmp_path) == []
    assert disagreements(tmp_path / "nowhere") == ["datapackage.json: missing"]


def test_the_yaml_subset() -> None:
    text = "title: \"a: b\"\nversion: 1.0.0\nabstract: >-\n  long\nauthors:\n  - name: 'X'\n"
    assert simple_yaml(text) == {"title": "a: b", "version": "1.0.0", "authors": ["X"]}
