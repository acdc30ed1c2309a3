"""Shared fixtures: copies of the real package that a test may break without harm."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_PARTS = ("datapackage.json", "data", "schemas")


def copy_package(target: Path) -> Path:
    """Copy the package (descriptor, data, schemas) into `target` and return it."""
    target.mkdir(parents=True, exist_ok=True)
    for part in PACKAGE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        else:
            shutil.copy2(source, target / part)
    return target


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A fresh copy of the real package in a temporary folder."""
    return copy_package(tmp_path / "package")
