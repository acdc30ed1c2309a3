"""Find a copy of the data package, read its descriptor and resolve its paths safely."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from ._errors import PackageError
from ._io import read_bounded
from ._limits import (
    MAX_FILE_BYTES,
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    MAX_TEXT_BYTES,
    NAME_MAX_CHARS,
    NAME_PATTERN,
    PATH_MAX_CHARS,
)

DESCRIPTOR = "datapackage.json"
_HERE = Path(__file__).resolve().parent

PathLike = str | os.PathLike[str]

_NAME = re.compile(NAME_PATTERN)  # a resource name becomes a file name: checked as a name


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


def name_reason(name: object) -> str | None:
    """Why a resource name may not be used to name files, judged as a name (None if it may)."""
    if not isinstance(name, str) or not name:
        return "is not a non-empty string"
    if len(name) > NAME_MAX_CHARS:
        return f"is longer than {NAME_MAX_CHARS} characters"
    if not _NAME.match(name):
        return f"is not a name: use lowercase letters, digits, '.', '_' and '-' ({NAME_PATTERN})"
    return None


def check_name(name: object, *, what: str = "resource name") -> str:
    """`name`, if it may name files; else a PackageError saying why."""
    reason = name_reason(name)
    if reason is not None:
        raise PackageError(f"{DESCRIPTOR}: {what} {_shown(name)} {reason}")
    assert isinstance(name, str)
    return name


def _shown(value: object) -> str:
    """A value in a one-line message: quoted, control characters escaped, long ones cut."""
    text = repr(value)  # repr escapes what is not printable: controls, bidi marks
    return text if len(text) <= 80 else text[:79] + "…"


def unsafe_reason(path: object) -> str | None:
    """Why a resource path may not be opened, judged on the string alone (None if it may)."""
    if not isinstance(path, str) or not path:
        return "is not a non-empty string"
    if len(path) > PATH_MAX_CHARS:
        return f"is longer than {PATH_MAX_CHARS} characters"
    if not path.isprintable():  # NUL, controls, bidi and other format marks, lone surrogates
        return "holds a NUL, a control or another character that is not printable"
    if "://" in path or path.lower().startswith("file:"):
        return "is a URL; only relative paths inside the package are read"
    if "\\" in path or path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        return "is absolute or not POSIX; use a relative path like data/x.csv"
    parts = PurePosixPath(path).parts
    if ".." in parts:
        return "leaves the package folder through '..'"
    if any(part.startswith(".") for part in parts):
        return "goes through a hidden file or folder"
    if path.startswith("~"):
        return "starts with ~, which a shell reads as a home folder"
    return None


class UnsafePath(PackageError):
    """A path the package names that may not be opened; `kind` says which check refused it."""

    def __init__(self, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.reason, self.kind = reason, kind  # kind: "unsafe", "outside" or "missing"


def contained(root: Path, relative: object, *, existing: bool = True) -> Path:
    """The one path-safety check of every file this package reads or writes: the place
    `relative` names inside `root`, or UnsafePath.

    Judged on the string first (`unsafe_reason`), then again with every symbolic link in it
    followed: it must lead to a place inside `root`. With `existing` (to read), it must be a
    regular file (never a FIFO or a device, which could block or never end), and the resolved
    path is returned. Without it (to write), the place may be empty, and the path is returned
    unresolved, so that a file renamed there replaces a link rather than what it points to.
    """
    reason = unsafe_reason(relative)
    if reason is not None:
        raise UnsafePath(reason, "unsafe")
    assert isinstance(relative, str)
    base = root.resolve()
    try:
        target = (base / relative).resolve()
    except (OSError, RuntimeError) as error:  # 3.11 raises RuntimeError on a symlink loop
        raise UnsafePath(f"cannot be followed ({error})", "unsafe") from None
    if not target.is_relative_to(base):
        raise UnsafePath("resolves outside the package", "outside")
    if not existing:
        return base / relative
    if not target.exists():
        raise UnsafePath("does not exist", "missing")
    if not target.is_file():
        raise UnsafePath("is not a regular file", "missing")
    return target


def read_contained(root: Path, relative: object, limit: int, limit_name: str) -> bytes:
    """The bytes of the regular file `relative` names inside `root` (`contained`), read only
    if it holds at most `limit` bytes; UnsafePath (kind "too-big" when it is larger)."""
    path = contained(root, relative)
    size = path.stat().st_size
    if size > limit:
        reason = f"is {size:,} bytes, over the limit of {limit:,} ({limit_name})"
        raise UnsafePath(reason, "too-big")
    try:
        return read_bounded(path, limit, limit_name)
    except PackageError as error:  # changed since it was checked
        raise UnsafePath(str(error).removeprefix(f"{path}: "), "too-big") from None


def optional_text(root: Path, relative: str, limit: int = MAX_TEXT_BYTES) -> str | None:
    """The UTF-8 text of the hand-written file `relative` (README, datasheet) inside `root`,
    through `read_contained`; None when there is no such file (a bare package folder)."""
    try:
        data = read_contained(root, relative, limit, "MAX_TEXT_BYTES")
    except UnsafePath as error:
        if error.kind == "missing" and not (root / relative).exists():
            return None
        raise PackageError(f"{relative} {error.reason}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PackageError(f"{relative}: not UTF-8 (byte {error.start})") from None


def resolve_in(root: Path, relative: object, *, what: str, existing: bool = True) -> Path:
    """`contained`, refusing with a one-line PackageError that names `what` the path is."""
    try:
        return contained(root, relative, existing=existing)
    except UnsafePath as error:
        raise PackageError(f"{what} {_shown(relative)} {error.reason}") from None


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
        return resolve_in(self.root, relative, what=f"{DESCRIPTOR}: {what}")

    def read(
        self,
        relative: object,
        *,
        what: str = "path",
        limit: tuple[int, str] = (MAX_FILE_BYTES, "MAX_FILE_BYTES"),
    ) -> bytes:
        """The bytes of the file a relative path names (`read_contained`: inside the package, a
        regular file, at most `limit`, a number and its name in docs/limits.md)."""
        try:
            return read_contained(self.root, relative, *limit)
        except UnsafePath as error:
            raise PackageError(f"{DESCRIPTOR}: {what} {_shown(relative)} {error.reason}") from None

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


class JsonError(PackageError):
    """A JSON file that breaks the reading policy; `line` is where, if known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.line = reason, line


