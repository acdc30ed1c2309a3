"""`kerman-warning validate`: check a Data Package v2 copy against its rules, column-wise.

>>> from kerman_warning.validate import validate
>>> report = validate()                                    # doctest: +SKIP
>>> report.exit_code, len(report.problems)                 # doctest: +SKIP
(0, 0)
>>> validate("some/package", rules="datapackage").valid    # doctest: +SKIP
True

`validate` never raises for bad input: every problem, however broken the input, becomes an
entry of the report (exit code 1, or 2 when nothing can be checked). A failure inside the
validator itself gives exit code 3 and `Report.bug`, one line naming the rule. The rules are
listed by `kerman-warning validate --list-rules` and in docs/rules.md; docs/architecture.md
maps the modules of this package.
"""

from __future__ import annotations

import os

from .._errors import PackageError
from .report import REPORT_FORMAT, Omitted, Problem, Report
from .spec import RULES, Rule, RuleSet, Stage, declare

__all__ = [
    "REPORT_FORMAT",
    "RULES",
    "Omitted",
    "Problem",
    "Report",
    "Rule",
    "RuleSet",
    "Stage",
    "declare",
    "validate",
]

RULE_SETS: tuple[RuleSet, ...] = ("all", "datapackage")


def validate(path: str | os.PathLike[str] | None = None, *, rules: RuleSet = "all") -> Report:
    """Validate the package at `path` (a folder or its datapackage.json; None: the shipped one).

    `rules="all"` runs every rule; `rules="datapackage"` only those that hold for any Data
    Package v2. Never raises for bad input. Raises PackageError only when the `validate`
    extra is not installed, ValueError for an unknown rule set.
    """
    from importlib.util import find_spec

    if rules not in RULE_SETS:
        raise ValueError(f"rules must be one of {', '.join(RULE_SETS)}, not {rules!r}")
    missing = [name for name in ("jsonschema", "numpy") if find_spec(name) is None]
    if missing:
        raise PackageError(
            f"validate needs {' and '.join(missing)}: pip install 'kerman-warning[validate]'"
        )
    from . import engine
    from .spec import ordered

    label = "the shipped package" if path is None else os.fspath(path)
    ctx = engine.run(path, rules)
    report = Report(
        ctx.label if path is not None else label,
        unusable=ctx.out.unusable,
        rules=rules,
        bug=ctx.out.bug,
    )
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
