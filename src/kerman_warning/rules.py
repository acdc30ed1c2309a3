"""The rule catalogue of `kerman-warning validate`: each check has an id, a severity, a sentence.

Rules of stages 1-3 and 5 (descriptor, integrity, Table Schema, JSON Schema) are run by the
engine in `_checks`; they are declared here so that the catalogue is complete. Rules of stage 4
(consistency across tables) are small functions below, each registered with `@rule`; the
first line of its docstring is its description in `--list-rules` and in docs/rules.md, which
`kerman-warning build` generates from this module.

A stage-4 rule is one of two kinds:

- a *batch* rule (`per="batch"`) sees one table a slice of rows at a time, with every column
  typed, while the engine streams the CSV; it must only look at the rows it is given;
- a *final* rule runs once after every table was read, on the columns it names in `keeps`
  (the engine keeps only those, so memory stays proportional to what the rules need).

Both flag rows with `Check.flag(rows, field, mask, message)`: `mask` selects rows
column-wise (a boolean Arrow or NumPy array), `message(i)` words the problem of row `i`.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ._checks import Batch, Check, Where

__all__ = ["RULES", "STAGES", "Rule", "catalogue", "rule"]

Severity = Literal["error", "warning"]
Stage = Literal["descriptor", "integrity", "table", "consistency", "json-schema"]
STAGES: dict[str, int] = {
    "descriptor": 1,
    "integrity": 2,
    "table": 3,
    "consistency": 4,
    "json-schema": 5,
}
STAGE_TITLES = {
    "descriptor": "Descriptor: datapackage.json, its profile, paths and files",
    "integrity": "Integrity: sizes, hashes and Parquet copies",
    "table": "Table Schema, column-wise",
    "consistency": "Consistency across tables",
    "json-schema": "JSON Schemas of rows",
}

BatchCheck = Callable[["Check", "Batch"], None]
FinalCheck = Callable[["Check"], None]


@dataclass(frozen=True)
class Rule:
    """One named check: what it verifies, how serious a failure is, and when it runs."""

    id: str
    severity: Severity
    stage: Stage
    description: str
    batch: BatchCheck | None = None
    final: FinalCheck | None = None
    keeps: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fatal: bool = False  # a problem of this rule leaves nothing to check (exit code 2)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "stage": STAGES[self.stage],
            "stage_name": self.stage,
            "description": self.description,
        }


RULES: dict[str, Rule] = {}
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _register(new: Rule) -> Rule:
    if not _ID.match(new.id):
        raise ValueError(f"rule id {new.id!r} is not a lowercase slug")
    old = RULES.get(new.id)
    if old is not None:
        if old.stage != new.stage or old.severity != new.severity:
            raise ValueError(f"rule {new.id!r} registered twice with different settings")
        new = Rule(
            new.id,
            new.severity,
            new.stage,
            old.description or new.description,
            batch=new.batch or old.batch,
            final=new.final or old.final,
            keeps={**old.keeps, **new.keeps},
        )
    RULES[new.id] = new
    return new


def declare(
    id: str, severity: Severity, stage: Stage, description: str, *, fatal: bool = False
) -> Rule:
    """Declare a rule that the engine itself checks (stages 1-3 and 5)."""
    return _register(Rule(id, severity, stage, description, fatal=fatal))


def _summary(function: Callable[..., None]) -> str:
    doc = (function.__doc__ or "").strip()
    if not doc:
        raise ValueError(f"rule function {function.__name__} has no docstring")
    return " ".join(doc.split("\n\n")[0].split())


def rule(
    id: str,
    severity: Severity = "error",
    *,
    per: Literal["batch", "final"] = "final",
    keeps: Mapping[str, tuple[str, ...]] | None = None,
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a stage-4 function as the batch or final part of rule `id`."""

    def register(function: Callable[..., None]) -> Callable[..., None]:
        description = _summary(function)
        if per == "batch":
            _register(Rule(id, severity, "consistency", description, batch=function))
        else:
            _register(
                Rule(id, severity, "consistency", description, final=function, keeps=keeps or {})
            )
        return function

    return register


def ordered() -> list[Rule]:
    """Every rule, in the order the engine runs them (stage, then declaration)."""
    return sorted(RULES.values(), key=lambda r: STAGES[r.stage])


# --- Stage 1: the descriptor -----------------------------------------------------------------

declare(
    "descriptor-readable",
    "error",
    "descriptor",
    "The package folder holds a datapackage.json that is UTF-8 JSON with an object at the top.",
    fatal=True,
)
declare(
    "descriptor-profile",
    "error",
    "descriptor",
    "The descriptor and every Table Schema satisfy the Data Package v2 profile, with unique "
    "names, keys that name existing fields, and only types and constraints this validator "
    "can check.",
)
declare(
    "path-safe",
    "error",
    "descriptor",
    "Every path the package names is relative, POSIX and stays inside the package folder once "
    "symlinks are resolved: no URL, `file:`, absolute path, `..` or hidden part.",
)
declare(
    "file-present",
    "error",
    "descriptor",
    "Every file the package names exists and is a regular file.",
)

# --- Stage 2: integrity ----------------------------------------------------------------------

declare(
    "hash-verifiable",
    "error",
    "integrity",
    "Every file declares its `bytes` and a `sha256:` hash; a hash that cannot be verified is "
    "refused, not skipped.",
)
declare(
    "bytes-match",
    "error",
    "integrity",
    "Every file is exactly as long as its declared `bytes`.",
)
declare(
    "hash-match",
    "error",
    "integrity",
    "Every file's SHA-256 digest equals its declared `hash`.",
)
declare(
    "parquet-matches-csv",
    "error",
    "integrity",
    "Each Parquet copy holds exactly the rows of its CSV, with the Arrow types its Table "
    "Schema gives.",
)

# --- Stage 3: Table Schema, column-wise ------------------------------------------------------

declare(
    "csv-readable",
    "error",
    "table",
    "Each CSV is UTF-8 without a byte order mark, has a header row, balanced quotes, no blank "
    "lines and as many cells in every row as in the header.",
)
declare(
    "header-matches",
    "error",
    "table",
    "The header row names exactly the schema's fields, in the schema's order.",
)
declare("has-rows", "error", "table", "Every table has at least one data row.")
declare(
    "type",
    "error",
    "table",
    "Every cell parses as its field's type: integers and numbers in ASCII digits (no NaN or "
    "infinity), dates as YYYY-MM-DD, booleans as true/false.",
)
declare("required", "error", "table", "A required field has a value in every row.")
declare("unique", "error", "table", "A field marked unique holds no value twice.")
declare(
    "categories",
    "error",
    "table",
    "A field with v2 `categories` holds only values from its list.",
)
declare("enum", "error", "table", "A field with an `enum` constraint holds only listed values.")
declare(
    "minimum",
    "error",
    "table",
    "Values respect `minimum` and `exclusiveMinimum`.",
)
declare(
    "maximum",
    "error",
    "table",
    "Values respect `maximum` and `exclusiveMaximum`.",
)
declare("length", "error", "table", "Text respects `minLength` and `maxLength` (code points).")
declare(
    "pattern",
    "error",
    "table",
    "Text matches the field's `pattern` as a whole (the pattern is implicitly anchored).",
)
declare(
    "primary-key",
    "error",
    "table",
    "The `primaryKey` fields have a value in every row and identify it: no two rows share them.",
)
declare(
    "unique-keys",
    "error",
    "table",
    "No two rows share the values of a v2 `uniqueKeys` entry (rows with an empty key cell are "
    "exempt, as in SQL).",
)
declare(
    "foreign-key",
    "error",
    "table",
    "Every `foreignKeys` value names an existing row of the referenced table.",
)

# --- Stage 5: JSON Schemas -------------------------------------------------------------------

declare(
    "row-json-schema",
    "error",
    "json-schema",
    "Rows, as JSON objects, validate against schemas/json/<resource>.json (the first 100 rows "
    "and about 100 more spread over the rest; `json-schema-in-sync` proves the rest).",
)


# --- The catalogue ---------------------------------------------------------------------------


