"""Write one resource for users of other tools: CSV, JSON Lines, JSON or Parquet; or the text.

The data written is checked first: a table comes through `load()` (the Parquet copy must match
its hash and its CSV, see `_catalogue`), a Parquet copy is copied only after the same checks,
and the article is `kerman_warning.text()` (checked against its SHA-256).

Writing to a file is careful (`write_output`): an existing file is replaced only with
`force=True`, and only if it is a regular file (never a FIFO, a device, a folder or a symlink);
the replaced file's mode is kept; the parent folder must already exist; the data goes to a
temporary file beside the target, synced, then renamed over it, and the temporary file is
removed on every path that does not rename it.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from . import _limits
from ._errors import PackageError

if TYPE_CHECKING:
    import pyarrow as pa

    from ._package import Package, PathLike

__all__ = ["FORMATS", "check_output", "export", "render", "write_output"]

FORMATS = ("csv", "jsonl", "json", "parquet")


def _plain(table: pa.Table) -> pa.Table:
    """Dictionary columns decoded to their values: a CSV or JSON reader sees plain strings."""
    import pyarrow as pa

    columns = [
        c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in table.columns
    ]
    return pa.table(columns, names=table.column_names)


def _jsonl(table: pa.Table) -> bytes:
    lines = (
        json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in _plain(table).to_pylist()
    )
    return "".join(lines).encode("utf-8")


def render(package: Package, name: str, format: str | None) -> bytes:
    """The bytes `export` writes for resource `name` of `package` in `format`."""
    from ._catalogue import parquet_bytes, source_bytes
    from .load import _load

    resource = package.resource(name)
    if resource.get("type") != "table":
        if format is not None:
            raise PackageError(
                f"{name!r} is not a table ({resource.get('mediatype', 'no mediatype')}): "
                f"`kerman-warning export {name}` writes it as it is, without --format; "
                "in Python, use kerman_warning.text()"
            )
        return source_bytes(package, name)
    if format in (None, "csv"):
        return source_bytes(package, name)  # the published CSV itself, in primary-key order
    if format == "parquet":
        return parquet_bytes(package, name)
    table = _load(package, name, None, "parquet")
    if format == "jsonl":
        return _jsonl(table)
    if format == "json":
        rows = _plain(table).to_pylist()
        return (json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n").encode()
    raise PackageError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")


def export(
    name: str,
    *,
    output: str = "-",
    format: str | None = None,
    path: PathLike | None = None,
    force: bool = False,
) -> None:
    """Write resource `name` to `output` (`-`: standard output) in `format` (default csv)."""
    from ._locate import package_at

    if format == "parquet" and output == "-":
        raise PackageError("Parquet is binary: give --output a file name, not -")
    with package_at(path) as package:
        data = render(package, name, format)
    if len(data) > _limits.MAX_EXPORT_BYTES:
        raise PackageError(
            f"{name}: {len(data)} bytes, more than the limit of {_limits.MAX_EXPORT_BYTES} "
            "(MAX_EXPORT_BYTES)"
        )
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_output(output, data, force=force)


def check_output(output: str, *, force: bool = False) -> int:
    """Refuse an `output` that `write_output` must not write; else the mode the file will have
    (the mode of the file it replaces, or a new file's)."""
    from ._io import new_file_mode

    if not output or "\x00" in output:
        raise PackageError(f"--output {output!r}: not a file name")
    target = Path(output)
    if output.endswith(("/", os.sep)) or target.name in ("", ".", ".."):
        raise PackageError(f"{output}: names a folder; give a file name")
    parent = target.parent
    if not parent.is_dir():
        raise PackageError(f"{output}: the folder {parent} does not exist; create it first")
    try:
        info = target.lstat()
    except FileNotFoundError:
        return new_file_mode()
    except OSError as error:
        raise PackageError(f"{output}: cannot inspect ({error.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise PackageError(f"{output}: exists and is {kind}; export replaces only files")
    if not force:
        raise PackageError(f"{output}: exists; pass --force to replace it")
    return stat.S_IMODE(info.st_mode)


def write_output(output: str, data: bytes, *, force: bool = False) -> None:
    """Write `data` to the file `output` safely (see the module docstring)."""
    from ._io import stage

    mode = check_output(output, force=force)
    target = Path(output)
    try:
        temporary = stage(target, data, mode=mode)
    except OSError as error:
        raise PackageError(f"{output}: cannot write ({error.strerror or error})") from None
    try:
        temporary.replace(target)
    except OSError as error:
        raise PackageError(f"{output}: cannot write ({error.strerror or error})") from None
    finally:
        temporary.unlink(missing_ok=True)  # a no-op once renamed
