"""`kerman-warning release`: refuses every bad case before writing anything; cuts a good one.

Each test works in a temporary git repository holding the tiny test package, the library sources
and CHANGELOG.md/CITATION.cff, tagged v1.0.0, with an entry under [Unreleased]. Only one test
builds the wheel and sdist (marked slow); the others stop before any artifact is made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from _tinypackage import (
    CHANGELOG,
    GIT_ENVIRONMENT,
    ROOT,
    commit_all,
    edit_json,
    edit_text,
    git,
    make_repo,
    read_json,
)
from kerman_warning import PackageError, __version__
from kerman_warning import release as release_module
from kerman_warning.build import build
from kerman_warning.cli import main
from kerman_warning.diff import diff
from kerman_warning.release import Release, ReleaseRefused

DATE = "2024-02-01"


@pytest.fixture
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in GIT_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


def release(bump: str, **options: Any) -> Release:
    """The tiny package follows the standard, not this project's conventions (it has no
    documents, no evidence spans): release it under the `datapackage` rule set."""
    return release_module.release(bump, **{"rules": "datapackage", **options})


@pytest.fixture(scope="module")
def repo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """make_repo once per module and worker (git init, the sources copied, a build, a commit,
    a tag: a dozen processes); each test gets a copy (`repo`) and never sees this one."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in GIT_ENVIRONMENT.items():
            patch.setenv(name, value)
        return make_repo(tmp_path_factory.mktemp("release-template") / "repo")


@pytest.fixture
def repo(repo_template: Path, tmp_path: Path, git_identity: None) -> Path:
    """A copy of the template repository (a git repository is relocatable: no path inside)."""
    return Path(shutil.copytree(repo_template, tmp_path / "repo", symlinks=True))


def add_row(repo: Path) -> None:
    with (repo / "data/casualties.csv").open("a", encoding="utf-8") as out:
        out.write("cas-later,killed,95,\n")
    build(repo)
    commit_all(repo, "Add a row")


def rename_field(repo: Path) -> None:
    edit_json(repo / "schemas/events.schema.json", lambda s: s["fields"][1].update(name="day"))
    edit_text(repo / "data/events.csv", "event_id,date", "event_id,day")
    build(repo)
    commit_all(repo, "Rename a field")


def refused(repo: Path, bump: str, match: str) -> None:
    """The release is refused with `match` in its reason, and nothing at all was written."""
    head = git(repo, "rev-parse", "HEAD")
    with pytest.raises(ReleaseRefused, match=match) as caught:
        release(bump, repo=repo, date=DATE)
    assert caught.value.exit_code == 1
    assert "\n" not in str(caught.value)
    assert git(repo, "status", "--porcelain", "--untracked-files=all", "--ignored") == ""
    assert git(repo, "rev-parse", "HEAD") == head
    assert not (repo / "dist").exists()


# --- refusals --------------------------------------------------------------------------------


def test_refuses_a_modified_file(repo: Path) -> None:
    add_row(repo)
    edit_text(repo / "CITATION.cff", "type: dataset", "type: dataset\n# a note")
    with pytest.raises(ReleaseRefused, match=r"the work tree is dirty \(CITATION.cff\)"):
        release("minor", repo=repo, date=DATE)


def test_refuses_an_untracked_file(repo: Path) -> None:
    add_row(repo)
    (repo / "data/scratch.csv").write_text("x\n")
    with pytest.raises(ReleaseRefused, match=r"dirty .*data/scratch\.csv"):
        release("minor", repo=repo, date=DATE)


def test_refuses_when_the_package_does_not_validate(repo: Path) -> None:
    with (repo / "data/casualties.csv").open("a", encoding="utf-8") as out:
        out.write("cas-killed,injured,95,\n")  # a second row with the same primary key
    build(repo)
    commit_all(repo, "Add a row that repeats a key")
    refused(
        repo,
        "minor",
        r"does not validate \(data/casualties\.csv:4 \[casualty_id\] primary-key: repeats",
    )


