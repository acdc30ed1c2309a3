"""Released versions found in git history alone: tags are welcome but never needed.

A version X.Y.Z is released at the first commit on the first-parent line of HEAD where
`datapackage.json` got `"version": "X.Y.Z"`, provided CHANGELOG.md (as of HEAD) records it under
a `## [X.Y.Z] - DATE` heading: a version the changelog does not list (such as the 0.0.0 of the
first commits) was a work in progress, not a release. A `vX.Y.Z` tag, where there is one, names
the same release and wins if it points elsewhere.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import _git, _limits
from ._errors import PackageError

__all__ = ["Released", "released", "revision"]

DESCRIPTOR = "datapackage.json"
CHANGELOG = "CHANGELOG.md"
_RELEASED_HEADING = re.compile(r"^## \[(\d+\.\d+\.\d+)\]", re.MULTILINE)


@dataclass(frozen=True)
class Released:
    """One release: its version, the commit that made it, that commit's date, its tag if any."""

    version: str
    commit: str
    date: str
    tag: str | None = None

    @property
    def key(self) -> _git.Version:
        parsed = _git.parse_version(self.version)
        assert parsed is not None  # only parseable versions are collected
        return parsed


def _versions_at(repo: Path, commits: list[str]) -> list[object]:
    """The `version` of datapackage.json at each commit (None where it cannot be read)."""
    if not commits:
        return []
    request = "".join(f"{commit}:{DESCRIPTOR}\n" for commit in commits).encode()
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "cat-file", "--batch"],
            input=request,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise PackageError("git is not installed or not on PATH") from None
    out, position = done.stdout, 0
    versions: list[object] = []
    for _ in commits:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        position = end + 1
        if len(header) != 3 or header[1] != b"blob":
            versions.append(None)  # "missing": the file was deleted in that commit
            continue
        size = int(header[2])
        body = out[position : position + size]
        position += size + 1
        version = None
        if size <= _limits.MAX_FILE_BYTES:
            try:
                value = json.loads(body)
                version = value.get("version") if isinstance(value, dict) else None
            except (ValueError, UnicodeDecodeError, RecursionError):
                version = None
        versions.append(version)
    return versions


def _changelog_versions(repo: Path) -> set[str] | None:
    """Versions CHANGELOG.md records as released at HEAD (None without a changelog)."""
    try:
        text = _git.run(repo, "show", f"HEAD:{CHANGELOG}")
    except PackageError:
        return None
    return set(_RELEASED_HEADING.findall(text))


def released(repo: Path) -> list[Released]:
    """Every released version reachable from HEAD in the repository at `repo`, oldest first."""
    root = _git.toplevel(repo)
    try:
        _git.run(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    except PackageError:
        return []  # no commit yet
    log = _git.run(
        root, "log", "--first-parent", "--reverse", "--format=%H %cs", "HEAD", "--", DESCRIPTOR
    )
    rows = [line.split() for line in log.splitlines() if line.strip()]
    versions = _versions_at(root, [commit for commit, _ in rows])
    recorded = _changelog_versions(root)
    found: dict[str, Released] = {}
    previous: object = None
    for (commit, day), version in zip(rows, versions, strict=True):
        if (
            isinstance(version, str)
            and version != previous
            and version not in found
            and _git.parse_version(version) is not None
            and (recorded is None or version in recorded)
        ):
            found[version] = Released(version, commit, day)
        previous = version
    for key, tag in _git.release_tags(root):
        version = ".".join(map(str, key))
        commit = _git.run(root, "rev-parse", f"refs/tags/{tag}^{{commit}}").strip()
        day = _git.run(root, "show", "-s", "--format=%cs", commit).strip()
        found[version] = Released(version, commit, day, tag)
    return sorted(found.values(), key=lambda r: r.key)


def revision(repo: Path, spec: str) -> str | None:
    """The commit or revision `spec` names: a released version (1.0.0 or v1.0.0) or any git
    revision; None if it names neither (or `repo` is not in a git repository)."""
    version = _git.parse_version(spec)
    if version is not None:
        try:
            for release in released(repo):
                if release.key == version:
                    return release.commit
        except PackageError:
            return None
    return spec if _git.is_revision(repo, spec) else None
