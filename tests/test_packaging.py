"""What is published: the sdist holds every file the docs link to, the wheel declares both
licences, the description has absolute links, and each extra holds what the code imports."""

from __future__ import annotations

import ast
import re
import sys
import tarfile
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from hatch_build import description  # noqa: E402

LINK = re.compile(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)")
PAGES = [
    "README.md",
    "CONTRIBUTING.md",
    "DATA-LICENSE.md",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")),
]
# A module the code imports -> the distribution that provides it (where the names differ).
DISTRIBUTION = {"re2": "google-re2", "yaml": "pyyaml"}
RUNTIME_OR_OWN_EXTRA = {"pyarrow", "pandas", "polars", "kerman_warning"}


def third_party_imports() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - RUNTIME_OR_OWN_EXTRA - {"__future__"}


def requirement_name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower()


def test_the_validate_extra_holds_exactly_what_the_code_imports() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = pyproject["project"]["optional-dependencies"]
    validate = {requirement_name(r) for r in extras["validate"]}
    imported = {DISTRIBUTION.get(m, m).lower() for m in third_party_imports()}
    assert validate == imported
    assert "frictionless" not in validate  # used by tests only: in dev
    assert any(requirement_name(r) == "frictionless" for r in extras["dev"])
    assert {requirement_name(r) for r in extras["polars"]} == {"polars"}


def test_the_description_links_are_absolute_or_plain_text() -> None:
    text = (
        "See [the datasheet](docs/datasheet.md), ![a figure](docs/timeline.png), "
        "[web](https://x.org) and [top](#install)."
    )
    assert description(text, "https://example.org/r/") == (
        "See [the datasheet](https://example.org/r/blob/main/docs/datasheet.md), "
        "![a figure](https://example.org/r/raw/main/docs/timeline.png), [web](https://x.org) "
        "and [top](#install)."
    )
    assert description(text, "") == (
        "See the datasheet (`docs/datasheet.md`), *a figure*, [web](https://x.org) "
        "and [top](#install)."
    )


def local_links(page: str) -> set[str]:
    folder = (ROOT / page).parent
    return {
        str((folder / link).resolve().relative_to(ROOT))
        for link in LINK.findall((ROOT / page).read_text(encoding="utf-8"))
    }


@pytest.mark.slow
def test_the_sdist_and_wheel_are_complete(dists: Path) -> None:
    (sdist,) = dists.glob("kerman_warning-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    linked = set().union(*(local_links(page) for page in PAGES))
    assert linked and {"CONTRIBUTING.md", "docs/timeline.png"} <= linked
    assert sorted(linked - names) == []
    assert set(PAGES) <= names
    (wheel,) = dists.glob("kerman_warning-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(metadata_name).decode("utf-8"))
        files = archive.namelist()
    assert metadata["License-Expression"] == "MIT AND ODC-By-1.0"
    assert sorted(metadata.get_all("License-File")) == ["DATA-LICENSE.md", "LICENSE"]
    assert any(name.endswith("licenses/DATA-LICENSE.md") for name in files)
    body = metadata.get_payload()
    assert "kerman-warning" in body and "CNN" in body
    relative = [
        link for link in re.findall(r"\]\(([^)\s]+)\)", body) if not re.match(r"^([a-z]+:|#)", link)
    ]
    assert relative == []
