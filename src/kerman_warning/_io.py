"""Bytes in and out: hashing, canonical JSON, and writes that never leave a file half-written."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def json_bytes(value: Any) -> bytes:
    """The one JSON layout of every file this package writes: 2-space indent, UTF-8, final LF."""
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def stage(path: Path, data: bytes, *, mode: int | None = None) -> Path:
    """Write `data` to a synced temporary file beside `path` and return it, with `mode` (by
    default, the mode a new file gets: readable as a normal file is); renaming it is the
    caller's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        temporary.chmod(new_file_mode() if mode is None else mode)  # mkstemp makes 0600
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def new_file_mode() -> int:
    """The mode `open()` would give a new file here (0666 less the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_all(files: dict[Path, bytes]) -> None:
    """Replace several files, in order, so that a failure while writing leaves all as they were.

    Every file is staged first; only when all are on disk are they renamed into place, so
    what can fail (a full disk, a kill while writing) happens before any file changes.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            staged.append((stage(path, data), path))
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, path in staged:
        temporary.replace(path)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace one file through a temporary file and a rename."""
    write_all({path: data})


def read_bounded(path: Path, limit: int, limit_name: str) -> bytes:
    """The bytes of the regular file `path`, refused if it is anything else or over `limit`.

    The file is opened once and checked through its descriptor, so what is checked is what is
    read; at most `limit + 1` bytes are ever read, whatever its size claims (limits.md).
    """
    import stat

    from ._errors import PackageError

    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)  # a FIFO must not block the open
    try:
        handle = os.open(path, flags)
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise PackageError(f"{path}: cannot read ({reason})") from None
    with os.fdopen(handle, "rb") as source:
        info = os.fstat(source.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise PackageError(f"{path}: not a regular file")
        if info.st_size > limit:
            raise PackageError(
                f"{path}: {info.st_size} bytes, more than the limit of {limit} ({limit_name})"
            )
        want = info.st_size + 1  # never a buffer of `limit` bytes for a small file
        data = source.read(want)
        if len(data) == want:  # it grew since fstat: read on, up to the limit
            data += source.read(limit + 1 - len(data))
    if len(data) > limit:
        raise PackageError(f"{path}: more than the limit of {limit} bytes ({limit_name})")
    return data