def test_refuses_when_the_validator_is_missing(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_row(repo)
    real = importlib.util.find_spec
    monkeypatch.setattr(  # as without the `validate` extra: jsonschema cannot be found
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "jsonschema" else real(name, *a),
    )
    with pytest.raises(
        ReleaseRefused, match=r"cannot check that the package validates: .*jsonschema"
    ):
        release("minor", repo=repo, date=DATE)


def test_refuses_when_the_package_does_not_build(repo: Path) -> None:
    edit_text(repo / "data/casualties.csv", "cas-killed,killed,84,", "cas-killed,killed,many,")
    commit_all(repo, "Break a number")
    refused(repo, "patch", r"does not build: .*casualties.csv:2 \[best\]: 'many' is not an integer")


def test_refuses_a_stale_derived_file(repo: Path) -> None:
    edit_text(repo / "data/casualties.csv", "cas-killed,killed,84,", "cas-killed,killed,95,")
    commit_all(repo, "Correct a number, forget to build")
    refused(
        repo,
        "patch",
        "derived files are stale .*data/parquet/casualties.parquet.*kerman-warning build",
    )


@pytest.mark.parametrize(
    ("change", "bump", "required"),
    [
        (rename_field, "minor", "major"),
        (rename_field, "patch", "major"),
        (rename_field, "1.9.0", "major"),
        (add_row, "patch", "minor"),
        (add_row, "1.0.1", "minor"),
    ],
)
def test_refuses_a_bump_lower_than_the_changes_require(
    repo: Path, change: Any, bump: str, required: str
) -> None:
    change(repo)
    refused(
        repo,
        bump,
        f"too small: the changes since v1.0.0 require {required} .*kerman-warning diff v1.0.0",
    )


def test_refusal_names_the_breaking_change(repo: Path) -> None:
    rename_field(repo)
    refused(repo, "minor", r"e\.g\. events\.day: field renamed date -> day")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (CHANGELOG.replace("- Something new.\n", ""), "no entry under \\[Unreleased\\]"),
        (CHANGELOG.replace("## [Unreleased]\n", ""), "no `## \\[Unreleased\\]` section"),
    ],
)
def test_refuses_without_changelog_notes(repo: Path, text: str, match: str) -> None:
    add_row(repo)
    (repo / "CHANGELOG.md").write_text(text)
    commit_all(repo, "Changelog")
    refused(repo, "minor", match)


def test_refuses_a_version_that_is_not_new(repo: Path) -> None:
    add_row(repo)
    refused(repo, "1.0.0", "1.0.0 is not above v1.0.0")
    refused(repo, "0.9.9", "0.9.9 is not above v1.0.0")
    git(repo, "tag", "v1.1.0", "HEAD~1")  # a later tag on an earlier commit is the last release
    refused(repo, "1.1.0", "not above v1.1.0")


def test_the_cli_refuses_with_exit_1_and_one_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rename_field(repo)
    command = ["release", "patch", "--repo", str(repo), "--date", DATE, "--rules", "datapackage"]
    assert main(command) == 1
    error = capsys.readouterr().err
    assert error.startswith("kerman-warning: error: a patch release is too small")
    assert error.count("\n") == 1


def test_a_malformed_bump_or_date_is_a_usage_error(repo: Path) -> None:
    with pytest.raises(PackageError, match=r"say major, minor, patch or a version X\.Y\.Z"):
        release("huge", repo=repo, date=DATE)
    with pytest.raises(PackageError, match="YYYY-MM-DD"):
        release("minor", repo=repo, date="1 Feb 2024")
    assert main(["release", "v2", "--repo", str(repo)]) == 2


# --- success ---------------------------------------------------------------------------------


def no_artifacts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(release_module, "_artifacts", lambda *args: [("x.whl", "0" * 64)])


def test_a_release_that_fails_midway_puts_every_file_back(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_row(repo)

    def broken(*args: Any) -> list[tuple[str, str]]:
        raise PackageError("python -m build failed: no disk")

    monkeypatch.setattr(release_module, "_artifacts", broken)
    with pytest.raises(PackageError, match="no disk"):
        release("minor", repo=repo, date=DATE)
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_first_release_allows_any_bump_and_prints_the_git_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, git_identity: None
) -> None:
    no_artifacts(monkeypatch)
    repo = make_repo(tmp_path / "repo", tag=None)
    # Nothing released yet: version 0.0.0 everywhere and no released section in the changelog.
    edit_text(repo / "src/kerman_warning/_version.py", '"1.0.0"', '"0.0.0"')
    edit_json(repo / "datapackage.json", lambda d: d.update(version="0.0.0"))
    changelog = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    (repo / "CHANGELOG.md").write_text(changelog.split("## [1.0.0]")[0], encoding="utf-8")
    build(repo)
    commit_all(repo, "Not yet released")
    outcome = release("v1.0.0", repo=repo, date=DATE)  # the tag spelling is accepted too
    assert (outcome.version, outcome.previous, outcome.required) == ("1.0.0", None, None)
    text = outcome.render()
    assert "first release" in text
    assert "git commit -m 'Release 1.0.0'" in text
    assert "git tag -a v1.0.0 -m 'kerman-warning 1.0.0'" in text
    assert git(repo, "tag") == ""  # printed, not run
    # Running the printed commands gives a clean, tagged tree.
    for command in outcome.commands:
        subprocess.run(command, cwd=repo, check=True, capture_output=True)
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "describe", "--tags").strip() == "v1.0.0"