def _no_constant(name: str) -> None:
    raise JsonError(f"holds {name}, which is not JSON; expected a number or null")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise JsonError(f"repeats the key {key!r} in one object; expected each key once")
        seen[key] = value
    return seen


_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])|(?<![0-9a-fA-F]{4})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _strict(value: Any, text: str) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH and lone surrogates, without recursion."""
    # A lone surrogate can only come from a \\uD800-\\uDFFF escape: strings are looked at
    # only if the text has one.
    surrogates = _SURROGATE_ESCAPE.search(text) is not None
    kinds = (dict, list, str) if surrogates else (dict, list)
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise JsonError(f"nests deeper than {MAX_JSON_DEPTH} levels (MAX_JSON_DEPTH)")
            children = list(item.values()) if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, kinds))
            strings = list(item) if isinstance(item, dict) else []
        elif isinstance(item, str):
            strings = [item]
        else:
            continue
        if surrogates and any(_is_lone(s) for s in strings):
            found = _LONE_SURROGATE.search(text)
            line = text.count("\n", 0, found.start()) + 1 if found else None
            raise JsonError(
                "holds a lone surrogate (\\ud800-\\udfff without its pair), which is not "
                "text; expected characters encoded as UTF-8",
                line,
            )


def _is_lone(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_json(data: bytes) -> dict[str, Any]:
    """The one JSON reading policy (descriptor, Table Schemas): UTF-8 without BOM, no NaN or
    Infinity, no key twice in an object, no lone surrogate, at most MAX_JSON_BYTES and
    MAX_JSON_DEPTH levels, an object at the top. Raises JsonError saying why."""
    if len(data) > MAX_JSON_BYTES:
        raise JsonError(
            f"is {len(data)} bytes, over the limit of {MAX_JSON_BYTES} (MAX_JSON_BYTES)"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        raise JsonError("starts with a byte order mark; save as UTF-8 without BOM", 1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise JsonError(f"is not UTF-8 ({error.reason})", line) from None
    try:
        value = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except JsonError:
        raise
    except RecursionError:
        raise JsonError(f"nests deeper than {MAX_JSON_DEPTH} levels (MAX_JSON_DEPTH)") from None
    except ValueError as error:
        where = error.lineno if isinstance(error, json.JSONDecodeError) else None
        raise JsonError(f"is not valid JSON: {error}", where) from None
    _strict(value, text)
    if not isinstance(value, dict):
        raise JsonError(f"holds a JSON {type(value).__name__}; expected an object")
    return value


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from a file, under `parse_json`'s policy; PackageError naming the file."""
    data = read_bounded(path, MAX_JSON_BYTES, "MAX_JSON_BYTES")  # regular, at most the limit
    try:
        return parse_json(data)
    except JsonError as error:
        where = path if error.line is None else f"{path}:{error.line}"
        raise JsonError(f"{where}: {error.reason}", error.line) from None


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
