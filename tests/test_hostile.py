"""The hostile-input catalogue: every kind of damage an attacker tried (issue 10, classes A-J)
and more, each with the exact rule or error and exit code it must give.

Every case runs in a child process bounded in time and memory (tests/_hostile.py), and each
asserts: the exit code; the rule id in the JSON report, or the text of the one error line;
no traceback; no hang (an alarm per case, a deadline per child); and that nothing outside
the package changed (nor, unless the command is meant to write, inside it). The cases run
in two children at once, so the whole table costs about two cold starts and the cases.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from _hostile import Case, Damage, collect, prepare, snapshot, start_child
from _tinypackage import edit_json, edit_text, make_package
from conftest import copy_package, get_cell, refresh, set_cell
from kerman_warning._limits import MAX_STREAMED_BYTES
from kerman_warning.build import build

GIB = 1 << 30
VALIDATE = ("validate", "{pkg}", "--format", "json")
BUILD = ("build", "{pkg}")


# --- damage ----------------------------------------------------------------------------------


def descriptor_edit(change: Callable[[dict[str, Any]], object]) -> Callable[[Path], None]:
    return lambda root: edit_json(root / "datapackage.json", change)


def events(change: Callable[[dict[str, Any]], object]) -> Callable[[Path], None]:
    """Edit the `events` resource of the descriptor (the first resource of both packages)."""

    def edit(descriptor: dict[str, Any]) -> None:
        block = next(r for r in descriptor["resources"] if r["name"] == "events")
        change(block)

    return descriptor_edit(edit)


def name(value: object) -> Callable[[Path], None]:
    return events(lambda block: block.update(name=value))


def path(value: str) -> Callable[[Path], None]:
    return events(lambda block: block.update(path=value))


def replace(relative: str, make: Callable[[Path], object]) -> Callable[[Path], None]:
    """Put something else (a FIFO, a folder, a link) where the package has a file."""

    def damage(root: Path) -> None:
        target = root / relative
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
        make(target)

    return damage


def fifo(target: Path) -> None:
    os.mkfifo(target)


def outside_link(to: str) -> Callable[[Path], None]:
    """A symlink to `to`: an absolute path, or a file of the case's `outside` folder (made)."""

    def make(target: Path) -> None:
        package = next(parent for parent in target.parents if parent.name == "package")
        destination = Path(to) if to.startswith("/") else package.parent / "outside" / to
        if not to.startswith("/") and not destination.exists():
            destination.write_text("outside the package\n", encoding="utf-8")
        target.symlink_to(destination)

    return make


def sparse(relative: str, size: int = 2 * GIB, head: bytes = b"") -> Callable[[Path], None]:
    """A sparse file of `size` bytes (no disk used) starting with `head`."""

    def damage(root: Path) -> None:
        with (root / relative).open("wb") as out:
            out.write(head)
            out.truncate(size)

    return damage


def write(relative: str, data: bytes) -> Callable[[Path], None]:
    return lambda root: (root / relative).write_bytes(data)


def folder_in_the_way(relative: str) -> Callable[[Path], None]:
    def make(target: Path) -> None:
        target.mkdir()
        (target / "keep.txt").write_text("mine\n", encoding="utf-8")

    return replace(relative, make)


def cell(table: str, key: str, field: str, value: str) -> Callable[[Path], None]:
    """Set one cell of the real package and refresh what build derives, so that only this
    cell is wrong."""

    def damage(root: Path) -> None:
        set_cell(root, table, key, field, value)
        refresh(root)

    return damage


def tiny_source_edit(root: Path) -> None:
    edit_text(root / "data/casualties.csv", "84", "85")


def both(*steps: Callable[[Path], object]) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        for step in steps:
            step(root)

    return damage


# --- the catalogue ---------------------------------------------------------------------------

VALIDATE_DP = ("validate", "{pkg}", "--rules", "datapackage", "--format", "json")
VALIDATE_TEXT = ("validate", "{pkg}")
DEV_ZERO = "/dev/zero"


