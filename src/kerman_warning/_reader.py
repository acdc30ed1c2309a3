"""docs/reader.html: the article with every coded span marked, and the rows beside it.

`render` is a pure function from the descriptor, the typed tables and the article text to the
bytes of one self-contained page (inline CSS and JavaScript from `_assets/`, no request of
any kind, right to left). `outputs` is what `build` calls: it reads the text and renders.

The page's contract (docs/reader.md), which tests/test_reader_browser.py checks in Chromium:

- every row of every table is an element with `data-table` and `data-id`;
- every marked span is one or more elements with `data-row` (`table:id`), `data-part`
  (`evidence`, or the prefix of a `<prefix>_start`/`<prefix>_end` pair such as `cue`),
  `data-start` and `data-end` (code points, end exclusive) whose text is exactly
  `text[start:end]`; a span that crosses another is split into consecutive elements, so the
  elements of one span, in document order, spell its text.
"""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

from ._errors import PackageError
from ._limits import MAX_TEXT_BYTES

if TYPE_CHECKING:
    import pyarrow as pa

    from ._package import Package

__all__ = ["READER", "Span", "coverage", "mark_up", "outputs", "render", "spans_of"]

READER = "docs/reader.html"
EVIDENCE = "evidence"  # the part name of a row's own start/end span
# The row's one-line gloss: the first of these fields the row has (English, the curators').
GLOSS_FIELDS = (
    "description_en",
    "text_en",
    "value_en",
    "title_en",
    "name_en",
    "title",
    "note_en",
    "note",
)
_SLOT = re.compile(r"\{\{(\w+)\}\}")  # a slot of the template, filled in one pass
UNCOVERED = "uncovered"  # the table of stretches no row codes: not counted as coverage


@dataclass(frozen=True)
class Span:
    """One stretch of one document that one row points at."""

    table: str
    row_id: str
    part: str
    doc_id: str
    start: int
    end: int

    @property
    def row(self) -> str:
        return f"{self.table}:{self.row_id}"

    @property
    def kind(self) -> str:
        """What the legend distinguishes: the table, and for a second span pair its part."""
        return self.table if self.part == EVIDENCE else f"{self.table}-{self.part}"


def _span_parts(fields: list[str]) -> list[tuple[str, str, str]]:
    """(part, start field, end field) of every span pair among a table's fields."""
    names = set(fields)
    pairs = [(EVIDENCE, "start", "end")] if {"start", "end"} <= names else []
    for name in fields:
        prefix = name.removesuffix("_start")
        if prefix != name and f"{prefix}_end" in names:
            pairs.append((prefix, name, f"{prefix}_end"))
    return pairs


def key_field(schema: dict[str, Any]) -> str | None:
    """The field that names a row: a one-field primary key."""
    key = schema.get("primaryKey")
    key = [key] if isinstance(key, str) else key
    return key[0] if isinstance(key, list) and len(key) == 1 else None


def spans_of(name: str, rows: list[dict[str, Any]], id_field: str, doc_id: str) -> list[Span]:
    """Every span of a table's rows; a row without its own doc_id points into `doc_id`."""
    if not rows:
        return []
    parts = _span_parts(list(rows[0]))
    found = []
    for row in rows:
        for part, start, end in parts:
            if isinstance(row[start], int) and isinstance(row[end], int):
                document = row.get("doc_id") or doc_id
                found.append(Span(name, str(row[id_field]), part, document, row[start], row[end]))
    return found


# --- the text, marked up ---------------------------------------------------------------------


@dataclass
class _Fragment:
    """An element of the marked-up text: one span, or the part of it between two crossings."""

    span: Span
    start: int
    end: int = -1
    height: int = 1  # 1 + the height of the tallest fragment inside: sets its underline depth

    def open_tag(self) -> str:
        s = self.span
        return (
            f'<span class="m" data-row="{_attr(s.row)}" data-kind="{_attr(s.kind)}" '
            f'data-part="{_attr(s.part)}" data-start="{self.start}" data-end="{self.end}" '
            f'style="--h:{self.height}" title="{_attr(s.kind)} {_attr(s.row_id)}">'
        )


