"""Replace several files of the package as one: after a failure or a kill, either every old
file or every new one is in place, never a mix.

`replace_all` writes every new file into a staging folder of its own (`.kerman-warning-build/`
at the top of the package), keeps a hard link to every file it will replace, and writes a
journal naming them, each synced to disk. Only then does it rename the new files into place,
one by one. A failure while renaming undoes the renames at once; a kill (or a power cut)
leaves the journal behind, and `recover`, which the next `build` runs first, undoes them
then. Either way the staging folder goes, so no temporary file outlives its build. Undoing
is idempotent: a kill while undoing is undone by the next `recover` in turn.

`step_hook` lets a test fail or kill the process at every step by name; it is None otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ._errors import PackageError
from ._limits import MAX_JOURNAL_BYTES
from ._package import resolve_in

__all__ = ["STAGING", "locked", "pending", "recover", "remove_stale", "replace_all"]

STAGING = ".kerman-warning-build"  # hidden, so never a resource path (see unsafe_reason)
JOURNAL = "journal.json"
# What `_io.write_atomic` leaves beside a file when killed while staging it (mkstemp's names).
_STALE = r"\.{name}\.[a-z0-9_]{{8}}\.tmp"

step_hook: Callable[[str], None] | None = None


def _step(name: str) -> None:
    if step_hook is not None:
        step_hook(name)


def replace_all(root: Path, files: dict[str, bytes]) -> None:
    """Put `files` (relative path: bytes, renamed in this order) into the package at `root`.

    Raises PackageError, with every file as it was, if any of them cannot be written.
    """
    root = root.resolve()
    targets = {relative: _writable(root, relative) for relative in files}
    if not files:
        return
    staging = _fresh_staging(root)
    entries: list[dict[str, Any]] = []
    relative = ""
    try:
        for index, (relative, data) in enumerate(files.items()):
            _step(f"stage {relative}")
            write_synced(staging / f"new-{index}", data)
            existed = os.path.lexists(targets[relative])
            if existed:
                _step(f"keep {relative}")
                _keep(targets[relative], staging / f"old-{index}")
            entries.append({"path": relative, "existed": existed})
        folders = _missing_folders(root, targets.values())
        _step("journal")
        journal = {"files": entries, "folders": folders}
        write_synced(staging / f"{JOURNAL}.new", json.dumps(journal).encode("utf-8"))
        (staging / f"{JOURNAL}.new").replace(staging / JOURNAL)
        _sync_folder(staging)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):
            message = f"cannot stage {relative} ({_reason(error)}); nothing changed"
            raise PackageError(message) from error
        raise
    try:
        for relative in folders:
            _step(f"mkdir {relative}")
            (root / relative).mkdir()
        for index, relative in enumerate(files):
            _step(f"rename {relative}")
            (staging / f"new-{index}").replace(targets[relative])
        for folder_path in sorted({target.parent for target in targets.values()}):
            _sync_folder(folder_path)
        _step("commit")
        (staging / JOURNAL).unlink()
    except BaseException as error:
        try:
            _undo(root, staging, entries, folders)
        except BaseException:
            raise PackageError(
                f"cannot write {relative} ({_reason(error)}), nor put the old files back; "
                "run `kerman-warning build` again to finish undoing it"
            ) from error
        if isinstance(error, OSError):
            message = f"cannot write {relative} ({_reason(error)}); nothing changed"
            raise PackageError(message) from error
        raise
    _step("clean")
    shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the package for one build at a time (an exclusive lock on its folder, released when
    the process ends however it ends), so that one build never undoes another's journal."""
    import fcntl

    handle = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PackageError(f"{root}: another build of this package is running") from None
        yield
    finally:
        os.close(handle)


def pending(root: Path) -> bool:
    """Whether a build of the package at `root` was interrupted while renaming its files."""
    return os.path.lexists(root.resolve() / STAGING / JOURNAL)


def recover(root: Path) -> bool:
    """Undo a build that was interrupted (its journal is there) and remove what it staged.

    Returns whether there was anything to undo or remove.
    """
    root = root.resolve()
    staging = root / STAGING
    if not os.path.lexists(staging):
        return False
    if staging.is_symlink() or not staging.is_dir():
        raise PackageError(f"{STAGING} is not a folder that build made; remove it")
    journal = staging / JOURNAL
    if os.path.lexists(journal):
        entries, folders = _read_journal(root, journal)
        _undo(root, staging, entries, folders)
    else:  # killed while staging: nothing was renamed yet
        shutil.rmtree(staging)
    return True