def killed_build(root: Path) -> None:
    """A build of edited sources, killed (os._exit) just before it renames the descriptor."""
    tiny_source_edit(root)
    child = (
        "import os, sys\n"
        "from kerman_warning import _transaction\n"
        "from kerman_warning.build import build\n"
        "_transaction.step_hook = lambda s: os._exit(70) if s == 'rename datapackage.json' else 0\n"
        "build(sys.argv[1])\n"
    )
    done = subprocess.run([sys.executable, "-c", child, str(root)], check=False, timeout=60)
    assert done.returncode == 70 and (root / ".kerman-warning-build/journal.json").exists()


def journal(root: Path) -> None:
    (root / ".kerman-warning-build").mkdir()
    (root / ".kerman-warning-build/journal.json").write_text(
        '{"files": [], "folders": []}', encoding="utf-8"
    )


def deep(levels: int) -> bytes:
    return b'{"name": "kerman-warning", "resources": ' + b"[" * levels + b"]" * levels + b"}"


def json_schema_edit(table: str, change: Callable[[dict[str, Any]], object]) -> Damage:
    return lambda root: edit_json(root / f"schemas/json/{table}.json", change)


def field_pattern(table: str, name: str, pattern: str) -> Damage:
    def change(schema: dict[str, Any]) -> None:
        for field in schema["fields"]:
            if field["name"] == name:
                field.setdefault("constraints", {})["pattern"] = pattern

    return lambda root: edit_json(root / f"schemas/{table}.schema.json", change)


def tiny_cell(old: str, new: str) -> Damage:
    return lambda root: edit_text(root / "data/casualties.csv", old, new)


def zipped(entries: dict[str, bytes]) -> Damage:
    """A release zip beside the package (`{dir}/release.zip`) holding the package, and
    `entries` more (names may climb out, as an attacker's would)."""

    def damage(root: Path) -> None:
        with zipfile.ZipFile(root.parent / "release.zip", "w") as archive:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.write(path, f"package/{path.relative_to(root).as_posix()}")
            for name, data in entries.items():
                archive.writestr(name, data)

    return damage


def parquet_path(value: str) -> Damage:
    return events(lambda block: block["parquet"].update(path=value))


REAL = "real"
QUOTE = "quo-official-private-warning"


def quote_into_the_next(root: Path) -> None:
    article = (root / "data/article.ar.txt").read_text(encoding="utf-8")
    end = get_cell(root, "quotes", "quo-official-duty-to-warn", "end")
    start = int(get_cell(root, "quotes", QUOTE, "start"))
    set_cell(root, "quotes", QUOTE, "end", end)
    set_cell(root, "quotes", QUOTE, "exact", article[start : int(end)])
    refresh(root)


def g(id: str, table: str, key: str, field: str, value: str, rule: str) -> Case:
    """A cell of the real package that must be refused by `rule` (class G)."""
    return Case(id, "G", cell(table, key, field, value), VALIDATE, 1, f"rule:{rule}", REAL)


