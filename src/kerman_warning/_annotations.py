"""Every coded span of the package in the formats annotation tools and NLP pipelines read.

- `w3c`: W3C Web Annotation JSON-LD, one AnnotationCollection; each span an Annotation whose
  target carries a TextPositionSelector (code points, as the model requires) and a
  TextQuoteSelector (exact, prefix, suffix), whose body names the table and the row and links
  to the row, with one motivation per table;
- `brat`: brat standoff, the text (`.txt`) and its annotations (`.ann`), offsets in characters
  of the `.txt` (code points); a span across a line end is split into fragments there, since
  brat spans may not hold one; an AnnotatorNotes line names the table and row of each span;
- `jsonl`: JSON Lines, one line per document: `{"id", "text", "spans": [{"start", "end",
  "label", ...}]}`, the form spaCy and Hugging Face token-classification pipelines take.

The renderers are pure functions of the spans and texts; `export_annotations` reads the
package and writes the files (never over an existing file unless told, never anything but a
regular file, atomically, into a folder that must exist).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from ._errors import PackageError

if TYPE_CHECKING:
    from ._package import PathLike

__all__ = [
    "FORMATS",
    "MOTIVATIONS",
    "Span",
    "brat",
    "export_annotations",
    "jsonl",
    "read_brat",
    "read_jsonl",
    "spans",
    "w3c",
]

Format = Literal["w3c", "brat", "jsonl"]
FORMATS: tuple[Format, ...] = ("w3c", "brat", "jsonl")
CONTEXT = "http://www.w3.org/ns/anno.jsonld"
CONTEXT_LENGTH = 32  # code points of prefix and suffix, doubled until the quote is unique
# What a span of each table does, in the W3C model's motivations (others: "describing").
MOTIVATIONS = {
    "documents": "describing",
    "entities": "identifying",
    "sources": "identifying",
    "events": "classifying",
    "event_details": "describing",
    "casualties": "assessing",
    "quotes": "describing",
    "errata": "editing",
    "uncovered": "commenting",
}
# (start, end, text) columns of a span, and the role the span plays in its row.
SPAN_COLUMNS = (("start", "end", "exact", "evidence"), ("cue_start", "cue_end", "cue_ar", "cue"))


@dataclass(frozen=True)
class Span:
    """One coded span: `text[start:end] == exact` in document `doc_id`, from a row of `table`."""

    table: str
    key: dict[str, Any]
    role: str  # "evidence", or "cue" for a quote's speech verb
    doc_id: str
    start: int
    end: int
    exact: str

    @property
    def row(self) -> str:
        return ",".join(str(value) for value in self.key.values())

    @property
    def label(self) -> str:
        return self.table if self.role == "evidence" else f"{self.table}_{self.role}"


def spans(*, path: PathLike | None = None) -> tuple[list[Span], dict[str, str]]:
    """Every span of every table, in table then primary-key order, and the texts by doc_id."""
    from .load import load, resource_names, schema, text

    found: list[Span] = []
    for name in resource_names(path=path):
        table = load(name, path=path)
        keys = schema(name, path=path).get("primaryKey", [])
        keys = [keys] if isinstance(keys, str) else list(keys)
        columns = set(table.column_names)
        for row in table.to_pylist():
            for start, end, exact, role in SPAN_COLUMNS:
                if {start, end, exact, "doc_id"} <= columns and row[start] is not None:
                    key = {k: row[k] for k in keys}
                    found.append(
                        Span(name, key, role, row["doc_id"], row[start], row[end], row[exact])
                    )
    texts = {doc_id: text(doc_id, path=path) for doc_id in sorted({s.doc_id for s in found})}
    return found, texts


# --- W3C Web Annotation ----------------------------------------------------------------------


def _iri(base: str, *parts: str) -> str:
    return base + ":".join(quote(part, safe="-._~") for part in parts)


def quote_context(text: str, start: int, end: int) -> tuple[str, str]:
    """(prefix, suffix) of `text[start:end]`: CONTEXT_LENGTH code points each side, doubled
    until prefix + exact + suffix occurs once in the text (the headline, say, appears twice)."""
    length = CONTEXT_LENGTH
    while True:
        prefix, suffix = text[max(0, start - length) : start], text[end : end + length]
        whole = prefix + text[start:end] + suffix
        first = text.find(whole)
        if text.find(whole, first + 1) < 0 or length >= len(text):
            return prefix, suffix
        length *= 2


def w3c(found: list[Span], texts: dict[str, str], *, base: str, label: str = "") -> dict[str, Any]:
    """One AnnotationCollection (a single page) of every span; `base` prefixes every id."""
    items = []
    for span in found:
        prefix, suffix = quote_context(texts[span.doc_id], span.start, span.end)
        items.append(
            {
                "@context": CONTEXT,
                "id": _iri(base, "annotation", span.table, span.row, span.role),
                "type": "Annotation",
                "motivation": MOTIVATIONS.get(span.table, "describing"),
                "body": [
                    {
                        "type": "TextualBody",
                        "purpose": "tagging",
                        "value": span.label,
                        "format": "text/plain",
                        "language": "en",
                    },
                    {
                        "type": "TextualBody",
                        "purpose": "identifying",
                        "value": f"{span.table} {span.row}",
                        "format": "text/plain",
                        "language": "en",
                    },
                    {"id": _iri(base, "row", span.table, span.row), "purpose": "linking"},
                ],
                "target": {
                    "type": "SpecificResource",
                    "source": {
                        "id": _iri(base, "document", span.doc_id),
                        "type": "Text",
                        "format": "text/plain",
                        "language": "ar",
                    },
                    "selector": [
                        {"type": "TextPositionSelector", "start": span.start, "end": span.end},
                        {
                            "type": "TextQuoteSelector",
                            "exact": span.exact,
                            "prefix": prefix,
                            "suffix": suffix,
                        },
                    ],
                },
            }
        )
    return {
        "@context": CONTEXT,
        "id": _iri(base, "annotations"),
        "type": "AnnotationCollection",
        "label": label or "Coded spans",
        "total": len(items),
        "first": {
            "id": _iri(base, "annotations", "page1"),
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": items,
        },
    }


# --- brat standoff ---------------------------------------------------------------------------


def _fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) split at line ends, line ends left out (brat spans hold no newline)."""
    out, position = [], start
    for index in range(start, end + 1):
        if index == end or text[index] in "\n\r":
            if index > position:
                out.append((position, index))
            position = index + 1
    return out or [(start, end)]


