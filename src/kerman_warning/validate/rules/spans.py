"""Evidence spans: every span is its text, texts are whole and covered, quotes are verbatim."""

from __future__ import annotations

from typing import Any

from ... import _spans
from ..._csv import Unreadable, line_numbers, read_all
from ..._limits import MAX_TEXT_BYTES
from ..api import Batch, Context, DocMeta, Reporter, Where, plain
from ..spec import declare
from ..stages.descriptor import read_checked
from ._common import (
    SPANS,
    _in_text,
    _quote,
    span_verdicts,
)

_QUOTE_MARKS = frozenset('"«»“”„')
_MARK_CLASS = "[" + "".join(f"\\x{{{ord(m):X}}}" for m in sorted(_QUOTE_MARKS)) + "]"


SPAN_MATCHES_TEXT = declare(
    "span-matches-text",
    "error",
    "consistency",
    "Every evidence span is its text: `text[start:end] == exact` in code points, and likewise "
    "`cue_start`/`cue_end`/`cue_ar` of a quote.",
)


@SPAN_MATCHES_TEXT.each_batch
def span_matches_text(c: Reporter, rows: Batch) -> None:
    """Every evidence span is its text: `text[start:end] == exact` in code points, and likewise
    `cue_start`/`cue_end`/`cue_ar` of a quote."""

    for start, end, exact in SPANS:
        if not rows.has("doc_id", start, end, exact):
            continue
        for doc, index, _, _, inside, wrong in span_verdicts(c, rows, start, end, exact):
            outside = index[~inside]
            c.flag(
                rows,
                end,
                outside,
                lambda i, d=doc, s=start, e=end: (
                    f"the span {rows.value(s, i)}:{rows.value(e, i)} is not inside the text "
                    f"(0:{d.length}) with start < end; expected offsets into {d.doc_id}"
                ),
            )
            if inside.any():
                kept = index[inside]
                if wrong.any():
                    c.ctx.scratch.setdefault("span-trouble", set()).add(doc.doc_id)
                c.flag(
                    rows,
                    exact,
                    kept[wrong],
                    lambda i, d=doc, s=start, e=end, x=exact: (
                        _spans.describe_mismatch(
                            d, int(rows.value(s, i)), int(rows.value(e, i)), str(rows.value(x, i))
                        )
                        + "; expected the cell to be the text of its span"
                    ),
                )


TEXT_HASH_MATCHES = declare(
    "text-hash-matches",
    "error",
    "consistency",
    "Each document's text file has the `text_sha256` and `text_length` its row states.",
)


@TEXT_HASH_MATCHES.at_end()
def text_hash_matches(c: Reporter) -> None:
    """Each document's text file has the `text_sha256` and `text_length` its row states."""
    documents = c.ctx.tables.get("documents")
    if documents is None:
        return
    for doc_id, meta in c.ctx.doc_meta.items():
        if meta.sha256 is None or meta.path in c.ctx.bad_files:
            continue  # unreadable (reported as a path problem) or changed (a hash problem)
        where: Where = {"resource": "documents", "file": documents.file}
        if meta.problem is not None:
            c.problem(meta.problem, row=meta.line, field="text_path", value=meta.path, **where)
            continue
        stated = c.ctx.doc_stated.get(doc_id, {})
        if stated.get("text_sha256") not in (None, meta.sha256):
            c.problem(
                f"the text {meta.path} has SHA-256 {meta.sha256}; expected the text_sha256 of "
                "its row (was the text edited?)",
                row=meta.line,
                field="text_sha256",
                value=stated.get("text_sha256"),
                **where,
            )
        elif stated.get("text_length") not in (None, meta.length):
            c.problem(
                f"the text {meta.path} has {meta.length} code points; expected text_length",
                row=meta.line,
                field="text_length",
                value=stated.get("text_length"),
                **where,
            )


DIRECT_QUOTE_VERBATIM = declare(
    "direct-quote-verbatim",
    "error",
    "consistency",
    "A direct quote is the whole text between one pair of quotation marks: the character before "
    "its span opens a quote, the one after closes it, and the span holds no quotation mark of "
    "its own (it does not run from inside one quote to the end of the next).",
)