def test_a_bump_higher_than_required_is_allowed(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_artifacts(monkeypatch)
    add_row(repo)
    outcome = release("major", repo=repo, date=DATE)
    assert (outcome.version, outcome.requested, outcome.required) == ("2.0.0", "major", "minor")


def test_changelog_notes_move_under_the_new_version() -> None:
    text = release_module._changelog(CHANGELOG, "1.1.0", dt.date(2024, 2, 1), "v1.0.0")
    assert text.startswith(CHANGELOG.split("## [Unreleased]")[0])
    assert (
        "## [Unreleased]\n\n## [1.1.0] - 2024-02-01\n\n### Added\n\n- Something new.\n\n"
        "## [1.0.0] - 2024-01-26\n" in text
    )
    assert "### Fixed" not in text  # an empty subsection is not carried into the release
    assert text.endswith(
        "[Unreleased]: https://example.org/kerman-warning/compare/v1.1.0...HEAD\n"
        "[1.1.0]: https://example.org/kerman-warning/compare/v1.0.0...v1.1.0\n"
        "[1.0.0]: https://example.org/kerman-warning/releases/tag/v1.0.0\n"
    )


@pytest.mark.slow
def test_a_good_release_writes_everything_and_verifiable_artifacts(repo: Path) -> None:
    add_row(repo)
    outcome = release("minor", commit=True, date=DATE, repo=repo)
    assert isinstance(outcome, Release)
    assert (outcome.version, outcome.previous, outcome.required) == ("1.1.0", "v1.0.0", "minor")

    # The hand-edited files carry the version and the date.
    changelog = (repo / "CHANGELOG.md").read_text()
    assert (
        "## [Unreleased]\n\n## [1.1.0] - 2024-02-01\n\n### Added\n\n- Something new.\n" in changelog
    )
    version_file = repo / "src/kerman_warning/_version.py"
    assert version_file.read_text() == '"""Version."""\n\n__version__ = "1.1.0"\n'
    descriptor = read_json(repo / "datapackage.json")
    assert (descriptor["version"], descriptor["created"]) == ("1.1.0", "2024-02-01T00:00:00Z")
    citation = yaml.safe_load((repo / "CITATION.cff").read_text())
    assert (citation["version"], citation["date-released"]) == ("1.1.0", DATE)
    # ...and the derived files were rebuilt from them (the Parquet metadata names the version).
    assert build(repo, check=True).changed == []
    import pyarrow.parquet as pq

    metadata = pq.read_schema(repo / "data/parquet/casualties.parquet").metadata
    assert metadata[b"datapackage.package"] == b"kerman-warning@1.1.0"

    # Committed and tagged: the tree is clean and v1.1.0 is the new last release.
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "describe", "--tags", "--exact-match").strip() == "v1.1.0"
    assert "committed and tagged v1.1.0" in outcome.render()

    # dist/: wheel, sdist, data package zip, and SHA256SUMS that verify.
    dist = repo / "dist"
    names = sorted(p.name for p in dist.iterdir())
    assert names == [
        "SHA256SUMS",
        "kerman-warning-1.1.0-datapackage.zip",
        "kerman_warning-1.1.0-py3-none-any.whl",
        "kerman_warning-1.1.0.tar.gz",
    ]
    sums = (dist / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == 3
    for line in sums:
        digest, name = line.split("  ")
        assert hashlib.sha256((dist / name).read_bytes()).hexdigest() == digest
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=dist, check=True)
    assert sorted(outcome.artifacts) == sorted((n, d) for d, n in (s.split("  ") for s in sums))

    # The wheel carries the data package and the new version.
    with zipfile.ZipFile(dist / "kerman_warning-1.1.0-py3-none-any.whl") as wheel:
        members = wheel.namelist()
        assert "kerman_warning/_data/datapackage.json" in members
        assert "kerman_warning/_data/data/parquet/casualties.parquet" in members
        assert '"1.1.0"' in wheel.read("kerman_warning/_version.py").decode()
        assert json.loads(wheel.read("kerman_warning/_data/datapackage.json"))["version"] == "1.1.0"

    # The zip is the data package: deterministic, readable by diff, equal to the release.
    archive = dist / "kerman-warning-1.1.0-datapackage.zip"
    with zipfile.ZipFile(archive) as package_zip:
        entries = package_zip.infolist()
        names = [e.filename for e in entries]
        assert names == sorted(names)
        assert {e.date_time for e in entries} == {(2024, 2, 1, 0, 0, 0)}
        assert "kerman-warning-1.1.0/datapackage.json" in names
        assert "kerman-warning-1.1.0/schemas/casualties.schema.json" in names
        assert "kerman-warning-1.1.0/data/casualties.csv" in names
        assert "kerman-warning-1.1.0/CITATION.cff" in names
        assert "kerman-warning-1.1.0/croissant.json" in names
    rebuilt = release_module._package_zip(repo, "kerman-warning-1.1.0", dt.date(2024, 2, 1))
    assert rebuilt == archive.read_bytes()
    assert diff(str(archive), str(repo)).bump == "none"
    assert diff("v1.0.0", str(archive), repo=repo).bump == "minor"

    # The next release is measured against v1.1.0.
    edit_text(repo / "CHANGELOG.md", "## [Unreleased]\n", "## [Unreleased]\n\n- Renamed.\n")
    rename_field(repo)
    with pytest.raises(ReleaseRefused, match=r"changes since v1\.1\.0 require major"):
        release("minor", repo=repo, date="2024-03-01")


