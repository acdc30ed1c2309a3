"""The public surface: small, typed, explicit, and free at import time."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import kerman_warning as kw

ROOT = Path(__file__).resolve().parents[1]


def test_import_loads_neither_pyarrow_nor_pandas() -> None:
    code = (
        "import sys, kerman_warning\n"
        "heavy = [m for m in ('pyarrow', 'pandas', 'numpy', 'polars') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_public_api_is_explicit() -> None:
    assert sorted(kw.__all__) == sorted(
        [
            "DataError",
            "KermanWarningError",
            "PackageError",
            "__version__",
            "datapackage",
            "export_annotations",
            "load",
            "load_all",
            "load_pandas",
            "load_polars",
            "pandas_dtypes",
            "read_csv_kwargs",
            "resource_names",
            "schema",
            "tables",
            "text",
        ]
    )
    assert all(hasattr(kw, name) for name in kw.__all__)


def test_the_package_is_typed() -> None:
    assert (Path(kw.__file__).parent / "py.typed").is_file()


def test_versions_agree() -> None:
    """Package version, datapackage.json version and the top released CHANGELOG entry agree."""
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["version"] == kw.__version__
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in pyproject["project"]["dynamic"]  # read from _version.py: one place
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, re.M)
    assert released, "CHANGELOG.md has no released version"
    assert released[0] == kw.__version__