def remove_stale(root: Path, relatives: Iterable[str]) -> None:
    """Remove the temporary files a killed single-file write left beside any of `relatives`."""
    for relative in relatives:
        target = resolve_in(root, relative, what="derived file", existing=False)
        if not target.parent.is_dir():
            continue
        stale = re.compile(_STALE.format(name=re.escape(target.name)))
        for entry in target.parent.iterdir():
            if stale.fullmatch(entry.name) and not entry.is_dir():
                entry.unlink(missing_ok=True)


def write_synced(path: Path, data: bytes) -> None:
    """Create `path` (never through a link), holding `data`, on disk before this returns."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _writable(root: Path, relative: str) -> Path:
    target = resolve_in(root, relative, what="derived file", existing=False)
    if os.path.lexists(target) and not target.is_symlink() and not target.is_file():
        raise PackageError(
            f"{relative} is not a regular file (a folder, a FIFO or a device); "
            "move it away and build again; nothing changed"
        )
    return target


def _fresh_staging(root: Path) -> Path:
    staging = root / STAGING
    try:
        staging.mkdir()
    except FileExistsError:
        raise PackageError(f"{STAGING} is in the way; another build is running?") from None
    except OSError as error:
        raise PackageError(f"cannot create {STAGING} ({_reason(error)})") from None
    return staging


def _keep(target: Path, old: Path) -> None:
    """Keep the file at `target` as `old`: a second name for it, or else a synced copy."""
    try:
        os.link(target, old, follow_symlinks=False)
    except OSError:  # a file system without hard links
        shutil.copy2(target, old, follow_symlinks=False)
        if not old.is_symlink():
            with old.open("rb+") as handle:
                os.fsync(handle.fileno())


def _missing_folders(root: Path, targets: Iterable[Path]) -> list[str]:
    """The folders to create for `targets`, as relative paths, each after its parent."""
    missing: set[Path] = set()
    for target in targets:
        folder = target.parent
        while folder != root and not os.path.lexists(folder):
            missing.add(folder)
            folder = folder.parent
    ordered = sorted(missing, key=lambda folder: len(folder.parts))
    return [folder.relative_to(root).as_posix() for folder in ordered]


def _undo(root: Path, staging: Path, entries: list[dict[str, Any]], folders: list[str]) -> None:
    """Put every old file back and remove every new one; safe to run again if interrupted."""
    targets = [_entry(root, entry["path"]) for entry in entries]
    for index in reversed(range(len(entries))):
        target, old = targets[index], staging / f"old-{index}"
        _step(f"undo {entries[index]['path']}")
        if os.path.lexists(old):
            old.replace(target)
        elif not entries[index]["existed"] and not os.path.lexists(staging / f"new-{index}"):
            target.unlink(missing_ok=True)  # the new file, renamed to where nothing was
    for folder in reversed(folders):
        with contextlib.suppress(OSError):  # not empty (someone else's file), or gone: leave it
            _entry(root, folder).rmdir()
    for folder_path in sorted({target.parent for target in targets}):
        _sync_folder(folder_path, strict=False)
    _step("forget")
    (staging / JOURNAL).unlink(missing_ok=True)
    _sync_folder(staging, strict=False)
    shutil.rmtree(staging, ignore_errors=True)


def _read_journal(root: Path, journal: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The entries and folders of a journal, each path checked like any other."""
    refused = PackageError(f"{STAGING}/{JOURNAL} is not a journal build wrote; remove {STAGING}")
    if journal.is_symlink() or not journal.is_file():
        raise refused
    if journal.stat().st_size > MAX_JOURNAL_BYTES:
        raise refused
    try:
        value = json.loads(journal.read_bytes())
        entries, folders = value["files"], value["folders"]
        valid = all(isinstance(e["path"], str) and isinstance(e["existed"], bool) for e in entries)
        valid = valid and all(isinstance(f, str) for f in folders)
    except (ValueError, TypeError, KeyError, RecursionError):
        raise refused from None
    if not (valid and isinstance(entries, list) and isinstance(folders, list)):
        raise refused
    for relative in [e["path"] for e in entries] + folders:
        _entry(root, relative)
    return entries, folders


def _entry(root: Path, relative: str) -> Path:
    return resolve_in(root, relative, what="journal entry", existing=False)


def _sync_folder(folder: Path, *, strict: bool = True) -> None:
    """Make the renames in `folder` durable; when undoing, a folder that cannot sync is left."""
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
    except OSError:
        if strict:
            raise


def _reason(error: BaseException) -> str:
    return str(error.strerror if isinstance(error, OSError) and error.strerror else error)