# --- CITATION.cff of this repository ---------------------------------------------------------


def test_the_citation_file_describes_the_dataset_at_the_package_version() -> None:
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0"
    assert citation["type"] == "dataset"
    assert citation["message"] and citation["title"] and citation["authors"]
    assert citation["version"] == __version__
    assert re.fullmatch(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}", str(citation.get("date-released", "2000-01-01"))
    )
    # release() rewrites these two lines in place; make sure it finds them.
    text = release_module._citation(
        (ROOT / "CITATION.cff").read_text(encoding="utf-8"), "9.9.9", dt.date(2030, 1, 2)
    )
    rewritten = yaml.safe_load(io.StringIO(text))
    assert (rewritten["version"], rewritten["date-released"]) == ("9.9.9", "2030-01-02")
    assert {k: v for k, v in rewritten.items() if k not in ("version", "date-released")} == {
        k: v for k, v in citation.items() if k not in ("version", "date-released")
    }


# --- with the real validator, on a copy of the real package ----------------------------------


def make_real_repo(root: Path) -> Path:
    """A git repository holding a copy of the real package (built), with release files."""
    from conftest import copy_package

    copy_package(root)
    for name in ("pyproject.toml", "LICENSE", ".gitignore", "CITATION.cff"):
        shutil.copy2(ROOT / name, root / name)
    # Every place that names the version agrees with the descriptor (validate checks it).
    version = read_json(root / "datapackage.json")["version"]
    version_file = root / "src/kerman_warning/_version.py"
    version_file.parent.mkdir(parents=True)
    version_file.write_text(f'__version__ = "{version}"\n', encoding="utf-8")
    changelog = CHANGELOG.replace("1.0.0", version)
    (root / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    build(root)
    commit_all(root, "The real package")
    return root


def test_refuses_what_the_real_validator_rejects(tmp_path: Path, git_identity: None) -> None:
    pytest.importorskip("kerman_warning.validate")
    repo = make_real_repo(tmp_path / "repo")
    path = repo / "data/casualties.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[0].rstrip("\n").split(",")
    low, best = fields.index("low"), fields.index("best")
    row = lines[1].split(",")
    row[low] = str(int(row[best]) + 10)  # low above best: still integers, so it builds
    lines[1] = ",".join(row)
    path.write_text("".join(lines), encoding="utf-8")
    build(repo)
    commit_all(repo, "A low figure above the best one")
    with pytest.raises(
        ReleaseRefused, match=r"does not validate \(data/casualties\.csv:2 \[best\] "
    ):
        release_module.release("minor", repo=repo, date=DATE)


def test_the_real_package_passes_every_release_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, git_identity: None
) -> None:
    pytest.importorskip("kerman_warning.validate")
    no_artifacts(monkeypatch)
    repo = make_real_repo(tmp_path / "repo")
    from kerman_warning.validate import validate

    before = read_json(repo / "datapackage.json")["version"]
    outcome = release_module.release("minor", repo=repo, date=DATE)
    major, minor, _ = (int(part) for part in before.split("."))
    assert outcome.version == f"{major}.{minor + 1}.0"
    assert read_json(repo / "datapackage.json")["version"] == outcome.version
    # What release wrote agrees with itself: fresh derived files, every version in step.
    assert build(repo, check=True).changed == []
    report = validate(repo)
    assert report.exit_code == 0, report.render()


def test_without_tags_the_last_release_comes_from_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, git_identity: None
) -> None:
    repo = make_repo(tmp_path / "repo", tag=None)  # 1.0.0 released by its commit, no tag
    rename_field(repo)
    refused(repo, "minor", "the changes since v1.0.0 require major")
    refused(repo, "1.0.0", "not above v1.0.0")


def test_a_huge_changelog_is_refused_before_it_is_read(tmp_path: Path) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    with changelog.open("wb") as handle:
        handle.truncate(2 << 30)  # sparse: nothing allocated, and nothing may be read
    with pytest.raises(PackageError, match=r"\(MAX_TEXT_BYTES\)"):
        release_module._read_text(changelog, "CHANGELOG.md")
    with pytest.raises(ReleaseRefused, match=r"CHANGELOG\.md is missing"):
        release_module._read_text(tmp_path / "absent.md", "CHANGELOG.md")