CASES = [
    # A: writes outside the package; names used as paths
    Case("name-climbs-out", "A", name("../../../../tmp/x/PWNED"), BUILD, 2, "error:is not a name"),
    Case("name-with-slash", "A", name("data/events"), BUILD, 2, "error:is not a name"),
    Case("name-absolute", "A", name("/tmp/PWNED"), BUILD, 2, "error:is not a name"),
    Case("name-hidden", "A", name(".events"), BUILD, 2, "error:is not a name"),
    Case("name-uppercase", "A", name("Events"), BUILD, 2, "error:is not a name"),
    Case("name-too-long", "A", name("e" * 65), BUILD, 2, "error:longer than 64 characters"),
    Case("name-not-a-string", "A", name(7), BUILD, 2, "error:is not a non-empty string"),
    Case("name-twice", "A", name("casualties"), BUILD, 2, "error:is used twice"),
    Case("name-climbs-out-validate", "A", name("../../x"), VALIDATE_DP, 1, "rule:name-safe"),
    Case("name-with-nul-validate", "A", name("ev\x00ents"), VALIDATE_DP, 1, "rule:name-safe"),
    Case("name-is-a-list-validate", "A", name([]), VALIDATE_DP, 1, "rule:name-safe"),
    Case(
        "derived-folder-links-out",
        "A",
        both(tiny_source_edit, replace("schemas/json", outside_link("."))),
        BUILD,
        2,
        "error:resolves outside the package",
    ),
    Case(
        "derived-file-links-out",
        "A",
        both(tiny_source_edit, replace("docs/rules.md", outside_link("rules.md"))),
        BUILD,
        2,
        "error:resolves outside the package",
    ),
    Case("source-path-climbs-out", "A", path("../outside/keep.txt"), BUILD, 2, "error:'..'"),
    Case("source-path-absolute", "A", path("/etc/passwd"), BUILD, 2, "error:is absolute"),
    Case("source-path-url", "A", path("https://example.org/x.csv"), BUILD, 2, "error:is a URL"),
    Case(
        "source-links-out",
        "A",
        replace("data/events.csv", outside_link("events.csv")),
        BUILD,
        2,
        "error:resolves outside the package",
    ),
    Case("path-climbs-out", "A", path("../outside/keep.txt"), VALIDATE_DP, 1, "rule:path-safe"),
    Case("path-absolute", "A", path("/etc/passwd"), VALIDATE_DP, 1, "rule:path-safe"),
    Case("path-file-url", "A", path("file:///etc/passwd"), VALIDATE_DP, 1, "rule:path-safe"),
    Case("path-home", "A", path("~/events.csv"), VALIDATE_DP, 1, "rule:path-safe"),
    Case("path-backslash", "A", path("data\\events.csv"), VALIDATE_DP, 1, "rule:path-safe"),
    Case(
        "path-links-out",
        "A",
        replace("data/events.csv", outside_link("events.csv")),
        VALIDATE_DP,
        1,
        "rule:path-safe",
    ),
    Case(
        "schema-path-climbs-out",
        "A",
        events(lambda block: block.update(schema="../outside/keep.txt")),
        VALIDATE_DP,
        1,
        "rule:path-safe",
    ),
    Case(
        "parquet-path-climbs-out",
        "A",
        parquet_path("../outside/keep.txt"),
        VALIDATE_DP,
        1,
        "rule:path-safe",
    ),
    # B: half-written builds
    Case(
        "derived-file-is-a-folder",
        "B",
        both(tiny_source_edit, folder_in_the_way("docs/rules.md")),
        BUILD,
        2,
        "error:docs/rules.md is not a regular file",
    ),
    Case(
        "derived-file-is-a-fifo",
        "B",
        both(tiny_source_edit, replace("docs/rules.md", fifo)),
        BUILD,
        2,
        "error:docs/rules.md is not a regular file",
    ),
    Case(
        "staging-folder-links-out",
        "B",
        lambda root: (root / ".kerman-warning-build").symlink_to(root.parent / "outside"),
        BUILD,
        2,
        "error:is not a folder that build made",
    ),
    Case(
        "forged-journal-points-out",
        "B",
        both(
            lambda root: (root / ".kerman-warning-build").mkdir(),
            write(
                ".kerman-warning-build/journal.json",
                b'{"files": [{"path": "../outside/keep.txt", "existed": false}], "folders": []}',
            ),
        ),
        BUILD,
        2,
        "error:leaves the package folder",
    ),
    Case("killed-build-then-validate", "B", killed_build, VALIDATE_DP, 2, "rule:build-complete"),
    Case(
        "killed-build-then-build",
        "B",
        killed_build,
        BUILD,
        0,
        "stdout:changed",
        writes=True,
    ),
    Case(
        "check-after-a-killed-build",
        "B",
        journal,
        ("build", "{pkg}", "--check"),
        2,
        "error:a build was interrupted",
    ),
    Case(
        "stale-temporary-files",
        "B",
        write("data/parquet/.events.parquet.abcd_123.tmp", b"half"),
        BUILD,
        0,
        "stdout:0 changed",
        writes=True,
    ),
    # C: diff on an untrusted zip
    Case(
        "zip-entry-climbs-out",
        "C",
        zipped({"../../outside/evil.txt": b"pwned\n", "/tmp/kw-evil-abs.txt": b"pwned\n"}),
        ("diff", "{pkg}", "{dir}/release.zip"),
        2,
        "error:is not a safe relative path",  # refused before anything is expanded
    ),
    Case(
        "zip-without-descriptor",
        "C",
        lambda root: zipfile.ZipFile(root.parent / "release.zip", "w").close(),
        ("diff", "{pkg}", "{dir}/release.zip"),
        2,
        "error:",
    ),
    Case(
        "zip-that-is-not-a-zip",
        "C",
        lambda root: (root.parent / "release.zip").write_bytes(b"PK\x03\x04 not really"),
        ("diff", "{pkg}", "{dir}/release.zip"),
        2,
        "error:not a readable zip",
    ),
    # D: export
    Case(
        "export-unknown-name",
        "D",
        lambda root: None,
        ("export", "../../etc/passwd", "--path", "{pkg}", "--format", "csv", "--output", "-"),
        2,
        "error:no resource named",
    ),
    Case(
        "export-parquet-links-out",
        "D",
        parquet_path("../outside/keep.txt"),
        ("export", "events", "--path", "{pkg}", "--format", "parquet", "--output", "{dir}/o.pq"),
        2,
        "error:'..'",
    ),
    # E: hangs in validate
    Case(
        "row-json-schema-is-a-fifo",
        "E",
        replace("schemas/json/events.json", fifo),
        VALIDATE,
        1,
        "rule:json-schema-in-sync",
        REAL,
        timeout=10,
    ),
    Case(
        "row-json-schema-is-dev-zero",
        "E",
        replace("schemas/json/events.json", outside_link(DEV_ZERO)),
        VALIDATE,
        1,
        "rule:json-schema-in-sync",
        REAL,
        timeout=10,
    ),
    Case(
        "row-json-schema-links-out",
        "E",
        replace("schemas/json/events.json", outside_link("events.json")),
        VALIDATE,
        1,
        "rule:json-schema-in-sync",
        REAL,
    ),
    Case(
        "csv-is-a-fifo",
        "E",
        replace("data/events.csv", fifo),
        VALIDATE_DP,
        1,
        "rule:file-present",
        timeout=10,
    ),
    Case(
        "csv-is-dev-zero",
        "E",
        replace("data/events.csv", outside_link(DEV_ZERO)),
        VALIDATE_DP,
        1,
        "rule:path-safe",
        timeout=10,
    ),
    Case(
        "descriptor-is-a-fifo",
        "E",
        replace("datapackage.json", fifo),
        VALIDATE_DP,
        2,
        "rule:descriptor-readable",
        timeout=10,
    ),
    Case(
        "descriptor-is-dev-zero",
        "E",
        replace("datapackage.json", outside_link(DEV_ZERO)),
        VALIDATE_DP,
        2,
        "rule:descriptor-readable",
        timeout=10,
    ),
    Case(
        "table-schema-is-a-fifo",
        "E",
        replace("schemas/events.schema.json", fifo),
        VALIDATE_DP,
        1,
        "rule:file-present",
        timeout=10,
    ),
    Case(
        "article-is-a-fifo",
        "E",
        replace("data/article.ar.txt", fifo),
        VALIDATE,
        1,
        "rule:file-present",
        REAL,
        timeout=10,
    ),
    Case(
        "catastrophic-pattern-in-row-json-schema",
        "E",
        both(
            cell("references", "ref-wsj-report", "note", "a" * 60 + "!"),
            json_schema_edit(
                "references",
                lambda s: s["properties"]["note"].update(pattern="^(a+)+$"),
            ),
        ),
        VALIDATE,
        1,
        "rule:row-json-schema",
        REAL,
        timeout=10,
    ),
    Case(
        "backreference-in-row-json-schema",
        "E",
        json_schema_edit("events", lambda s: s["properties"]["event_id"].update(pattern="(a)\\1")),
        VALIDATE,
        1,
        "rule:pattern-linear",
        REAL,
    ),
    Case(
        "catastrophic-pattern-in-table-schema",
        "E",
        both(
            field_pattern("casualties", "note", "^(a+)+$"),
            tiny_cell("cas-killed,killed,84,", "cas-killed,killed,84," + "a" * 60 + "!"),
            lambda root: build(root),
        ),
        VALIDATE_DP,
        1,
        "rule:pattern",
        timeout=10,
    ),
    Case(
        "backreference-in-table-schema",
        "E",
        field_pattern("casualties", "note", "(a)\\1"),
        VALIDATE_DP,
        1,
        "rule:descriptor-profile",
    ),
    # F: aborts with no report
    Case(
        "descriptor-lone-surrogate",
        "F",
        lambda root: edit_text(root / "datapackage.json", "A tiny", "A \\ud800 tiny"),
        VALIDATE_DP,
        2,
        "rule:descriptor-readable",
    ),
    Case(
        "descriptor-lone-surrogate-ascii-terminal",
        "F",
        lambda root: edit_text(root / "datapackage.json", "A tiny", "A \\udc80 tiny"),
        VALIDATE_DP,
        2,
        "rule:descriptor-readable",
        stdout_encoding="ascii",
    ),
    Case(
        "arabic-on-an-ascii-terminal",
        "F",
        name("\u0627\u0644\u0623\u062d\u062f\u0627\u062b"),
        VALIDATE_DP,
        1,
        "rule:name-safe",
        stdout_encoding="ascii",
    ),
    Case(
        "descriptor-nested-100000-deep",
        "F",
        write("datapackage.json", deep(100_000)),
        VALIDATE_DP,
        2,
        "rule:descriptor-readable",
    ),
    Case(
        "table-schema-nested-100000-deep",
        "F",
        write("schemas/events.schema.json", deep(100_000)),
        VALIDATE_DP,
        1,
        "rule:descriptor-profile",
    ),
    Case("path-with-nul", "F", path("data/ev\x00ents.csv"), VALIDATE_DP, 1, "rule:path-safe"),
    Case(
        "csv-over-the-streamed-limit-sparse",
        "F",
        sparse("data/events.csv", size=MAX_STREAMED_BYTES + 1, head=b"event_id,date\n"),
        VALIDATE_DP,
        1,
        "rule:file-size-limit",
    ),
    Case(
        "article-2-gib-sparse",
        "F",
        sparse("data/article.ar.txt"),
        VALIDATE,
        1,
        "rule:file-size-limit",
        REAL,
    ),
    Case(
        "descriptor-2-gib-sparse",
        "F",
        sparse("datapackage.json", head=b"{"),
        VALIDATE_DP,
        2,
        "rule:descriptor-readable",
    ),
    Case(
        "table-schema-2-gib-sparse",
        "F",
        sparse("schemas/events.schema.json", head=b"{"),
        VALIDATE_DP,
        1,
        "rule:file-size-limit",
    ),
    Case(
        "parquet-2-gib-sparse",
        "F",
        sparse("data/parquet/events.parquet", head=b"PAR1"),
        VALIDATE_DP,
        1,
        "rule:file-size-limit",
    ),
    Case(
        "header-then-nuls",
        "F",
        sparse("data/events.csv", size=8 << 20, head=b"event_id,date\n"),
        VALIDATE_DP,
        1,
        "rule:csv-readable",
    ),
    Case(
        "build-csv-2-gib-sparse",
        "F",
        sparse("data/events.csv", head=b"event_id,date\n"),
        BUILD,
        2,
        "error:MAX_CSV_BYTES",
    ),
    Case(
        "descriptor-not-utf8",
        "F",
        write("datapackage.json", b'{"name": "\xff\xfe"}'),
        VALIDATE_DP,
        2,
        "rule:descriptor-readable",
    ),
    Case(
        "descriptor-with-bom",
        "F",
        lambda root: write(
            "datapackage.json", b"\xef\xbb\xbf" + (root / "datapackage.json").read_bytes()
        )(root),
        VALIDATE_DP,
        2,
        "rule:descriptor-readable",
    ),
    Case(
        "descriptor-is-an-array",
        "F",
        write("datapackage.json", b"[]"),
        VALIDATE_DP,
        2,
        "rule:descriptor-readable",
    ),
    Case(
        "csv-random-bytes",
        "F",
        write("data/events.csv", bytes(range(256)) * 8),
        VALIDATE_DP,
        1,
        "rule:csv-readable",
    ),
    # G: bad bytes that passed as valid (the real package, rebuilt so hashes agree)
    g("cell-with-nul", "entities", "ent-iran", "note_en", "Iran\x00", "text-characters"),
    g("cell-with-esc", "entities", "ent-iran", "note_en", "Iran\x1b[31m", "text-characters"),
    g("cell-with-bel", "entities", "ent-iran", "note_en", "Iran\x07", "text-characters"),
    g("cell-with-c1", "entities", "ent-iran", "note_en", "Iran\x9b31m", "text-characters"),
    g("cell-with-tab", "entities", "ent-iran", "note_en", "Iran\tTehran", "text-characters"),
    g("cell-with-newline", "entities", "ent-iran", "note_en", "Iran\nTehran", "text-characters"),
    g("cell-with-soft-hyphen", "entities", "ent-iran", "name_ar", "إي\u00adران", "text-characters"),
    g(
        "cell-with-tags",
        "entities",
        "ent-iran",
        "note_en",
        "Iran\U000e0049\U000e007f",
        "text-characters",
    ),
    g("cell-with-rlo", "entities", "ent-iran", "note_en", "Iran\u202e", "text-characters"),
    g(
        "cell-with-zwnj-in-latin",
        "entities",
        "ent-iran",
        "note_en",
        "Ir\u200can",
        "text-characters",
    ),
    g("cell-with-bom", "entities", "ent-iran", "note_en", "\ufeffIran", "text-characters"),
    g(
        "full-width-digits",
        "casualties",
        "cas-attack-kerman-killed",
        "number_as_written",
        "８４",
        "number-agrees",
    ),
    g("cell-formula", "entities", "ent-iran", "note_en", "=1+1", "no-formula-cells"),
    g("cell-too-long", "entities", "ent-iran", "note_en", "x" * 10_001, "cell-size-limit"),
    Case(
        "descriptor-duplicate-keys",
        "G",
        lambda root: edit_text(
            root / "datapackage.json",
            '"name": "kerman-warning",',
            '"name": "kerman-warning", "name": "other",',
        ),
        VALIDATE_DP,
        2,
        "rule:descriptor-readable",
    ),
    Case(
        "descriptor-nan",
        "G",
        lambda root: edit_text(root / "datapackage.json", '"bytes": ', '"bytes": NaN, "x": '),
        VALIDATE_DP,
        2,
        "rule:descriptor-readable",
    ),
    Case(
        "descriptor-infinity",
        "G",
        lambda root: edit_text(root / "datapackage.json", '"bytes": ', '"bytes": -Infinity, "x": '),
        VALIDATE_DP,
        2,
        "rule:descriptor-readable",
    ),
    Case(
        "quote-into-the-next",
        "G",
        quote_into_the_next,
        VALIDATE,
        1,
        "rule:direct-quote-verbatim",
        REAL,
    ),
    g(
        "claim-about-itself",
        "events",
        "evt-claim-isis",
        "about_event_id",
        "evt-claim-isis",
        "claim-after-attack",
    ),
    # H: terminal injection (every case also asserts no raw ESC reaches stdout or stderr)
    Case(
        "osc-in-a-cell-text-report",
        "H",
        cell("entities", "ent-iran", "note_en", "\x1b]0;owned\x07\x1b[2J"),
        VALIDATE_TEXT,
        1,
        "stdout:\\x1b]0;owned\\x07",
        REAL,
    ),
    Case(
        "bidi-override-in-a-cell-text-report",
        "H",
        cell("entities", "ent-iran", "note_en", "Iran\u202egnp.exe"),
        VALIDATE_TEXT,
        1,
        "stdout:\\u202e",
        REAL,
    ),
    Case(
        "esc-in-a-name-text-report",
        "H",
        name("ev\x1b[2J"),
        ("validate", "{pkg}", "--rules", "datapackage"),
        1,
        "stdout:\\x1b[2J",
    ),
    Case("esc-in-a-name-error-line", "H", name("ev\x1b[2J"), BUILD, 2, "error:\\x1b[2J"),
    Case(
        "osc-in-a-cell-diff-report",
        "H",
        both(
            lambda root: shutil.copytree(root, root.parent / "outside/old"),
            tiny_cell("cas-killed,killed,84,", "cas-killed,killed,84,\x1b]0;owned\x07"),
            build,
        ),
        ("diff", "{dir}/outside/old", "{pkg}"),
        0,
        "stdout:\\x1b]0;owned\\x07",
    ),
    # J: load()
    Case(
        "load-path-with-nul",
        "J",
        parquet_path("data/parquet/ev\x00.parquet"),
        ("@load", "events", "{pkg}"),
        2,
        "error:holds a NUL",
    ),
    Case(
        "load-parquet-links-out",
        "J",
        replace("data/parquet/events.parquet", outside_link("x.parquet")),
        ("@load", "events", "{pkg}"),
        2,
        "error:resolves outside",
    ),
    Case(
        "load-parquet-is-a-fifo",
        "J",
        replace("data/parquet/events.parquet", fifo),
        ("@load", "events", "{pkg}"),
        2,
        "error:is not a regular file",
        timeout=10,
    ),
    Case(
        "load-name-climbs-out",
        "J",
        lambda root: None,
        ("@load", "../../etc/passwd", "{pkg}"),
        2,
        "error:no resource named",
    ),
    Case(
        "load-descriptor-nested-deep",
        "J",
        write("datapackage.json", deep(100_000)),
        ("@load", "events", "{pkg}"),
        2,
        "error:nests deeper than 64",
    ),
]
VALIDATE_KINDS = {"rule", "stdout", "error"}


