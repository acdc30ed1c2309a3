"""The wheel carries the whole data package: installed in a fresh venv, away from the repo,
every resource loads offline."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHECK = """
import pathlib, sys
import kerman_warning as kw
here = pathlib.Path(kw.__file__).resolve()
assert "site-packages" in here.parts, here
assert pathlib.Path(kw.datapackage()["resources"][0]["path"]).parts[0] == "data"
for name in kw.resource_names():
    csv, parquet = kw.load(name, format="csv"), kw.load(name)
    assert csv.equals(parquet) and parquet.num_rows > 0, name
assert len(kw.text()) > 0
try:
    kw.load_pandas("events")
except kw.PackageError as error:
    assert "kerman-warning[pandas]" in str(error)
else:
    raise AssertionError("pandas should not be installed")
print("ok", kw.__version__, len(kw.resource_names()))
"""


@pytest.mark.slow
def test_the_installed_wheel_works_without_the_repository(dists: Path, tmp_path: Path) -> None:
    (wheel,) = dists.glob("kerman_warning-*.whl")  # built from the sdist, as for a release
    with zipfile.ZipFile(wheel) as archive:  # the official profiles ship, byte for byte
        names = set(archive.namelist())
        for name in ("datapackage", "dataresource", "tabledialect", "tableschema"):
            assert f"kerman_warning/validate/profiles/2.0/{name}.json" in names
        assert "kerman_warning/validate/profiles/kerman-warning.datapackage.json" in names
    env_dir = tmp_path / "venv"
    # No pip of its own (ensurepip costs seconds): this pip installs into it (`--python`).
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-c",
            str(ROOT / "constraints.txt"),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    away = tmp_path / "elsewhere"
    away.mkdir()
    result = subprocess.run(
        [str(python), "-c", CHECK], cwd=away, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok ")
