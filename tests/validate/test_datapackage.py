"""`--rules datapackage` on three foreign Data Package v2 packages written for these tests
(tests/packages/): each is valid as written, and each seeded error is caught by its rule id."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from kerman_warning.cli import main
from kerman_warning.validate import Report, validate

PACKAGES = Path(__file__).resolve().parents[1] / "packages"


def copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(PACKAGES / name, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def found(report: Report) -> set[tuple[str, str | None, int | None, str | None]]:
    return {(p.rule, p.resource, p.row, p.field) for p in report.problems}


@pytest.mark.parametrize("name", ["library", "survey", "inline"])
def test_each_foreign_package_is_valid_as_written(name: str) -> None:
    report = validate(PACKAGES / name, rules="datapackage")
    assert report.exit_code == 0, report.render()
    assert report.errors == 0


def test_the_library_catches_composite_and_self_referencing_foreign_keys(tmp_path: Path) -> None:
    root = copy(tmp_path, "library")
    edit(root / "authors.csv", "3,Ghada Samman,2", "3,Ghada Samman,7")  # no author 7
    edit(root / "loans.csv", "9780435909888,1,2024", "9780435909888,2,2024")  # no such copy
    edit(root / "copies.csv", "9780385264662,2,1", "9780385264662,1,1")  # key repeated
    edit(root / "copies.csv", "9780435909888,1,2", "9780435909888,0,2")  # below minimum
    report = validate(root, rules="datapackage")
    assert found(report) >= {
        ("foreign-key", "authors", 4, "mentor"),
        ("foreign-key", "loans", 4, "copy"),
        ("primary-key", "copies", 3, "copy"),
        ("minimum", "copies", 4, "copy"),
    }, report.render()
    assert {p.rule for p in report.problems} == {"foreign-key", "primary-key", "minimum"}


def test_the_survey_reads_its_dialect_labelled_categories_and_missing_values(
    tmp_path: Path,
) -> None:
    root = copy(tmp_path, "survey")
    data = root / "answers.csv"
    edit(data, "r1;q2;n/a", "r1;q3;n/a")  # not a category
    edit(data, "r2;q1;41", "r2;q1;NA")  # NA is missing for the schema, not for `score`
    edit(data, "r1;q1;30;true;web", "NA;q1;30;true;web")  # required, and NA is missing here
    report = validate(root, rules="datapackage")
    rules = {p.rule for p in report.problems}
    assert ("categories", "answers", 3, "question") in found(report), report.render()
    assert ("type", "answers", 4, "score") in found(report)
    assert ("required", "answers", 2, "respondent") in found(report)
    assert "hash-match" in rules or "bytes-match" in rules  # the md5 no longer matches


def test_the_survey_md5_and_unique_keys(tmp_path: Path) -> None:
    root = copy(tmp_path, "survey")
    data = root / "answers.csv"
    edit(data, "r2;q1;41", "r1;q1;41")  # same length: only the hash changes
    report = validate(root, rules="datapackage")
    assert {p.rule for p in report.problems} == {"hash-match", "unique-keys"}, report.render()
    descriptor = json.loads((root / "datapackage.json").read_text("utf-8"))
    descriptor["resources"][0]["hash"] = hashlib.md5(data.read_bytes()).hexdigest()  # bare MD5
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    assert {p.rule for p in validate(root, rules="datapackage").problems} == {"unique-keys"}


def test_inline_data_is_named_as_not_checked_and_row_json_schemas_are_used(
    tmp_path: Path,
) -> None:
    root = copy(tmp_path, "inline")
    report = validate(root, rules="datapackage")
    assert found(report) == {("not-checked", "colors", None, "data")}
    assert report.valid  # a warning: the package is not wrong, this validator cannot read it
    edit(root / "data/places.csv", "kerman,", "kerman-the-old-city,")  # maxLength 12 in JSON
    edit(root / "schemas/places.json", '"maximum": 90', '"maximum": 31')
    report = validate(root, rules="datapackage")
    assert found(report) - {("not-checked", "colors", None, "data")} == {
        ("row-json-schema", "places", 2, "place"),
        ("maximum", "places", 3, "lat"),
    }, report.render()


def test_rules_all_on_a_foreign_package_says_so_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = validate(PACKAGES / "library")
    assert [(p.rule, p.field) for p in report.problems] == [("project-package", "name")]
    assert main(["validate", str(PACKAGES / "library"), "--rules", "datapackage"]) == 0
    assert main(["validate", str(PACKAGES / "library")]) == 1
    out = capsys.readouterr().out
    assert out.count("not kerman-warning") == 1


def test_the_shipped_package_passes_both_rule_sets() -> None:
    assert validate(rules="datapackage").exit_code == 0
    with pytest.raises(ValueError, match="rules must be one of"):
        validate(rules="some")  # type: ignore[arg-type]
