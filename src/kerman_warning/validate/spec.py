"""What a rule is, apart from how it runs: `Rule`, the stages, the registry and `declare()`.

This module imports nothing else of the project, so that anything may import it. A rule is an
object, declared once at module level and used by name (`PATH_SAFE`, `DATE_ORDER`), never by
a string: mypy then checks every place a rule is reported. Its implementation, if the engine
does not check it itself, is attached with `@RULE.each_batch` or `@RULE.at_end(keeps=...)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "RULES",
    "STAGES",
    "STAGE_TITLES",
    "Ahead",
    "Rule",
    "RuleSet",
    "Scope",
    "Severity",
    "Stage",
    "declare",
    "ordered",
]

Severity = Literal["error", "warning"]
Stage = Literal["descriptor", "integrity", "table", "consistency", "json-schema"]
# "datapackage": holds for every Data Package v2; "project": this package's own conventions.
Scope = Literal["datapackage", "project"]
RuleSet = Literal["all", "datapackage"]
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

# (reporter, batch) and (reporter): the types live in `api`, which this module must not import.
BatchCheck = Callable[[Any, Any], None]
FinalCheck = Callable[[Any], None]
# (table, typed columns of a batch) -> entries of that batch's memo
Ahead = Callable[[Any, Mapping[str, Any]], Mapping[Any, Any]]
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(eq=False)
class Rule:
    """One named check: what it verifies, how serious a failure is, its stage and its scope.

    `batch` runs on every slice of rows while a table streams; `final` runs once at the end,
    on the columns named in `keeps` (the engine keeps only those). Rules the engine checks
    itself (descriptor, Table Schema, integrity) have neither.
    """

    id: str
    severity: Severity
    stage: Stage
    description: str
    scope: Scope = "project"
    fatal: bool = False  # a problem of this rule leaves nothing to check (exit code 2)
    batch: BatchCheck | None = None
    final: FinalCheck | None = None
    keeps: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ahead: list[Ahead] = field(default_factory=list)

    def ahead_of_batch(self, function: Ahead) -> Ahead:
        """Decorator: run `function(table, columns)` on the engine's worker thread, before each
        batch reaches the rules; what it returns seeds the batch's `memo`. For work a batch
        function would do first (Arrow releases the GIL, so it overlaps the main thread): it
        reads the columns only, reports nothing and keeps no state. Its entries are a head
        start, not a promise: if it raises, they are missing and the batch function, which
        must work them out itself when absent, meets the error where it is named."""
        self.ahead.append(function)
        return function

    def each_batch(self, function: BatchCheck) -> BatchCheck:
        """Decorator: run `function(reporter, batch)` on every batch of every table."""
        if self.batch is not None:
            raise ValueError(f"rule {self.id!r} has a batch function already")
        self.batch = function
        return function

    def at_end(
        self, *, keeps: Mapping[str, tuple[str, ...]] | None = None
    ) -> Callable[[FinalCheck], FinalCheck]:
        """Decorator: run `function(reporter)` once, after every table was read."""

        def attach(function: FinalCheck) -> FinalCheck:
            if self.final is not None:
                raise ValueError(f"rule {self.id!r} has a final function already")
            self.final = function
            self.keeps.update(keeps or {})
            return function

        return attach

    def active(self, rules: RuleSet) -> bool:
        """Whether this rule runs under the rule set `rules`."""
        return rules == "all" or self.scope == "datapackage"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "stage": STAGES[self.stage],
            "stage_name": self.stage,
            "scope": self.scope,
            "description": self.description,
        }


RULES: dict[str, Rule] = {}


def declare(
    id: str,
    severity: Severity,
    stage: Stage,
    description: str,
    *,
    scope: Scope = "project",
    fatal: bool = False,
) -> Rule:
    """Declare a rule once; keep the returned object and report through it."""
    if not _ID.match(id):
        raise ValueError(f"rule id {id!r} is not a lowercase slug")
    if id in RULES:
        raise ValueError(f"rule {id!r} is declared twice")
    if stage not in STAGES:
        raise ValueError(f"rule {id!r}: no stage {stage!r}")
    new = Rule(id, severity, stage, " ".join(description.split()), scope, fatal)
    RULES[id] = new
    return new


def ordered(rules: RuleSet = "all") -> list[Rule]:
    """Every rule of a rule set, in catalogue order (stage, then declaration)."""
    return sorted((r for r in RULES.values() if r.active(rules)), key=lambda r: STAGES[r.stage])
