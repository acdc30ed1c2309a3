"""Entities and sources: speakers are sources whose words are reported, hierarchies without "
"cycles."""

from __future__ import annotations

from ..api import Reporter, plain
from ..spec import declare
from ._common import (
    _strings,
)

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
    import pyarrow.compute as pc

    quotes, sources = c.table("quotes"), c.table("sources")
    if quotes is None or sources is None:
        return
    position = pc.index_in(quotes.column("source_id"), value_set=sources.column("source_id"))
    relation = plain(sources.column("relation")).take(position)
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
