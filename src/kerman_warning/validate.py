"""`kerman-warning validate`: check a copy of the package against every rule, column-wise.

>>> from kerman_warning.validate import validate
>>> report = validate()                      # doctest: +SKIP
>>> report.exit_code, len(report.problems)   # doctest: +SKIP
(0, 0)

`validate` never raises for bad input: every problem, however broken the input, becomes an
entry of the report. Stages run in order (descriptor, integrity, Table Schema, consistency,
JSON Schema); a stage stops only where later checks cannot run. The rules are listed by
`kerman-warning validate --list-rules` and in docs/rules.md.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Literal

from ._checks import Problem
from ._errors import PackageError
from .rules import REPORT_FORMAT, RULES, STAGES, ordered

__all__ = ["REPORT_FORMAT", "Omitted", "Problem", "Report", "validate"]


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
        return not self.unusable and self.errors == 0

    @property
    def exit_code(self) -> int:
        """0 valid (warnings allowed), 1 invalid, 2 unusable input."""
        if self.unusable:
            return 2
        return 0 if self.errors == 0 else 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": "kerman-warning.validate",
            "version": 1,
            "package": self.package,
            "valid": self.valid,
            "exit_code": self.exit_code,
            "counts": {"error": self.errors, "warning": self.warnings},
            "problems": [p.as_dict() for p in self.problems],
            "omitted": [
                {"rule": o.rule, "resource": o.resource, "field": o.field, "count": o.count}
                for o in self.omitted
            ],
        }

    def render(self, *, format: Literal["text", "json"] = "text") -> str:
        """The report for a person (`text`: a table per rule) or for CI (`json`, see above)."""
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
    if report.unusable:
        verdict = f"UNUSABLE: the package cannot be checked ({counts})"
    elif report.valid:
        verdict = f"VALID ({scope}; {counts})"
    else:
        verdict = f"INVALID: {counts} ({scope})"
    lines = [f"kerman-warning validate {report.package}", verdict]
    by_rule: dict[str, list[Problem]] = {}
    for problem in report.problems:
        by_rule.setdefault(problem.rule, []).append(problem)
    more: dict[str, list[Omitted]] = {}
    for omitted in report.omitted:
        more.setdefault(omitted.rule, []).append(omitted)
    for rule in ordered():
        if rule.id not in by_rule:
            continue
        lines += [
            "",
            f"{rule.id} ({rule.severity}, stage {STAGES[rule.stage]}): {rule.description}",
        ]
        table = [("where", "field", "value", "problem")]
        for p in by_rule[rule.id]:
            where = p.file or p.resource or "datapackage.json"
            if p.row is not None:
                where += f":{p.row}"
            value = "" if p.value is None else _cut(p.value, 24)
            table.append((where, p.field or "", value, p.message))
        widths = [max(len(row[i]) for row in table) for i in range(3)]
        for row in table:
            lines.append(
                "  "
                + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
                + "  "
                + row[3]
            )
        for omitted in more.get(rule.id, []):
            column = ".".join(x for x in (omitted.resource, omitted.field) if x)
            lines.append(f"  … and {_plural(omitted.count, 'more problem')} in {column}")
    return "\n".join(lines) + "\n"


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def validate(path: str | os.PathLike[str] | None = None) -> Report:
    """Validate the package at `path` (a folder or its datapackage.json; None: the shipped one).

    Never raises for bad input: every problem becomes a report entry, and a package that
    cannot be read at all gives a report with exit code 2. Raises PackageError only when the
    `validate` extra is not installed.
    """
    from importlib.util import find_spec

    missing = [name for name in ("jsonschema", "numpy") if find_spec(name) is None]
    if missing:
        raise PackageError(
            f"validate needs {' and '.join(missing)}: pip install 'kerman-warning[validate]'"
        )
    from . import _checks

    label = "the shipped package" if path is None else os.fspath(path)
    try:
        ctx = _checks.run(path)
    except Exception as error:  # the engine must not crash; if it does, say so plainly
        report = Report(label, unusable=True)
        report.problems.append(
            Problem(
                "descriptor-readable",
                "error",
                1,
                None,
                None,
                None,
                None,
                None,
                f"validation stopped: unexpected {type(error).__name__}: {error}",
            )
        )
        return report
    report = Report(ctx.label if path is not None else label, unusable=ctx.out.unusable)
    rank = {r.id: i for i, r in enumerate(ordered())}
    names = {name: i for i, name in enumerate(ctx.tables)}
    report.problems = sorted(
        ctx.out.problems,
        key=lambda p: (
            p.stage,
            rank[p.rule],
            names.get(p.resource or "", -1),
            p.resource or "",
            p.row or 0,
            p.field or "",
            p.message,
        ),
    )
    report.omitted = [Omitted(*entry) for entry in ctx.out.omitted()]
    report.rows = {name: t.rows for name, t in ctx.tables.items() if t.usable}
    return report
