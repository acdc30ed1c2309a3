"""Hatchling metadata hook: README.md as the package description, with links that work on an
index page (PyPI shows the description away from the repository, so relative links break).

With `[project.urls] Repository` set, every relative link and image points into the repository
(`<Repository>/blob/main/<path>`, images `<Repository>/raw/main/<path>`). Without it (the package
has no public address yet), a relative link becomes its text and the path in backticks, and an
image its alt text: nothing in the description points nowhere. Tested in tests/test_packaging.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hatchling.metadata.plugin.interface import MetadataHookInterface

_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")
_ABSOLUTE = re.compile(r"^([a-z][a-z0-9+.-]*:|#)", re.IGNORECASE)


def description(text: str, base: str) -> str:
    """`text` with every relative Markdown link or image made absolute against `base`."""
    base = base.rstrip("/")

    def fix(match: re.Match[str]) -> str:
        bang, label, target = match.groups()
        if _ABSOLUTE.match(target):
            return match.group(0)
        if base:
            return f"{bang}[{label}]({base}/{'raw' if bang else 'blob'}/main/{target})"
        return f"*{label}*" if bang else f"{label} (`{target}`)"

    return _LINK.sub(fix, text)


class CustomMetadataHook(MetadataHookInterface):
    def update(self, metadata: dict[str, Any]) -> None:
        base = str(metadata.get("urls", {}).get("Repository", ""))
        text = (Path(self.root) / "README.md").read_text(encoding="utf-8")
        metadata["readme"] = {"content-type": "text/markdown", "text": description(text, base)}
