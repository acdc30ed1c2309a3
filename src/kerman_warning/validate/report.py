"""Problems and the report: how they are collected, limited, ordered and rendered.

The engine alone collects problems (`Collector`): at most LIMIT are listed per rule, resource
and field, the rest are counted. `Report` is what `validate()` returns and what the CLI prints,
as text for a person or as JSON for CI (REPORT_FORMAT documents it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from .._text import escape
from .spec import RULES, STAGES, Rule, RuleSet, ordered

__all__ = ["LIMIT", "REPORT_FORMAT", "Collector", "Omitted", "Problem", "Report", "show"]

LIMIT = 50  # problems listed per (rule, resource, field); the rest are counted
VALUE_CHARS = 120  # offending values are cut to this many characters in the report
BUG_REPORTS = "https://github.com/kerman-warning/kerman-warning/issues"


@dataclass(frozen=True)
class Problem:
    """One thing wrong, where a person would look for it.

    `row` is the line of the CSV file as an editor numbers it (the header is line 1), or None
    when the problem is about a whole file or the descriptor; `field` is the column (or, for
    the descriptor, the property); `value` is the offending value as text, cut to 120
    characters.
    """

    rule: str
    severity: str
    stage: int
    resource: str | None
    file: str | None
    row: int | None
    field: str | None
    value: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "stage": self.stage,
            "resource": self.resource,
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "value": self.value,
            "message": self.message,
        }


def show(value: object) -> str | None:
    """A value as the report shows it: text, cut to VALUE_CHARS characters."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif hasattr(value, "isoformat"):
        text = value.isoformat()
    else:
        text = str(value)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


class Collector:
    """Problems found so far, at most LIMIT per (rule, resource, field), the rest counted."""

    def __init__(self, rules: RuleSet = "all") -> None:
        self.rules = rules
        self.problems: list[Problem] = []
        self.seen: dict[tuple[str, str | None, str | None], int] = {}
        self.unusable = False
        self.bug: str | None = None  # set when the validator itself failed (exit code 3)

    def add(
        self,
        rule: Rule,
        message: str,
        *,
        resource: str | None = None,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
        value: object = None,
    ) -> None:
        if not rule.active(self.rules):
            return  # a project rule while checking any Data Package: not asked for
        key = (rule.id, resource, field)
        count = self.seen.get(key, 0)
        self.seen[key] = count + 1
        if count >= LIMIT:
            return
        self.problems.append(
            Problem(
                rule.id,
                rule.severity,
                STAGES[rule.stage],
                resource,
                file,
                row,
                field,
                show(value),
                message,
            )
        )
        if rule.fatal:
            self.unusable = True

    def count(self, rule: Rule, resource: str | None, field: str | None, n: int) -> None:
        """Count `n` more problems of a kind already listed LIMIT times."""
        if n > 0 and rule.active(self.rules):
            key = (rule.id, resource, field)
            self.seen[key] = self.seen.get(key, 0) + n

    def mark(self) -> tuple[int, dict[tuple[str, str | None, str | None], int]]:
        return len(self.problems), dict(self.seen)

    def rollback(self, mark: tuple[int, dict[tuple[str, str | None, str | None], int]]) -> None:
        del self.problems[mark[0] :]
        self.seen = mark[1]

    def omitted(self) -> list[tuple[str, str | None, str | None, int]]:
        return [(r, res, f, n - LIMIT) for (r, res, f), n in self.seen.items() if n > LIMIT]


@dataclass(frozen=True)
class Omitted:
    """Problems counted but not listed: more than LIMIT of one rule in one column."""

    rule: str
    resource: str | None
    field: str | None
    count: int


