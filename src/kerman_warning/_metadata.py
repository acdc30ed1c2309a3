"""One truth for metadata: version, licence, title and citation agree across every file that
states them (datapackage.json, croissant.json, the Hugging Face card in README.md, CITATION.cff).

`disagreements(root)` is a plain function so that the validator can run it as a rule. It reads
only what it compares, bounded, and files that are absent are not compared (a bare package
folder has no README or CITATION.cff). CITATION.cff and the card are read as the small YAML
subset they use (top-level `key: value` lines, `- name:` items), so no YAML library is needed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ._croissant import CROISSANT, LICENSE_URLS
from ._errors import KermanWarningError
from ._hfcard import HF_LICENSES, split_front_matter
from ._package import DESCRIPTOR, optional_text

__all__ = ["disagreements"]

CITATION = "CITATION.cff"
README = "README.md"
_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*):[ \t]*(.*?)[ \t]*$")
_NAME_ITEM = re.compile(r"^[ \t]+-[ \t]+name:[ \t]*(.*?)[ \t]*$")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            loaded = json.loads(value)
        except ValueError:
            return value[1:-1]
        return str(loaded)
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value


def simple_yaml(text: str) -> dict[str, Any]:
    """Top-level scalar keys, and `authors` as a list of the `- name:` items below it."""
    out: dict[str, Any] = {}
    current = None
    for line in text.splitlines():
        key = _KEY.match(line)
        if key:
            current = key.group(1)
            if key.group(2) and not key.group(2).startswith(("|", ">", "#")):
                out[current] = _unquote(key.group(2))
            continue
        item = _NAME_ITEM.match(line)
        if item and current == "authors":
            out.setdefault("authors", []).append(_unquote(item.group(1)))
    return out


def _json(root: Path, relative: str) -> dict[str, Any] | None:
    text = optional_text(root, relative)
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def disagreements(root: Path | str) -> list[str]:
    """Every way the metadata files at `root` disagree with datapackage.json, one line each."""
    root = Path(root)
    try:
        descriptor = _json(root, DESCRIPTOR)
        croissant = _json(root, CROISSANT)
        readme = optional_text(root, README)
        citation_text = optional_text(root, CITATION)
    except KermanWarningError as error:
        return [str(error)]
    if descriptor is None:
        return [f"{DESCRIPTOR}: missing"]
    licences = [str(item.get("name")) for item in descriptor.get("licenses", [])]
    licence = licences[0] if licences else None
    creators = [
        str(person.get("title"))
        for person in descriptor.get("contributors", [])
        if "creator" in person.get("roles", [])
    ]
    truth = {"version": descriptor.get("version"), "title": descriptor.get("title")}
    found: list[tuple[str, str, Any, Any]] = []  # (file, what, value, expected)
    if croissant is not None:
        url = next((i.get("path") for i in descriptor.get("licenses", [])), None)
        expected_url = url or LICENSE_URLS.get(str(licence))
        first = (croissant.get("license") or [None])[0]
        cite = str(croissant.get("citeAs", ""))
        found += [
            (CROISSANT, "version", croissant.get("version"), truth["version"]),
            (CROISSANT, "name", croissant.get("name"), truth["title"]),
            (CROISSANT, "license", first, expected_url),
            (CROISSANT, "creator", [c.get("name") for c in croissant.get("creator", [])], creators),
            (CROISSANT, "citeAs title", str(truth["title"]) in cite, True),
            (CROISSANT, "citeAs version", f"version = {{{truth['version']}}}" in cite, True),
        ]
    if readme is not None:
        front, _ = split_front_matter(readme)
        card = simple_yaml(front or "")
        found += [
            (f"{README} card", "pretty_name", card.get("pretty_name"), truth["title"]),
            (f"{README} card", "license", card.get("license"), HF_LICENSES.get(str(licence))),
        ]
    if citation_text is not None:
        citation = simple_yaml(citation_text)
        found += [
            (CITATION, "version", citation.get("version"), truth["version"]),
            (CITATION, "title", citation.get("title"), truth["title"]),
            (CITATION, "license", citation.get("license"), licence),
            (CITATION, "authors", citation.get("authors", []), creators),
        ]
    return [
        f"{file}: {what} is {value!r}; datapackage.json says {expected!r}"
        if not isinstance(expected, bool)
        else f"{file}: {what} does not match datapackage.json"
        for file, what, value, expected in found
        if value != expected
    ]
