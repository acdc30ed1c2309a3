"""Text hygiene: NFC, the written character policy (`_text`), no spreadsheet formulas, no huge
cells."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..._limits import MAX_CELL_CHARS
from ..._text import policy_pattern, suspect_pattern, text_problem
from ..api import Batch, Reporter, Table, selected
from ..spec import declare
from ._common import PROVEN_BY_SPAN, SPANS, _text_fields, span_verdicts, text_fields

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Ints = npt.NDArray[np.int64]

_FORMULA_STARTS = b"=+-@\t\r"


NFC_UNSTABLE = (  # noqa: SIM905 (a list literal would be 276 lines)
    "300-34E 350-36F 374 37E 387 483-487 591-5BD 5BF 5C1-5C2 5C4-5C5 5C7 610-61A 64B-65F "
    "670 6D6-6DC 6DF-6E4 6E7-6E8 6EA-6ED 711 730-74A 7EB-7F3 7FD 816-819 81B-823 825-827 "
    "829-82D 859-85B 898-89F 8CA-8E1 8E3-8FF 93C 94D 951-954 958-95F 9BC 9BE 9CD 9D7 "
    "9DC-9DD 9DF 9FE A33 A36 A3C A4D A59-A5B A5E ABC ACD B3C B3E B4D B56-B57 B5C-B5D BBE "
    "BCD BD7 C3C C4D C55-C56 CBC CC2 CCD CD5-CD6 D3B-D3C D3E D4D D57 DCA DCF DDF E38-E3A "
    "E48-E4B EB8-EBA EC8-ECB F18-F19 F35 F37 F39 F43 F4D F52 F57 F5C F69 F71-F76 F78 "
    "F7A-F7D F80-F84 F86-F87 F93 F9D FA2 FA7 FAC FB5 FB7 FB9 FC6 102E 1037 1039-103A 108D "
    "1161-1175 11A8-11C2 135D-135F 1714-1715 1734 17D2 17DD 18A9 1939-193B 1A17-1A18 1A60 "
    "1A75-1A7C 1A7F 1AB0-1ABD 1ABF-1ACE 1B34-1B35 1B44 1B6B-1B73 1BAA-1BAB 1BE6 1BF2-1BF3 "
    "1C37 1CD0-1CD2 1CD4-1CE0 1CE2-1CE8 1CED 1CF4 1CF8-1CF9 1DC0-1DFF 1F71 1F73 1F75 1F77 "
    "1F79 1F7B 1F7D 1FBB 1FBE 1FC9 1FCB 1FD3 1FDB 1FE3 1FEB 1FEE-1FEF 1FF9 1FFB 1FFD "
    "2000-2001 20D0-20DC 20E1 20E5-20F0 2126 212A-212B 2329-232A 2ADC 2CEF-2CF1 2D7F "
    "2DE0-2DFF 302A-302F 3099-309A A66F A674-A67D A69E-A69F A6F0-A6F1 A806 A82C A8C4 "
    "A8E0-A8F1 A92B-A92D A953 A9B3 A9C0 AAB0 AAB2-AAB4 AAB7-AAB8 AABE-AABF AAC1 AAF6 ABED "
    "F900-FA0D FA10 FA12 FA15-FA1E FA20 FA22 FA25-FA26 FA2A-FA6D FA70-FAD9 FB1D-FB1F "
    "FB2A-FB36 FB38-FB3C FB3E FB40-FB41 FB43-FB44 FB46-FB4E FE20-FE2F 101FD 102E0 "
    "10376-1037A 10A0D 10A0F 10A38-10A3A 10A3F 10AE5-10AE6 10D24-10D27 10EAB-10EAC "
    "10F46-10F50 10F82-10F85 11046 11070 1107F 110B9-110BA 11100-11102 11127 11133-11134 "
    "11173 111C0 111CA 11235-11236 112E9-112EA 1133B-1133C 1133E 1134D 11357 11366-1136C "
    "11370-11374 11442 11446 1145E 114B0 114BA 114BD 114C2-114C3 115AF 115BF-115C0 1163F "
    "116B6-116B7 1172B 11839-1183A 11930 1193D-1193E 11943 119E0 11A34 11A47 11A99 11C3F "
    "11D42 11D44-11D45 11D97 16AF0-16AF4 16B30-16B36 16FF0-16FF1 1BC9E 1D15E-1D169 "
    "1D16D-1D172 1D17B-1D182 1D185-1D18B 1D1AA-1D1AD 1D1BB-1D1C0 1D242-1D244 1E000-1E006 "
    "1E008-1E018 1E01B-1E021 1E023-1E024 1E026-1E02A 1E130-1E136 1E2AE 1E2EC-1E2EF "
    "1E8D0-1E8D6 1E944-1E94A 2F800-2FA1D "
).split()


def _looked(rows: Batch, name: str) -> TextLook:
    """What both text rules look for in a column of the batch: worked out ahead of the batch
    on the worker thread (`_look_ahead`), else here, once per batch."""
    key = ("text-look", name)
    if key not in rows.memo:
        rows.memo[key] = text_look(name, rows.column(name))
    look: TextLook = rows.memo[key]
    return look


@dataclass(frozen=True)
class TextLook:
    """Rows of a text column that NFC could change, and rows that break the policy."""

    nfc_suspects: Ints
    policy_breaks: Ints


def text_look(name: str, column: Any) -> TextLook:
    """`TextLook` of the column `name`: a cheap look at all its bytes first, then one RE2 search
    per rule over the whole column, cell by cell only where that finds something. Columns that
    copy the article (`exact`, `cue_ar`) are left to the batch: NFC is checked against the
    article itself, and the policy on the cells that differ from their span
    (`_copy_breaks`)."""
    import numpy as np
    import pyarrow.compute as pc

    none = np.zeros(0, dtype=np.int64)
    if name in PROVEN_BY_SPAN or not may_hold_suspects(column):
        return TextLook(none, none)
    whole = _as_one(column)
    nfc = policy = none
    if pc.any(pc.match_substring_regex(whole, _nfc_unstable())).as_py():
        nfc = selected(pc.match_substring_regex(column, _nfc_unstable()))
    if pc.any(pc.match_substring_regex(whole, suspect_pattern())).as_py():
        policy = selected(pc.match_substring_regex(column, policy_pattern()))
    return TextLook(nfc, policy)


def _copy_breaks(c: Reporter, rows: Batch, name: str) -> Ints:
    """Rows of a column that copies the article whose cell breaks the policy (LF allowed). A
    cell equal to its span in a document with no character the policy may refuse holds none
    either; every other cell is searched, cell by cell."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    column = rows.column(name)
    unproven = np.ones(len(column), dtype=np.bool_)
    spans = [(start, end) for start, end, exact in SPANS if exact == name]
    if spans and rows.has("doc_id", *spans[0], name):
        for doc, index, _, _, inside, wrong in span_verdicts(c, rows, *spans[0], name):
            if _clean(c, doc):
                unproven[index[inside][~wrong]] = False
    check = np.flatnonzero(unproven)
    if len(check) == 0:
        return check.astype(np.int64)
    pattern = policy_pattern(line_breaks=True)
    found = selected(pc.match_substring_regex(column.take(pa.array(check)), pattern))
    return check[found].astype(np.int64)


