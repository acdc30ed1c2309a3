"""Provenance: evidence spans are whole, and values the article does not state have a basis and a"
" reference."""

from __future__ import annotations

from ..api import Batch, Reporter, plain
from ..spec import declare
from ._common import (
    _strings,
)

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


EVERY_ROW_HAS_PROVENANCE = declare(
    "every-row-has-provenance",
    "error",
    "consistency",
    "Every row read from the article has its whole evidence span, and every value the article "
    "does not state has its basis and a reference (and a confidence, where the schema has one).",
)


@EVERY_ROW_HAS_PROVENANCE.each_batch
def every_row_has_provenance(c: Reporter, rows: Batch) -> None:
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
            kind = plain(rows.column(basis))
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