def brat(found: list[Span], text: str) -> str:
    """The `.ann` of `found` (spans of one document whose text is `text`)."""
    lines = []
    for number, span in enumerate(found, start=1):
        pieces = _fragments(text, span.start, span.end)
        offsets = ";".join(f"{a} {b}" for a, b in pieces)
        covered = " ".join(text[a:b] for a, b in pieces)
        lines.append(f"T{number}\t{span.label} {offsets}\t{covered}")
        lines.append(f"#{number}\tAnnotatorNotes T{number}\t{span.table} {span.row}")
    return "".join(line + "\n" for line in lines)


def read_brat(ann: str) -> list[tuple[str, int, int, str]]:
    """(label, start, end, note) of every text-bound annotation of an `.ann`: the first
    fragment's start and the last fragment's end."""
    notes: dict[str, str] = {}
    bound: list[tuple[str, str, int, int]] = []
    for line in ann.splitlines():
        fields = line.split("\t")
        if line.startswith("T"):
            label, _, offsets = fields[1].partition(" ")
            pieces = [tuple(map(int, piece.split())) for piece in offsets.split(";")]
            bound.append((fields[0], label, pieces[0][0], pieces[-1][1]))
        elif line.startswith("#"):
            notes[fields[1].split()[1]] = fields[2]
    return [(label, start, end, notes.get(tid, "")) for tid, label, start, end in bound]


# --- JSON Lines ------------------------------------------------------------------------------


def jsonl(found: list[Span], texts: dict[str, str]) -> str:
    """One JSON object per document, with its text and its spans (character offsets)."""
    lines = []
    for doc_id, text in texts.items():
        entries = [
            {
                "start": span.start,
                "end": span.end,
                "label": span.label,
                "table": span.table,
                "key": span.key,
                "text": span.exact,
            }
            for span in found
            if span.doc_id == doc_id
        ]
        document = {"id": doc_id, "text": text, "spans": entries}
        lines.append(json.dumps(document, ensure_ascii=False, default=str))
    return "".join(line + "\n" for line in lines)


def read_jsonl(data: str) -> list[tuple[str, str, int, int, str]]:
    """(doc_id, label, start, end, text) of every span of a JSON Lines export."""
    out = []
    for line in data.splitlines():
        document = json.loads(line)
        for span in document["spans"]:
            out.append((document["id"], span["label"], span["start"], span["end"], span["text"]))
    return out


# --- writing ---------------------------------------------------------------------------------


def export_annotations(
    *,
    format: str,
    output: PathLike,
    path: PathLike | None = None,
    document: str | None = None,
    force: bool = False,
) -> list[Path]:
    """Write every span of the package at `path` (default: the shipped one) to `output` as
    `format` (w3c, brat or jsonl) and return the files written. brat writes one document:
    `output` must end in `.ann` and its text goes beside it as `.txt`."""
    from ._export import check_output, write_output
    from ._io import json_bytes
    from ._locate import package_at

    if format not in FORMATS:
        raise PackageError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    target = Path(output)
    if format == "brat" and target.suffix != ".ann":
        raise PackageError(f"{target}: a brat export is an .ann file (its .txt goes beside it)")
    targets = [target.with_suffix(".txt"), target] if format == "brat" else [target]
    for each in targets:  # every file checked before any is written
        check_output(str(each), force=force)
    with package_at(path) as package:
        descriptor = package.descriptor
        found, texts = spans(path=package.root)
    files: dict[Path, bytes] = {}
    if format == "w3c":
        base = f"urn:{descriptor.get('name', 'package')}:{descriptor.get('version', '0')}:"
        label = f"Coded spans of {descriptor.get('title', descriptor.get('name', ''))}"
        files[target] = json_bytes(w3c(found, texts, base=base, label=label))
    elif format == "jsonl":
        files[target] = jsonl(found, texts).encode("utf-8")
    else:
        if document is None:
            if len(texts) != 1:
                raise PackageError(f"brat takes one document; name one of {', '.join(texts)}")
            document = next(iter(texts))
        if document not in texts:
            raise PackageError(f"no document {document!r}; known: {', '.join(texts)}")
        mine = [span for span in found if span.doc_id == document]
        files[targets[0]] = texts[document].encode("utf-8")
        files[target] = brat(mine, texts[document]).encode("utf-8")
    for each, data in files.items():
        write_output(str(each), data, force=force)
    return list(files)