def _clean(c: Reporter, doc: Any) -> bool:
    """Whether a document's text holds no character the policy may refuse where LF is allowed
    (nor a joiner, which a span could cut off from its neighbours); once per run."""
    import pyarrow as pa
    import pyarrow.compute as pc

    known: dict[str, bool] = c.ctx.scratch.setdefault("clean-texts", {})
    if doc.doc_id not in known:
        text = pa.array([doc.text], pa.string())
        found = pc.match_substring_regex(text, suspect_pattern(line_breaks=True))
        known[doc.doc_id] = not found[0].as_py()
    return known[doc.doc_id]


def may_hold_suspects(column: Any) -> bool:
    """False only if no cell of a string array holds a character NFC could change or the policy
    refuses in any field: one cheap look at all its bytes."""
    import pyarrow.compute as pc

    data = _data(column)
    if len(data) == 0:
        return False
    if (highest := int(data.max())) < 0x80:
        # ASCII: NFC changes nothing, and the policy refuses only C0 controls and DEL
        return int(data.min()) < 0x20 or highest == 0x7F
    # one RE2 search over all the column's bytes at once (a DFA: linear, about 600 MB/s)
    return bool(pc.any(pc.match_substring_regex(_as_one(column), _either())).as_py())


NFC_TEXT = declare(
    "nfc-text",
    "error",
    "consistency",
    "Text cells are Unicode NFC, like the article (`exact` and `cue_ar` are checked against the "
    "text itself).",
)


