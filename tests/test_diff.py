"""`kerman-warning diff`: every change found, and classified by the Data Package version recipe."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _tinypackage import (
    GIT_ENVIRONMENT,
    commit_all,
    edit_json,
    edit_text,
    git,
    make_package,
)
from kerman_warning import DataError, PackageError
from kerman_warning.build import build
from kerman_warning.cli import main
from kerman_warning.diff import ROW_KINDS, Diff, diff
from kerman_warning.release import _package_zip

Edit = Callable[[Path], None]


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    """Two identical copies of the tiny package: `old` and `new` (edit the new one)."""
    return make_package(tmp_path / "old"), make_package(tmp_path / "new")


def changed(pair: tuple[Path, Path], edit: Edit) -> Diff:
    old, new = pair
    edit(new)
    build(new)
    return diff(str(old), str(new))


def kinds(result: Diff) -> list[tuple[str, str]]:
    return [(c.kind, c.level) for c in result.changes]


# --- the five cases the issue names, each between two commits of a temporary git repository ---


def rename_field(root: Path) -> None:
    edit_json(root / "schemas/events.schema.json", lambda s: s["fields"][1].update(name="day"))
    edit_text(root / "data/events.csv", "event_id,date", "event_id,day")


def add_row(root: Path) -> None:
    with (root / "data/casualties.csv").open("a", encoding="utf-8") as out:
        out.write("cas-later,killed,95,\n")


def correct_number(root: Path) -> None:
    edit_text(root / "data/casualties.csv", "cas-killed,killed,84,", "cas-killed,killed,95,")


def change_description(root: Path) -> None:
    edit_json(
        root / "schemas/casualties.schema.json",
        lambda s: s["fields"][2].update(description="The best estimate, as written."),
    )


def move_file(root: Path) -> None:
    (root / "data/tables").mkdir()
    (root / "data/events.csv").rename(root / "data/tables/events.csv")
    edit_json(
        root / "datapackage.json", lambda d: d["resources"][0].update(path="data/tables/events.csv")
    )


@pytest.mark.parametrize(
    ("edit", "bump", "kind"),
    [
        (rename_field, "major", "field-renamed"),
        (add_row, "minor", "row-added"),
        (correct_number, "patch", "cell-changed"),
        (change_description, "patch", "field-metadata"),
        (move_file, "none", "resource-moved"),
    ],
)
def test_git_revisions_are_classified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: Edit, bump: str, kind: str
) -> None:
    for name, value in GIT_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    repo = make_package(tmp_path / "repo")
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "first")
    git(repo, "tag", "v1.0.0")
    edit(repo)
    build(repo)
    commit_all(repo, "second")
    result = diff("v1.0.0", "HEAD", repo=repo)
    assert result.bump == bump
    assert [c.kind for c in result.changes] == [kind]
    assert result.old.source == result.new.source == "git"
    # The work tree is a folder: the same answer, and revisions resolve from inside the repo.
    monkeypatch.chdir(repo / "data")
    assert diff("HEAD~1", str(repo)).bump == bump


def test_a_renamed_field_is_one_change_not_a_removal_an_addition_and_every_cell(
    pair: tuple[Path, Path],
) -> None:
    result = changed(pair, rename_field)
    (change,) = result.changes
    assert (change.resource, change.old, change.new, change.level) == (
        "events",
        "date",
        "day",
        "major",
    )


def test_a_corrected_number_names_the_row_the_field_and_both_values(
    pair: tuple[Path, Path],
) -> None:
    (change,) = changed(pair, correct_number).changes
    assert change.key == {"casualty_id": "cas-killed"}
    assert (change.field, change.old, change.new) == ("best", 84, 95)


def test_identical_packages_need_no_bump(pair: tuple[Path, Path]) -> None:
    result = diff(str(pair[0]), str(pair[1]))
    assert result.bump == "none"
    assert result.changes == ()


def test_a_moved_file_with_other_content_still_shows_the_content_change(
    pair: tuple[Path, Path],
) -> None:
    def move_and_fix(root: Path) -> None:
        move_file(root)
        edit_text(root / "data/tables/events.csv", "2024-01-04", "2024-01-05")

    result = changed(pair, move_and_fix)
    assert kinds(result) == [("resource-moved", "none"), ("cell-changed", "patch")]


def test_rewritten_csv_with_the_same_rows_needs_no_bump(pair: tuple[Path, Path]) -> None:
    def reorder_and_quote(root: Path) -> None:
        (root / "data/events.csv").write_text(
            'event_id,date\r\n"evt-claim",2024-01-04\r\nevt-attack,"2024-01-03"\r\n'
        )

    result = changed(pair, reorder_and_quote)
    assert kinds(result) == [("file-reformatted", "none")]


def drop_field(s: dict[str, Any], name: str) -> None:
    s["fields"] = [f for f in s["fields"] if f["name"] != name]


def casualties(change: Callable[[dict[str, Any]], None]) -> Edit:
    return lambda root: edit_json(root / "schemas/casualties.schema.json", change)


def field(index: int, change: Callable[[dict[str, Any]], None]) -> Edit:
    return casualties(lambda s: change(s["fields"][index]))


def constraints(index: int, **values: Any) -> Edit:
    def apply(f: dict[str, Any]) -> None:
        c = f.setdefault("constraints", {})
        for key, value in values.items():
            if value is None:
                c.pop(key, None)
            else:
                c[key] = value

    return field(index, apply)


def both(*edits: Edit) -> Edit:
    def apply(root: Path) -> None:
        for edit in edits:
            edit(root)

    return apply


def csv(text: str) -> Edit:
    return lambda root: (root / "data/casualties.csv").write_text(text)


CSV_HEAD = "casualty_id,outcome,best,note\n"
ROWS = "cas-killed,killed,84,\ncas-injured,injured,284,\n"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            both(
                casualties(lambda s: drop_field(s, "note")),
                csv("casualty_id,outcome,best\ncas-killed,killed,84\ncas-injured,injured,284\n"),
            ),
            [("field-removed", "major")],
            id="field removed",
        ),
        pytest.param(
            both(
                casualties(lambda s: s["fields"].append({"name": "high", "type": "integer"})),
                csv(
                    "casualty_id,outcome,best,note,high\ncas-killed,killed,84,,\ncas-injured,injured,284,,\n"
                ),
            ),
            [("field-added", "major")],
            id="field added",
        ),
        pytest.param(
            both(
                casualties(lambda s: s["fields"].insert(3, s["fields"].pop(2))),
                csv(
                    "casualty_id,outcome,note,best\ncas-killed,killed,,84\ncas-injured,injured,,284\n"
                ),
            ),
            [("fields-reordered", "major")],
            id="fields reordered",
        ),
        pytest.param(
            field(2, lambda f: f.update(type="number")),
            [("field-retyped", "major")],
            id="integer becomes number",
        ),
        pytest.param(
            constraints(2, minimum=1), [("constraint-tightened", "major")], id="minimum raised"
        ),
        pytest.param(
            constraints(2, minimum=None), [("constraint-loosened", "minor")], id="minimum dropped"
        ),
        pytest.param(
            constraints(2, maximum=1000), [("constraint-tightened", "major")], id="maximum added"
        ),
        pytest.param(
            constraints(2, required=True), [("constraint-tightened", "major")], id="now required"
        ),
        pytest.param(
            constraints(0, required=None),
            [("constraint-loosened", "minor")],
            id="no longer required",
        ),
        pytest.param(
            constraints(0, pattern="^cas-[a-z]+(-[a-z]+)*$"),
            [("constraint-changed", "major")],
            id="pattern changed (cannot prove looser)",
        ),
        pytest.param(
            field(1, lambda f: f["categories"].append({"value": "missing", "label": "not found"})),
            [("constraint-loosened", "minor")],
            id="vocabulary value added",
        ),
        pytest.param(
            both(
                field(1, lambda f: f["categories"].pop()),
                csv(CSV_HEAD + "cas-killed,killed,84,\ncas-injured,,284,\n"),
            ),
            [("constraint-tightened", "major"), ("cell-changed", "patch")],
            id="vocabulary value removed",
        ),
        pytest.param(
            field(1, lambda f: f["categories"][0].update(label="were killed")),
            [("field-metadata", "patch")],
            id="vocabulary label changed",
        ),
        pytest.param(
            casualties(lambda s: s.update(primaryKey=["casualty_id", "best"])),
            [("primary-key-changed", "major")],
            id="primary key changed",
        ),
        pytest.param(
            csv(CSV_HEAD + "cas-killed,killed,84,\n"),
            [("row-removed", "major")],
            id="row removed",
        ),
        pytest.param(
            csv(CSV_HEAD + "cas-killed,killed,84,\ncas-hurt,injured,284,\n"),
            [("row-added", "minor"), ("row-removed", "major")],
            id="id changed = a row removed and another added",
        ),
        pytest.param(
            lambda root: edit_json(
                root / "datapackage.json", lambda d: d.update(title="Better title")
            ),
            [("package-metadata", "patch")],
            id="package title",
        ),
        pytest.param(
            lambda root: edit_json(
                root / "datapackage.json",
                lambda d: d.update(version="9.9.9", created="2030-01-01T00:00:00Z"),
            ),
            [],
            id="version and created are stamps",
        ),
        pytest.param(
            lambda root: edit_json(
                root / "datapackage.json", lambda d: d["resources"][1].update(encoding="latin-1")
            ),
            [("resource-format", "major")],
            id="resource encoding",
        ),
    ],
)
def test_schema_and_row_changes_are_classified(
    pair: tuple[Path, Path], edit: Edit, expected: list[tuple[str, str]]
) -> None:
    result = changed(pair, edit)
    assert sorted(kinds(result)) == sorted(expected)
    levels = [level for _, level in expected]
    for level in ("major", "minor", "patch", "none"):
        if level in levels:
            assert result.bump == level
            break
    else:
        assert result.bump == "none"


def test_resources_added_removed_and_renamed(pair: tuple[Path, Path]) -> None:
    old, new = pair

    def add(root: Path) -> None:
        shutil.copy(root / "data/events.csv", root / "data/later.csv")
        shutil.copy(root / "schemas/events.schema.json", root / "schemas/later.schema.json")
        edit_json(
            root / "datapackage.json",
            lambda d: d["resources"].append(
                d["resources"][0]
                | {"name": "later", "path": "data/later.csv", "schema": "schemas/later.schema.json"}
            ),
        )

    assert kinds(changed(pair, add)) == [("resource-added", "minor")]
    # Now old has no `later`; the other way round it is removed.
    assert kinds(diff(str(new), str(old))) == [("resource-removed", "major")]

    renamed = make_package(old.parent / "renamed")
    edit_json(renamed / "datapackage.json", lambda d: d["resources"][0].update(name="happenings"))
    build(renamed)
    assert kinds(diff(str(old), str(renamed))) == [("resource-renamed", "major")]


def test_a_changed_non_tabular_file_is_major(pair: tuple[Path, Path]) -> None:
    def with_text(content: str) -> Edit:
        def apply(root: Path) -> None:
            (root / "data/article.txt").write_text(content, encoding="utf-8")
            edit_json(
                root / "datapackage.json",
                lambda d: d["resources"].append(
                    {"name": "article", "type": "text", "path": "data/article.txt"}
                ),
            )

        return apply

    old = pair[0]
    with_text("نص")(old)
    build(old)
    result = changed(pair, with_text("نص آخر"))
    assert kinds(result) == [("file-changed", "major")]


def test_a_release_zip_and_a_descriptor_path_are_sources(
    pair: tuple[Path, Path], tmp_path: Path
) -> None:
    old, new = pair
    archive = tmp_path / "kerman-warning-1.0.0-datapackage.zip"
    archive.write_bytes(_package_zip(old, "kerman-warning-1.0.0", dt.date(2024, 1, 26)))
    correct_number(new)
    build(new)
    result = diff(str(archive), str(new / "datapackage.json"))
    assert (result.old.source, result.new.source) == ("zip", "folder")
    assert kinds(result) == [("cell-changed", "patch")]


def test_an_unknown_source_is_a_usage_error(pair: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(
        PackageError, match="not a package folder, a release zip, or a git revision"
    ):
        diff("no-such-thing", str(pair[1]), repo=tmp_path)
    assert main(["diff", "no-such-thing", str(pair[1]), "--repo", str(tmp_path)]) == 2


def test_json_output_is_the_classification_and_every_change(
    pair: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = pair
    both(add_row, correct_number, constraints(2, minimum=1))(new)
    edit_text(new / "data/events.csv", "2024-01-04", "2024-01-05")
    build(new)
    assert main(["diff", str(old), str(new), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["bump"] == "major"
    assert document["next_version"] == "2.0.0"
    assert document["convention"] == "datapackage"
    # Croissant: the corrected values change existing data (MAJOR) as well.
    assert document["bumps"]["croissant"]["bump"] == "major"
    assert document["bumps"]["datapackage"]["next_version"] == "2.0.0"
    assert document["counts"] == {"major": 1, "minor": 1, "patch": 2, "none": 0}
    by_kind = {c["kind"]: c for c in document["changes"]}
    assert by_kind["row-added"]["key"] == {"casualty_id": "cas-later"}
    assert by_kind["row-added"]["new"]["best"] == 95
    dates = [
        c for c in document["changes"] if c["resource"] == "events" and c["kind"] == "cell-changed"
    ]
    assert dates[0]["key"] == {"event_id": "evt-claim"}
    assert (dates[0]["field"], dates[0]["old"], dates[0]["new"]) == (
        "date",
        "2024-01-04",
        "2024-01-05",
    )
    assert by_kind["constraint-tightened"]["old"] == {"minimum": 0}
    for change in document["changes"]:
        assert set(change) == {
            "kind",
            "level",
            "croissant_level",
            "resource",
            "field",
            "key",
            "old",
            "new",
            "detail",
            "reason",
        }
        assert change["reason"]


def test_text_output_is_a_summary_with_reasons(
    pair: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = pair
    rows = "".join(f"cas-extra-{i},killed,{i},\n" for i in range(30))
    csv(CSV_HEAD + "cas-killed,killed,95,\ncas-injured,injured,284,\n" + rows)(new)
    change_description(new)
    build(new)
    assert main(["diff", str(old), str(new)]) == 0
    text = capsys.readouterr().out
    assert "required bump: minor (1.0.0 -> 1.1.0)" in text
    assert "casualties: 30 rows added (new rows extend the data" in text
    assert "… and 18 more (--format json lists every one)" in text
    assert "cas-killed best: 84 -> 95" in text
    assert 'description changed: "Best estimate." -> "The best estimate, as written."' in text
    assert text.rstrip().endswith("32 changes: 30 minor, 2 patch")
    assert len(text.splitlines()) < 20  # a summary, not a dump


ids = st.lists(st.from_regex(r"cas-[a-z]{1,3}", fullmatch=True), unique=True, max_size=8)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    old_ids=ids,
    new_ids=ids,
    values=st.dictionaries(st.from_regex(r"cas-[a-z]{1,3}", fullmatch=True), st.integers(0, 9)),
)
def test_row_changes_match_a_plain_python_comparison(
    old_ids: list[str], new_ids: list[str], values: dict[str, int]
) -> None:
    """Whatever rows come and go and whatever values change, the pyarrow join finds exactly
    what comparing two dicts finds, and the bump is the highest level among them."""
    old_rows = dict.fromkeys(old_ids, 1)
    new_rows = {i: values.get(i, 1) for i in new_ids}
    with tempfile.TemporaryDirectory() as scratch:
        pair = (
            make_package(Path(scratch) / "old", built=False),
            make_package(Path(scratch) / "new", built=False),
        )
        for root, rows in zip(pair, (old_rows, new_rows), strict=True):
            body = "".join(f"{i},killed,{n},\n" for i, n in reversed(rows.items()))
            (root / "data/casualties.csv").write_text(CSV_HEAD + body)
        result = diff(str(pair[0]), str(pair[1]))
    added = sorted(set(new_rows) - set(old_rows))
    removed = sorted(set(old_rows) - set(new_rows))
    corrected = sorted(i for i in set(old_rows) & set(new_rows) if old_rows[i] != new_rows[i])
    found = {
        kind: [c.key["casualty_id"] for c in result.changes if c.kind == kind] for kind in ROW_KINDS
    }
    assert found == {"row-added": added, "row-removed": removed, "cell-changed": corrected}
    expected = "major" if removed else "minor" if added else "patch" if corrected else "none"
    assert result.bump == expected


def test_an_unreadable_side_is_named_as_the_user_named_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in GIT_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    repo = make_package(tmp_path / "repo")
    git(repo, "init", "-q", "-b", "main")
    edit_text(repo / "data/casualties.csv", "cas-killed,killed,84,", "cas-killed,killed,many,")
    commit_all(repo, "broken")
    with pytest.raises(DataError, match=r"^HEAD: casualties\.csv:2 \[best\]: 'many'") as caught:
        diff("HEAD", str(repo), repo=repo)
    assert "kerman-warning-diff-" not in str(caught.value)
    assert main(["diff", "HEAD", str(repo), "--repo", str(repo)]) == 1


# --- the two version conventions ------------------------------------------------------------


def add_field(root: Path) -> None:
    edit_json(
        root / "schemas/events.schema.json",
        lambda s: s["fields"].append({"name": "note", "type": "string"}),
    )
    edit_text(root / "data/events.csv", "event_id,date\n", "event_id,date,note\n")
    edit_text(root / "data/events.csv", "2024-01-03\n", "2024-01-03,\n")
    edit_text(root / "data/events.csv", "2024-01-04\n", "2024-01-04,\n")


def requote(root: Path) -> None:
    (root / "data/events.csv").write_text(
        'event_id,date\n"evt-attack",2024-01-03\nevt-claim,2024-01-04\n'
    )


@pytest.mark.parametrize(
    ("edit", "datapackage", "croissant"),
    [
        (add_field, "major", "minor"),  # the recipe: columns of every row change; Croissant: new
        (correct_number, "patch", "major"),  # a fix of existing data: MAJOR for Croissant
        (add_row, "minor", "minor"),
        (requote, "none", "patch"),  # the same data re-serialised
        (change_description, "patch", "patch"),
    ],
)
def test_the_bump_under_both_conventions(
    pair: tuple[Path, Path], edit: Edit, datapackage: str, croissant: str
) -> None:
    result = changed(pair, edit)
    assert (result.bump, result.croissant_bump) == (datapackage, croissant)


def test_the_text_names_the_convention_and_both_bumps(
    pair: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = pair
    add_field(new)
    build(new)
    assert main(["diff", str(old), str(new)]) == 0
    text = capsys.readouterr().out
    assert "required bump: major (1.0.0 -> 2.0.0)" in text
    assert "convention: the Data Package version recipe (datapackage.org)" in text
    assert "under Croissant's convention: minor (1.0.0 -> 1.1.0)" in text


def test_a_huge_file_on_either_side_is_refused_before_it_is_read(pair: tuple[Path, Path]) -> None:
    old, new = pair
    with (new / "data/casualties.csv").open("r+b") as handle:
        handle.truncate(2 << 30)  # a sparse 2 GiB file: nothing is allocated, nothing read
    refused = r"'data/casualties\.csv' is 2,147,483,648 bytes, over the limit of [\d,]+ "
    refused += r"\(MAX_FILE_BYTES\)"
    with pytest.raises(PackageError, match=refused):
        diff(str(old), str(new))
