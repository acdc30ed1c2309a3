"""Opening another copy of the package: resource paths that could leave its folder are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kerman_warning as kw
from kerman_warning._package import contained, name_reason, open_package, unsafe_reason


def _point_events_at(package: Path, path: str) -> None:
    descriptor_path = package / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if resource["name"] == "events":
            resource["parquet"]["path"] = path
    descriptor_path.write_text(json.dumps(descriptor), encoding="utf-8")


def test_another_copy_loads_like_the_shipped_one(package_copy: Path) -> None:
    assert kw.load("events", path=package_copy).equals(kw.load("events"))
    assert kw.load("events", path=package_copy / "datapackage.json").num_rows > 0


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/etc/passwd", "absolute"),
        ("../outside.parquet", r"'\.\.'"),
        ("data/../../outside.parquet", r"'\.\.'"),
        ("https://example.org/events.parquet", "URL"),
        ("file:///etc/passwd", "URL"),
        ("FILE:data/x", "URL"),
        (".hidden/events.parquet", "hidden"),
        ("data\\parquet\\events.parquet", "not POSIX"),
        ("C:/data/events.parquet", "absolute"),
        ("data/parquet/missing.parquet", "does not exist"),
        ("data/parquet/events\x00.parquet", "holds a NUL"),
        ("data/parquet/\ud800.parquet", "lone surrogate"),
        ("data/\x1b[2J.parquet", "not printable"),
        ("data/" + "x" * 2000, "longer than 1024"),
        ("data", "is not a regular file"),
    ],
)
def test_unsafe_paths_are_refused(package_copy: Path, path: str, reason: str) -> None:
    _point_events_at(package_copy, path)
    with pytest.raises(kw.PackageError, match=reason):
        kw.load("events", path=package_copy)


def test_a_symlink_out_of_the_folder_is_refused(package_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.parquet"
    outside.write_bytes((package_copy / "data/parquet/events.parquet").read_bytes())
    (package_copy / "data/parquet/link.parquet").symlink_to(outside)
    _point_events_at(package_copy, "data/parquet/link.parquet")
    with pytest.raises(kw.PackageError, match="resolves outside the package"):
        kw.load("events", path=package_copy)


def test_a_folder_without_a_descriptor_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(kw.PackageError, match="no data package here"):
        kw.load("events", path=tmp_path)


def test_a_descriptor_that_is_not_json_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "datapackage.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(kw.PackageError, match="not valid JSON"):
        kw.resource_names(path=tmp_path)


@given(st.lists(st.sampled_from([*"ab./\\:~%", "..", "file:", "://"]), max_size=12).map("".join))
def test_no_accepted_path_string_can_climb_out(path: str) -> None:
    """Whatever the string, an accepted path resolves inside the package folder."""
    if unsafe_reason(path) is None:
        root = Path("/pkg/root")
        assert (root / path).resolve().is_relative_to(root)


@given(st.lists(st.sampled_from(["data", "x", "..", ".git", "a.csv"]), min_size=1, max_size=5))
def test_any_dotdot_or_hidden_part_is_refused(parts: list[str]) -> None:
    path = "/".join(parts)
    if any(part == ".." or part.startswith(".") for part in parts):
        assert unsafe_reason(path) is not None
    else:
        assert unsafe_reason(path) is None


def test_open_package_accepts_the_folder_or_the_descriptor(package_copy: Path) -> None:
    assert open_package(package_copy).root == open_package(package_copy / "datapackage.json").root


def test_a_symlink_loop_is_a_clear_error(package_copy: Path) -> None:
    loop = package_copy / "data/parquet/loop.parquet"
    loop.symlink_to(loop)
    _point_events_at(package_copy, "data/parquet/loop.parquet")
    with pytest.raises(kw.PackageError, match=r"cannot be followed|does not exist"):
        kw.load("events", path=package_copy)


@given(st.text(max_size=80))
def test_an_accepted_name_is_one_plain_file_name_part(name: str) -> None:
    """Whatever the text, an accepted name, with a suffix, names a file inside its folder."""
    if name_reason(name) is None:
        assert unsafe_reason(f"data/parquet/{name}.parquet") is None
        assert not name.startswith((".", "-")) and "/" not in name and name.isascii()
        root = Path("/pkg/root")
        assert (
            contained(root, f"data/parquet/{name}.parquet", existing=False).parent
            == root / "data/parquet"
        )
