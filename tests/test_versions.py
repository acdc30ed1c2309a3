"""Released versions come from history alone: a clone with no tags still names 1.0.0."""

from __future__ import annotations

from pathlib import Path

import pytest

from _tinypackage import GIT_ENVIRONMENT, commit_all, edit_json, git, make_repo
from kerman_warning._versions import released, revision
from kerman_warning.build import build
from kerman_warning.cli import main
from kerman_warning.diff import diff


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No tags: 1.0.0 released by its commit, then a row added and released as 1.1.0."""
    for name, value in GIT_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    root = make_repo(tmp_path / "repo", tag=None, with_sources=False)
    with (root / "data/casualties.csv").open("a", encoding="utf-8") as out:
        out.write("cas-later,killed,95,\n")
    edit_json(root / "datapackage.json", lambda d: d.update(version="1.1.0"))
    changelog = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    changelog = changelog.replace("## [1.0.0]", "## [1.1.0] - 2024-02-01\n\n- A row.\n\n## [1.0.0]")
    (root / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    build(root)
    commit_all(root, "Release 1.1.0")
    (root / "README.md").write_text("later work\n", encoding="utf-8")
    commit_all(root, "Unrelated work after the release")
    assert git(root, "tag") == ""
    return root


def commits(repo: Path) -> list[str]:
    return git(repo, "log", "--reverse", "--format=%H").split()


def test_versions_are_the_commits_where_the_descriptor_got_them(repo: Path) -> None:
    first, second, _ = commits(repo)
    found = released(repo)
    assert [(r.version, r.commit, r.tag) for r in found] == [
        ("1.0.0", first, None),
        ("1.1.0", second, None),
    ]
    assert all(len(r.date) == 10 for r in found)


def test_a_version_the_changelog_does_not_record_is_not_a_release(repo: Path) -> None:
    edit_json(repo / "datapackage.json", lambda d: d.update(version="1.2.0"))
    build(repo)
    commit_all(repo, "Work towards 1.2.0, not released")
    assert [r.version for r in released(repo)] == ["1.0.0", "1.1.0"]


def test_a_tag_names_the_release_when_there_is_one(repo: Path) -> None:
    first = commits(repo)[0]
    git(repo, "tag", "v1.0.0", first)
    assert released(repo)[0].tag == "v1.0.0"


@pytest.mark.parametrize("spec", ["1.0.0", "v1.0.0"])
def test_diff_accepts_a_version_with_or_without_v(repo: Path, spec: str) -> None:
    assert revision(repo, spec) == commits(repo)[0]
    result = diff(spec, "HEAD", repo=repo)
    assert result.bump == "minor"
    assert [c.kind for c in result.changes] == ["row-added"]
    assert result.old.version == "1.0.0"


def test_an_unreleased_version_is_a_clear_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", "2.0.0", "HEAD", "--repo", str(repo)]) == 2
    assert "kerman-warning versions" in capsys.readouterr().err


def test_the_versions_command_lists_releases_with_commit_and_date(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["versions", "--repo", str(repo)]) == 0
    lines = capsys.readouterr().out.splitlines()
    first, second, _ = commits(repo)
    assert lines[0].split()[:2] == ["1.0.0", first[:12]]
    assert lines[1].split()[:2] == ["1.1.0", second[:12]]


def test_the_real_history_knows_1_0_0() -> None:
    root = Path(__file__).resolve().parents[1]
    if git(root, "rev-parse", "--is-shallow-repository").strip() == "true":
        pytest.skip("a shallow clone does not hold the release commit")
    found = {r.version: r for r in released(root)}
    assert "1.0.0" in found
    assert git(root, "show", "-s", "--format=%s", found["1.0.0"].commit).strip() == "Release 1.0.0"