def catalogue(*, format: str = "text") -> str:
    """The rule catalogue as `text` (for --list-rules), `json`, or `markdown` (docs/rules.md)."""
    rules = ordered()
    if format == "json":
        document = {
            "format": "kerman-warning.rules",
            "version": 1,
            "rules": [r.as_dict() for r in rules],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if format == "markdown":
        return _markdown(rules)
    if format != "text":
        raise ValueError(f"format must be text, json or markdown, not {format!r}")
    width = max(len(r.id) for r in rules)
    lines = []
    for stage, number in STAGES.items():
        lines.append(f"stage {number}: {STAGE_TITLES[stage]}")
        for r in rules:
            if r.stage == stage:
                lines.append(f"  {r.id:<{width}}  {r.severity:<7}  {r.description}")
    return "\n".join(lines) + "\n"


LIMIT = 50  # problems listed per (rule, resource, field); the rest are counted
REPORT_FORMAT = f"""\
`kerman-warning validate --format json` prints one JSON object (UTF-8, 2-space indent), stable
across runs for the same input:

- `format`: `"kerman-warning.validate"`, `version`: `1` (bumped only on incompatible changes);
- `package`: the path validated, as given; `valid`: true when there is no error;
  `exit_code`: 0 valid (warnings allowed), 1 invalid, 2 unusable input;
- `counts`: `{{"error": n, "warning": n}}`, every problem counted, listed or not;
- `problems`: a list, ordered by stage, rule (catalogue order), resource (descriptor order),
  row and field; each has `rule`, `severity` (`error`/`warning`), `stage` (1-5), `resource`,
  `file` (path inside the package), `row` (the line of that file as an editor numbers it, the
  header being line 1; null for a whole file), `field` (column, or descriptor property),
  `value` (the offending value as text, cut to 120 characters, or null) and `message` (what
  is wrong and what was expected);
- `omitted`: at most {LIMIT} problems are listed per rule, resource and field; each entry
  `{{rule, resource, field, count}}` says how many more there are.
"""


HOW_IT_RUNS = """\
## How validation runs

`kerman-warning validate [PATH]` (or `kerman_warning.validate.validate(path)`) checks a copy of
the package (a folder or its `datapackage.json`; by default the one shipped) in five stages, in
order. A stage stops only where later checks cannot run: a descriptor that is not JSON ends the
run (exit code 2); a resource whose path is unsafe, whose file is missing or whose Table Schema
cannot be checked is left out of later stages, and so are the foreign keys into it.

- **Column-wise.** Each CSV is read once as a stream of Arrow batches (about 8 MB of cells each)
  while a worker thread parses and casts the next; every check is a vectorised operation on
  whole columns (pyarrow compute, NumPy): no Python loop runs per row, so time grows linearly
  with rows, and memory with a batch plus the key columns later checks need. Evidence spans are
  compared with the text through Arrow string views into the text's bytes. See
  docs/benchmarks.md.
- **One cause, one problem.** A file that cannot be parsed, or whose header is wrong, gets one
  problem and no cell checks. A cell that does not parse is empty for every later check, and a
  row with a Table Schema error is not flagged again by stage-4 rules. A foreign key into a
  table that could not be read, or whose key cells are broken, is not checked. A stale Parquet
  copy or a changed text is reported by its size or hash, not cell by cell. A rule that depends
  on another's premise skips rows where that premise fails (e.g. `qualifier-agrees` skips rows
  that break `casualty-bounds`). At most 50 problems are listed per rule, resource and field;
  the rest are counted.
- **Stricter than the standard.** Numbers are ASCII digits without NaN or infinity; every
  file's hash must be a verifiable `sha256:`; paths are checked after resolving symlinks; v2
  `categories` and `uniqueKeys` are enforced.
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
        "Generated by `kerman-warning build` from `src/kerman_warning/rules.py`; do not edit.",
        "`kerman-warning validate --list-rules` prints the same catalogue (`--format json` too).",
        "Exit codes: 0 valid (warnings allowed), 1 invalid, 2 unusable input.",
        "",
    ]
    for stage, number in STAGES.items():
        lines += [
            f"## Stage {number}: {STAGE_TITLES[stage]}",
            "",
            "| rule | severity | checks that |",
            "|---|---|---|",
        ]
        for r in rules:
            if r.stage == stage:
                description = r.description.replace("|", "\\|")
                lines.append(f"| `{r.id}` | {r.severity} | {description} |")
        lines.append("")
    lines += [HOW_IT_RUNS, "## The JSON report", "", REPORT_FORMAT]
    return "\n".join(lines)


# --- Stage 4: consistency --------------------------------------------------------------------
#
# Written against the columns of CONTRIBUTING.md and the vocabularies (`categories` and their
# labels) of schemas/*.schema.json; no rule names a row of the data.

SPANS = (("start", "end", "exact"), ("cue_start", "cue_end", "cue_ar"))  # evidence, quote cue
PROVEN_BY_SPAN = frozenset({"exact", "cue_ar"})  # equal to the NFC text: see span-matches-text
MAX_CELL = 10_000  # code points; the article has 2,266
_INVISIBLE = "[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
_FORMULA_STARTS = b"=+-@\t\r"
_QUOTE_MARKS = frozenset('"«»“”„')
# Code points that NFC may change or compose (Unicode 14.0; a test derives them again).
NFC_UNSTABLE = (  # noqa: SIM905 (a list literal would be 276 lines)
    "300-34E 350-36F 374 37E 387 483-487 591-5BD 5BF 5C1-5C2 5C4-5C5 5C7 610-61A 64B-65F "
    "670 6D6-6DC 6DF-6E4 6E7-6E8 6EA-6ED 711 730-74A 7EB-7F3 7FD 816-819 81B-823 825-827 "
    "829-82D 859-85B 898-89F 8CA-8E1 8E3-8FF 93C 94D 951-954 958-95F 9BC 9BE 9CD 9D7 "
    "9DC-9DD 9DF 9FE A33 A36 A3C A4D A59-A5B A5E ABC ACD B3C B3E B4D B56-B57 B5C-B5D BBE "
    "BCD BD7 C3C C4D C55-C56 CBC CC2 CCD CD5-CD6 D3B-D3C D3E D4D D57 DCA DCF DDF E38-E3A "
    "E48-E4B EB8-EBA EC8-ECB F18-F19 F35 F37 F39 F43 F4D F52 F57 F5C F69 F71-F76 F78 "
    "F7A-F7D F80-F84 F86-F87 F93 F9D FA2 FA7 FAC FB5 FB7 FB9 FC6 102E 1037 1039-103A 108D "
    "1161-1175 11A8-11C2 135D-135F 1714-1715 1734 17D2 17DD 18A9 1939-193B 1A17-1A18 1A60 "
    "1A75-1A7C 1A7F 1AB0-1ABD 1ABF-1ACE 1B34-1B35 1B44 1B6B-1B73 1BAA-1BAB 1BE6 1BF2-1BF3 "
    "1C37 1CD0-1CD2 1CD4-1CE0 1CE2-1CE8 1CED 1CF4 1CF8-1CF9 1DC0-1DFF 1F71 1F73 1F75 1F77 "
    "1F79 1F7B 1F7D 1FBB 1FBE 1FC9 1FCB 1FD3 1FDB 1FE3 1FEB 1FEE-1FEF 1FF9 1FFB 1FFD "
    "2000-2001 20D0-20DC 20E1 20E5-20F0 2126 212A-212B 2329-232A 2ADC 2CEF-2CF1 2D7F "
    "2DE0-2DFF 302A-302F 3099-309A A66F A674-A67D A69E-A69F A6F0-A6F1 A806 A82C A8C4 "
    "A8E0-A8F1 A92B-A92D A953 A9B3 A9C0 AAB0 AAB2-AAB4 AAB7-AAB8 AABE-AABF AAC1 AAF6 ABED "
    "F900-FA0D FA10 FA12 FA15-FA1E FA20 FA22 FA25-FA26 FA2A-FA6D FA70-FAD9 FB1D-FB1F "
    "FB2A-FB36 FB38-FB3C FB3E FB40-FB41 FB43-FB44 FB46-FB4E FE20-FE2F 101FD 102E0 "
    "10376-1037A 10A0D 10A0F 10A38-10A3A 10A3F 10AE5-10AE6 10D24-10D27 10EAB-10EAC "
    "10F46-10F50 10F82-10F85 11046 11070 1107F 110B9-110BA 11100-11102 11127 11133-11134 "
    "11173 111C0 111CA 11235-11236 112E9-112EA 1133B-1133C 1133E 1134D 11357 11366-1136C "
    "11370-11374 11442 11446 1145E 114B0 114BA 114BD 114C2-114C3 115AF 115BF-115C0 1163F "
    "116B6-116B7 1172B 11839-1183A 11930 1193D-1193E 11943 119E0 11A34 11A47 11A99 11C3F "
    "11D42 11D44-11D45 11D97 16AF0-16AF4 16B30-16B36 16FF0-16FF1 1BC9E 1D15E-1D169 "
    "1D16D-1D172 1D17B-1D182 1D185-1D18B 1D1AA-1D1AD 1D1BB-1D1C0 1D242-1D244 1E000-1E006 "
    "1E008-1E018 1E01B-1E021 1E023-1E024 1E026-1E02A 1E130-1E136 1E2AE 1E2EC-1E2EF "
    "1E8D0-1E8D6 1E944-1E94A 2F800-2FA1D "
).split()
SPEAKING = ("quoted", "cited", "claimant")  # sources.relation values whose words are reported
# Values the article does not state: (value columns, basis column, reference, confidence).
ENRICHMENT: dict[str, tuple[tuple[tuple[str, ...], str | None, str, str | None], ...]] = {
    "documents": (
        (("published_date",), "published_date_basis", "published_date_ref_id", None),
        (("url",), None, "url_ref_id", None),
    ),
    "events": ((("date_start", "date_end"), "date_basis", "date_ref_id", None),),
    "entities": (
        (("wikidata_id", "geonames_id"), None, "ids_ref_id", "ids_confidence"),
        (("latitude", "longitude"), None, "coords_ref_id", "coords_confidence"),
    ),
}
_NEEDS_REFERENCE = ("inferred", "external")


def _np(column: Any) -> Any:
    """A numeric or date column as NumPy (nulls as NaN / NaT)."""
    import numpy as np
    import pyarrow as pa

    if pa.types.is_date(column.type):
        return np.asarray(column.to_numpy(zero_copy_only=False), dtype="datetime64[D]")
    if pa.types.is_integer(column.type):
        return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
    return column.to_numpy(zero_copy_only=False)


def _text_fields(rows: Batch) -> list[str]:
    return [
        f["name"]
        for f in rows.table.fields
        if f.get("type", "string") == "string" and "categories" not in f
    ]


def _plain(column: Any) -> Any:
    import pyarrow as pa

    return column.dictionary_decode() if pa.types.is_dictionary(column.type) else column


def _quote(value: object, limit: int = 60) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _in_text(c: Check, rows: Batch, start: str, end: str, exact: str) -> Iterator[Any]:
    """Per trusted document of the batch: (doc, row indices, starts, ends, in-range mask)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._checks import selected

    docs = rows.column("doc_id")
    valid = pc.and_(pc.is_valid(docs), pc.is_valid(rows.column(start)))
    valid = pc.and_(valid, pc.and_(pc.is_valid(rows.column(end)), pc.is_valid(rows.column(exact))))
    for doc_id in pc.unique(pc.filter(docs, valid)).to_pylist():
        doc = c.docs.get(doc_id)
        if doc is None or not doc.trusted:
            continue  # an unknown document is a foreign-key problem; a changed text, a hash one
        index = selected(pc.and_(valid, pc.equal(docs, pa.scalar(doc_id))))
        taken = pa.array(index)
        first = np.asarray(rows.column(start).take(taken).to_numpy(), dtype=np.int64)
        last = np.asarray(rows.column(end).take(taken).to_numpy(), dtype=np.int64)
        inside = (first >= 0) & (first < last) & (last <= doc.length)
        yield doc, index, first, last, inside


@rule("span-matches-text", per="batch")
def span_matches_text(c: Check, rows: Batch) -> None:
    """Every evidence span is its text: `text[start:end] == exact` in code points, and likewise
    `cue_start`/`cue_end`/`cue_ar` of a quote."""
    from . import _spans

    for start, end, exact in SPANS:
        if not rows.has("doc_id", start, end, exact):
            continue
        cells = rows.column(exact)
        for doc, index, first, last, inside in _in_text(c, rows, start, end, exact):
            outside = index[~inside]
            c.flag(
                rows,
                end,
                outside,
                lambda i, d=doc, s=start, e=end: (
                    f"the span {rows.value(s, i)}:{rows.value(e, i)} is not inside the text "
                    f"(0:{d.length}) with start < end; expected offsets into {d.doc_id}"
                ),
            )
            if inside.any():
                kept = index[inside]
                import pyarrow as pa

                wrong = _spans.mismatches(
                    doc, first[inside], last[inside], cells.take(pa.array(kept))
                )
                if wrong.any():
                    c.ctx.scratch.setdefault("span-trouble", set()).add(doc.doc_id)
                c.flag(
                    rows,
                    exact,
                    kept[wrong],
                    lambda i, d=doc, s=start, e=end, x=exact: (
                        _spans.describe_mismatch(
                            d, int(rows.value(s, i)), int(rows.value(e, i)), str(rows.value(x, i))
                        )
                        + "; expected the cell to be the text of its span"
                    ),
                )


@rule("text-hash-matches")
def text_hash_matches(c: Check) -> None:
    """Each document's text file has the `text_sha256` and `text_length` its row states."""
    documents = c.ctx.tables.get("documents")
    if documents is None:
        return
    for doc_id, meta in c.ctx.doc_meta.items():
        if meta.sha256 is None or meta.path in c.ctx.bad_files:
            continue  # unreadable (reported as a path problem) or changed (a hash problem)
        where: Where = {"resource": "documents", "file": documents.file}
        if meta.problem is not None:
            c.problem(meta.problem, row=meta.line, field="text_path", value=meta.path, **where)
            continue
        stated = c.ctx.doc_stated.get(doc_id, {})
        if stated.get("text_sha256") not in (None, meta.sha256):
            c.problem(
                f"the text {meta.path} has SHA-256 {meta.sha256}; expected the text_sha256 of "
                "its row (was the text edited?)",
                row=meta.line,
                field="text_sha256",
                value=stated.get("text_sha256"),
                **where,
            )
        elif stated.get("text_length") not in (None, meta.length):
            c.problem(
                f"the text {meta.path} has {meta.length} code points; expected text_length",
                row=meta.line,
                field="text_length",
                value=stated.get("text_length"),
                **where,
            )


def _suspects(rows: Batch, name: str) -> Any:
    """Rows of a text column holding a character that NFC could change or that is invisible:
    found once per batch for `nfc-text` and `no-bidi-controls`, among non-ASCII cells only."""
    import numpy as np
    import pyarrow.compute as pc

    key = ("suspects", name)
    if key not in rows.memo:
        column = rows.column(name)
        rows.memo[key] = np.zeros(0, dtype=np.int64)
        if column.null_count == len(column) or pc.all(pc.string_is_ascii(column)).as_py():
            return rows.memo[key]
        # One search over all the column's bytes at once; cells only if it finds something.
        if not pc.any(pc.match_substring_regex(_as_one(column), _suspicious())).as_py():
            return rows.memo[key]
        rows.memo[key] = selected(pc.match_substring_regex(column, _suspicious()))
    return rows.memo[key]


@rule("nfc-text", per="batch")
def nfc_text(c: Check, rows: Batch) -> None:
    """Text cells are Unicode NFC, like the article (`exact` and `cue_ar` are checked against
    the text itself)."""
    import pyarrow.compute as pc

    for name in _text_fields(rows):
        if name in PROVEN_BY_SPAN:
            continue
        suspect = _suspects(rows, name)
        if len(suspect) == 0:
            continue
        cells = rows.column(name).take(suspect)
        normal = pc.call_function("utf8_normalize", [cells], pc.Utf8NormalizeOptions("NFC"))
        c.flag(
            rows,
            name,
            suspect[selected(pc.not_equal(normal, cells))],
            lambda i, name=name: (
                f"is not in Unicode NFC ({len(str(rows.value(name, i)))} code points, "
                f"{len(unicodedata.normalize('NFC', str(rows.value(name, i))))} in NFC); "
                "expected NFC text, as the article is"
            ),
        )


def selected(mask: Any) -> Any:
    from ._checks import selected as indices

    return indices(mask)


def _ranges(items: list[str]) -> str:
    return "".join("-".join(f"\\x{{{part}}}" for part in item.split("-")) for item in items)


@functools.cache
def _nfc_unstable() -> str:
    """An RE2 class of the characters in NFC_UNSTABLE."""
    return "[" + _ranges(NFC_UNSTABLE) + "]"


@functools.cache
def _suspicious() -> str:
    """An RE2 class of the characters either rule looks for."""
    return "[" + _ranges(NFC_UNSTABLE) + _INVISIBLE[1:-1] + "]"


def _as_one(column: Any) -> Any:
    """A string array's values back to back, as an array of one string (no copy)."""
    import numpy as np
    import pyarrow as pa

    buffers = column.buffers()
    offsets = np.frombuffer(
        buffers[1], dtype=np.int32, count=len(column) + 1, offset=column.offset * 4
    )
    ends = np.array([offsets[0], offsets[-1]], dtype=np.int32)
    data = buffers[2] if buffers[2] is not None else pa.py_buffer(b"")
    return pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(ends.tobytes()), data])