@dataclass
class Report:
    """The outcome of `validate`: problems, counts, and the exit code for the CLI."""

    package: str
    problems: list[Problem] = field(default_factory=list)
    omitted: list[Omitted] = field(default_factory=list)
    unusable: bool = False
    rows: dict[str, int] = field(default_factory=dict)
    rules: RuleSet = "all"
    bug: str | None = None  # the validator failed: one line naming where, asking for a report

    def count(self, severity: str) -> int:
        listed = sum(1 for p in self.problems if p.severity == severity)
        return listed + sum(o.count for o in self.omitted if RULES[o.rule].severity == severity)

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def warnings(self) -> int:
        return self.count("warning")

    @property
    def valid(self) -> bool:
        return self.bug is None and not self.unusable and self.errors == 0

    @property
    def exit_code(self) -> int:
        """0 valid (warnings allowed), 1 invalid, 2 unusable input, 3 a bug of the validator."""
        if self.bug is not None:
            return 3
        if self.unusable:
            return 2
        return 0 if self.errors == 0 else 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": "kerman-warning.validate",
            "version": 1,
            "package": self.package,
            "rules": self.rules,
            "valid": self.valid,
            "exit_code": self.exit_code,
            "counts": {"error": self.errors, "warning": self.warnings},
            "bug": self.bug,
            "problems": [p.as_dict() for p in self.problems],
            "omitted": [
                {"rule": o.rule, "resource": o.resource, "field": o.field, "count": o.count}
                for o in self.omitted
            ],
        }

    def render(self, *, format: Literal["text", "json"] = "text") -> str:
        """The report for a person (`text`: a table per rule) or for CI (`json`, see above).

        The text shows every control or invisible character escaped (`\\x1b`), never raw, so a
        cell cannot command the terminal.
        """
        if format == "json":
            return json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n"
        if format != "text":
            raise ValueError(f"format must be 'text' or 'json', not {format!r}")
        return _text(self)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _text(report: Report) -> str:
    rows = sum(report.rows.values())
    scope = f"{_plural(len(report.rows), 'table')}, {_plural(rows, 'row')}"
    counts = f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')}"
    if report.bug is not None:
        verdict = f"VALIDATOR BUG: {report.bug}"
    elif report.unusable:
        verdict = f"UNUSABLE: the package cannot be checked ({counts})"
    elif report.valid:
        verdict = f"VALID ({scope}; {counts})"
    else:
        verdict = f"INVALID: {counts} ({scope})"
    command = "validate" if report.rules == "all" else f"validate --rules {report.rules}"
    lines = [f"kerman-warning {command} {escape(report.package)}", escape(verdict)]
    by_rule: dict[str, list[Problem]] = {}
    for problem in report.problems:
        by_rule.setdefault(problem.rule, []).append(problem)
    more: dict[str, list[Omitted]] = {}
    for omitted in report.omitted:
        more.setdefault(omitted.rule, []).append(omitted)
    for rule in ordered(report.rules):
        if rule.id not in by_rule:
            continue
        lines += [
            "",
            f"{rule.id} ({rule.severity}, stage {STAGES[rule.stage]}): {rule.description}",
        ]
        table = [("where", "field", "value", "problem")]
        for p in by_rule[rule.id]:
            where = escape(p.file or p.resource or "datapackage.json")
            if p.row is not None:
                where += f":{p.row}"
            value = "" if p.value is None else _cut(p.value, 24)
            table.append((where, escape(p.field or ""), value, escape(p.message)))
        widths = [max(len(row[i]) for row in table) for i in range(3)]
        for row in table:
            lines.append(
                "  "
                + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
                + "  "
                + row[3]
            )
        for omitted in more.get(rule.id, []):
            column = escape(".".join(x for x in (omitted.resource, omitted.field) if x))
            lines.append(f"  … and {_plural(omitted.count, 'more problem')} in {column}")
    return "\n".join(lines) + "\n"


def _cut(text: str, limit: int) -> str:
    text = escape(text)  # a line break or TAB in a value is shown, as \x0a or \x09
    return text if len(text) <= limit else text[: limit - 1] + "…"


REPORT_FORMAT = f"""\
`kerman-warning validate --format json` prints one JSON object (UTF-8, 2-space indent), stable
across runs for the same input:

- `format`: `"kerman-warning.validate"`, `version`: `1` (bumped only on incompatible changes);
- `package`: the path validated, as given; `rules`: the rule set, `all` or `datapackage`;
  `valid`: true when there is no error and no bug; `exit_code`: 0 valid (warnings
  allowed), 1 invalid, 2 unusable input, 3 a bug of the validator (then `bug` is one line
  naming the rule or step that failed; otherwise null);
- `counts`: `{{"error": n, "warning": n}}`, every problem counted, listed or not;
- `problems`: a list, ordered by stage, rule (catalogue order), resource (descriptor order),
  row and field; each has `rule`, `severity` (`error`/`warning`), `stage` (1-5), `resource`,
  `file` (path inside the package), `row` (the line of that file as an editor numbers it, the
  header being line 1; null for a whole file), `field` (column, or descriptor property),
  `value` (the offending value as text, cut to 120 characters, or null) and `message` (what
  is wrong and what was expected);
- the text report shows control and invisible characters escaped (`\\x1b`, `\\u202e`); the
  command line writes such characters in the JSON report, and any the terminal cannot encode,
  as JSON `\\u` escapes: the same JSON value, never an error;
- `omitted`: at most {LIMIT} problems are listed per rule, resource and field; each entry
  `{{rule, resource, field, count}}` says how many more there are.
"""
