"""Factuality (FactBank): each value has the cue it needs, next to the words it qualifies; every
event has the outlet's perspective; nested perspectives are reported by their parents, no cycles.

`categories` (stage 3) already keeps `value` and `cue_kind` to their vocabularies; these rules
check how the columns and the rows fit together (docs/datasheet.md, "Factuality").
"""

from __future__ import annotations

from typing import Any

from ..api import Batch, Reporter, plain
from ..spec import declare
from ._common import _flag_per_value, _in_text, cycles, joined, relation_is

FACTUALITY = "factuality"
# FactBank value -> the kind of cue that carries it.
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
SLICE = 1 << 20  # rows of a kept table joined into keys at a time (memory, not the table's)


FACTUALITY_CUE_AGREES = declare(
    "factuality-cue-agrees",
    "error",
    "consistency",
    "A factuality value has the kind of cue it needs (CT+ none, PR+/PS+ a hedge, CT- a "
    "negation, PR-/PS- both, Uu a reporting verb), and a cue span exactly when it has a cue.",
)


@FACTUALITY_CUE_AGREES.each_batch
def factuality_cue_agrees(c: Reporter, rows: Batch) -> None:
    """A factuality value has the kind of cue it needs, and a cue span exactly when it has a
    cue."""
    import numpy as np
    import pyarrow.compute as pc

    if rows.name != FACTUALITY or not rows.has("value", "cue_kind", "cue_start"):
        return
    kind = np.asarray(plain(rows.column("cue_kind")).to_numpy(zero_copy_only=False), dtype=object)
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


CUE_IN_PARAGRAPH = declare(
    "cue-in-paragraph",
    "error",
    "consistency",
    "A cue lies in the paragraph of the span it introduces or qualifies.",
)


@CUE_IN_PARAGRAPH.each_batch
def cue_in_paragraph(c: Reporter, rows: Batch) -> None:
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
        breaks = np.frombuffer(doc.text.encode("utf-32-le"), dtype=np.uint32) == 10
        before = np.concatenate([[0], np.cumsum(breaks)])  # before[k]: line breaks before k
        e_index, e_first, e_last = mine["evidence"]
        k_index, k_first, k_last = mine["cue"]
        both, e_at, k_at = np.intersect1d(e_index, k_index, return_indices=True)
        low = np.minimum(e_first[e_at], k_first[k_at])
        high = np.maximum(e_last[e_at], k_last[k_at])
        c.flag(
            rows,
            "cue_start",
            both[before[high] - before[low] > 0],
            lambda i: (
                f"the cue {rows.value('cue_start', i)}:{rows.value('cue_end', i)} and the span "
                f"{rows.value('start', i)}:{rows.value('end', i)} are in different paragraphs; "
                "expected the cue next to the words it introduces or qualifies"
            ),
        )


EVENT_HAS_FACTUALITY = declare(
    "event-has-factuality",
    "error",
    "consistency",
    "Every event has a perspective without a parent (the outlet's) at its own evidence span.",
)


@EVENT_HAS_FACTUALITY.at_end(
    keeps={"events": MENTION, FACTUALITY: (*MENTION, "parent_factuality_id")}
)
def event_has_factuality(c: Reporter) -> None:
    """Every event has a perspective without a parent (the outlet's) at its own evidence
    span."""
    import numpy as np
    import pyarrow.compute as pc

    events, facts = c.table("events"), c.table(FACTUALITY)
    if events is None or facts is None:
        return  # no factuality table (or one that could not be read): nothing to hold it to
    roots = pc.filter(joined(facts, MENTION), pc.is_null(facts.column("parent_factuality_id")))
    missing = np.zeros(len(events), dtype=np.bool_)
    for start in range(0, len(events), SLICE):  # the events' keys a slice at a time
        found = pc.is_in(joined(events, MENTION, start, SLICE), value_set=roots)
        hit = np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.bool_)
        missing[start : start + len(hit)] = ~hit
    c.flag(
        events,
        "event_id",
        missing,
        lambda i: (
            f"has no factuality at its evidence span {events.value('start', i)}:"
            f"{events.value('end', i)}; expected a factuality row without a parent there (the "
            "outlet's perspective)"
        ),
    )


PERSPECTIVE_IS_HEARD = declare(
    "perspective-is-heard",
    "error",
    "consistency",
    "A perspective is the outlet's or a source whose words the article reports (relation "
    "quoted, cited, claimant or publisher).",
)


@PERSPECTIVE_IS_HEARD.at_end(
    keeps={FACTUALITY: ("source_id",), "sources": ("source_id", "relation")}
)
def perspective_is_heard(c: Reporter) -> None:
    """A perspective is the outlet's or a source whose words the article reports."""
    relation_is(c, FACTUALITY, HEARD, "a source the article reports the words of, or the outlet")


OUTLET_IS_OUTERMOST = declare(
    "outlet-is-outermost",
    "error",
    "consistency",
    "A perspective without a parent is the outlet's (a source whose relation is publisher).",
)


@OUTLET_IS_OUTERMOST.at_end(
    keeps={
        FACTUALITY: ("source_id", "parent_factuality_id"),
        "sources": ("source_id", "relation"),
    }
)
def outlet_is_outermost(c: Reporter) -> None:
    """A perspective without a parent is the outlet's."""
    import pyarrow as pa
    import pyarrow.compute as pc

    facts, sources = c.table(FACTUALITY), c.table("sources")
    if facts is None or sources is None:
        return
    position = pc.index_in(facts.column("source_id"), value_set=plain(sources.column("source_id")))
    relation = plain(sources.column("relation")).take(position)
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

PERSPECTIVE_NESTS = declare(
    "perspective-nests",
    "error",
    "consistency",
    "A nested perspective has its parent's event and mention, another source, and a parent "
    "that reports it; a reporting perspective has exactly one perspective nested in it.",
)


@PERSPECTIVE_NESTS.at_end(keeps={FACTUALITY: _NESTS})
def perspective_nests(c: Reporter) -> None:
    """A nested perspective has its parent's event and mention, another source, and a parent
    that reports it; a reporting perspective has exactly one perspective nested in it."""
    import numpy as np
    import pyarrow.compute as pc

    facts = c.table(FACTUALITY)
    if facts is None:
        return
    ids = facts.column("factuality_id")
    parent = pc.index_in(facts.column("parent_factuality_id"), value_set=plain(ids))
    nested = np.asarray(pc.is_valid(parent).to_numpy(zero_copy_only=False), dtype=np.bool_)
    up = np.asarray(pc.fill_null(parent, 0).to_numpy(), dtype=np.int64)
    mention = np.asarray(joined(facts, MENTION).to_numpy(zero_copy_only=False), dtype=object)
    source = np.asarray(facts.column("source_id").to_numpy(zero_copy_only=False), dtype=object)
    kind = np.asarray(plain(facts.column("cue_kind")).to_numpy(zero_copy_only=False), dtype=object)
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


PERSPECTIVE_ACYCLIC = declare(
    "perspective-acyclic",
    "error",
    "consistency",
    "Following `parent_factuality_id` never comes back to where it started.",
)


@PERSPECTIVE_ACYCLIC.at_end(keeps={FACTUALITY: ("factuality_id", "parent_factuality_id")})
def perspective_acyclic(c: Reporter) -> None:
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