@rule("nfc-text")
def nfc_documents(c: Check) -> None:
    """Text cells are Unicode NFC, like the article."""
    import unicodedata

    documents = c.ctx.tables.get("documents")
    for doc_id, doc in c.docs.items():
        if not unicodedata.is_normalized("NFC", doc.text):
            meta = c.ctx.doc_meta[doc_id]
            c.problem(
                f"the text {meta.path} is not in Unicode NFC; expected the NFC text every "
                "offset counts in",
                resource="documents",
                file=documents.file if documents else None,
                row=meta.line,
                field="text_path",
                value=meta.path,
            )


@rule("no-bidi-controls", per="batch")
def no_bidi_controls(c: Check, rows: Batch) -> None:
    """No text cell holds invisible bidi controls or zero-width characters (U+061C, U+200B-U+200F,
    U+202A-U+202E, U+2060-U+2064, U+2066-U+2069, U+FEFF)."""
    import pyarrow.compute as pc

    for name in _text_fields(rows):
        if name in PROVEN_BY_SPAN:
            continue
        suspect = _suspects(rows, name)
        if len(suspect) == 0:
            continue
        cells = rows.column(name).take(suspect)
        c.flag(
            rows,
            name,
            suspect[selected(pc.match_substring_regex(cells, _INVISIBLE))],
            lambda i, n=name: _invisible(str(rows.value(n, i))),
        )


