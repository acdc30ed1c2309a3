"""Evidence spans, column-wise: does `text[start:end] == exact` hold for every row at once?

Offsets count Unicode code points. The text's UTF-8 bytes and the byte offset of every code
point are computed once per document; the expected substring of each row is then an Arrow
`string_view` pointing into the text's bytes (no copy per row), compared with the `exact`
column by one vectorised `equal`. The cost is linear in rows, independent of span length.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pyarrow as pa

    Ints = npt.NDArray[np.int64]
    Bools = npt.NDArray[np.bool_]

_INLINE = 12  # Arrow string views keep strings of up to 12 bytes inline


@dataclass
class DocText:
    """One document's text, ready for vectorised span checks."""

    doc_id: str
    text: str
    data: bytes
    byte_offsets: Ints  # byte offset of code point i, and len(data) at the end
    trusted: bool = True  # False when the text fails its hash: its spans are not checked

    @property
    def length(self) -> int:
        return len(self.text)


def doc_text(doc_id: str, data: bytes) -> DocText:
    """A DocText from the bytes of a text file (the caller checked they are UTF-8)."""
    import numpy as np

    raw = np.frombuffer(data, dtype=np.uint8)
    starts = np.flatnonzero((raw & 0xC0) != 0x80).astype(np.int64)
    offsets = np.append(starts, np.int64(len(data)))
    return DocText(doc_id, data.decode("utf-8"), data, offsets)


def expected(doc: DocText, start: Ints, end: Ints) -> pa.Array[Any]:
    """`text[start:end]` for every row, as a string_view array into the text's bytes.

    Every row must satisfy 0 <= start <= end <= len(text); the caller masks the others.
    """
    import numpy as np
    import pyarrow as pa
    from numpy.lib.stride_tricks import sliding_window_view

    n = len(start)
    first = doc.byte_offsets[start]
    size = doc.byte_offsets[end] - first
    padded = np.concatenate(
        [np.frombuffer(doc.data, dtype=np.uint8), np.zeros(_INLINE, dtype=np.uint8)]
    )
    inline = sliding_window_view(padded, _INLINE)[first]  # first 12 bytes of every span
    short = size <= _INLINE
    if short.any():
        keep = np.arange(_INLINE)[None, :] < size[short][:, None]
        inline[short] = np.where(keep, inline[short], 0)
    views = np.zeros((n, 16), dtype=np.uint8)
    views[:, 4:] = inline
    words = views.view(np.int32)
    words[:, 0] = size
    words[:, 2] = np.where(short, words[:, 2], 0)  # long: buffer index 0 ...
    words[:, 3] = np.where(short, words[:, 3], first)  # ... at this byte offset
    return pa.Array.from_buffers(
        pa.string_view(), n, [None, pa.py_buffer(views.tobytes()), pa.py_buffer(doc.data)]
    )


def mismatches(doc: DocText, start: Ints, end: Ints, exact: pa.Array[Any]) -> Bools:
    """For rows whose span lies inside the text: True where `exact` is not the span's text."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(start) == 0:
        return np.zeros(0, dtype=np.bool_)
    views = expected(doc, start, end)
    same = pc.equal(exact.cast(pa.string_view()), views)
    wrong: Any = pc.fill_null(pc.invert(same), pa.scalar(True))
    return np.asarray(wrong.to_numpy(zero_copy_only=False), dtype=np.bool_)


def describe_mismatch(doc: DocText, start: int, end: int, exact: str) -> str:
    """Say how a cell differs from its span, and where its text really is, if anywhere."""
    want = doc.text[start:end]
    shown = _quote(want)
    if unicodedata.normalize("NFC", exact) == want:
        return f"differs from text[{start}:{end}] only by Unicode normalization; expected NFC"
    found = doc.text.find(exact) if exact else -1
    if found >= 0:
        return (
            f"text[{start}:{end}] is {shown}; the cell's text is at {found}:{found + len(exact)} "
            f"(start and end shifted by {found - start})"
        )
    if len(exact) == len(want):
        diff = next(i for i, (a, b) in enumerate(zip(exact, want, strict=True)) if a != b)
        return (
            f"text[{start}:{end}] is {shown}; the cell differs at character {diff} "
            f"({exact[diff]!r} where the text has {want[diff]!r})"
        )
    return f"text[{start}:{end}] is {shown} ({len(want)} characters, the cell {len(exact)})"


def _quote(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def coverage(length: int, start: Ints, end: Ints) -> Ints:
    """Spans as +1 at each start and -1 at each end (start/end already range-checked);
    sums of these arrays add up coverage, `covered` turns one into a mask."""
    import numpy as np

    size = length + 1
    starts = np.bincount(start, minlength=size)[:size]
    ends = np.bincount(end, minlength=size)[:size]
    delta: Ints = (starts - ends).astype(np.int64)
    return delta


def covered(delta: Ints, length: int) -> Bools:
    """Boolean array: is code point i inside at least one span?"""
    import numpy as np

    mask: Bools = np.cumsum(delta)[:length] > 0
    return mask
