"""Catalogue metadata: croissant.json and the Hugging Face card are what `build` derives, and
every file that states the version, licence, title or citation agrees with datapackage.json.

Files that are absent are not compared: a bare copy of the package (datapackage.json, data/,
schemas/) has no README, card or croissant.json, and `build --check` is what insists that a
checkout has them.
"""

from __future__ import annotations

from typing import Any

from ..._croissant import CROISSANT, render
from ..._errors import KermanWarningError
from ..._hfcard import card, with_card
from ..._metadata import README, disagreements
from ..._package import optional_text
from ..api import Reporter
from ..spec import declare
from .repository import _first_difference

DATASHEET = "docs/datasheet.md"  # croissant.json's rai: properties are drawn from it

METADATA_AGREES = declare(
    "metadata-agrees",
    "error",
    "consistency",
    "croissant.json, the Hugging Face card in README.md and CITATION.cff state the version, "
    "licence, title and creators that datapackage.json states, where each is present.",
)


def _descriptor_sound(c: Reporter) -> bool:
    """The descriptor met its profiles: the fields these rules read have the right shapes."""
    return not any(p.rule in ("descriptor-profile", "project-profile") for p in c.ctx.out.problems)


@METADATA_AGREES.at_end()
def metadata_agrees(c: Reporter) -> None:
    """croissant.json, the card and CITATION.cff agree with datapackage.json where present."""
    if not _descriptor_sound(c):
        return  # a descriptor of the wrong shape is the profile rules' problem
    for line in disagreements(c.ctx.root):
        file, _, message = line.partition(": ")
        c.problem(message or line, file=file.removesuffix(" card"))


CATALOGUE_FILES_FRESH = declare(
    "catalogue-files-fresh",
    "error",
    "consistency",
    "croissant.json and the card in README.md's front matter are exactly what `kerman-warning "
    "build` derives from the descriptor, the Table Schemas and the datasheet, where present.",
)


@CATALOGUE_FILES_FRESH.at_end()
def catalogue_files_fresh(c: Reporter) -> None:
    """croissant.json and README.md's card are what `build` derives, where present."""
    tables = c.ctx.tables.values()
    if not _descriptor_sound(c) or not all(table.usable for table in tables):
        return  # a table that could not be read is reported already; rows are unknown
    schemas = {table.name: table.schema for table in tables}
    try:
        committed = optional_text(c.ctx.root, CROISSANT)
        datasheet = optional_text(c.ctx.root, DATASHEET)
        readme = optional_text(c.ctx.root, README)
    except KermanWarningError as error:
        c.problem(f"{error}; expected the file `kerman-warning build` writes")
        return
    if committed is not None:
        _compare_croissant(c, committed, render(c.ctx.descriptor, schemas, datasheet=datasheet))
    if readme is not None:
        rows = {table.name: table.rows for table in tables}
        if with_card(readme, card(c.ctx.descriptor, schemas, rows)) != readme:
            c.problem(
                "its front matter is not the card derived from datapackage.json and the Table "
                "Schemas; run `kerman-warning build`",
                file=README,
            )


def _compare_croissant(c: Reporter, committed: str, derived: bytes) -> None:
    import json

    try:
        found: Any = json.loads(committed)
    except ValueError:
        c.problem("is not JSON; run `kerman-warning build`", file=CROISSANT)
        return
    expected = json.loads(derived)
    if found != expected:
        field = _first_difference(found, expected)
        c.problem(
            f"differs from the Croissant derived from the package (first at {field}); run "
            "`kerman-warning build`",
            file=CROISSANT,
            field=field,
        )