@NFC_TEXT.each_batch
def nfc_text(c: Reporter, rows: Batch) -> None:
    """Text cells are Unicode NFC, like the article (`exact` and `cue_ar` are checked against
    the text itself)."""
    import pyarrow.compute as pc

    for name in _text_fields(rows):
        if name in PROVEN_BY_SPAN:
            continue
        suspect = _looked(rows, name).nfc_suspects
        if len(suspect) == 0:
            continue
        cells = rows.column(name).take(suspect)
        normal = pc.call_function("utf8_normalize", [cells], pc.Utf8NormalizeOptions("NFC"))
        c.flag(
            rows,
            name,
            suspect[selected(pc.not_equal(normal, cells))],
            lambda i, name=name: (
                f"is not in Unicode NFC ({len(str(rows.value(name, i)))} code points, "
                f"{len(unicodedata.normalize('NFC', str(rows.value(name, i))))} in NFC); "
                "expected NFC text, as the article is"
            ),
        )


def _ranges(items: list[str]) -> str:
    return "".join("-".join(f"\\x{{{part}}}" for part in item.split("-")) for item in items)


@functools.cache
def _nfc_unstable() -> str:
    """An RE2 class of the characters in NFC_UNSTABLE."""
    return "[" + _ranges(NFC_UNSTABLE) + "]"


@functools.cache
def _either() -> str:
    """An RE2 class of the characters either rule looks for."""
    return "[" + _ranges(NFC_UNSTABLE) + suspect_pattern()[1:-1] + "]"


def _data(column: Any) -> Any:
    """A string array's bytes, as NumPy bytes (no copy)."""
    import numpy as np

    buffers = column.buffers()
    if len(column) == 0 or buffers[2] is None:
        return np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(
        buffers[1], dtype=np.int32, count=len(column) + 1, offset=column.offset * 4
    )
    return np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0] : offsets[-1]]


def _as_one(column: Any) -> Any:
    """A string array's values back to back, as an array of one string (no copy)."""
    import numpy as np
    import pyarrow as pa

    buffers = column.buffers()
    offsets = np.frombuffer(
        buffers[1], dtype=np.int32, count=len(column) + 1, offset=column.offset * 4
    )
    ends = np.array([offsets[0], offsets[-1]], dtype=np.int32)
    data = buffers[2] if buffers[2] is not None else pa.py_buffer(b"")
    return pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(ends.tobytes()), data])


@NFC_TEXT.at_end()
def nfc_documents(c: Reporter) -> None:
    """Text cells are Unicode NFC, like the article."""
    import unicodedata

    documents = c.ctx.tables.get("documents")
    for doc_id, doc in c.docs.items():
        if not unicodedata.is_normalized("NFC", doc.text):
            meta = c.ctx.doc_meta[doc_id]
            c.problem(
                f"the text {meta.path} is not in Unicode NFC; expected the NFC text every "
                "offset counts in",
                resource="documents",
                file=documents.file if documents else None,
                row=meta.line,
                field="text_path",
                value=meta.path,
            )


TEXT_CHARACTERS = declare(
    "text-characters",
    "error",
    "consistency",
    "Text cells follow the written character policy (docs/limits.md): no NUL, C0 or C1 control, "
    "TAB, line break (LF only where the article is copied: `exact`, `cue_ar`), default-ignorable "
    "code point (soft hyphen, zero-width and bidi characters, tags, ...) or noncharacter; ZWNJ "
    "and ZWJ only between two Arabic-script letters.",
)


