"""Find a copy of the data package, read its descriptor and resolve its paths safely."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from ._errors import PackageError

DESCRIPTOR = "datapackage.json"
_HERE = Path(__file__).resolve().parent

PathLike = str | os.PathLike[str]


def default_root() -> Path:
    """The package this library ships: inside the wheel, or the repository in a source checkout."""
    bundled = _HERE / "_data"
    if (bundled / DESCRIPTOR).is_file():
        return bundled
    return _HERE.parents[1]


def here_or_shipped(path: PathLike | None) -> Path:
    """The package a command works on: `path`, else the one in the current folder, else shipped.

    A maintainer in a checkout means that checkout, even when the library they run was
    installed from another one.
    """
    if path is not None:
        return Path(path)
    if (Path.cwd() / DESCRIPTOR).is_file():
        return Path.cwd()
    return default_root()


def is_installed_copy(root: Path) -> bool:
    """Whether `root` is the copy inside an installed wheel, which nothing may rewrite."""
    return root.resolve() == (_HERE / "_data").resolve()


def unsafe_reason(path: object) -> str | None:
    """Why a resource path may not be opened, judged on the string alone (None if it may)."""
    if not isinstance(path, str) or not path:
        return "is not a non-empty string"
    if "://" in path or path.lower().startswith("file:"):
        return "is a URL; only relative paths inside the package are read"
    if "\\" in path or path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        return "is absolute or not POSIX; use a relative path like data/x.csv"
    parts = PurePosixPath(path).parts
    if ".." in parts:
        return "leaves the package folder through '..'"
    if any(part.startswith(".") for part in parts):
        return "goes through a hidden file or folder"
    return None


@dataclass(frozen=True)
class Package:
    """A data package on disk: its folder and its parsed descriptor."""

    root: Path
    descriptor: dict[str, Any]

    @property
    def resources(self) -> list[dict[str, Any]]:
        resources: list[dict[str, Any]] = self.descriptor.get("resources", [])
        return resources

    def table_names(self) -> list[str]:
        return [r["name"] for r in self.resources if r.get("type") == "table"]

    def resource(self, name: str) -> dict[str, Any]:
        for resource in self.resources:
            if resource.get("name") == name:
                return resource
        import difflib

        names = [str(r.get("name", "?")) for r in self.resources]
        close = difflib.get_close_matches(str(name), names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(names)}"
        raise PackageError(f"no resource named {name!r} in {self.root / DESCRIPTOR}{hint}")

    def table(self, name: str) -> dict[str, Any]:
        resource = self.resource(name)
        if resource.get("type") != "table":
            raise PackageError(f"resource {name!r} is not a table (type {resource.get('type')!r})")
        return resource

    def resolve(self, relative: object, *, what: str = "path") -> Path:
        """The file a relative path names, refused if it could leave the package folder."""
        reason = unsafe_reason(relative)
        if reason is not None:
            raise PackageError(f"{DESCRIPTOR}: {what} {relative!r} {reason}")
        assert isinstance(relative, str)
        root = self.root.resolve()
        target = (root / relative).resolve()
        if not target.is_relative_to(root):
            raise PackageError(f"{DESCRIPTOR}: {what} {relative!r} resolves outside the package")
        if not target.is_file():
            raise PackageError(f"{DESCRIPTOR}: {what} {relative!r} does not exist")
        return target

    def schema(self, name: str) -> dict[str, Any]:
        """The Table Schema of a table resource, read from its path if it is not inline."""
        schema = self.table(name).get("schema")
        if isinstance(schema, dict):
            return schema
        return read_json(self.resolve(schema, what=f"schema of {name!r}"))

    def parquet_path(self, name: str) -> Path:
        block = self.table(name).get("parquet")
        if not isinstance(block, dict):
            raise PackageError(f"resource {name!r} has no Parquet copy; run `kerman-warning build`")
        return self.resolve(block.get("path"), what=f"Parquet copy of {name!r}")


def read_json(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            value = json.load(handle)
    except OSError as error:
        raise PackageError(f"{path}: cannot read ({error.strerror})") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise PackageError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise PackageError(f"{path}: expected a JSON object, found {type(value).__name__}")
    return value


def open_package(path: PathLike | None = None) -> Package:
    """The package at `path` (a folder or its datapackage.json), or the one shipped.

    The shipped package is read once per process; another copy is read afresh every time,
    since a maintainer may be editing it.
    """
    if path is None:
        return _shipped()
    root = Path(path)
    if root.name == DESCRIPTOR or root.is_file():
        root = root.parent
    return _open(root.resolve())


@cache
def _shipped() -> Package:
    return _open(default_root())


def _open(root: Path) -> Package:
    descriptor = root / DESCRIPTOR
    if not descriptor.is_file():
        raise PackageError(f"{descriptor}: no data package here")
    return Package(root, read_json(descriptor))
