"""Events and dates: order, precision, claims after what they claim, nothing after publication."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..api import Batch, Reporter, plain
from ..spec import declare
from ._common import (
    _flag_per_value,
    _np,
    _quiet,
    ordered,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Ints = npt.NDArray[np.int64]

DATE_ORDER = declare(
    "date-order",
    "error",
    "consistency",
    "An earliest possible day (`date_start`) is not after the latest (`date_end`).",
)
DATE_ORDER.each_batch(ordered(None, ("date_start", "date_end")))


DATE_PRECISION_AGREES = declare(
    "date-precision-agrees",
    "error",
    "consistency",
    "Dates fit their precision: day one day, month a whole month, year a whole year, before no "
    "start but an end, unknown no dates.",
)


@DATE_PRECISION_AGREES.each_batch
def date_precision_agrees(c: Reporter, rows: Batch) -> None:
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


CLAIM_AFTER_ATTACK = declare(
    "claim-after-attack",
    "error",
    "consistency",
    "A claim of responsibility names the event it claims (`about_event_id`), which is not the "
    "claim itself, and is not dated before it.",
)


@CLAIM_AFTER_ATTACK.at_end(
    keeps={"events": ("event_id", "event_type", "date_start", "date_end", "about_event_id")}
)
def claim_after_attack(c: Reporter) -> None:
    """A claim of responsibility names the event it claims (`about_event_id`), which is not the
    claim itself, and is not dated before it."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    events = c.table("events")
    if events is None:
        return
    kind = plain(events.column("event_type"))
    claims = pc.fill_null(pc.equal(kind, pa.scalar("claim")), False)
    about = events.column("about_event_id")
    c.flag(
        events,
        "about_event_id",
        pc.and_(claims, pc.is_null(about)),
        lambda i: "a claim that names no event; expected the event_id of what is claimed",
    )
    ids = events.column("event_id")
    itself = pc.fill_null(pc.equal(about, ids), False)
    c.flag(
        events,
        "about_event_id",
        pc.and_(claims, itself),
        lambda i: "the claim is about itself; expected the event_id of what is claimed",
    )
    # Only the claims and the events they name are looked at: nothing the size of the table
    # but one pass over its ids (memory stays with the claims, not with the events).
    rows = pc.indices_nonzero(pc.and_(claims, pc.is_valid(about)))
    if len(rows) == 0:
        return
    named = plain(pc.unique(about.take(rows)))  # a kept column may be dictionary-encoded
    where = pc.indices_nonzero(pc.is_in(ids, value_set=named))
    at: dict[str, int] = {}
    for value, row in zip(ids.take(where).to_pylist(), where.to_pylist(), strict=True):
        at.setdefault(value, row)  # the first row of an id, as a lookup of it finds
    claim_rows = np.asarray(rows.to_numpy(), dtype=np.int64)
    targets = [at.get(v) for v in about.take(rows).to_pylist()]
    found = np.asarray([t is not None for t in targets], dtype=np.bool_)
    claim_rows = claim_rows[found]
    target_rows = np.asarray([t for t in targets if t is not None], dtype=np.int64)

    def earliest(picked: Ints) -> Any:
        take = pa.array(picked, pa.int64())
        start = _np(events.column("date_start").take(take))
        end = _np(events.column("date_end").take(take))
        return np.where(np.isnat(start), end, start)  # open start: only "before end" is known

    mine, other = earliest(claim_rows), earliest(target_rows)
    with _quiet():
        before = mine < other
    date_of = dict(zip(claim_rows.tolist(), zip(mine, other, strict=True), strict=True))
    c.flag(
        events,
        "date_start",
        claim_rows[before],
        lambda i: (
            f"the claim may be dated {date_of[i][0]}, before {events.value('about_event_id', i)} "
            f"({date_of[i][1]}); expected a claim no earlier than what it claims"
        ),
        value=lambda i: events.value("date_start", i) or events.value("date_end", i),
    )


EVENT_BEFORE_PUBLICATION = declare(
    "event-before-publication",
    "error",
    "consistency",
    "No event the article reports starts after the article was published.",
)


@EVENT_BEFORE_PUBLICATION.each_batch
def event_before_publication(c: Reporter, rows: Batch) -> None:
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