def _invisible(text: str) -> str:
    import re
    import unicodedata

    found = re.search(_INVISIBLE, text)
    assert found is not None
    char = found.group()
    return (
        f"holds U+{ord(char):04X} {unicodedata.name(char, 'invisible character')} at character "
        f"{found.start()}; expected no invisible bidi or zero-width characters"
    )


@rule("no-formula-cells", per="batch")
def no_formula_cells(c: Check, rows: Batch) -> None:
    """No text cell starts with =, +, -, @, tab or carriage return, which spreadsheets run as a
    formula (CSV injection)."""
    import numpy as np

    starts = np.frombuffer(_FORMULA_STARTS, dtype=np.uint8)
    for name in _text_fields(rows):
        first = _first_bytes(rows.column(name))
        c.flag(
            rows,
            name,
            np.isin(first, starts),
            lambda i, n=name: (
                f"starts with {str(rows.value(n, i))[:1]!r}, which a spreadsheet reads as a "
                "formula; expected text that does not start with =, +, -, @, tab or CR"
            ),
        )


def _first_bytes(column: Any) -> Any:
    """The first byte of every string (0 for an empty or missing one), straight from buffers."""
    import numpy as np

    n = len(column)
    buffers = column.buffers()
    if n == 0 or buffers[2] is None:
        return np.zeros(n, dtype=np.uint8)
    offsets = np.frombuffer(buffers[1], dtype=np.int32, count=n + 1, offset=column.offset * 4)
    data = np.frombuffer(buffers[2], dtype=np.uint8)
    present = offsets[1:] > offsets[:-1]
    if column.null_count:
        present &= np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    first = np.zeros(n, dtype=np.uint8)
    first[present] = data[offsets[:-1][present]]
    return first