@dataclass
class _Writer:
    """Tokens of the marked-up text; a fragment's tag is written when it is closed."""

    tokens: list[str | _Fragment] = field(default_factory=list)
    stack: list[_Fragment] = field(default_factory=list)

    def open(self, span: Span, at: int) -> None:
        fragment = _Fragment(span, at)
        self.stack.append(fragment)
        self.tokens.append(fragment)

    def close(self, at: int) -> _Fragment:
        fragment = self.stack.pop()
        fragment.end = at
        if self.stack:
            self.stack[-1].height = max(self.stack[-1].height, fragment.height + 1)
        self.tokens.append("</span>")
        return fragment

    def html(self) -> str:
        return "".join(t if isinstance(t, str) else t.open_tag() for t in self.tokens)

    def height(self) -> int:
        return max((t.height for t in self.tokens if isinstance(t, _Fragment)), default=0)


def _order(span: Span) -> tuple[int, str, str, str]:
    return (-span.end, span.table, span.row_id, span.part)  # longer spans outside


def mark_up(text: str, spans: list[Span]) -> tuple[str, int]:
    """The text as HTML, each span a (possibly split) element, and the deepest nesting.

    Spans must lie inside the text.
    Spans that start together open longest first, so nested spans nest; a span that ends
    while a later-opened one is still open closes it too and reopens it after itself.
    """
    starting: dict[int, list[Span]] = defaultdict(list)
    for span in spans:
        starting[span.start].append(span)
    bounds = sorted({0, len(text)} | {s.start for s in spans} | {s.end for s in spans})
    out = _Writer()
    position = 0
    for bound in bounds:
        out.tokens.append(_text(text[position:bound]))
        position = bound
        ending = [i for i, f in enumerate(out.stack) if f.span.end == bound]
        if ending:
            reopen = [f.span for f in out.stack[ending[0] :] if f.span.end != bound]
            for _ in range(len(out.stack) - ending[0]):
                out.close(bound)
            for span in reopen:
                out.open(span, bound)
        for span in sorted(starting[bound], key=_order):
            out.open(span, bound)
            if span.end == bound:  # an empty span: an empty element
                out.close(bound)
    return out.html(), out.height()


def _text(value: str) -> str:
    # A carriage return in markup would be read as a line feed; as a reference it is kept.
    return html.escape(value, quote=False).replace("\r", "&#13;")


def _attr(value: object) -> str:
    return html.escape(str(value), quote=True)


def coverage(text: str, spans: list[Span]) -> tuple[int, int]:
    """(covered, total) non-whitespace code points; `uncovered` rows do not count as cover."""
    opened = [0] * (len(text) + 1)  # +1 where a span starts, -1 where it ends: linear time
    for span in spans:
        if span.table != UNCOVERED:
            opened[span.start] += 1
            opened[span.end] -= 1
    depth = covered = total = 0
    for i, char in enumerate(text):
        depth += opened[i]
        if not char.isspace():
            total += 1
            covered += depth > 0
    return covered, total


# --- the panel -------------------------------------------------------------------------------


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


class _Rows:
    """The rows of every table, by id, to link and gloss the ids that other rows name."""

    def __init__(self, tables: dict[str, tuple[str, list[dict[str, Any]]]]) -> None:
        self.gloss: dict[str, str] = {}
        self.key: dict[str, str] = {}
        for name, (id_field, rows) in tables.items():
            for row in rows:
                row_id = str(row[id_field])
                self.key.setdefault(row_id, f"{name}:{row_id}")
                self.gloss.setdefault(row_id, gloss(row))

    def cell(self, value: Any) -> str:
        """A value; an id of another row becomes a link to it, glossed on hover."""
        shown = _value(value)
        if isinstance(value, str) and value in self.key:
            return (
                f'<a href="#{_attr(value)}" data-goto="{_attr(self.key[value])}" '
                f'title="{_attr(self.gloss[value])}">{_attr(value)}</a>'
            )
        if isinstance(value, str) and value.startswith("https://"):
            return f'<a href="{_attr(value)}" rel="noreferrer noopener">{_attr(value)}</a>'
        if _is_arabic(shown):
            return f'<bdi lang="ar" dir="rtl">{_attr(shown)}</bdi>'
        return _attr(shown)


