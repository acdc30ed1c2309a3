"""Open a release zip that may be hostile: bounded, contained, and always cleaned up.

A zip is judged twice. First from its central directory, before a byte is expanded: the number
of members, each name (a relative POSIX path inside the zip, no `..`, no hidden parts), each
kind (regular files and folders only, no symlinks), each declared size, the total, and each
member's compression ratio. Then again while streaming, since the central directory can lie:
every member is copied in chunks, counting what actually comes out, and stopped as soon as it
passes its declared size or a limit. The limits are in `_limits.py` (docs/limits.md).

Members are unpacked into a scratch folder that is removed when the block ends, however it ends;
a folder left behind by a killed process is removed by the next one (`scratch`).
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from . import _limits
from ._errors import PackageError

__all__ = ["extracted", "is_zip", "scratch"]

DESCRIPTOR = "datapackage.json"
_SCRATCH_PREFIX = "kerman-warning-"


def is_zip(path: Path) -> bool:
    """Whether `path` is a regular file that starts like a zip (a folder or FIFO is not)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return False
        with path.open("rb") as handle:
            return handle.read(4) == b"PK\x03\x04"
    except (OSError, ValueError):
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive, and not ours to clean
    return True


def _sweep(parent: Path) -> None:
    """Remove scratch folders left by our processes that were killed (their pid is gone)."""
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(_SCRATCH_PREFIX):
            continue
        pid = entry.name[len(_SCRATCH_PREFIX) :].split("-", 1)[0]
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if (
            pid.isdigit()
            and stat.S_ISDIR(info.st_mode)
            and info.st_uid == os.getuid()
            and not _alive(int(pid))
        ):
            shutil.rmtree(entry.path, ignore_errors=True)


@contextmanager
def scratch(purpose: str) -> Iterator[Path]:
    """A private temporary folder, named with our pid, removed when the block ends."""
    parent = Path(tempfile.gettempdir())
    _sweep(parent)
    with tempfile.TemporaryDirectory(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-{purpose}-") as name:
        yield Path(name)


def _member_path(name: str) -> PurePosixPath | None:
    """The relative path a member name stands for, None if it may not be unpacked."""
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        return None
    path = PurePosixPath(name)
    if any(part in ("..", ".") or part.startswith(".") for part in path.parts):
        return None
    if path.parts and len(path.parts[0]) > 1 and path.parts[0][1] == ":":
        return None
    return path


def _too_compressed(size: int, compressed: int) -> bool:
    return size > _limits.ZIP_RATIO_FLOOR and size > _limits.ZIP_MAX_RATIO * max(compressed, 1)


def _check_directory(zip_path: Path, members: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip whose central directory already shows it is not a package we can open."""
    if len(members) > _limits.ZIP_MAX_MEMBERS:
        raise PackageError(
            f"{zip_path}: {len(members)} members, more than the limit of "
            f"{_limits.ZIP_MAX_MEMBERS} (ZIP_MAX_MEMBERS)"
        )
    seen: set[PurePosixPath] = set()
    total = 0
    for info in members:
        path = _member_path(info.filename)
        if path is None:
            raise PackageError(f"{zip_path}: member {info.filename!r} is not a safe relative path")
        if path in seen:
            raise PackageError(f"{zip_path}: member {info.filename!r} appears twice")
        seen.add(path)
        mode = info.external_attr >> 16
        if mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise PackageError(
                f"{zip_path}: member {info.filename!r} is not a regular file or folder"
            )
        if info.file_size > _limits.ZIP_MAX_MEMBER_BYTES:
            raise PackageError(
                f"{zip_path}: member {info.filename!r} expands to {info.file_size} bytes, more "
                f"than the limit of {_limits.ZIP_MAX_MEMBER_BYTES} (ZIP_MAX_MEMBER_BYTES)"
            )
        if _too_compressed(info.file_size, info.compress_size):
            raise PackageError(
                f"{zip_path}: member {info.filename!r} is compressed more than "
                f"{_limits.ZIP_MAX_RATIO}:1 (ZIP_MAX_RATIO)"
            )
        total += info.file_size
        if total > _limits.ZIP_MAX_TOTAL_BYTES:
            raise PackageError(
                f"{zip_path}: members expand to more than the limit of "
                f"{_limits.ZIP_MAX_TOTAL_BYTES} bytes (ZIP_MAX_TOTAL_BYTES)"
            )


def _stream(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, zip_path: Path) -> int:
    """Copy one member to `target`, counting real bytes against its header and the limits."""
    written = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with archive.open(info) as source, os.fdopen(os.open(target, flags, 0o600), "wb") as out:
        while chunk := source.read(_limits.ZIP_CHUNK):
            written += len(chunk)
            if written > info.file_size or _too_compressed(written, info.compress_size):
                raise PackageError(
                    f"{zip_path}: member {info.filename!r} expands past its declared size "
                    f"{info.file_size} or the ratio limit {_limits.ZIP_MAX_RATIO}:1 "
                    "(ZIP_MAX_RATIO); the zip is damaged or hostile"
                )
            out.write(chunk)
    return written


@contextmanager
def extracted(zip_path: Path) -> Iterator[Path]:
    """The package folder inside the release zip at `zip_path`, unpacked for the block."""
    try:
        info = zip_path.stat()
    except OSError as error:
        raise PackageError(f"{zip_path}: cannot read ({error.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise PackageError(f"{zip_path}: not a regular file")
    with scratch("zip") as folder:
        try:
            with zipfile.ZipFile(zip_path) as archive:
                members = archive.infolist()
                _check_directory(zip_path, members)
                for member in members:
                    relative = _member_path(member.filename)
                    assert relative is not None  # checked above
                    target = folder.joinpath(*relative.parts)
                    if member.is_dir():
                        target.mkdir(parents=True, exist_ok=True)
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    _stream(archive, member, target, zip_path)
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            NotImplementedError,
            EOFError,
            zlib.error,
        ) as error:
            raise PackageError(f"{zip_path}: not a readable zip ({error})") from None
        except OSError as error:
            raise PackageError(f"{zip_path}: cannot extract ({error.strerror or error})") from None
        found = sorted(folder.rglob(DESCRIPTOR), key=lambda p: (len(p.parts), str(p)))
        if not found:
            raise PackageError(f"{zip_path}: no {DESCRIPTOR} inside the zip")
        yield found[0].parent
