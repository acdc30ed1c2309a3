"""`kerman-warning release [major|minor|patch|X.Y.Z]`: cut a release that dependents can trust.

Every check runs before anything is written; a refused release changes nothing:

1. the git work tree is clean (nothing modified, staged or untracked);
2. CHANGELOG.md has notes under `## [Unreleased]`;
3. the new version is above the last release (found in history, `kerman_warning._versions`:
   the commit where datapackage.json got a version CHANGELOG.md records; tags optional);
4. no derived file is stale (`kerman-warning build --check` would change nothing);
5. the package validates (`kerman-warning validate`);
6. the bump is at least what `kerman-warning diff <last tag> .` requires (first release: any).

Then it moves the Unreleased notes to `## [X.Y.Z] - DATE`, writes the version into the version
file hatchling reads, `datapackage.json` (`version`, `created`) and CITATION.cff (`version`,
`date-released`), rebuilds the derived files, and writes to `dist/` the wheel, the sdist, a zip of
the data package and `SHA256SUMS`. If any of that fails, every file it touched is put back. It
prints the `git commit` and `git tag` commands, or runs them with `commit=True`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import importlib
import importlib.util
import os
import re
import shlex
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import _git, _versions
from ._croissant import CROISSANT
from ._errors import KermanWarningError, PackageError
from ._io import json_bytes, read_bounded, sha256, write_atomic
from ._limits import MAX_FILE_BYTES, MAX_TEXT_BYTES
from ._package import DESCRIPTOR, default_root, open_package
from ._reader import READER
from .build import DATASHEET, DICTIONARY, build
from .diff import Level, bumped, diff, rank

__all__ = ["Release", "ReleaseRefused", "release"]

CHANGELOG = "CHANGELOG.md"
CITATION = "CITATION.cff"
DEFAULT_VERSION_FILE = "src/kerman_warning/_version.py"
SUMS = "SHA256SUMS"
# The folders and files of the data package that go into the release zip.
# What a release zip holds: the package, its generated and hand-written documentation, and the
# licences of the code and the data (croissant.json is checked against the datasheet).
ZIP_PARTS = (
    DESCRIPTOR,
    "data",
    "schemas",
    CROISSANT,
    DICTIONARY,
    DATASHEET,
    READER,
    "LICENSE",
    "DATA-LICENSE.md",
    CITATION,
)

_UNRELEASED = re.compile(r"^## \[unreleased\][ \t]*$", re.IGNORECASE | re.MULTILINE)
_LEVEL2 = re.compile(r"^## ", re.MULTILINE)
_LINK = re.compile(r"^\[[^\]]+\]:\s*\S+")
_COMPARE = re.compile(
    r"^\[unreleased\]:\s*(?P<base>\S+)/compare/(?P<start>\S+)\.\.\.HEAD\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_VERSION_LINE = re.compile(r'^__version__[ \t]*=[ \t]*["\'](?P<version>[^"\']*)["\'][ \t]*$', re.M)
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class ReleaseRefused(KermanWarningError):
    """A release was refused before anything was written; the message says why."""

    exit_code = 1


@dataclass(frozen=True)
class Release:
    """A release that was cut: its version, what was rewritten, the artifacts and next steps."""

    version: str
    date: str
    previous: str | None  # the last release as vX.Y.Z, None for a first release
    requested: Level
    required: Level | None  # None for a first release: nothing to compare against
    root: Path
    updated: list[str] = field(default_factory=list)
    artifacts: list[tuple[str, str]] = field(default_factory=list)  # (dist/ name, sha256)
    commands: list[list[str]] = field(default_factory=list)
    committed: bool = False

    @property
    def tag(self) -> str:
        return f"v{self.version}"

    def render(self) -> str:
        since = (
            "first release (no earlier release in history)"
            if self.previous is None
            else f"{self.requested} bump over {self.previous}; the changes require {self.required}"
        )
        lines = [f"released {self.version} ({self.date}): {since}", "", "updated:"]
        lines += [f"  {path}" for path in self.updated]
        lines += ["", "dist/ (verify: cd dist && sha256sum -c SHA256SUMS):"]
        lines += [f"  {digest}  {name}" for name, digest in self.artifacts]
        lines.append("")
        if self.committed:
            lines.append(f"committed and tagged {self.tag}; publish with: git push --follow-tags")
        else:
            lines.append("next, commit and tag:")
            lines += [f"  {shlex.join(command)}" for command in self.commands]
        return "\n".join(lines) + "\n"


def release(
    bump: str,
    *,
    commit: bool = False,
    date: str | None = None,
    repo: Path | None = None,
    rules: str = "all",
) -> Release:
    """Cut release `bump` (major, minor, patch or X.Y.Z) of the repository at `repo` (or here).

    The package must validate under the rule set `rules` ("all", or "datapackage" for a
    package that follows the standard but not this project's conventions).
    """
    root = _git.toplevel(default_root() if repo is None else Path(repo))
    day = _release_date(date)

    # --- checks: nothing is written until every one has passed ---
    dirty = _git.dirty(root)
    if dirty:
        raise ReleaseRefused(f"the work tree is dirty ({_some(dirty)}); commit or stash first")
    changelog = _read_text(root / CHANGELOG, "CHANGELOG.md")
    _unreleased_notes(changelog)
    citation = _read_text(root / CITATION, "CITATION.cff")
    version_file = root / _version_file(root)
    version_source = _read_text(version_file, str(version_file.relative_to(root)))
    current = _VERSION_LINE.search(version_source)
    if current is None:
        raise ReleaseRefused(f'{version_file.relative_to(root)}: no `__version__ = "..."` line')

    # The last release, from history (tags optional): see kerman_warning._versions.
    releases = _versions.released(root)
    last = releases[-1] if releases else None
    previous = f"v{last.version}" if last else None
    base = last.key if last else (_git.parse_version(current["version"]) or (0, 0, 0))
    version, requested = _target(bump, base, previous)
    if _git.tag_exists(root, f"v{version}"):
        raise ReleaseRefused(f"tag v{version} already exists")

    try:
        check = build(root, check=True)
    except KermanWarningError as error:
        raise ReleaseRefused(f"the package does not build: {error}") from None
    stale = check.changed
    if stale:
        raise ReleaseRefused(
            f"derived files are stale ({_some(stale)}): run `kerman-warning build`, "
            "then commit them"
        )
    _check_valid(root, rules)

    required: Level | None = None
    if previous is not None:
        # The release's commit, even if a folder of the same name sits in the current directory.
        assert last is not None
        changes = diff(last.commit, str(root), repo=root)
        required = changes.bump
        if rank(requested) < rank(required):
            worst = next(c for c in changes.changes if c.level == required)
            where = ".".join(part for part in (worst.resource, worst.field) if part)
            raise ReleaseRefused(
                f"a {requested} release is too small: the changes since {previous} require "
                f"{required} (e.g. {where + ': ' if where else ''}{worst.detail}); "
                f"see `kerman-warning diff {previous} .`"
            )

    # --- writes: each file replaced atomically; on any failure, every touched file restored ---
    package = open_package(root)
    touched = [CHANGELOG, CITATION, str(version_file.relative_to(root))]
    touched += [path for path in check.unchanged if path not in touched]  # every derived file
    saved = {path: _snapshot(root / path) for path in touched}
    try:
        write_atomic(root / CHANGELOG, _changelog(changelog, version, day, previous).encode())
        write_atomic(version_file, _version_source(version_source, version).encode())
        write_atomic(root / DESCRIPTOR, json_bytes(_descriptor(package.descriptor, version, day)))
        write_atomic(root / CITATION, _citation(citation, version, day).encode())
        build(root)
        updated = [path for path in touched if _snapshot(root / path) != saved[path]]
        artifacts = _artifacts(root, package.descriptor.get("name") or "package", version, day)
    except BaseException:
        for path, data in saved.items():
            _restore(root / path, data)
        raise

    message = f"Release {version}"
    commands = [
        ["git", "add", "--", *updated],
        ["git", "commit", "-m", message],
        ["git", "tag", "-a", f"v{version}", "-m", f"{package.descriptor.get('name')} {version}"],
    ]
    if commit:
        for command in commands:
            _git.run(root, *command[1:])
    return Release(
        version=version,
        date=day.isoformat(),
        previous=previous,
        requested=requested,
        required=required,
        root=root,
        updated=updated,
        artifacts=artifacts,
        commands=commands,
        committed=commit,
    )


# --- checks ----------------------------------------------------------------------------------


def _some(paths: list[str], shown: int = 3) -> str:
    """The first few paths, and how many more: a reason stays one readable line."""
    more = len(paths) - shown
    return ", ".join(paths[:shown]) + (f" and {more} more" if more > 0 else "")


def _release_date(text: str | None) -> dt.date:
    if text is None:
        return dt.datetime.now(dt.UTC).date()
    if not _DATE.match(text):
        raise PackageError(f"--date {text!r}: write the release date as YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PackageError(f"--date {text!r}: not a calendar date") from None


def _read_text(path: Path, name: str) -> str:
    if not path.exists():
        raise ReleaseRefused(f"{name} is missing")
    try:
        return read_bounded(path, MAX_TEXT_BYTES, "MAX_TEXT_BYTES").decode("utf-8")
    except UnicodeDecodeError as error:
        raise PackageError(f"{name}: not UTF-8 (byte {error.start})") from None


def _version_file(root: Path) -> str:
    """The file hatchling reads the version from (pyproject `[tool.hatch.version] path`)."""
    try:
        with (root / "pyproject.toml").open("rb") as handle:
            pyproject = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return DEFAULT_VERSION_FILE
    path = pyproject.get("tool", {}).get("hatch", {}).get("version", {}).get("path")
    return path if isinstance(path, str) else DEFAULT_VERSION_FILE


def _unreleased_span(text: str) -> tuple[int, int, int]:
    """(start of the heading, start of its notes, end of its notes) of `## [Unreleased]`."""
    heading = _UNRELEASED.search(text)
    if heading is None:
        raise ReleaseRefused("CHANGELOG.md has no `## [Unreleased]` section")
    body = heading.end() + 1 if text[heading.end() : heading.end() + 1] == "\n" else heading.end()
    following = _LEVEL2.search(text, body)
    end = following.start() if following else len(text)
    # Link references (`[1.0.0]: https://...`) at the bottom are not notes.
    lines = text[body:end].splitlines(keepends=True)
    while lines and (not lines[-1].strip() or _LINK.match(lines[-1])):
        end -= len(lines.pop())
    return heading.start(), body, end


def _is_entry(line: str) -> bool:
    text = line.strip()
    return bool(text) and not text.startswith("#") and not text.startswith("<!--")


def _unreleased_notes(text: str) -> str:
    """The notes under `## [Unreleased]`, without empty `###` subsections; refused if none."""
    _, body, end = _unreleased_span(text)
    kept: list[str] = []
    pending: list[str] = []  # a `###` heading waiting for its first entry
    for line in text[body:end].strip("\n").splitlines():
        if line.startswith("### "):
            pending = [line]
        elif _is_entry(line):
            if pending:
                if kept:
                    kept.append("")
                kept += [*pending, ""]
                pending = []
            kept.append(line)
        elif kept and not pending:
            kept.append(line)
    notes = "\n".join(kept).strip("\n")
    if not notes:
        raise ReleaseRefused(
            "CHANGELOG.md has no entry under [Unreleased]: say what changed in this release"
        )
    return notes


def _target(bump: str, base: tuple[int, int, int], previous: str | None) -> tuple[str, Level]:
    """The new version and the level of the bump it makes over `base`."""
    named: dict[str, Level] = {"major": "major", "minor": "minor", "patch": "patch"}
    if bump in named:
        return bumped(base, named[bump]), named[bump]
    explicit = _git.parse_version(bump)
    if explicit is None:
        raise PackageError(f"bump {bump!r}: say major, minor, patch or a version X.Y.Z")
    if explicit <= base:
        after = previous or "the current version " + ".".join(map(str, base))
        raise ReleaseRefused(f"{bump} is not above {after}")
    version = ".".join(map(str, explicit))  # `v1.2.3` is accepted as 1.2.3
    if explicit[0] > base[0]:
        return version, "major"
    if explicit[1] > base[1]:
        return version, "minor"
    return version, "patch"


def _check_valid(root: Path, rules: str) -> None:
    """Refuse unless `kerman_warning.validate.validate(root, rules=rules)` reports no error."""
    try:
        module = importlib.import_module(f"{__package__}.validate")
    except ModuleNotFoundError as error:
        if error.name != f"{__package__}.validate":
            raise
        raise ReleaseRefused(
            "cannot check that the package validates: kerman_warning.validate is missing"
        ) from None
    try:
        report: Any = module.validate(root, rules=rules)
    except PackageError as error:  # the `validate` extra is not installed
        raise ReleaseRefused(f"cannot check that the package validates: {error}") from None
    if int(report.exit_code) == 0:
        return
    raise ReleaseRefused(
        f"the package does not validate ({_first_problem(report)}); "
        "run `kerman-warning validate` for the whole report"
    )


def _first_problem(report: Any) -> str:
    """The count and the first error of a validation report, on one line."""
    errors = [p for p in getattr(report, "problems", []) if getattr(p, "severity", "") == "error"]
    if errors:
        first = errors[0]
        place = ":".join(str(x) for x in (first.file or first.resource, first.row) if x)
        field = f" [{first.field}]" if first.field else ""
        count = int(getattr(report, "errors", len(errors)))
        more = f"; {count - 1} more error{'s' if count > 2 else ''}" if count > 1 else ""
        return f"{place}{field} {first.rule}: {first.message}{more}"
    # A report without listed errors: its first lines that say something.
    lines = [line.strip() for line in str(report.render(format="text")).splitlines()]
    said = [line for line in lines if line and not line.startswith("kerman-warning validate")]
    return said[0] if said else f"exit code {report.exit_code}"


# --- rewriting the hand-edited files ---------------------------------------------------------


def _changelog(text: str, version: str, day: dt.date, previous: str | None) -> str:
    """The changelog with the Unreleased notes moved under `## [version] - day`."""
    notes = _unreleased_notes(text)
    heading, body, end = _unreleased_span(text)
    rest = text[end:].lstrip("\n")
    head = text[:heading] + text[heading:body].rstrip("\n") + "\n\n"
    section = f"## [{version}] - {day.isoformat()}\n\n{notes}\n"
    out = head + section + ("\n" + rest if rest else "")
    link = _COMPARE.search(out)
    if link is not None:
        base = link["base"]
        lines = [
            f"[Unreleased]: {base}/compare/v{version}...HEAD",
            f"[{version}]: {base}/compare/{link['start']}...v{version}"
            if previous is not None
            else f"[{version}]: {base}/releases/tag/v{version}",
        ]
        out = out[: link.start()] + "\n".join(lines) + out[link.end() :]
    return out


def _version_source(text: str, version: str) -> str:
    return _VERSION_LINE.sub(f'__version__ = "{version}"', text, count=1)


def _descriptor(descriptor: dict[str, Any], version: str, day: dt.date) -> dict[str, Any]:
    """The descriptor with `version` and `created` (RFC 3339, the release day at 00:00 UTC)."""
    created = f"{day.isoformat()}T00:00:00Z"
    out: dict[str, Any] = {}
    for key, value in descriptor.items():
        if key == "created":
            continue
        out[key] = version if key == "version" else value
        if key == "version":
            out["created"] = created
    out.setdefault("version", version)
    out.setdefault("created", created)
    return out


def _citation(text: str, version: str, day: dt.date) -> str:
    """CITATION.cff with its top-level `version` and `date-released` set."""
    lines = text.splitlines()
    values = {"version": f'"{version}"', "date-released": f'"{day.isoformat()}"'}
    for key, value in values.items():
        found = [i for i, line in enumerate(lines) if re.match(rf"^{key}\s*:", line)]
        if found:
            lines[found[0]] = f"{key}: {value}"
            continue
        after = [i for i, line in enumerate(lines) if re.match(r"^version\s*:", line)]
        lines.insert(after[0] + 1 if after else len(lines), f"{key}: {value}")
    return "\n".join(lines) + "\n"


def _snapshot(path: Path) -> bytes | None:
    """The bytes of a file release may rewrite (bounded like every read), None if absent."""
    return read_bounded(path, MAX_FILE_BYTES, "MAX_FILE_BYTES") if path.is_file() else None


def _restore(path: Path, data: bytes | None) -> None:
    if data is None:
        path.unlink(missing_ok=True)
    elif _snapshot(path) != data:
        write_atomic(path, data)


# --- artifacts -------------------------------------------------------------------------------


def _artifacts(root: Path, name: str, version: str, day: dt.date) -> list[tuple[str, str]]:
    """Write the wheel, the sdist, the data package zip and SHA256SUMS into `root/dist`."""
    if importlib.util.find_spec("build") is None:
        raise PackageError("building the wheel needs `build`: pip install 'kerman-warning[dev]'")
    dist = root / "dist"
    epoch = calendar.timegm(day.timetuple())
    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="kerman-warning-release-") as scratch:
        environment = os.environ | {"SOURCE_DATE_EPOCH": str(epoch)}
        done = subprocess.run(
            [sys.executable, "-m", "build", "--no-isolation", "--outdir", scratch, str(root)],
            capture_output=True,
            text=True,
            check=False,
            env=environment,
        )
        if done.returncode != 0:
            detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise PackageError(f"python -m build failed: {detail}")
        for built in sorted(Path(scratch).iterdir()):
            files[built.name] = built.read_bytes()
    files[f"{name}-{version}-datapackage.zip"] = _package_zip(root, f"{name}-{version}", day)
    for filename, data in sorted(files.items()):
        write_atomic(dist / filename, data)
        (dist / filename).chmod(0o644)  # published files: readable by all, like `build` makes
    digests = [(filename, sha256(data)) for filename, data in sorted(files.items())]
    sums = "".join(f"{digest}  {filename}\n" for filename, digest in digests)
    write_atomic(dist / SUMS, sums.encode())
    (dist / SUMS).chmod(0o644)
    return digests


def _zip_members(root: Path) -> list[str]:
    members: list[str] = []
    for part in ZIP_PARTS:
        path = root / part
        if path.is_file():
            members.append(part)
        elif path.is_dir():
            for item in path.rglob("*"):
                relative = item.relative_to(root)
                hidden = any(p.startswith(".") or p == "__pycache__" for p in relative.parts)
                if item.is_file() and not hidden:
                    members.append(relative.as_posix())
    return sorted(set(members))


def _package_zip(root: Path, folder: str, day: dt.date) -> bytes:
    """The data package as a zip: sorted entries, fixed times and modes, one top folder."""
    import io

    sink = io.BytesIO()
    stamp = (day.year, day.month, day.day, 0, 0, 0)
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for member in _zip_members(root):
            info = zipfile.ZipInfo(f"{folder}/{member}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so that the modes below mean the same everywhere
            info.external_attr = 0o100644 << 16
            data = read_bounded(root / member, MAX_FILE_BYTES, "MAX_FILE_BYTES")
            archive.writestr(info, data, compresslevel=9)
    return sink.getvalue()
