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


TEXT_LIMIT = 1 << 20  # bytes: a hand-written page build reads (README, datasheet) is far smaller


def optional_text(path: Path, *, limit: int = TEXT_LIMIT) -> str | None:
    """The UTF-8 text of a regular file of at most `limit` bytes; None if there is no file."""
    from ._errors import PackageError

    if not path.exists():
        return None
    if not path.is_file():
        raise PackageError(f"{path}: not a regular file")
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise PackageError(f"{path}: larger than {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PackageError(f"{path}: not UTF-8 (byte {error.start})") from None


def json_bytes(value: Any) -> bytes:
    """The one JSON layout of every file this package writes: 2-space indent, UTF-8, final LF."""
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _stage(path: Path, data: bytes) -> Path:
    """Write `data` to a synced temporary file beside `path`, readable as a normal file is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        umask = os.umask(0)
        os.umask(umask)
        temporary.chmod(0o666 & ~umask)  # mkstemp makes 0600; a data file is for everyone
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def write_all(files: dict[Path, bytes]) -> None:
    """Replace several files, in order, so that a failure while writing leaves all as they were.

    Every file is staged first; only when all are on disk are they renamed into place, so
    what can fail (a full disk, a kill while writing) happens before any file changes.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            staged.append((_stage(path, data), path))
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, path in staged:
        temporary.replace(path)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace one file through a temporary file and a rename."""
    write_all({path: data})