@rule("cell-size-limit", per="batch")
def cell_size_limit(c: Check, rows: Batch) -> None:
    """No text cell is longer than 10,000 code points (the whole article has 2,266)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for name in _text_fields(rows):
        column = rows.column(name)
        if len(column) == 0 or (pc.max(pc.binary_length(column)).as_py() or 0) <= MAX_CELL:
            continue  # no cell has more bytes, so none has more code points
        length = pc.utf8_length(column)
        c.flag(
            rows,
            name,
            pc.greater(length, pa.scalar(MAX_CELL)),
            lambda i, n=length: f"has {n[i].as_py():,} code points; expected at most {MAX_CELL:,}",
        )


@rule("every-row-has-provenance", per="batch")
def every_row_has_provenance(c: Check, rows: Batch) -> None:
    """Every row read from the article has its whole evidence span, and every value the article
    does not state has its basis and a reference (and a confidence, where the schema has one)."""
    import pyarrow.compute as pc

    evidence = ("doc_id", "start", "end", "exact")
    if rows.has(*evidence):
        present = [pc.is_valid(rows.column(f)) for f in evidence]
        some = present[0]
        for p in present[1:]:
            some = pc.or_(some, p)
        for f, p in zip(evidence, present, strict=True):
            required = (rows.table.spec(f) or {}).get("constraints", {}).get("required")
            if not required:  # a required cell is the `required` rule's
                c.flag(
                    rows,
                    f,
                    pc.and_(some, pc.invert(p)),
                    lambda i, f=f: (
                        f"the evidence span has no {f}; expected doc_id, start, end "
                        "and exact together"
                    ),
                )
    for values, basis, reference, confidence in ENRICHMENT.get(rows.name, ()):
        if not rows.has(*values, reference) or (basis and not rows.has(basis)):
            continue
        given = pc.is_valid(rows.column(values[0]))
        for v in values[1:]:
            given = pc.or_(given, pc.is_valid(rows.column(v)))
        label = " or ".join(values)
        if basis is not None:
            kind = _plain(rows.column(basis))
            c.flag(
                rows,
                basis,
                pc.and_(given, pc.is_null(kind)),
                lambda i, b=basis, label=label: (
                    f"{label} has a value but {b} is empty; expected stated, inferred or external"
                ),
            )
            outside = pc.fill_null(pc.is_in(kind, value_set=_strings(_NEEDS_REFERENCE)), False)
        else:
            outside = given
        c.flag(
            rows,
            reference,
            pc.and_(outside, pc.is_null(rows.column(reference))),
            lambda i, r=reference, label=label: (
                f"{label} does not come from the article but "
                f"{r} is empty; expected the reference it was taken from"
            ),
        )
        if confidence is not None and rows.has(confidence):
            c.flag(
                rows,
                confidence,
                pc.and_(given, pc.is_null(rows.column(confidence))),
                lambda i, k=confidence, label=label: (
                    f"{label} has a value but {k} is empty; expected how sure the curators are"
                ),
            )


def _strings(values: tuple[str, ...]) -> Any:
    import pyarrow as pa

    return pa.array(list(values), pa.string())


@rule("casualty-bounds", per="batch")
def casualty_bounds(c: Check, rows: Batch) -> None:
    """Every casualty figure has low <= best <= high (where given), as in UCDP."""
    if rows.name != "casualties" or not rows.has("low", "best", "high"):
        return
    low, best, high = (_np(rows.column(f)) for f in ("low", "best", "high"))
    with _quiet():
        too_low = low > best
        too_high = ~too_low & ((best > high) | (low > high))

    def words(i: int) -> str:
        values = ", ".join(f"{f} {rows.value(f, i)}" for f in ("low", "best", "high"))
        return f"{values}; expected low <= best <= high"

    c.flag(rows, "low", too_low, words)
    c.flag(rows, "high", too_high, words)


def _quiet() -> Any:
    import numpy as np

    return np.errstate(invalid="ignore")


def _flag_per_value(
    c: Check,
    rows: Batch,
    field: str,
    wrong: dict[str, Any],
    expected: dict[str, str],
    *,
    skip: Any,
    describe: Callable[[int], str],
) -> None:
    """Flag rows whose `field` value has its `wrong` mask set (but not `skip`), saying what
    that value expects."""
    import numpy as np

    values = np.asarray(_plain(rows.column(field)).to_numpy(zero_copy_only=False), dtype=object)
    label = field.removeprefix("date_")
    for value, bad in wrong.items():
        c.flag(
            rows,
            field,
            (values == value) & bad & ~skip,
            lambda i, v=value: f"{label} {v} with {describe(i)}; expected {expected[v]}",
        )


@rule("qualifier-agrees", per="batch")
def qualifier_agrees(c: Check, rows: Batch) -> None:
    """A casualty's qualifier agrees with its numbers: exact means low = best = high, at_least
    low = best and no high, at_most best = high and no low, range a low below a high."""
    import numpy as np

    if rows.name != "casualties" or not rows.has("qualifier", "low", "best", "high"):
        return
    low, best, high = (_np(rows.column(f)) for f in ("low", "best", "high"))
    has_low, has_high, has_best = ~np.isnan(low), ~np.isnan(high), ~np.isnan(best)
    with _quiet():
        disordered = (low > best) | (best > high) | (low > high)  # casualty-bounds says so
        wrong = {
            "exact": ~(has_low & has_high & has_best & (low == best) & (best == high)),
            "at_least": ~(has_low & ~has_high & (low == best)),
            "at_most": ~(has_high & ~has_low & (high == best)),
            "range": ~(has_low & has_high & (low < high)),
        }
    expected = {
        "exact": "low = best = high",
        "at_least": "low = best and high empty",
        "at_most": "best = high and low empty",
        "range": "a low and a high, low < high",
    }
    _flag_per_value(
        c,
        rows,
        "qualifier",
        wrong,
        expected,
        skip=disordered,
        describe=lambda i: ", ".join(f"{f} {rows.value(f, i)}" for f in ("low", "best", "high")),
    )


@rule("number-agrees", per="batch")
def number_agrees(c: Check, rows: Batch) -> None:
    """The number as written (in ASCII or Arabic-Indic digits) is the casualty's best figure,
    or its low for a range."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if rows.name != "casualties" or not rows.has("number_as_written", "best"):
        return
    written = rows.column("number_as_written")
    for ascii_digit, arabic, persian in zip("0123456789", "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", strict=True):
        written = pc.replace_substring(written, arabic, ascii_digit)
        written = pc.replace_substring(written, persian, ascii_digit)
    digits = pc.replace_substring_regex(written, "[^0-9]", "")
    usable = pc.and_(pc.is_valid(digits), pc.match_substring_regex(digits, "^[0-9]{1,15}$"))
    number = pc.if_else(usable, digits, pa.scalar(None, pa.string())).cast(pa.int64())
    target = rows.column("best")
    if rows.has("qualifier", "low"):
        is_range = pc.equal(_plain(rows.column("qualifier")), pa.scalar("range"))
        target = pc.if_else(pc.fill_null(is_range, False), rows.column("low"), target)
    differ = np.asarray(
        pc.fill_null(pc.not_equal(number, target), False).to_numpy(zero_copy_only=False),
        dtype=np.bool_,
    )
    c.flag(
        rows,
        "number_as_written",
        differ,
        lambda i, t=target: (
            f"reads as {number[i].as_py()}; expected the figure coded, {t[i].as_py()}"
        ),
    )


@rule("date-order", per="batch")
def date_order(c: Check, rows: Batch) -> None:
    """An earliest possible day (`date_start`) is not after the latest (`date_end`)."""
    import pyarrow.compute as pc

    if not rows.has("date_start", "date_end"):
        return
    c.flag(
        rows,
        "date_end",
        pc.greater(rows.column("date_start"), rows.column("date_end")),
        lambda i: (
            f"ends {rows.value('date_end', i)} before it starts "
            f"{rows.value('date_start', i)}; expected date_start <= date_end"
        ),
    )


@rule("date-precision-agrees", per="batch")
def date_precision_agrees(c: Check, rows: Batch) -> None:
    """Dates fit their precision: day one day, month a whole month, year a whole year, before
    no start but an end, unknown no dates."""
    import numpy as np

    if not rows.has("date_precision", "date_start", "date_end"):
        return
    start, end = _np(rows.column("date_start")), _np(rows.column("date_end"))
    has_start, has_end = ~np.isnat(start), ~np.isnat(end)
    both = has_start & has_end
    disordered = both & (start > end)  # date-order says so
    month_start = start.astype("datetime64[M]")
    year_start = start.astype("datetime64[Y]")
    wrong = {
        "day": ~(both & (start == end)),
        "month": ~(
            both
            & (month_start.astype("datetime64[D]") == start)
            & ((month_start + 1).astype("datetime64[D]") - 1 == end)
        ),
        "year": ~(
            both
            & (year_start.astype("datetime64[D]") == start)
            & ((year_start + 1).astype("datetime64[D]") - 1 == end)
        ),
        "before": ~(~has_start & has_end),
        "unknown": has_start | has_end,
    }
    expected = {
        "day": "date_start = date_end",
        "month": "the first and last day of one month",
        "year": "1 January and 31 December of one year",
        "before": "no date_start and a date_end",
        "unknown": "no dates",
    }
    _flag_per_value(
        c,
        rows,
        "date_precision",
        wrong,
        expected,
        skip=disordered,
        describe=lambda i: (
            f"dates {rows.value('date_start', i) or '–'} to {rows.value('date_end', i) or '–'}"
        ),
    )