@DIRECT_QUOTE_VERBATIM.each_batch
def direct_quote_verbatim(c: Reporter, rows: Batch) -> None:
    """A direct quote is the whole text between one pair of quotation marks: the character
    before its span opens a quote, the one after closes it, and the span holds no quotation
    mark of its own."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if rows.name != "quotes" or not rows.has("kind", "doc_id", "start", "end", "exact"):
        return
    direct = np.asarray(
        pc.fill_null(pc.equal(plain(rows.column("kind")), pa.scalar("direct")), False).to_numpy(
            zero_copy_only=False
        ),
        dtype=np.bool_,
    )
    if not direct.any():
        return
    for doc, index, first, last, inside in _in_text(c, rows, "start", "end", "exact"):
        keep = inside & direct[index]
        if not keep.any():
            continue
        index, first, last = index[keep], first[keep], last[keep]
        cells = rows.column("exact").take(pa.array(index))
        matches = ~_spans.mismatches(doc, first, last, cells)  # a wrong span is reported there
        points = np.frombuffer(doc.text.encode("utf-32-le"), dtype=np.uint32)
        marks = np.array(sorted(ord(m) for m in _QUOTE_MARKS), dtype=np.uint32)
        before = np.where(first > 0, points[np.maximum(first - 1, 0)], 0)
        after = np.where(last < doc.length, points[np.minimum(last, doc.length - 1)], 0)
        enclosed = np.isin(before, marks) & np.isin(after, marks)
        marked = np.asarray(
            pc.fill_null(pc.match_substring_regex(cells, _MARK_CLASS), False).to_numpy(
                zero_copy_only=False
            ),
            dtype=np.bool_,
        )
        c.flag(
            rows,
            "exact",
            index[matches & enclosed & marked],
            lambda i: (
                f"the span holds the quotation mark {_quote(_first_mark(rows.value('exact', i)))}; "
                "expected one quotation, not a span from inside one quote to the end of another"
            ),
        )
        c.flag(
            rows,
            "start",
            index[matches & ~enclosed],
            lambda i, d=doc: (
                f"the span is preceded by {_quote(_next_to(d, rows, i)[0])} and followed by "
                f"{_quote(_next_to(d, rows, i)[1])}; expected a direct quote enclosed in "
                "quotation marks, which stay outside the span"
            ),
        )


def _first_mark(text: object) -> str:
    return next((char for char in str(text) if char in _QUOTE_MARKS), "")


def _next_to(doc: Any, rows: Batch, i: int) -> tuple[str, str]:
    start, end = int(rows.value("start", i)), int(rows.value("end", i))
    return doc.text[max(start - 1, 0) : start], doc.text[end : end + 1]


TEXT_COVERED = declare(
    "text-covered",
    "warning",
    "consistency",
    "Every non-blank character of each text is inside some row's span (an `uncovered` row says "
    "why a stretch is not coded).",
)


@TEXT_COVERED.each_batch
def text_covered_spans(c: Reporter, rows: Batch) -> None:
    """Every non-blank character of each text is inside some row's span (an `uncovered` row
    says why a stretch is not coded)."""

    # State is kept per table (the engine forgets a table's state if it reads it again).
    mine = c.state.setdefault(rows.name, {})
    for start, end, exact in SPANS:
        if not rows.has("doc_id", start, end, exact):
            continue
        for doc, _index, first, last, inside in _in_text(c, rows, start, end, exact):
            delta = _spans.coverage(doc.length, first[inside], last[inside])
            mine[doc.doc_id] = delta if doc.doc_id not in mine else mine[doc.doc_id] + delta


def _covered(c: Reporter, doc_id: str, length: int, *, uncovered: bool) -> Any:
    """Which code points of a text the spans of `uncovered` (or of every other table) cover."""
    import numpy as np

    total = np.zeros(length + 1, dtype=np.int64)
    for table, docs in c.ctx.reporter(TEXT_COVERED).state.items():
        if (table == "uncovered") == uncovered and doc_id in docs:
            total = total + docs[doc_id]
    return _spans.covered(total, length)


@TEXT_COVERED.at_end()
def text_covered(c: Reporter) -> None:
    """Every non-blank character of each text is inside some row's span."""
    import numpy as np

    trouble = c.ctx.scratch.get("span-trouble", set())
    if not _all_spans_read(c):
        return  # a table that could not be read leaves gaps that are not problems of their own
    for doc_id, doc in c.docs.items():
        if doc_id in trouble or not doc.trusted:
            continue  # a wrong span leaves a gap that is not a second problem
        seen = _covered(c, doc_id, doc.length, uncovered=False)
        seen |= _covered(c, doc_id, doc.length, uncovered=True)
        blank = np.array([ch.isspace() for ch in doc.text], dtype=np.bool_)
        meta = c.ctx.doc_meta[doc_id]
        for first, last in _stretches(~seen & ~blank):
            c.problem(
                f"text[{first}:{last}] is inside no row's span; expected a row that codes it, "
                "or an `uncovered` row saying why not",
                resource="documents",
                file=meta.path,
                row=doc.text.count("\n", 0, first) + 1,
                field=None,
                value=doc.text[first:last],
            )


