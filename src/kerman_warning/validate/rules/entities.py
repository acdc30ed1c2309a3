"""Entities and sources: speakers are sources whose words are reported, hierarchies without "
"cycles."""

from __future__ import annotations

from ..api import Reporter
from ..spec import declare
from ._common import cycles, relation_is

SPEAKING = ("quoted", "cited", "claimant")  # sources.relation values whose words are reported


SPEAKER_IS_SOURCE = declare(
    "speaker-is-source",
    "error",
    "consistency",
    "A quote's speaker is a source whose words the article reports (relation quoted, cited or "
    "claimant), not one it only contacts, credits or is published by.",
)


@SPEAKER_IS_SOURCE.at_end(keeps={"quotes": ("source_id",), "sources": ("source_id", "relation")})
def speaker_is_source(c: Reporter) -> None:
    """A quote's speaker is a source whose words the article reports (relation quoted, cited or
    claimant), not one it only contacts, credits or is published by."""
    relation_is(c, "quotes", SPEAKING, "a source the article reports the words of", who="speaker")


PARENT_ACYCLIC = declare(
    "parent-acyclic",
    "error",
    "consistency",
    "Following `parent_entity_id` from any entity ends at an entity without a parent, never back "
    "where it started.",
)


@PARENT_ACYCLIC.at_end(keeps={"entities": ("entity_id", "parent_entity_id")})
def parent_acyclic(c: Reporter) -> None:
    """Following `parent_entity_id` from any entity ends at an entity without a parent, never
    back where it started."""
    entities = c.table("entities")
    if entities is None:
        return
    on_cycle = cycles(entities.column("entity_id"), entities.column("parent_entity_id"))
    c.flag(
        entities,
        "parent_entity_id",
        on_cycle,
        lambda i: (
            "following parent_entity_id from here comes back to this entity; expected "
            "a hierarchy without cycles"
        ),
    )
