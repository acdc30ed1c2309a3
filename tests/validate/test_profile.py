"""The official Data Package v2.0 profiles ship byte-identical, and each of their three known
defects is worked around (see kerman_warning.validate.profile)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from kerman_warning.validate import profile, validate

PACKAGES = Path(__file__).resolve().parents[1] / "packages"
# sha256 of the files in ../shared/reference/profiles/2.0/, as the specification publishes them
OFFICIAL = {
    "datapackage.json": "a9ef0fc168b3402ae7aa7d22bbcb798e0db6b639e7ee15ff4aa177463cea7112",
    "dataresource.json": "067d769b44b22178615620d37ac4e9f732cf0459c5540255cbba2480aa91c35a",
    "tabledialect.json": "54e884a84e499b9f63b2f04e8e8aa47f4f2257fdf94a71b9462f40ed19a1d3b3",
    "tableschema.json": "a67779642acc7f51031d2e881166d31ef8dd90cd8a92c9ff8821d7a8821d0490",
}


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_the_official_profiles_ship_unchanged(name: str) -> None:
    data = (profile.PROFILES / "2.0" / name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == OFFICIAL[name]
    assert name in profile.OFFICIAL


def official_errors(kind: profile.Kind, instance: object) -> list[str]:
    checker = profile.validator(kind, project=False)
    return [e.message for e in checker.iter_errors(instance)]


def test_defect_1_schema_defaults_name_v1_so_none_is_applied(tmp_path: Path) -> None:
    shipped = json.loads((profile.PROFILES / "2.0/datapackage.json").read_text("utf-8"))
    # The defect itself (frictionlessdata/datapackage#1143); when it is fixed, drop the pin.
    assert shipped["properties"]["$schema"]["default"].endswith("/1.0/datapackage.json")
    root = tmp_path / "library"
    shutil.copytree(PACKAGES / "library", root)
    descriptor = json.loads((root / "datapackage.json").read_text("utf-8"))
    del descriptor["$schema"]
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    assert validate(root, rules="datapackage").errors == 0  # checked as v2.0 all the same
    project = profile.validator("package", project=True)
    assert any(e.validator == "const" for e in profile.errors(project, {"$schema": "x"}))


def test_defect_2_a_trailing_dotdot_passes_the_profile_but_not_path_safe(
    tmp_path: Path,
) -> None:
    resource = {"name": "a", "path": "data/.."}
    assert official_errors("package", {"resources": [resource]}) == []
    root = tmp_path / "library"
    shutil.copytree(PACKAGES / "library", root)
    descriptor = json.loads((root / "datapackage.json").read_text("utf-8"))
    descriptor["resources"][0]["path"] = "authors.csv/.."
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    report = validate(root, rules="datapackage")
    assert [(p.rule, p.field) for p in report.problems if p.resource == "authors"] == [
        ("path-safe", "path")
    ]  # one cause, one problem: the profile's own path error is left to path-safe


def test_defect_3_foreign_key_fields_may_be_empty_or_repeat_under_the_profile(
    tmp_path: Path,
) -> None:
    schema = {
        "fields": [{"name": "x", "type": "string"}],
        "foreignKeys": [{"fields": ["x", "x"], "reference": {"fields": ["x", "y"]}}],
    }
    assert official_errors("schema", schema) == []
    root = tmp_path / "library"
    shutil.copytree(PACKAGES / "library", root)
    descriptor = json.loads((root / "datapackage.json").read_text("utf-8"))
    descriptor["resources"][0]["schema"]["foreignKeys"][0]["fields"] = ["mentor", "mentor"]
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    report = validate(root, rules="datapackage")
    assert [(p.rule, p.resource, p.field) for p in report.problems][:1] == [
        ("descriptor-profile", "authors", "foreignKeys")
    ], report.render()


def test_every_table_schema_is_checked_with_the_official_profile_and_a_format_checker() -> None:
    checker = profile.validator("schema", project=False)
    assert checker.format_checker is not None
    bad = {"fields": [{"name": "x", "type": "no-such-type"}]}
    assert official_errors("schema", bad)


def test_the_project_profile_adds_to_the_official_one_and_names_its_own_errors() -> None:
    project = profile.validator("schema", project=True)
    errors = profile.errors(project, {"fields": [{"name": "x", "type": "string"}]})
    paths = {tuple(e.schema_path)[:2] for e in errors}
    assert paths == {("allOf", 1)}  # valid under the official profile, not under ours