@TEXT_CHARACTERS.each_batch
def text_characters(c: Reporter, rows: Batch) -> None:
    """Text cells follow the written character policy (docs/limits.md): no NUL, C0 or C1
    control, TAB, line break (LF only where the article is copied: `exact`, `cue_ar`),
    default-ignorable code point or noncharacter; ZWNJ and ZWJ only between two Arabic-script
    letters."""
    for name in _text_fields(rows):
        copies_article = name in PROVEN_BY_SPAN
        c.flag(
            rows,
            name,
            _copy_breaks(c, rows, name) if copies_article else _looked(rows, name).policy_breaks,
            lambda i, n=name, lf=copies_article: (
                f"{text_problem(str(rows.value(n, i)), line_breaks=lf)}; expected text without "
                "controls or invisible characters (see docs/limits.md)"
            ),
        )


@NFC_TEXT.ahead_of_batch
@TEXT_CHARACTERS.ahead_of_batch
def _look_ahead(table: Table, columns: Mapping[str, Any]) -> dict[Any, TextLook]:
    """Both rules' look at each text column, on the worker thread (RE2 drops the GIL)."""
    return {("text-look", n): text_look(n, columns[n]) for n in text_fields(table)}


NO_FORMULA_CELLS = declare(
    "no-formula-cells",
    "error",
    "consistency",
    "No text cell starts with =, +, -, @, tab or carriage return, which spreadsheets run as a "
    "formula (CSV injection).",
)


@NO_FORMULA_CELLS.each_batch
def no_formula_cells(c: Reporter, rows: Batch) -> None:
    """No text cell starts with =, +, -, @, tab or carriage return, which spreadsheets run as a
    formula (CSV injection)."""
    for name in _text_fields(rows):
        key = ("formula-starts", name)
        if key not in rows.memo:
            rows.memo[key] = formula_starts(rows.column(name))
        c.flag(
            rows,
            name,
            rows.memo[key],
            lambda i, n=name: (
                f"starts with {str(rows.value(n, i))[:1]!r}, which a spreadsheet reads as a "
                "formula; expected text that does not start with =, +, -, @, tab or CR"
            ),
        )


@NO_FORMULA_CELLS.ahead_of_batch
def _formula_ahead(table: Table, columns: Mapping[str, Any]) -> dict[Any, Ints]:
    """The rule's look at each text column, on the worker thread."""
    return {("formula-starts", n): formula_starts(columns[n]) for n in text_fields(table)}


def formula_starts(column: Any) -> Ints:
    """Rows of a string array that start with a character a spreadsheet runs as a formula: the
    first byte of every cell, straight from the buffers, looked up in a table of 256."""
    import numpy as np

    n = len(column)
    buffers = column.buffers()
    if n == 0 or buffers[2] is None or buffers[2].size == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.frombuffer(buffers[1], dtype=np.int32, count=n + 1, offset=column.offset * 4)
    data = np.frombuffer(buffers[2], dtype=np.uint8)
    starts = offsets[:-1]
    hit = _formula_table()[data[np.minimum(starts, len(data) - 1)]] & (offsets[1:] > starts)
    if column.null_count:
        hit &= np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    return np.flatnonzero(hit).astype(np.int64)


@functools.cache
def _formula_table() -> Any:
    import numpy as np

    table = np.zeros(256, dtype=np.bool_)
    table[list(_FORMULA_STARTS)] = True
    return table


CELL_SIZE_LIMIT = declare(
    "cell-size-limit",
    "error",
    "consistency",
    "No text cell is longer than 10,000 code points (the whole article has 2,266).",
)


@CELL_SIZE_LIMIT.each_batch
def cell_size_limit(c: Reporter, rows: Batch) -> None:
    """No text cell is longer than 10,000 code points (the whole article has 2,266)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for name in _text_fields(rows):
        column = rows.column(name)
        if len(column) == 0 or (pc.max(pc.binary_length(column)).as_py() or 0) <= MAX_CELL_CHARS:
            continue  # no cell has more bytes, so none has more code points
        length = pc.utf8_length(column)
        c.flag(
            rows,
            name,
            pc.greater(length, pa.scalar(MAX_CELL_CHARS)),
            lambda i, n=length: (
                f"has {n[i].as_py():,} code points; expected at most {MAX_CELL_CHARS:,}"
            ),
        )