def _is_arabic(value: str) -> bool:
    return any("\u0600" <= char <= "\u06ff" for char in value)


def gloss(row: dict[str, Any]) -> str:
    return next((str(row[f]) for f in GLOSS_FIELDS if row.get(f)), "")


def _row_html(
    name: str, id_field: str, row: dict[str, Any], schema: dict[str, Any], rows: _Rows
) -> str:
    row_id = str(row[id_field])
    hidden = {id_field, "doc_id", "exact"} | {
        f for _, start, end in _span_parts(list(row)) for f in (start, end)
    }
    headline = next((f for f in GLOSS_FIELDS if row.get(f)), None)
    hidden |= {headline} if headline else set()
    described = {f.get("name"): f.get("description", "") for f in schema.get("fields", [])}
    items = "".join(
        f'<dt title="{_attr(described.get(f, ""))}">{_attr(f)}</dt><dd>{rows.cell(v)}</dd>'
        for f, v in row.items()
        if f not in hidden and v is not None and v != ""
    )
    spans = [
        f'<span class="where">{_attr(part)} {row[start]}–{row[end]}</span>'
        for part, start, end in _span_parts(list(row))
        if row[start] is not None
    ]
    exact = row.get("exact")
    quoted = f'<q lang="ar" dir="rtl">{_attr(exact)}</q>' if exact else ""
    element_id = f' id="{_attr(row_id)}"' if rows.key.get(row_id) == f"{name}:{row_id}" else ""
    return (
        f'<li class="row" data-table="{_attr(name)}" data-id="{_attr(row_id)}"{element_id} '
        f'tabindex="0" role="button" aria-pressed="false">'
        f'<div class="head"><code>{_attr(row_id)}</code>{"".join(spans)}</div>'
        f'<p class="gloss">{_attr(row[headline]) if headline else ""}</p>{quoted}'
        f"<dl>{items}</dl></li>"
    )


def _coverage_html(
    covered: int, total: int, tables: dict[str, tuple[str, list[dict[str, Any]]]], rows: _Rows
) -> str:
    share = covered / total if total else 1.0
    parts = [
        '<section class="coverage" id="coverage"><h2>Coverage</h2>'
        f"<p>The rows' spans cover <strong>{share:.4f}</strong> of the article's "
        f"non-whitespace characters ({covered} of {total}); "
        "<code>uncovered</code> rows, marked hatched, account for the rest "
        '(<a href="coverage.md">docs/coverage.md</a>).</p>'
    ]
    uncovered = tables.get(UNCOVERED, ("", []))[1]
    if uncovered:
        reasons: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in uncovered:
            exact = str(row.get("exact") or "")
            reasons[str(row.get("reason"))][0] += 1
            reasons[str(row.get("reason"))][1] += sum(not c.isspace() for c in exact)
        lines = "".join(
            f"<tr><td>{_attr(reason)}</td><td>{n}</td><td>{chars}</td></tr>"
            for reason, (n, chars) in sorted(reasons.items(), key=lambda item: -item[1][1])
        )
        parts.append(
            "<table><thead><tr><th>uncovered: reason</th><th>rows</th><th>characters</th></tr>"
            f"</thead><tbody>{lines}</tbody></table>"
        )
    errata_key, errata_rows = tables.get("errata", ("", []))
    errata = [row for row in errata_rows if row.get("exact")]
    if errata:
        items = "".join(
            f"<li>{rows.cell(row[errata_key])} ({_attr(row.get('kind'))}): "
            f'<bdi lang="ar" dir="rtl">{_attr(row["exact"])}</bdi> → '
            + (
                f'<bdi lang="ar" dir="rtl">{_attr(row["intended_ar"])}</bdi>'
                if row.get("intended_ar")
                else "<em>no intended reading asserted</em>"
            )
            + "</li>"
            for row in errata
        )
        parts.append(f'<h3>Errata, kept as written</h3><ul class="errata">{items}</ul>')
    parts.append("</section>")
    return "".join(parts)