def _all_spans_read(c: Reporter) -> bool:
    """True when every table of the package was read, so that coverage is complete."""
    tables = [
        r.get("name")
        for r in c.ctx.descriptor.get("resources", [])
        if isinstance(r, dict) and r.get("type") == "table"
    ]
    return all(
        isinstance(name, str) and name in c.ctx.tables and c.ctx.tables[name].usable
        for name in tables
    )


def _stretches(mask: Any) -> list[tuple[int, int]]:
    import numpy as np

    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()
    return list(zip(starts, ends, strict=True))


UNCOVERED_IS_UNCOVERED = declare(
    "uncovered-is-uncovered",
    "warning",
    "consistency",
    "An `uncovered` stretch overlaps no span that another table codes.",
)


@UNCOVERED_IS_UNCOVERED.at_end(keeps={"uncovered": ("uncovered_id", "doc_id", "start", "end")})
def uncovered_is_uncovered(c: Reporter) -> None:
    """An `uncovered` stretch overlaps no span that another table codes."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    uncovered = c.table("uncovered")
    if uncovered is None or TEXT_COVERED.id not in c.ctx.checks or not _all_spans_read(c):
        return
    trouble = c.ctx.scratch.get("span-trouble", set())
    docs = uncovered.column("doc_id")
    starts = np.asarray(pc.fill_null(uncovered.column("start"), 0).to_numpy(), dtype=np.int64)
    ends = np.asarray(pc.fill_null(uncovered.column("end"), 0).to_numpy(), dtype=np.int64)
    for doc_id, doc in c.docs.items():
        if doc_id in trouble or not doc.trusted:
            continue
        coded = _covered(c, doc_id, doc.length, uncovered=False).astype(np.int64)
        prefix = np.concatenate([[0], np.cumsum(coded)])
        here: Any = pc.fill_null(pc.equal(docs, pa.scalar(doc_id)), False)
        mine = np.asarray(here.to_numpy(zero_copy_only=False), dtype=np.bool_)
        fits = mine & (starts >= 0) & (starts < ends) & (ends <= doc.length)
        first, last = np.where(fits, starts, 0), np.where(fits, ends, 0)
        c.flag(
            uncovered,
            "start",
            fits & (prefix[last] - prefix[first] > 0),
            lambda i: (
                "this stretch overlaps a span another table codes; expected uncovered "
                "rows only where nothing is coded"
            ),
        )


def load_documents(ctx: Context) -> None:
    """Read the documents table first, for the texts that every evidence span points into.

    A text is trusted (its spans are checked) only if its SHA-256 matches the document's
    `text_sha256` and, when the text is itself a resource, the descriptor's hash.
    """
    import pyarrow as pa

    from ..._io import sha256
    from ...tableschema import typed_columns

    table = ctx.tables.get("documents")
    if table is None or not {"doc_id", "text_path"} <= set(table.names):
        return
    try:
        header, record_batches = read_all(table.path, table.names, table.dialect)
        if header != table.names:
            return
    except Unreadable:
        return
    if not record_batches:
        return
    text = pa.Table.from_batches(record_batches).combine_chunks()
    lines, _ = line_numbers(text.to_batches()[0], 2)
    columns, _ = typed_columns(text, table.schema)
    want = columns.get("text_sha256")
    for i in range(text.num_rows):
        doc_id, relative = columns["doc_id"][i].as_py(), columns["text_path"][i].as_py()
        if doc_id is None or relative is None or doc_id in ctx.docs:
            continue
        ctx.doc_stated[doc_id] = {
            name: columns[name][i].as_py()
            for name in ("text_sha256", "text_length", "published_date")
            if name in columns
        }
        meta = DocMeta(int(lines[i]), relative)
        ctx.doc_meta[doc_id] = meta
        data = read_checked(
            ctx,
            relative,
            (MAX_TEXT_BYTES, "MAX_TEXT_BYTES"),
            resource="documents",
            what="text_path",
            row=meta.line,
            file=table.file,
        )
        if data is None:
            meta.problem = "unreadable"
            continue
        meta.sha256 = sha256(data)
        try:
            doc = _spans.doc_text(doc_id, data)
        except UnicodeDecodeError as error:
            meta.problem = f"the text is not UTF-8 (byte {error.start}); expected UTF-8"
            continue
        meta.length = doc.length
        declared = ctx.declared.get(relative)
        stated = want[i].as_py() if want is not None else None
        doc.trusted = meta.sha256 == stated and (
            declared is None or declared[2] == f"sha256:{meta.sha256}"
        )
        ctx.docs[doc_id] = doc
