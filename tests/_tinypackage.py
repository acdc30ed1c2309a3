"""A tiny data package, and git repositories holding it, for the diff/release/build tests.

Small enough to read at a glance and to build in milliseconds; shaped like the real package
(Data Package v2, Table Schemas in schemas/, CSVs in data/, `kerman-warning build` outputs).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kerman_warning.build import build

ROOT = Path(__file__).resolve().parents[1]

CASUALTIES_SCHEMA: dict[str, Any] = {
    "$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
    "fields": [
        {
            "name": "casualty_id",
            "type": "string",
            "description": "Stable id.",
            "constraints": {"required": True, "unique": True, "pattern": "^cas-[a-z0-9-]+$"},
        },
        {
            "name": "outcome",
            "type": "string",
            "description": "What happened to the people counted.",
            "categories": [
                {"value": "killed", "label": "died"},
                {"value": "injured", "label": "hurt"},
            ],
        },
        {
            "name": "best",
            "type": "integer",
            "description": "Best estimate.",
            "constraints": {"minimum": 0},
        },
        {"name": "note", "type": "string", "description": "Free note."},
    ],
    "primaryKey": ["casualty_id"],
}
CASUALTIES_CSV = "casualty_id,outcome,best,note\ncas-killed,killed,84,\ncas-injured,injured,284,\n"

EVENTS_SCHEMA: dict[str, Any] = {
    "$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
    "fields": [
        {"name": "event_id", "type": "string", "constraints": {"required": True}},
        {"name": "date", "type": "date", "description": "Day of the event."},
    ],
    "primaryKey": ["event_id"],
}
EVENTS_CSV = "event_id,date\nevt-attack,2024-01-03\nevt-claim,2024-01-04\n"


def descriptor(version: str = "1.0.0") -> dict[str, Any]:
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "kerman-warning",
        "title": "A tiny test package",
        "version": version,
        "created": "2024-01-26T00:00:00Z",
        "licenses": [{"name": "CC-BY-4.0"}],
        "resources": [
            {
                "name": name,
                "type": "table",
                "path": f"data/{name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": f"schemas/{name}.schema.json",
                "description": f"The {name}.",
            }
            for name in ("events", "casualties")
        ],
    }


def write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def make_package(root: Path, *, version: str = "1.0.0", built: bool = True) -> Path:
    """Write the tiny package into `root` (and build it) and return `root`."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    write_json(root / "datapackage.json", descriptor(version))
    write_json(root / "schemas/events.schema.json", EVENTS_SCHEMA)
    write_json(root / "schemas/casualties.schema.json", CASUALTIES_SCHEMA)
    (root / "data/events.csv").write_text(EVENTS_CSV, encoding="utf-8")
    (root / "data/casualties.csv").write_text(CASUALTIES_CSV, encoding="utf-8")
    if built:
        build(root)
    return root


def edit_json(path: Path, change: Callable[[Any], None]) -> None:
    value = read_json(path)
    change(value)
    write_json(path, value)


def edit_text(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (old, path)
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- git -------------------------------------------------------------------------------------

GIT_ENVIRONMENT = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.org",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.org",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


CHANGELOG = """# Changelog

All notable changes to this package are documented here, in the
[Keep a Changelog](https://keepachangelog.com/en/1.1.0/) form; versions follow the
Data Package version recipe (see `kerman-warning diff`).

## [Unreleased]

### Added

- Something new.

### Fixed

## [1.0.0] - 2024-01-26

### Added

- First release.

[Unreleased]: https://example.org/kerman-warning/compare/v1.0.0...HEAD
[1.0.0]: https://example.org/kerman-warning/releases/tag/v1.0.0
"""

CITATION = """cff-version: 1.2.0
message: "If you use this dataset, please cite it as below."
type: dataset
title: "A tiny test package"
version: "1.0.0"
date-released: "2024-01-26"
authors:
  - name: "kerman-warning curators"
license: CC-BY-4.0
"""


def make_repo(root: Path, *, tag: str | None = "v1.0.0", with_sources: bool = True) -> Path:
    """A git repository holding the tiny package, the library sources and the release files.

    Committed (and tagged `tag`) with an Unreleased changelog entry: a release of it succeeds.
    With `with_sources`, the library and its pyproject are copied so that a wheel can be built.
    """
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    make_package(root)
    if with_sources:
        for name in (
            "pyproject.toml",
            "hatch_build.py",
            "README.md",
            "LICENSE",
            "DATA-LICENSE.md",
            ".gitignore",
        ):
            shutil.copy2(ROOT / name, root / name)
        shutil.copytree(
            ROOT / "src",
            root / "src",
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"),
        )
    version_file = root / "src/kerman_warning/_version.py"
    version_file.parent.mkdir(parents=True, exist_ok=True)
    version_file.write_text('"""Version."""\n\n__version__ = "1.0.0"\n', encoding="utf-8")
    (root / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    (root / "CITATION.cff").write_text(CITATION, encoding="utf-8")
    if (root / "README.md").is_file():
        build(root)  # the copied README carries the real package's card; give it this one's
    commit_all(root, "Version 1.0.0")
    if tag is not None:
        git(root, "tag", tag)
    # The Unreleased entry above belongs to the next release.
    return root