def _legend_html(spans: list[Span], titles: dict[str, str]) -> str:
    counts: dict[str, int] = defaultdict(int)
    for span in {(s.kind, s.row) for s in spans}:
        counts[span[0]] += 1
    kinds = sorted(counts, key=lambda kind: [s.kind for s in spans].index(kind))
    items = "".join(
        f'<li><label><input type="checkbox" checked data-toggle="{_attr(kind)}">'
        f'<span class="m swatch" data-kind="{_attr(kind)}" style="--h:1">نص</span> '
        f"{_attr(_kind_title(kind, titles))} <small>({counts[kind]})</small></label></li>"
        for kind in kinds
    )
    return f'<ul class="legend" aria-label="Legend: which mark is which table">{items}</ul>'


def _kind_title(kind: str, titles: dict[str, str]) -> str:
    if kind in titles:
        return titles[kind]
    table, _, part = kind.rpartition("-")
    return f"{titles.get(table, table)}: {part}"


def _asset(name: str) -> str:
    return (resources.files(__package__) / "_assets" / name).read_text(encoding="utf-8")


def render(
    descriptor: dict[str, Any],
    schemas: dict[str, dict[str, Any]],
    tables: dict[str, pa.Table],
    text: str,
) -> bytes:
    """The page, for the document whose text is `text` (the package's one article).

    Tables come in the descriptor's order, rows in the order of their spans in the text.
    """
    named: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    titles: dict[str, str] = {}
    for resource in descriptor.get("resources", []):
        name = resource.get("name")
        id_field = key_field(schemas.get(name, {}))
        if name in tables and id_field:
            named[name] = (id_field, sorted(tables[name].to_pylist(), key=_place))
            titles[name] = str(resource.get("title") or name)
    documents = named.get("documents", ("doc_id", []))
    doc_id = str(documents[1][0][documents[0]]) if documents[1] else ""
    every = [s for name, (i, rows) in named.items() for s in spans_of(name, rows, i, doc_id)]
    inside = [s for s in every if s.doc_id == doc_id and 0 <= s.start <= s.end <= len(text)]
    covered, total = coverage(text, inside)
    marked, height = mark_up(text, inside)
    rows = _Rows(named)
    panel = "".join(
        f'<section class="table" data-section="{_attr(name)}"><h2>{_attr(titles[name])} '
        f"<small><code>{_attr(name)}</code>, {len(table_rows)} rows</small></h2><ol>"
        + "".join(_row_html(name, id_field, row, schemas[name], rows) for row in table_rows)
        + "</ol></section>"
        for name, (id_field, table_rows) in named.items()
    )
    values = {
        "title": _attr(descriptor.get("title", "")),
        "name": _attr(f"{descriptor.get('name', '')} {descriptor.get('version', '')}"),
        "css": _asset("reader.css"),
        "js": _asset("reader.js"),
        "legend": _legend_html(inside, titles),
        "doc_id": _attr(doc_id),
        "text": marked,
        "height": str(height),
        "coverage": _coverage_html(covered, total, named, rows),
        "panel": panel,
        "rows": str(sum(len(r) for _, r in named.values())),
        "spans": str(len(inside)),
        "skipped": json.dumps(len(every) - len(inside)),
    }
    page = _SLOT.sub(lambda slot: values[slot.group(1)], _asset("reader.html"))
    return page.encode("utf-8")


def _place(row: dict[str, Any]) -> tuple[int, int]:
    start, end = row.get("start"), row.get("end")
    if isinstance(start, int) and isinstance(end, int):
        return (start, -end)
    return (-1, 0)  # rows without a span (references) keep their key order, first


def outputs(
    package: Package,
    descriptor: dict[str, Any],
    schemas: dict[str, dict[str, Any]],
    tables: dict[str, pa.Table],
) -> dict[str, bytes]:
    """{READER: the page} for a package whose documents table names a text, else {}."""
    documents = tables.get("documents")
    if documents is None or documents.num_rows == 0 or "text_path" not in documents.column_names:
        return {}
    path = documents.column("text_path")[0].as_py()
    limit = (MAX_TEXT_BYTES, "MAX_TEXT_BYTES")
    data = package.read(path, what="text_path of documents", limit=limit)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PackageError(f"{path}: not UTF-8 at byte {error.start}") from None
    return {READER: render(descriptor, schemas, tables, text)}
