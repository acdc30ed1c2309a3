"""Casualty figures: ordered bounds, qualifiers and numbers as written."""

from __future__ import annotations

from ..api import Batch, Reporter, plain
from ..spec import declare
from ._common import (
    _flag_per_value,
    _np,
    _quiet,
    ordered,
)

CASUALTY_BOUNDS = declare(
    "casualty-bounds",
    "error",
    "consistency",
    "Every casualty figure has low <= best <= high (where given), as in UCDP.",
)
CASUALTY_BOUNDS.each_batch(ordered("casualties", ("low", "best", "high")))


QUALIFIER_AGREES = declare(
    "qualifier-agrees",
    "error",
    "consistency",
    "A casualty's qualifier agrees with its numbers: exact means low = best = high, at_least low "
    "= best and no high, at_most best = high and no low, range a low below a high.",
)


@QUALIFIER_AGREES.each_batch
def qualifier_agrees(c: Reporter, rows: Batch) -> None:
    """A casualty's qualifier agrees with its numbers: exact means low = best = high, at_least
    low = best and no high, at_most best = high and no low, range a low below a high."""
    import numpy as np

    if rows.name != "casualties" or not rows.has("qualifier", "low", "best", "high"):
        return
    low, best, high = (_np(rows.column(f)) for f in ("low", "best", "high"))
    has_low, has_high, has_best = ~np.isnan(low), ~np.isnan(high), ~np.isnan(best)
    with _quiet():
        disordered = (low > best) | (best > high) | (low > high)  # casualty-bounds says so
        wrong = {
            "exact": ~(has_low & has_high & has_best & (low == best) & (best == high)),
            "at_least": ~(has_low & ~has_high & (low == best)),
            "at_most": ~(has_high & ~has_low & (high == best)),
            "range": ~(has_low & has_high & (low < high)),
        }
    expected = {
        "exact": "low = best = high",
        "at_least": "low = best and high empty",
        "at_most": "best = high and low empty",
        "range": "a low and a high, low < high",
    }
    _flag_per_value(
        c,
        rows,
        "qualifier",
        wrong,
        expected,
        skip=disordered,
        describe=lambda i: ", ".join(f"{f} {rows.value(f, i)}" for f in ("low", "best", "high")),
    )


NUMBER_AGREES = declare(
    "number-agrees",
    "error",
    "consistency",
    "The number as written is digits only, all ASCII (0-9) or all Arabic-Indic (٠-٩ or ۰-۹), "
    "and is the casualty's best figure, or its low for a range.",
)
# Digits of one system and nothing else: a sign, a space, a separator or a full-width digit is
# an error to fix, never stripped (stripping "８４" left nothing, and the row was skipped).
_DIGITS = "^(?:[0-9]{1,15}|[\u0660-\u0669]{1,15}|[\u06f0-\u06f9]{1,15})$"


@NUMBER_AGREES.each_batch
def number_agrees(c: Reporter, rows: Batch) -> None:
    """The number as written is digits only, all ASCII (0-9) or all Arabic-Indic (٠-٩ or
    ۰-۹), and is the casualty's best figure, or its low for a range."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if rows.name != "casualties" or not rows.has("number_as_written", "best"):
        return
    written = rows.column("number_as_written")
    digits = pc.fill_null(pc.match_substring_regex(written, _DIGITS), True)  # empty: `required`
    c.flag(
        rows,
        "number_as_written",
        pc.invert(digits),
        lambda i: (
            f"is not a number in digits; expected ASCII (0-9) or Arabic-Indic (٠-٩, ۰-۹) "
            f"digits only, of one system, as the article writes them: {written[i].as_py()!a}"
        ),
    )
    for ascii_digit, arabic, persian in zip("0123456789", "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", strict=True):
        written = pc.replace_substring(written, arabic, ascii_digit)
        written = pc.replace_substring(written, persian, ascii_digit)
    number = pc.if_else(digits, written, pa.scalar(None, pa.string())).cast(pa.int64())
    target = rows.column("best")
    if rows.has("qualifier", "low"):
        is_range = pc.equal(plain(rows.column("qualifier")), pa.scalar("range"))
        target = pc.if_else(pc.fill_null(is_range, False), rows.column("low"), target)
    differ = np.asarray(
        pc.fill_null(pc.not_equal(number, target), False).to_numpy(zero_copy_only=False),
        dtype=np.bool_,
    )
    c.flag(
        rows,
        "number_as_written",
        differ,
        lambda i, t=target: (
            f"reads as {number[i].as_py()}; expected the figure coded, {t[i].as_py()}"
        ),
    )
