"""The rule catalogue: `--list-rules` as text or JSON, and the text of docs/rules.md.

Importing this module imports every rule (the stages and this project's rules), so the
catalogue is complete; `build` imports it lazily to write docs/rules.md.
"""

from __future__ import annotations

import json

from . import engine  # noqa: F401  (declares the engine's rules and imports every rule module)
from .report import LIMIT, REPORT_FORMAT
from .spec import STAGE_TITLES, STAGES, Rule, RuleSet, ordered

__all__ = ["catalogue"]


def catalogue(*, format: str = "text", rules: RuleSet = "all") -> str:
    """The rule catalogue as `text` (for --list-rules), `json`, or `markdown` (docs/rules.md)."""
    listed = ordered(rules)
    if format == "json":
        document = {
            "format": "kerman-warning.rules",
            "version": 1,
            "rules": [r.as_dict() for r in listed],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if format == "markdown":
        return _markdown(listed)
    if format != "text":
        raise ValueError(f"format must be text, json or markdown, not {format!r}")
    width = max(len(r.id) for r in listed)
    lines = []
    for stage, number in STAGES.items():
        lines.append(f"stage {number}: {STAGE_TITLES[stage]}")
        for r in listed:
            if r.stage == stage:
                scope = "" if r.scope == "datapackage" else "  [project]"
                lines.append(f"  {r.id:<{width}}  {r.severity:<7}  {r.description}{scope}")
    return "\n".join(lines) + "\n"


HOW_IT_RUNS = f"""\
## How validation runs

`kerman-warning validate [PATH]` (or `kerman_warning.validate.validate(path)`) checks a copy of
the package (a folder or its `datapackage.json`; by default the one shipped). The five stages
label problems; the work runs in this order (`src/kerman_warning/validate/engine.py`):

1. the descriptor is read and checked against the official Data Package v2.0 profiles (and,
   under `--rules all`, this project's profile); every path is resolved; every file starts
   being hashed in a worker thread;
2. under `--rules all`, the documents' texts are read;
3. each table is streamed once, referenced tables first: Table Schema checks, keys and
   foreign keys, batch rules, the Parquet comparison and the JSON Schema sample, batch by
   batch (a foreign key into a table read later, in a cycle or into its own table, is
   resolved when that table is complete);
4. sizes and hashes, then the final rules.

A problem stops only what cannot run after it: a descriptor that is not JSON ends the run
(exit code 2); a resource whose path is unsafe, whose file is missing or whose Table Schema
cannot be checked is left out of later checks, and so are the foreign keys into it.

**Rule sets.** `--rules all` (the default) runs every rule below; asked of a package that is
not kerman-warning it says so in one line (`project-package`) and runs the `datapackage` set.
`--rules datapackage` runs only the rules that hold for every Data Package v2 (those marked
"any package" below): descriptor and profiles, path safety, sizes and hashes where declared
(`md5`, `sha1`, `sha256`, `sha512`), CSV encoding and dialect, types, constraints,
`categories`, `enum`, `uniqueKeys`, primary and foreign keys (composite, and self-references
without `resource`), `missingValues` per schema and per field, and row JSON Schemas where
`schemas/json/<resource>.json` exists. Inline `data`, resources split over several files,
field types other than string, integer, number, boolean and date, and categories on
non-string fields are reported as not supported, once, rather than guessed at.

**Exit codes.** 0 valid (warnings allowed), 1 invalid, 2 unusable input, 3 a bug of the
validator: a rule or the engine raised an exception. That is reported in one line naming the
rule, with a request for a bug report, and as `"exit_code": 3` in the JSON report.

- **Column-wise.** Each CSV is read once as a stream of Arrow batches (about 8 MB of cells each)
  while a worker thread parses and casts the next; every check is a vectorised operation on
  whole columns (pyarrow compute, NumPy): no Python loop runs per row, so time grows linearly
  with rows, and memory with a batch plus the key columns later checks need. See
  docs/benchmarks.md.
- **One cause, one problem.** A file that cannot be parsed, or whose header is wrong, gets one
  problem and no cell checks. A cell that does not parse is empty for every later check, and a
  row with a Table Schema error is not flagged again by stage-4 rules. A foreign key into a
  table that could not be read, or whose key cells are broken, is not checked. A stale Parquet
  copy or a changed text is reported by its size or hash, not cell by cell. A rule that depends
  on another's premise skips rows where that premise fails (e.g. `qualifier-agrees` skips rows
  that break `casualty-bounds`). At most {LIMIT} problems are listed per rule, resource and
  field; the rest are counted.
- **Stricter than the standard, for this package.** Numbers are ASCII digits without NaN or
  infinity; under `--rules all` every file's hash must be a verifiable `sha256:`; paths are
  checked after resolving symlinks; v2 `categories` and `uniqueKeys` are enforced.
- **Stage 5, honestly.** Validating every row with jsonschema in Python costs tens of
  microseconds a row, far too slow for a million rows. So rows are validated against
  `schemas/json/<resource>.json` for the first 100 rows of each table and about 100 more spread
  evenly over the rest (rows with a stage-3 error are left out: they are reported already).
  What proves the other rows is `json-schema-in-sync`: the committed JSON Schema must equal the
  one derived from the Table Schema, whose every constraint (type, required, enum/categories,
  minimum/maximum, length, pattern) stage 3 has checked on every cell. The derivation only
  ever loosens (a JSON Schema `pattern` is not anchored; a Table Schema pattern is), so a row
  that passes stage 3 passes its derived JSON Schema; the sample re-checks that claim.
"""


def _markdown(rules: list[Rule]) -> str:
    lines = [
        "# Validation rules",
        "",
        "Generated by `kerman-warning build` from `src/kerman_warning/validate/`; do not edit.",
        "`kerman-warning validate --list-rules` prints the same catalogue (`--format json` too).",
        "Exit codes: 0 valid (warnings allowed), 1 invalid, 2 unusable input, 3 validator bug.",
        "",
    ]
    for stage, number in STAGES.items():
        lines += [
            f"## Stage {number}: {STAGE_TITLES[stage]}",
            "",
            "| rule | severity | applies to | checks that |",
            "|---|---|---|---|",
        ]
        for r in rules:
            if r.stage == stage:
                description = r.description.replace("|", "\\|")
                scope = "any package" if r.scope == "datapackage" else "this project"
                lines.append(f"| `{r.id}` | {r.severity} | {scope} | {description} |")
        lines.append("")
    lines += [HOW_IT_RUNS, "## The JSON report", "", REPORT_FORMAT]
    return "\n".join(lines)
