"""Builds are all-or-nothing: a failure at every step, and a kill at every step, leaves either the
old files or the new ones, never a mix, and no temporary file outlives the next run.

The steps are found by running once with a hook that records them; then each test fails or
kills the process at each of them in turn (`_transaction.step_hook`), never by timing.
"""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from _tinypackage import edit_json, edit_text, make_package
from kerman_warning import PackageError, _transaction
from kerman_warning._package import open_package
from kerman_warning.build import build, derive
from kerman_warning.cli import main

KILLED = 70  # the exit status of a child killed by the hook


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` (the staging folder too), by relative path, with its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def changes(root: Path) -> dict[str, bytes]:
    """Edits in the sources of a built package, and what a build would write for them.

    Several derived files change, and one more output is new, in a folder that does not exist
    yet (as an output another part of `build` may add would be): the mechanism must work for
    any list of outputs.
    """
    edit_text(root / "data/events.csv", "2024-01-04", "2024-01-05")
    edit_text(root / "data/casualties.csv", "84", "85")
    edit_json(
        root / "schemas/events.schema.json", lambda s: s["fields"][1].update(description="The day.")
    )
    outputs = derive(open_package(root))
    files = {rel: data for rel, data in outputs.items() if (root / rel).read_bytes() != data}
    assert len(files) >= 4, files.keys()
    descriptor = files.pop("datapackage.json")
    return files | {"docs/new/reader.html": b"<html></html>\n", "datapackage.json": descriptor}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """A template package with edited sources, and the files its next build writes."""
    root = make_package(tmp_path_factory.mktemp("template") / "package")
    return root, changes(root)


def fresh(scenario: tuple[Path, dict[str, bytes]], target: Path) -> Path:
    shutil.copytree(scenario[0], target, symlinks=True)
    return target


def old_and_new(scenario: tuple[Path, dict[str, bytes]]) -> tuple[dict[str, bytes], ...]:
    old = tree(scenario[0])
    return old, old | scenario[1]


def recorded_steps(scenario: tuple[Path, dict[str, bytes]], tmp_path: Path) -> list[str]:
    steps: list[str] = []
    root = fresh(scenario, tmp_path / "recorded")
    _transaction.step_hook = steps.append
    try:
        _transaction.replace_all(root, scenario[1])
    finally:
        _transaction.step_hook = None
    assert tree(root) == old_and_new(scenario)[1]
    return steps


def fail_at(step: str, error: BaseException) -> Callable[[str], None]:
    def hook(now: str) -> None:
        if now == step:
            raise error

    return hook


def test_the_steps_cover_every_file(
    scenario: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    steps = recorded_steps(scenario, tmp_path)
    for relative in scenario[1]:
        assert f"stage {relative}" in steps and f"rename {relative}" in steps
    assert steps.index("journal") < steps.index(f"rename {next(iter(scenario[1]))}")
    assert steps[-3:] == ["rename datapackage.json", "commit", "clean"]  # the descriptor last
    assert "mkdir docs/new" in steps


def test_a_failure_at_any_step_changes_nothing(
    scenario: tuple[Path, dict[str, bytes]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = old_and_new(scenario)
    steps = recorded_steps(scenario, tmp_path)
    for number, step in enumerate(steps):
        root = fresh(scenario, tmp_path / str(number))
        disk_full = OSError(28, "No space left on device")
        monkeypatch.setattr(_transaction, "step_hook", fail_at(step, disk_full))
        if step == "clean":  # every file is in place: only the staging folder is left
            with pytest.raises(OSError):
                _transaction.replace_all(root, scenario[1])
            assert _transaction.recover(root)
            assert tree(root) == new, step
            continue
        with pytest.raises(PackageError, match=r"No space left on device\); nothing changed"):
            _transaction.replace_all(root, scenario[1])
        assert tree(root) == old, step
        assert not (root / "docs/new").exists()


def test_a_failure_while_undoing_is_undone_by_the_next_run(
    scenario: tuple[Path, dict[str, bytes]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = fresh(scenario, tmp_path / "package")
    last = f"rename {list(scenario[1])[-1]}"
    failing = {last, "undo docs/new/reader.html"}
    monkeypatch.setattr(
        _transaction,
        "step_hook",
        lambda step: (_ for _ in ()).throw(OSError(5, "I/O error")) if step in failing else None,
    )
    with pytest.raises(PackageError, match="run `kerman-warning build` again"):
        _transaction.replace_all(root, scenario[1])
    monkeypatch.setattr(_transaction, "step_hook", None)
    assert _transaction.pending(root)
    assert _transaction.recover(root)
    assert tree(root) == old_and_new(scenario)[0]


CHILD = textwrap.dedent(
    """
    import os, pickle, sys
    from pathlib import Path
    from kerman_warning import _transaction

    root, action, at, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    def hook(step):
        if step == at:
            os._exit(70)  # like SIGKILL: no cleanup, no finally
    _transaction.step_hook = hook
    if action == "replace":
        _transaction.replace_all(Path(root), pickle.loads(Path(files).read_bytes()))
    else:
        _transaction.recover(Path(root))
    """
)


def run_killed(runs: list[tuple[Path, str, str]], files: Path) -> None:
    """Run each (package, action, step) in a child killed at that step, all at once."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(root), action, step, str(files)],
            stderr=subprocess.PIPE,
        )
        for root, action, step in runs
    ]
    for child, (_, _, step) in zip(children, runs, strict=True):
        _, stderr = child.communicate(timeout=60)
        assert (child.returncode, stderr) == (KILLED, b""), (step, stderr.decode())


def test_a_kill_at_any_step_leaves_old_or_new_after_the_next_run(
    scenario: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    old, new = old_and_new(scenario)
    files = tmp_path / "files.pickle"
    files.write_bytes(pickle.dumps(scenario[1]))
    steps = recorded_steps(scenario, tmp_path)
    roots = [fresh(scenario, tmp_path / str(number)) for number in range(len(steps))]
    run_killed([(root, "replace", step) for root, step in zip(roots, steps, strict=True)], files)
    for root, step in zip(roots, steps, strict=True):
        _transaction.recover(root)
        expected = new if step == "clean" else old  # killed before "commit" is done: undone
        assert tree(root) == expected, step
        _transaction.replace_all(root, scenario[1])  # and the next build goes through
        assert tree(root) == new, step


def test_a_kill_while_undoing_is_undone_by_the_next_run(
    scenario: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    old, _ = old_and_new(scenario)
    files = tmp_path / "files.pickle"
    files.write_bytes(pickle.dumps(scenario[1]))
    interrupted = fresh(scenario, tmp_path / "interrupted")
    run_killed([(interrupted, "replace", "commit")], files)
    undo_steps: list[str] = []
    probe = tmp_path / "probe"
    shutil.copytree(interrupted, probe, symlinks=True)
    _transaction.step_hook = undo_steps.append
    try:
        _transaction.recover(probe)
    finally:
        _transaction.step_hook = None
    assert len(undo_steps) == len(scenario[1]) + 1  # one per file, then "forget"
    roots = [tmp_path / f"undo-{number}" for number in range(len(undo_steps))]
    for root in roots:
        shutil.copytree(interrupted, root, symlinks=True)
    run_killed([(root, "recover", s) for root, s in zip(roots, undo_steps, strict=True)], files)
    for root, step in zip(roots, undo_steps, strict=True):
        assert _transaction.recover(root)
        assert tree(root) == old, step


BUILD_KILLED = textwrap.dedent(
    """
    import os, sys
    from kerman_warning import _transaction
    from kerman_warning.build import build

    _transaction.step_hook = lambda step: os._exit(70) if step == sys.argv[2] else None
    build(sys.argv[1])
    """
)


def test_the_next_build_undoes_a_killed_one_and_builds(tmp_path: Path) -> None:
    root = make_package(tmp_path / "package")
    changes(root)
    expected = make_package(tmp_path / "expected")
    changes(expected)
    build(expected)
    done = subprocess.run(
        [sys.executable, "-c", BUILD_KILLED, str(root), "rename datapackage.json"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == KILLED, done.stderr.decode()
    assert _transaction.pending(root)
    with pytest.raises(PackageError, match="a build was interrupted"):
        build(root, check=True)  # --check writes nothing, not even the undoing
    assert main(["build", str(root)]) == 0
    assert tree(root) == tree(expected)


def test_a_forged_journal_cannot_reach_outside(tmp_path: Path) -> None:
    root = make_package(tmp_path / "package")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    staging = root / _transaction.STAGING
    staging.mkdir()
    (staging / "journal.json").write_text(
        '{"files": [{"path": "../victim.txt", "existed": false}], "folders": []}',
        encoding="utf-8",
    )
    (staging / "old-0").write_text("replaced\n", encoding="utf-8")
    before = tree(root)
    with pytest.raises(PackageError, match=r"journal entry '\.\./victim\.txt' leaves the package"):
        _transaction.recover(root)
    assert victim.read_text(encoding="utf-8") == "keep me\n"
    assert tree(root) == before


@pytest.mark.parametrize(
    "journal",
    ["not json", "[]", '{"files": [{"path": 1, "existed": true}], "folders": []}', "{}"],
)
def test_a_journal_build_did_not_write_is_refused(tmp_path: Path, journal: str) -> None:
    root = make_package(tmp_path / "package")
    (root / _transaction.STAGING).mkdir()
    (root / _transaction.STAGING / "journal.json").write_text(journal, encoding="utf-8")
    with pytest.raises(PackageError, match="is not a journal build wrote"):
        build(root)


def test_stale_staging_and_temporary_files_are_removed(tmp_path: Path) -> None:
    root = make_package(tmp_path / "package")
    before = tree(root)
    staging = root / _transaction.STAGING
    staging.mkdir()
    (staging / "new-0").write_bytes(b"half")  # killed while staging: no journal
    stale = root / "data/parquet/.events.parquet.k3j_x9q2.tmp"  # left by an older build
    stale.write_bytes(b"half")
    kept = root / "data/parquet/.events.parquet.notes"  # not a name a write ever makes
    kept.write_bytes(b"mine")
    assert build(root).changed == []
    assert not staging.exists() and not stale.exists()
    assert tree(root) == before | {"data/parquet/.events.parquet.notes": b"mine"}


def test_staging_in_the_way_is_refused(tmp_path: Path) -> None:
    root = make_package(tmp_path / "package")
    (root / _transaction.STAGING).symlink_to(tmp_path)
    edit_text(root / "data/casualties.csv", "84", "85")
    with pytest.raises(PackageError, match="is not a folder that build made"):
        build(root)
    assert (root / _transaction.STAGING).is_symlink()


def test_one_build_at_a_time(tmp_path: Path) -> None:
    """A second build never undoes the journal of one still running: it is refused."""
    root = make_package(tmp_path / "package")
    edit_text(root / "data/casualties.csv", "84", "85")
    before = tree(root)
    with _transaction.locked(root), pytest.raises(PackageError, match="another build"):
        build(root)
    assert tree(root) == before
    assert build(root).changed  # once the first is done, the next goes through