@rule(
    "claim-after-attack",
    keeps={"events": ("event_id", "event_type", "date_start", "date_end", "about_event_id")},
)
def claim_after_attack(c: Check) -> None:
    """A claim of responsibility names the event it claims (`about_event_id`) and is not dated
    before it."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    events = c.table("events")
    if events is None:
        return
    kind = _plain(events.column("event_type"))
    claims = pc.fill_null(pc.equal(kind, pa.scalar("claim")), False)
    about = events.column("about_event_id")
    c.flag(
        events,
        "about_event_id",
        pc.and_(claims, pc.is_null(about)),
        lambda i: "a claim that names no event; expected the event_id of what is claimed",
    )
    target = pc.index_in(about, value_set=events.column("event_id"))
    found = pc.and_(claims, pc.is_valid(target))
    index = np.asarray(pc.fill_null(target, 0).to_numpy(), dtype=np.int64)
    start, end = _np(events.column("date_start")), _np(events.column("date_end"))
    earliest = np.where(np.isnat(start), end, start)  # open start: only "before end" is known
    other = earliest[index]
    with _quiet():
        before = np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.bool_) & (
            earliest < other
        )
    c.flag(
        events,
        "date_start",
        before,
        lambda i: (
            f"the claim may be dated {earliest[i]}, before {events.value('about_event_id', i)} "
            f"({other[i]}); expected a claim no earlier than what it claims"
        ),
        value=lambda i: events.value("date_start", i) or events.value("date_end", i),
    )


@rule("event-before-publication", per="batch")
def event_before_publication(c: Check, rows: Batch) -> None:
    """No event the article reports starts after the article was published."""
    import datetime

    import numpy as np
    import pyarrow.compute as pc

    if rows.name != "events" or not rows.has("doc_id", "date_start", "date_end"):
        return
    published = c.ctx.doc_stated
    start, end = _np(rows.column("date_start")), _np(rows.column("date_end"))
    earliest = np.where(np.isnat(start), end, start)
    docs = rows.column("doc_id")
    for doc_id in pc.unique(docs).to_pylist():
        day = published.get(doc_id, {}).get("published_date")
        if not isinstance(day, datetime.date):
            continue
        mine = np.asarray(
            pc.fill_null(pc.equal(docs, doc_id), False).to_numpy(zero_copy_only=False),
            dtype=np.bool_,
        )
        with _quiet():
            late = mine & (earliest > np.datetime64(day, "D"))
        c.flag(
            rows,
            "date_start" if rows.has("date_start") else "date_end",
            late,
            lambda i, d=day: (
                f"the event starts {earliest[i]}, after its document was published ({d}); "
                "expected a date no later than publication"
            ),
            value=lambda i: rows.value("date_start", i) or rows.value("date_end", i),
        )


@rule("direct-quote-verbatim", per="batch")
def direct_quote_verbatim(c: Check, rows: Batch) -> None:
    """A direct quote is the whole text between a pair of quotation marks: the character before
    its span opens a quote and the one after closes it."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from . import _spans

    if rows.name != "quotes" or not rows.has("kind", "doc_id", "start", "end", "exact"):
        return
    direct = np.asarray(
        pc.fill_null(pc.equal(_plain(rows.column("kind")), pa.scalar("direct")), False).to_numpy(
            zero_copy_only=False
        ),
        dtype=np.bool_,
    )
    if not direct.any():
        return
    for doc, index, first, last, inside in _in_text(c, rows, "start", "end", "exact"):
        keep = inside & direct[index]
        if not keep.any():
            continue
        index, first, last = index[keep], first[keep], last[keep]
        cells = rows.column("exact").take(pa.array(index))
        matches = ~_spans.mismatches(doc, first, last, cells)  # a wrong span is reported there
        points = np.frombuffer(doc.text.encode("utf-32-le"), dtype=np.uint32)
        marks = np.array(sorted(ord(m) for m in _QUOTE_MARKS), dtype=np.uint32)
        before = np.where(first > 0, points[np.maximum(first - 1, 0)], 0)
        after = np.where(last < doc.length, points[np.minimum(last, doc.length - 1)], 0)
        enclosed = np.isin(before, marks) & np.isin(after, marks)
        c.flag(
            rows,
            "start",
            index[matches & ~enclosed],
            lambda i, d=doc: (
                f"the span is preceded by {_quote(_next_to(d, rows, i)[0])} and followed by "
                f"{_quote(_next_to(d, rows, i)[1])}; expected a direct quote enclosed in "
                "quotation marks, which stay outside the span"
            ),
        )


def _next_to(doc: Any, rows: Batch, i: int) -> tuple[str, str]:
    start, end = int(rows.value("start", i)), int(rows.value("end", i))
    return doc.text[max(start - 1, 0) : start], doc.text[end : end + 1]


@rule("speaker-is-source", keeps={"quotes": ("source_id",), "sources": ("source_id", "relation")})
def speaker_is_source(c: Check) -> None:
    """A quote's speaker is a source whose words the article reports (relation quoted, cited or
    claimant), not one it only contacts, credits or is published by."""
    import pyarrow.compute as pc

    quotes, sources = c.table("quotes"), c.table("sources")
    if quotes is None or sources is None:
        return
    position = pc.index_in(quotes.column("source_id"), value_set=sources.column("source_id"))
    relation = _plain(sources.column("relation")).take(position)
    speaking = pc.is_in(relation, value_set=_strings(SPEAKING))
    c.flag(
        quotes,
        "source_id",
        pc.and_(pc.is_valid(relation), pc.invert(speaking)),
        lambda i: (
            f"the speaker's relation is {relation[i].as_py()}; expected a source the article "
            f"reports the words of ({', '.join(SPEAKING)})"
        ),
    )


@rule("parent-acyclic", keeps={"entities": ("entity_id", "parent_entity_id")})
def parent_acyclic(c: Check) -> None:
    """Following `parent_entity_id` from any entity ends at an entity without a parent, never
    back where it started."""
    import numpy as np
    import pyarrow.compute as pc

    entities = c.table("entities")
    if entities is None:
        return
    parent = pc.index_in(
        entities.column("parent_entity_id"), value_set=entities.column("entity_id")
    )
    n = len(entities)
    step = np.asarray(pc.fill_null(parent, -1).to_numpy(), dtype=np.int64)
    step = np.where(step < 0, np.arange(n) * 0 + n, step)  # n: the root sentinel
    jump = np.append(step, n)
    for _ in range(max(1, int(np.ceil(np.log2(n + 1))) + 1)):
        jump = jump[jump]  # pointer doubling: after k rounds, the 2^k-th ancestor
    # After at least n steps every walk is inside a cycle (or at the root): those rows are the
    # cycles themselves; rows that merely lead into one are not flagged again.
    on_cycle = np.zeros(n + 1, dtype=np.bool_)
    on_cycle[jump[:n]] = True
    c.flag(
        entities,
        "parent_entity_id",
        on_cycle[:n],
        lambda i: (
            "following parent_entity_id from here comes back to this entity; expected "
            "a hierarchy without cycles"
        ),
    )


@rule("text-covered", "warning", per="batch")
def text_covered_spans(c: Check, rows: Batch) -> None:
    """Every non-blank character of each text is inside some row's span (an `uncovered` row
    says why a stretch is not coded)."""
    from . import _spans

    # State is kept per table (the engine forgets a table's state if it reads it again).
    mine = c.state.setdefault(rows.name, {})
    for start, end, exact in SPANS:
        if not rows.has("doc_id", start, end, exact):
            continue
        for doc, _index, first, last, inside in _in_text(c, rows, start, end, exact):
            delta = _spans.coverage(doc.length, first[inside], last[inside])
            mine[doc.doc_id] = delta if doc.doc_id not in mine else mine[doc.doc_id] + delta


def _covered(c: Check, doc_id: str, length: int, *, uncovered: bool) -> Any:
    """Which code points of a text the spans of `uncovered` (or of every other table) cover."""
    import numpy as np

    from . import _spans

    total = np.zeros(length + 1, dtype=np.int64)
    for table, docs in c.ctx.checks["text-covered"].state.items():
        if (table == "uncovered") == uncovered and doc_id in docs:
            total = total + docs[doc_id]
    return _spans.covered(total, length)


@rule("text-covered", "warning")
def text_covered(c: Check) -> None:
    """Every non-blank character of each text is inside some row's span."""
    import numpy as np

    trouble = c.ctx.scratch.get("span-trouble", set())
    if not _all_spans_read(c):
        return  # a table that could not be read leaves gaps that are not problems of their own
    for doc_id, doc in c.docs.items():
        if doc_id in trouble or not doc.trusted:
            continue  # a wrong span leaves a gap that is not a second problem
        seen = _covered(c, doc_id, doc.length, uncovered=False)
        seen |= _covered(c, doc_id, doc.length, uncovered=True)
        blank = np.array([ch.isspace() for ch in doc.text], dtype=np.bool_)
        meta = c.ctx.doc_meta[doc_id]
        for first, last in _stretches(~seen & ~blank):
            c.problem(
                f"text[{first}:{last}] is inside no row's span; expected a row that codes it, "
                "or an `uncovered` row saying why not",
                resource="documents",
                file=meta.path,
                row=doc.text.count("\n", 0, first) + 1,
                field=None,
                value=doc.text[first:last],
            )


def _all_spans_read(c: Check) -> bool:
    """True when every table of the package was read, so that coverage is complete."""
    tables = [
        r.get("name")
        for r in c.ctx.descriptor.get("resources", [])
        if isinstance(r, dict) and r.get("type") == "table"
    ]
    return all(name in c.ctx.tables and c.ctx.tables[name].usable for name in tables)


def _stretches(mask: Any) -> list[tuple[int, int]]:
    import numpy as np

    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()
    return list(zip(starts, ends, strict=True))


