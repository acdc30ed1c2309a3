"""The few git operations `diff` and `release` need, through the `git` command."""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
from pathlib import Path

from ._errors import PackageError

_TAG = re.compile(r"^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")

Version = tuple[int, int, int]


def run(repo: Path, *args: str) -> str:
    """Run `git -C repo args...` and return its standard output, or raise a PackageError."""
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, check=False, text=True
        )
    except FileNotFoundError:
        raise PackageError("git is not installed or not on PATH") from None
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise PackageError(f"git {' '.join(args)} failed: {detail}")
    return done.stdout


def toplevel(path: Path) -> Path:
    """The root of the git work tree that contains `path`."""
    return Path(run(path, "rev-parse", "--show-toplevel").strip())


def is_revision(repo: Path, spec: str) -> bool:
    """Whether `spec` names a commit in the repository at `repo` (False outside a repository)."""
    if spec.startswith("-"):
        return False
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}"],
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        return False
    return done.returncode == 0


def export(repo: Path, revision: str, target: Path) -> None:
    """Write the tree of `revision` into the folder `target` (`git archive` extracted)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", f"{revision}^{{commit}}"],
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise PackageError("git is not installed or not on PATH") from None
    if done.returncode != 0:
        detail = (done.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
        raise PackageError(f"git archive {revision} failed: {detail}")
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(target, filter="data")


def dirty(repo: Path) -> list[str]:
    """Paths that differ from HEAD: modified, staged, deleted or untracked (not ignored)."""
    out = run(repo, "status", "--porcelain=v1", "--untracked-files=all")
    return [line[3:] for line in out.splitlines() if line.strip()]


def parse_version(text: str) -> Version | None:
    """(X, Y, Z) of a `vX.Y.Z` tag or an `X.Y.Z` string, None if it is not plain semver."""
    match = _TAG.match(text if text.startswith("v") else f"v{text}")
    if match is None:
        return None
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def release_tags(repo: Path) -> list[tuple[Version, str]]:
    """Every `vX.Y.Z` tag reachable from HEAD, highest version first."""
    try:
        run(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    except PackageError:
        return []  # no commit yet
    tags = []
    for name in run(repo, "tag", "--merged", "HEAD", "--list", "v*").split():
        version = parse_version(name)
        if version is not None:
            tags.append((version, name))
    return sorted(tags, reverse=True)


def tag_exists(repo: Path, name: str) -> bool:
    return is_revision(repo, f"refs/tags/{name}")
