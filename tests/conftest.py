"""Shared fixtures: copies of the real package that a test may break without harm, and helpers
to edit them the way a maintainer would (a cell, the descriptor, a schema), then refresh the
derived bytes, hashes and Parquet copies so that only the intended edit is wrong."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_PARTS = ("datapackage.json", "data", "schemas")


# --- Two workers under 60 s (`make pytest` runs `pytest -n 2`) -------------------------------

# Test files whose tests must all run on one worker: their module or session fixtures are
# expensive (the hostile catalogue runs every case in its fixture; a figure drawn; Chromium;
# a wheel built), and each worker running a share of the tests would pay for them again.
# Files under one name share one worker. (pytest-xdist's own `xdist_group` marker does not
# work with pytest 9: it renames `item._nodeid`, which pytest 9 no longer reads.)
ONE_WORKER = {
    "tests/test_hostile.py": "hostile",
    "tests/test_wheel.py": "dists",
    "tests/test_packaging.py": "dists",
    "tests/test_timeline.py": "timeline",
    "tests/test_reader_browser.py": "browser",
    "tests/test_croissant.py": "croissant",
    "tests/test_annotations.py": "annotations",
    "tests/test_hfcard.py": "hfcard",
}
# The long ones start first, so that neither worker is left with one at the end; the rest
# keep their order. A node id here is a file (all its tests) or one test.
FIRST = (
    "tests/test_hostile.py",
    "tests/test_wheel.py",
    "tests/test_packaging.py",
    "tests/validate/test_validate.py::test_random_mutations_never_crash_and_are_reported",
    "tests/test_timeline.py",
    "tests/test_makefile.py",
    "tests/test_fuzz.py",
    "tests/test_reader_browser.py",
    "tests/test_transaction.py",
    "tests/validate/test_validate.py::test_cli_exit_codes_and_no_traceback",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the tests of FIRST first (a stable sort: same order on every worker)."""

    def rank(item: pytest.Item) -> int:
        nodeid = item.nodeid
        for index, prefix in enumerate(FIRST):
            if nodeid == prefix or nodeid.startswith((prefix + "::", prefix + "[")):
                return index
        return len(FIRST)

    items.sort(key=rank)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: absent with -p no:xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """For `-n N` (xdist's default, --dist load): its scheduler by scopes, a scope being one
    test, or a file of ONE_WORKER (all the files of one name), handed out in collection order
    (FIRST first). Another --dist given on the command line is left to xdist."""
    if config.getoption("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduler(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return ONE_WORKER.get(nodeid.split("::", 1)[0], nodeid)

    config.option.loadscopereorder = False  # keep FIRST first, not the biggest scope
    return Scheduler(config, log)


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


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel `python -m build` makes (the wheel from the sdist, as for a
    release), built once per session for test_packaging and test_wheel: read them, never
    change them. Both modules are under one name in ONE_WORKER: one worker builds them."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return out


# --- Editing a copy --------------------------------------------------------------------------


def descriptor(root: Path) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    return value


def write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def edit_json(path: Path, change: Callable[[Any], object]) -> None:
    """Load a JSON file, let `change` edit it in place, write it back."""
    value = json.loads(path.read_text(encoding="utf-8"))
    change(value)
    write_json(path, value)


def resource(root: Path, name: str) -> dict[str, Any]:
    return next(r for r in descriptor(root)["resources"] if r["name"] == name)


def csv_path(root: Path, name: str) -> Path:
    return root / resource(root, name)["path"]


def read_rows(root: Path, name: str) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of a resource's CSV, every cell as text."""
    with csv_path(root, name).open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    return records[0], records[1:]


def serialize(records: list[list[str]]) -> list[str]:
    """Each record as the text csv.writer gives it (minimal quoting, LF line ends)."""
    out = []
    for record in records:
        buffer = io.StringIO()
        # csv quotes a field with LF but not one with a lone CR: quote that record fully
        quoting = csv.QUOTE_ALL if any("\r" in cell for cell in record) else csv.QUOTE_MINIMAL
        csv.writer(buffer, lineterminator="\n", quoting=quoting).writerow(record)
        out.append(buffer.getvalue())
    return out


def line_breaks(text: str) -> int:
    """Lines a text spans past its first: LF, CRLF and a lone CR each end one."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def write_rows(root: Path, name: str, header: list[str], rows: list[list[str]]) -> list[int]:
    """Write a CSV; return the line each data row starts on (the header is line 1)."""
    texts = serialize([header, *rows])
    csv_path(root, name).write_text("".join(texts), encoding="utf-8", newline="")
    lines, line = [], 1 + line_breaks(texts[0])
    for text in texts[1:]:
        lines.append(line)
        line += line_breaks(text)
    return lines


def set_cell(root: Path, name: str, key: str, field: str, value: str) -> int:
    """Set `field` of the row whose first cell (its id) is `key`; return that row's line."""
    header, rows = read_rows(root, name)
    index = next(i for i, row in enumerate(rows) if row[0] == key)
    rows[index][header.index(field)] = value
    return write_rows(root, name, header, rows)[index]


def get_cell(root: Path, name: str, key: str, field: str) -> str:
    header, rows = read_rows(root, name)
    return next(row for row in rows if row[0] == key)[header.index(field)]


def line_of(root: Path, name: str, key: str) -> int:
    header, rows = read_rows(root, name)
    index = next(i for i, row in enumerate(rows) if row[0] == key)
    return write_rows(root, name, header, rows)[index]


def refresh(root: Path, *, json_schemas: bool = False) -> None:
    """Recompute what `build` derives (bytes, hashes, Parquet; JSON Schemas if asked) so that a
    test's edit breaks its rule and nothing else, even when a cell no longer parses."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from kerman_warning._conventions import json_schema_path, row_json_schema
    from kerman_warning._errors import KermanWarningError
    from kerman_warning._io import json_bytes
    from kerman_warning.tableschema import arrow_schema, read_csv_text, typed_columns

    package = descriptor(root)
    stamp = f"{package.get('name')}@{package.get('version')}"
    for block in package["resources"]:
        if not isinstance(block.get("path"), str):
            continue  # inline data: nothing on disk to refresh
        path = root / block["path"]
        if not path.is_file():
            continue
        data = path.read_bytes()
        block["bytes"], block["hash"] = len(data), f"sha256:{hashlib.sha256(data).hexdigest()}"
        if block.get("type") != "table" or "parquet" not in block:
            continue
        schema_bytes = (root / block["schema"]).read_bytes()
        schema = json.loads(schema_bytes.decode("utf-8"))
        if json_schemas:
            (root / json_schema_path(block["name"])).write_bytes(
                json_bytes(row_json_schema(block["name"], block, schema))
            )
        target = root / block["parquet"]["path"]
        inputs = (stamp, block["path"], block["schema"], data, schema_bytes)
        # The real package's own Parquet copy of these very inputs is what a rewrite gives.
        if not (target.is_file() and _as_built(block["name"], inputs, target.read_bytes())):
            names = [f["name"] for f in schema["fields"]]
            try:
                text = read_csv_text(path, names)
            except KermanWarningError:
                continue  # an unreadable CSV keeps its old Parquet copy
            columns, _ = typed_columns(text, schema)
            fields = [
                f.with_nullable(f.nullable or columns[f.name].null_count > 0)
                for f in arrow_schema(schema)
            ]
            table = pa.table([columns[f.name] for f in fields], schema=pa.schema(fields))
            keys = schema.get("primaryKey", [])
            if keys and table.num_rows:
                table = table.sort_by([(k, "ascending") for k in keys])
            pq.write_table(
                table.replace_schema_metadata({"datapackage.package": stamp}),
                target,
                compression="zstd",
            )
        parquet = target.read_bytes()
        block["parquet"]["bytes"] = len(parquet)
        block["parquet"]["hash"] = f"sha256:{hashlib.sha256(parquet).hexdigest()}"
    (root / "datapackage.json").write_bytes(json_bytes(package))


_BUILT: dict[str, tuple[tuple[object, ...], bytes]] = {}


def _as_built(name: str, inputs: tuple[object, ...], parquet: bytes) -> bool:
    """Whether a table's inputs (package stamp, CSV and schema paths and bytes) and its Parquet
    copy are byte for byte those of the real package, which `build` made from those inputs:
    refresh would only rewrite what is there (most tests edit one table of twelve)."""
    if not _BUILT:
        package = descriptor(ROOT)
        stamp = f"{package.get('name')}@{package.get('version')}"
        for block in package["resources"]:
            if "parquet" in block and isinstance(block.get("path"), str):
                built = (
                    stamp,
                    block["path"],
                    block["schema"],
                    (ROOT / block["path"]).read_bytes(),
                    (ROOT / block["schema"]).read_bytes(),
                )
                _BUILT[block["name"]] = (built, (ROOT / block["parquet"]["path"]).read_bytes())
    return _BUILT.get(name) == (inputs, parquet)
