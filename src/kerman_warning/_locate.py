"""Which package a command or a library call works on: one rule for the CLI and the library.

- A path that is named wins: a package folder, its `datapackage.json`, or a release zip (which
  is opened under the zip limits of `_zip.py` and removed when the block ends).
- With no path: the package this library ships, that is the copy inside the installed wheel,
  or, in a source checkout (`pip install -e .`, `make`), that checkout.
- The current folder is never used unless named (`--package .`): a `datapackage.json` that
  happens to be there may belong to another project.

Commands that write (`build`, `release`) also refuse a package whose descriptor is not named
`kerman-warning`, unless told explicitly (`--any-package`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ._errors import PackageError
from ._package import DESCRIPTOR, Package, PathLike, default_root, open_package
from ._zip import extracted, is_zip

__all__ = ["THIS_PACKAGE", "package_at", "require_this_package", "root_at"]

THIS_PACKAGE = "kerman-warning"


def _checked(path: PathLike) -> Path:
    text = str(path)
    if "\x00" in text:
        raise PackageError(f"{text!r}: a path may not contain a NUL character")
    return Path(text)


@contextmanager
def root_at(path: PathLike | None = None) -> Iterator[Path]:
    """Where the package `path` names lives (a release zip: its scratch copy), unread.

    `validate` starts here: it reads the descriptor itself, so that a broken one is a report,
    not an error line.
    """
    if path is None:
        yield default_root()
        return
    where = _checked(path)
    if where.name != DESCRIPTOR and is_zip(where):
        with extracted(where) as root:
            yield root
        return
    if where.name != DESCRIPTOR and where.exists() and not where.is_dir():
        raise PackageError(
            f"{where}: neither a package folder, its {DESCRIPTOR}, nor a release zip"
        )
    yield where


@contextmanager
def package_at(path: PathLike | None = None) -> Iterator[Package]:
    """The package `path` names (folder, descriptor or release zip), or the shipped one."""
    if path is None:
        yield open_package(None)
        return
    with root_at(path) as root:
        yield open_package(root)


def require_this_package(package: Package, *, any_package: bool = False) -> None:
    """Refuse to write into a package that is not kerman-warning unless told explicitly."""
    name = package.descriptor.get("name")
    if name != THIS_PACKAGE and not any_package:
        raise PackageError(
            f"{package.root / DESCRIPTOR}: package {name!r} is not {THIS_PACKAGE}; "
            "pass --any-package to write into it anyway"
        )