@rule(
    "uncovered-is-uncovered",
    "warning",
    keeps={"uncovered": ("uncovered_id", "doc_id", "start", "end")},
)
def uncovered_is_uncovered(c: Check) -> None:
    """An `uncovered` stretch overlaps no span that another table codes."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    uncovered = c.table("uncovered")
    if uncovered is None or "text-covered" not in c.ctx.checks or not _all_spans_read(c):
        return
    trouble = c.ctx.scratch.get("span-trouble", set())
    docs = uncovered.column("doc_id")
    starts = np.asarray(pc.fill_null(uncovered.column("start"), 0).to_numpy(), dtype=np.int64)
    ends = np.asarray(pc.fill_null(uncovered.column("end"), 0).to_numpy(), dtype=np.int64)
    for doc_id, doc in c.docs.items():
        if doc_id in trouble or not doc.trusted:
            continue
        coded = _covered(c, doc_id, doc.length, uncovered=False).astype(np.int64)
        prefix = np.concatenate([[0], np.cumsum(coded)])
        here: Any = pc.fill_null(pc.equal(docs, pa.scalar(doc_id)), False)
        mine = np.asarray(here.to_numpy(zero_copy_only=False), dtype=np.bool_)
        fits = mine & (starts >= 0) & (starts < ends) & (ends <= doc.length)
        first, last = np.where(fits, starts, 0), np.where(fits, ends, 0)
        c.flag(
            uncovered,
            "start",
            fits & (prefix[last] - prefix[first] > 0),
            lambda i: (
                "this stretch overlaps a span another table codes; expected uncovered "
                "rows only where nothing is coded"
            ),
        )


@rule("versions-agree")
def versions_agree(c: Check) -> None:
    """The package version is a semantic version and agrees with the Parquet copies, CITATION.cff,
    the latest CHANGELOG release and the library, where each is present."""
    import re

    descriptor = c.ctx.descriptor
    version, name = descriptor.get("version"), descriptor.get("name")
    if not isinstance(version, str) or not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", version):
        c.problem(
            "is not a version X.Y.Z; expected a semantic version",
            file="datapackage.json",
            field="version",
            value=version,
        )
        return
    for other, file, what in _other_versions(c):
        if other is not None and other != version:
            c.problem(
                f"{file} says {other}; expected the package version {version}",
                file=file,
                field=what,
                value=other,
            )
    stale: dict[str, list[str]] = {}
    for table in c.ctx.tables.values():
        stamp = c.ctx.parquet_stamps.get(table.name)
        if stamp is not None and stamp != f"{name}@{version}":
            stale.setdefault(stamp, []).append(table.name)
    for stamp, tables in stale.items():  # one problem per cause, not one per file
        first = c.ctx.tables[tables[0]]
        c.problem(
            f"{len(tables)} Parquet cop{'y was' if len(tables) == 1 else 'ies were'} built for "
            f"{stamp} ({', '.join(tables)}); expected {name}@{version} (run `kerman-warning "
            "build`)",
            resource=first.name,
            file=first.parquet,
            field="datapackage.package",
            value=stamp,
        )


def _other_versions(c: Check) -> list[tuple[str | None, str, str]]:
    import re

    from ._package import default_root

    root = c.ctx.root
    found: list[tuple[str | None, str, str]] = []

    def read(relative: str) -> str | None:
        path = root / relative
        try:
            return path.read_text(encoding="utf-8") if path.is_file() else None
        except (OSError, UnicodeDecodeError):
            return None

    citation = read("CITATION.cff")
    if citation is not None:
        match = re.search(r"^version:\s*[\"']?([^\"'\s]+)", citation, re.M)
        found.append((match.group(1) if match else None, "CITATION.cff", "version"))
    changelog = read("CHANGELOG.md")
    if changelog is not None:
        match = re.search(r"^## \[([0-9]+\.[0-9]+\.[0-9]+)\]", changelog, re.M)
        found.append((match.group(1) if match else None, "CHANGELOG.md", "latest release"))
    source = read("src/kerman_warning/_version.py")
    if source is not None:
        match = re.search(r"^__version__\s*=\s*[\"']([^\"']+)", source, re.M)
        found.append(
            (match.group(1) if match else None, "src/kerman_warning/_version.py", "__version__")
        )
    elif root.resolve() == default_root().resolve():
        from ._version import __version__

        found.append((__version__, "kerman_warning (installed library)", "__version__"))
    return found


@rule("json-schema-in-sync")
def json_schema_in_sync(c: Check) -> None:
    """Each schemas/json/<resource>.json is exactly the JSON Schema derived from its Table Schema
    (so rows that pass stage 3 pass stage 5)."""
    import json

    from .build import json_schema_path, row_json_schema

    for table in c.ctx.tables.values():
        relative = json_schema_path(table.name)
        path = c.ctx.root / relative
        where: Where = {"resource": table.name, "file": relative}
        if not path.is_file():
            c.problem("is missing; expected the file `kerman-warning build` writes", **where)
            continue
        try:
            committed = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            c.problem(f"is not valid JSON ({error}); run `kerman-warning build`", **where)
            continue
        derived = row_json_schema(table.name, table.resource, table.schema)
        if committed != derived:
            field = _first_difference(committed, derived)
            c.problem(
                f"differs from the JSON Schema derived from {table.resource.get('schema')} "
                f"(first at {field}); run `kerman-warning build`",
                field=field,
                **where,
            )


def _first_difference(a: object, b: object, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{path}/{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}/{i}")
    return path or "/"


# --- Factuality (FactBank) ------------------------------------------------------------------
#
# `categories` (stage 3) already keeps `value` and `cue_kind` to their vocabularies; these rules
# check how the columns and the rows fit together.


def cycles(ids: Any, parents: Any) -> Any:
    """Rows on a cycle of parent links (`parents` holds values of `ids`, or null at a root):
    a boolean NumPy array. Rows that merely lead into a cycle are not on it."""
    import numpy as np
    import pyarrow.compute as pc

    n = len(ids)
    step = np.asarray(pc.fill_null(pc.index_in(parents, value_set=ids), n).to_numpy(), np.int64)
    jump = np.append(step, n)  # n: the root sentinel, its own parent
    for _ in range(max(1, int(np.ceil(np.log2(n + 1))) + 1)):
        jump = jump[jump]  # pointer doubling: after k rounds, the 2^k-th ancestor
    # After at least n steps every walk is inside a cycle (or at the root): those rows are the
    # cycles themselves.
    on_cycle = np.zeros(n + 1, dtype=np.bool_)
    on_cycle[jump[:n]] = True
    return on_cycle[:n]


def relation_is(c: Check, name: str, allowed: tuple[str, ...], expected: str) -> None:
    """Flag rows of table `name` whose `source_id` is a source with a relation not in
    `allowed` (an unknown source is the foreign-key rule's)."""
    import pyarrow.compute as pc

    table, sources = c.table(name), c.table("sources")
    if table is None or sources is None:
        return
    position = pc.index_in(table.column("source_id"), value_set=sources.column("source_id"))
    relation = _plain(sources.column("relation")).take(position)
    c.flag(
        table,
        "source_id",
        pc.and_(pc.is_valid(relation), pc.invert(pc.is_in(relation, value_set=_strings(allowed)))),
        lambda i: (
            f"the source's relation is {relation[i].as_py()}; expected {expected} "
            f"({', '.join(allowed)})"
        ),
    )


FACTUALITY = "factuality"
# FactBank value -> the kind of cue that carries it (docs/datasheet.md, "Factuality").
CUE_OF_VALUE = {
    "CT+": "none",
    "PR+": "hedge",
    "PS+": "hedge",
    "CT-": "negation",
    "PR-": "hedged_negation",
    "PS-": "hedged_negation",
    "Uu": "reporting",
}
_CUE_WORDS = {
    "none": "no cue (the source asserts it)",
    "hedge": "a hedge cue",
    "negation": "a negation cue",
    "hedged_negation": "a hedge and a negation as its cue",
    "reporting": "a reporting cue (the verb that hands the event to another source)",
}
HEARD = ("quoted", "cited", "claimant", "publisher")  # sources.relation a perspective may have
MENTION = ("event_id", "doc_id", "start", "end")


@rule("factuality-cue-agrees", per="batch")
def factuality_cue_agrees(c: Check, rows: Batch) -> None:
    """A factuality value has the kind of cue it needs, and a cue span exactly when it has a
    cue."""
    import numpy as np
    import pyarrow.compute as pc

    if rows.name != FACTUALITY or not rows.has("value", "cue_kind", "cue_start"):
        return
    kind = np.asarray(_plain(rows.column("cue_kind")).to_numpy(zero_copy_only=False), dtype=object)
    _flag_per_value(
        c,
        rows,
        "value",
        {value: kind != cue for value, cue in CUE_OF_VALUE.items()},
        {value: _CUE_WORDS[cue] for value, cue in CUE_OF_VALUE.items()},
        skip=np.zeros(len(rows), dtype=np.bool_),
        describe=lambda i: f"cue_kind {rows.value('cue_kind', i)}",
    )
    has_span = np.asarray(
        pc.is_valid(rows.column("cue_start")).to_numpy(zero_copy_only=False), dtype=np.bool_
    )
    known = np.isin(kind, list(_CUE_WORDS))  # an unknown kind is the `categories` rule's
    c.flag(
        rows,
        "cue_start",
        known & (has_span != (kind != "none")),
        lambda i: (
            f"cue_kind {rows.value('cue_kind', i)} "
            + (
                "with a cue span; expected no cue span (or the kind of the cue)"
                if kind[i] == "none"
                else "without a cue span; expected the span of the words that carry the value"
            )
        ),
    )


@rule("cue-in-paragraph", per="batch")
def cue_in_paragraph(c: Check, rows: Batch) -> None:
    """A cue lies in the paragraph of the span it introduces or qualifies."""
    import numpy as np

    if not rows.has("doc_id", "start", "end", "exact", "cue_start", "cue_end", "cue_ar"):
        return
    spans = {"evidence": ("start", "end", "exact"), "cue": ("cue_start", "cue_end", "cue_ar")}
    found: dict[str, dict[str, Any]] = {}
    for what, (start, end, exact) in spans.items():
        for doc, index, first, last, inside in _in_text(c, rows, start, end, exact):
            mine = found.setdefault(doc.doc_id, {"doc": doc})
            mine[what] = (index[inside], first[inside], last[inside])
    for mine in found.values():
        if "evidence" not in mine or "cue" not in mine:
            continue
        doc = mine["doc"]
        lines = np.cumsum(np.frombuffer(doc.text.encode("utf-32-le"), dtype=np.uint32) == 10)
        lines = np.concatenate([[0], lines])  # lines[k]: line breaks before offset k
        e_index, e_first, e_last = mine["evidence"]
        k_index, k_first, k_last = mine["cue"]
        both, e_at, k_at = np.intersect1d(e_index, k_index, return_indices=True)
        low = np.minimum(e_first[e_at], k_first[k_at])
        high = np.maximum(e_last[e_at], k_last[k_at])
        c.flag(
            rows,
            "cue_start",
            both[lines[high] - lines[low] > 0],
            lambda i: (
                f"the cue {rows.value('cue_start', i)}:{rows.value('cue_end', i)} and the span "
                f"{rows.value('start', i)}:{rows.value('end', i)} are in different paragraphs; "
                "expected the cue next to the words it introduces or qualifies"
            ),
        )


def _keys(table: Any, columns: tuple[str, ...]) -> Any:
    """One string per row joining `columns` (a null where any is null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = [_plain(table.column(name)).cast(pa.string()) for name in columns]
    return pc.binary_join_element_wise(*parts, "\x1f")


@rule(
    "event-has-factuality",
    keeps={"events": MENTION, FACTUALITY: (*MENTION, "parent_factuality_id")},
)
def event_has_factuality(c: Check) -> None:
    """Every event has a perspective without a parent at its own evidence span."""
    import pyarrow.compute as pc

    events, facts = c.table("events"), c.table(FACTUALITY)
    if events is None or facts is None:
        return  # no factuality table (or one that could not be read): nothing to hold it to
    roots = pc.filter(_keys(facts, MENTION), pc.is_null(facts.column("parent_factuality_id")))
    c.flag(
        events,
        "event_id",
        pc.invert(pc.is_in(_keys(events, MENTION), value_set=roots)),
        lambda i: (
            f"has no factuality at its evidence span {events.value('start', i)}:"
            f"{events.value('end', i)}; expected a factuality row without a parent there (the "
            "outlet's perspective)"
        ),
    )


@rule(
    "perspective-is-heard", keeps={FACTUALITY: ("source_id",), "sources": ("source_id", "relation")}
)
def perspective_is_heard(c: Check) -> None:
    """A perspective is the outlet's or a source whose words the article reports."""
    relation_is(c, FACTUALITY, HEARD, "a source the article reports the words of, or the outlet")


@rule(
    "outlet-is-outermost",
    keeps={
        FACTUALITY: ("source_id", "parent_factuality_id"),
        "sources": ("source_id", "relation"),
    },
)
def outlet_is_outermost(c: Check) -> None:
    """A perspective without a parent is the outlet's."""
    import pyarrow as pa
    import pyarrow.compute as pc

    facts, sources = c.table(FACTUALITY), c.table("sources")
    if facts is None or sources is None:
        return
    position = pc.index_in(facts.column("source_id"), value_set=sources.column("source_id"))
    relation = _plain(sources.column("relation")).take(position)
    outermost = pc.is_null(facts.column("parent_factuality_id"))
    c.flag(
        facts,
        "source_id",
        pc.and_(outermost, pc.not_equal(relation, pa.scalar("publisher"))),
        lambda i: (
            f"an outermost perspective whose source's relation is {relation[i].as_py()}; "
            "expected the outlet's (publisher), with this source nested under the row that "
            "reports it"
        ),
    )


_NESTS = ("factuality_id", "parent_factuality_id", "source_id", "cue_kind", *MENTION)


@rule("perspective-nests", keeps={FACTUALITY: _NESTS})
def perspective_nests(c: Check) -> None:
    """A nested perspective has its parent's event and mention and is reported by it."""
    import numpy as np
    import pyarrow.compute as pc

    facts = c.table(FACTUALITY)
    if facts is None:
        return
    ids = facts.column("factuality_id")
    parent = pc.index_in(facts.column("parent_factuality_id"), value_set=ids)
    nested = np.asarray(pc.is_valid(parent).to_numpy(zero_copy_only=False), dtype=np.bool_)
    up = np.asarray(pc.fill_null(parent, 0).to_numpy(), dtype=np.int64)
    mention = np.asarray(_keys(facts, MENTION).to_numpy(zero_copy_only=False), dtype=object)
    source = np.asarray(facts.column("source_id").to_numpy(zero_copy_only=False), dtype=object)
    kind = np.asarray(_plain(facts.column("cue_kind")).to_numpy(zero_copy_only=False), dtype=object)
    reports = kind == "reporting"
    elsewhere = nested & (mention != mention[up])
    unreported = nested & ~elsewhere & ~reports[up]
    itself = nested & ~elsewhere & ~unreported & (source == source[up])

    def words(i: int) -> str:
        p = facts.value("parent_factuality_id", i)
        if elsewhere[i]:
            return f"{p} is about another event or mention; expected the same event and span"
        if unreported[i]:
            return f"{p} has cue_kind {kind[up[i]]}; expected a parent that reports this source"
        return f"{p} has the same source; expected the source that reports this one"

    c.flag(facts, "parent_factuality_id", elsewhere | unreported | itself, words)
    children = np.bincount(up[nested], minlength=len(facts))
    c.flag(
        facts,
        "cue_kind",
        reports & (children != 1),
        lambda i: (
            f"reports the event but {children[i]} perspectives are nested in it; expected "
            "exactly one, the reported source's"
        ),
    )


@rule("perspective-acyclic", keeps={FACTUALITY: ("factuality_id", "parent_factuality_id")})
def perspective_acyclic(c: Check) -> None:
    """Following `parent_factuality_id` never comes back to where it started."""
    facts = c.table(FACTUALITY)
    if facts is None:
        return
    c.flag(
        facts,
        "parent_factuality_id",
        cycles(facts.column("factuality_id"), facts.column("parent_factuality_id")),
        lambda i: (
            "following parent_factuality_id from here comes back to this perspective; "
            "expected a chain that ends at the outlet's"
        ),
    )