# --- running them ----------------------------------------------------------------------------


def make_real(root: Path) -> Path:
    return copy_package(root)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every case prepared and run, in two children (one per core); the first starts while
    the second half of the cases is still being prepared. Results and snapshots by id.

    The tiny package is built once and copied for each case (a build is what a case costs
    most to prepare; the copy has the same bytes, the build does not depend on the folder)."""
    work = tmp_path_factory.mktemp("hostile")
    (work / "home").mkdir()
    tiny = make_package(tmp_path_factory.mktemp("hostile-template") / "package")

    def make_tiny(root: Path) -> Path:
        shutil.copytree(tiny, root, symlinks=True)
        return root

    before: dict[str, Any] = {}
    children = []
    for number, cases in enumerate((CASES[0::2], CASES[1::2])):
        batch = []
        for case in cases:
            folder = work / case.id
            make = make_real if case.package == "real" else make_tiny
            batch.append(prepare(case, folder, make))
            before[case.id] = snapshot(folder)
        children.append(start_child(batch, work, number))
    return {"work": work, "results": collect(children), "before": before}


def test_the_catalogue_covers_every_class() -> None:
    assert len({case.id for case in CASES}) == len(CASES) >= 60
    assert {case.klass for case in CASES} >= set("ABCDEFGHJ")
    assert {case.expect.partition(":")[0] for case in CASES} <= VALIDATE_KINDS


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input_gives_its_exact_answer(case: Case, outcomes: dict[str, Any]) -> None:
    assert "<child>" not in outcomes["results"], outcomes["results"].get("<child>")
    result = outcomes["results"][case.id]
    everything = result["stdout"] + result["stderr"]
    assert result["crash"] is None, result["crash"]
    assert "Traceback" not in everything and "unexpected" not in result["stderr"]
    assert result["code"] == case.code, everything
    assert result["seconds"] < case.timeout
    kind, _, expected = case.expect.partition(":")
    if kind == "rule":
        report = json.loads(result["stdout"])
        assert expected in {problem["rule"] for problem in report["problems"]}, everything
        assert report["exit_code"] == case.code
    elif kind == "stdout":
        assert expected in result["stdout"], everything
    else:
        assert kind == "error"
        assert result["stderr"].count("\n") == 1, result["stderr"]
        assert expected in result["stderr"]
    assert "\x1b" not in everything  # control characters reach no terminal
    folder = outcomes["work"] / case.id
    after = snapshot(folder)
    before = outcomes["before"][case.id]
    if case.writes:
        after = {k: v for k, v in after.items() if not k.startswith("package/")}
        before = {k: v for k, v in before.items() if not k.startswith("package/")}
    assert after == before, sorted(set(after.items()) ^ set(before.items()))
    for planted in ("/tmp/x/PWNED.parquet", "/tmp/PWNED.parquet", "/tmp/kw-evil-abs.txt"):
        assert not Path(planted).exists()


def test_no_case_wrote_to_home_or_left_a_temporary_file(outcomes: dict[str, Any]) -> None:
    """HOME is the children's own empty folder, and each case's TMPDIR is its `tmp` folder:
    after every case, both are still empty (scratch folders removed on every exit path)."""
    work = outcomes["work"]
    assert list((work / "home").iterdir()) == []
    leftovers = [case.id for case in CASES if any((work / case.id / "tmp").iterdir())]
    assert leftovers == []
