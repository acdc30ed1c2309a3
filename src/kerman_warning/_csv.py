"""The one CSV reader: every cell as text, with one policy for build, load and validate.

Policy: UTF-8 without a byte order mark; a header row; RFC 4180 quoting in the resource's
dialect (delimiter, quote character, doubled quotes or an escape character); an empty cell is
missing; a blank line is an error, never silently skipped; line numbers are those of an editor
(the header is line 1, a quoted cell may span lines, LF, CRLF and a lone CR each end a line).
`stream` reads a file as Arrow record batches in bounded memory; `read_table` reads a whole
file strictly and raises a DataError naming file and line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import DataError, PackageError
from ._io import read_bounded
from ._limits import MAX_CSV_BYTES

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pyarrow as pa

    Ints = npt.NDArray[np.int64]

BLOCK = 1 << 20  # CSV bytes the parser reads at a time (it reads a few blocks ahead)
_MAX_BLOCK = 1 << 30


@dataclass(frozen=True)
class Dialect:
    """The parts of a Table Dialect this reader understands (the rest is refused upstream)."""

    delimiter: str = ","
    quote_char: str = '"'
    double_quote: bool = True
    escape_char: str | None = None

    @classmethod
    def of(cls, dialect: object) -> Dialect:
        """The dialect a resource declares (None or {}: the CSV default)."""
        if not isinstance(dialect, dict):
            return cls()
        return cls(
            str(dialect.get("delimiter", ",")),
            str(dialect.get("quoteChar", '"')),
            bool(dialect.get("doubleQuote", True)),
            dialect.get("escapeChar"),
        )


DEFAULT = Dialect()


class Unreadable(Exception):
    """A CSV that cannot be parsed; the message says why, `line` where (None: the whole file)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class Straddle(Exception):
    """A row longer than the block size: read the file again with larger blocks."""


def _options(names: list[str], block: int, dialect: Dialect) -> tuple[Any, Any, Any]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    read = pacsv.ReadOptions(use_threads=True, block_size=block)
    parse = pacsv.ParseOptions(
        delimiter=dialect.delimiter,
        quote_char=dialect.quote_char,
        double_quote=dialect.double_quote,
        escape_char=dialect.escape_char or False,
        newlines_in_values=True,
        ignore_empty_lines=False,
    )
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        null_values=[""],
    )
    return read, parse, convert


def stream(
    path: Path, names: list[str], block: int = BLOCK, dialect: Dialect = DEFAULT
) -> tuple[list[str], Iterator[Any]]:
    """The header of a CSV and an iterator over its record batches, every cell as text.

    Raises Unreadable (with the line, found on the error path only) for a file that cannot be
    parsed, and Straddle from the iterator when a row is longer than `block`.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with path.open("rb") as handle:
        head = handle.read(3)
    if not head:
        raise Unreadable("the file is empty; expected a header row", 1)
    if head.startswith(b"\xef\xbb\xbf"):
        raise Unreadable("starts with a byte order mark; save it as UTF-8 without BOM", 1)
    errors: tuple[type[Exception], ...] = (pa.ArrowException, ValueError, OSError)
    while True:
        try:
            reader = pacsv.open_csv(path, *_options(names, block, dialect))
            header = list(reader.schema.names)
            break
        except errors as error:
            if "straddl" in str(error) and block < _MAX_BLOCK:
                block *= 16
                continue
            raise explain(path, names, error, dialect) from None

    def batches() -> Iterator[Any]:
        try:
            yield from reader
        except errors as error:
            if "straddl" in str(error) and block < _MAX_BLOCK:
                raise Straddle(block * 16) from None
            raise explain(path, names, error, dialect) from None
        finally:
            reader.close()  # stop its read-ahead now, not when it is collected

    return header, batches()


def read_all(
    path: Path, names: list[str], dialect: Dialect = DEFAULT
) -> tuple[list[str], list[Any]]:
    """A whole CSV as text batches (for small tables and the slow paths), any row length."""
    block = BLOCK
    while True:
        try:
            header, batches = stream(path, names, block, dialect)
            return header, [b for b in batches if b.num_rows]
        except Straddle as bigger:
            block = int(str(bigger.args[0]))


def explain(
    path: Path, names: list[str], error: Exception, dialect: Dialect = DEFAULT
) -> Unreadable:
    """Find where and why a CSV cannot be parsed (error path only: plain Python is fine)."""
    try:
        data = read_bounded(path, MAX_CSV_BYTES, "MAX_CSV_BYTES")
    except PackageError as unreadable:
        reason = str(unreadable).removeprefix(f"{path}: ")
        return Unreadable(f"{reason}; expected a readable file within the limit")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        line = data.count(b"\n", 0, bad.start) + 1
        return Unreadable(
            f"byte {bad.start} is not UTF-8 (is the file saved as cp1256 or Latin-1?); "
            "expected UTF-8 text",
            line,
        )
    found = locate(text, len(names), dialect)
    if found is not None:
        return Unreadable(found[1], found[0])
    message = str(error).splitlines()[0]
    if "straddling" in message:
        return Unreadable("a cell is too long to parse (over 1 GB); expected shorter cells")
    return Unreadable(f"cannot be parsed as CSV ({message})")


def locate(text: str, width: int, dialect: Dialect = DEFAULT) -> tuple[int, str] | None:
    """The first line whose row has the wrong number of cells or broken quoting, and why."""
    reader = csv.reader(
        io.StringIO(text, newline=""),
        strict=True,
        delimiter=dialect.delimiter,
        quotechar=dialect.quote_char,
        doublequote=dialect.double_quote,
        escapechar=dialect.escape_char,
    )
    last = 0
    try:
        for record in reader:
            start = last + 1
            last = reader.line_num
            if record and len(record) != width and start > 1:
                return (
                    start,
                    f"the row has {len(record)} cells, the header {width}; expected {width} "
                    "(check for an unquoted delimiter or a missing cell)",
                )
    except csv.Error as error:
        if "end of data" in str(error):
            return (
                last + 1,
                "a quoted cell opened on this line is never closed; expected a closing quote",
            )
        return (last + 1, f"malformed quoting ({error}); expected RFC 4180 CSV")
    return None


def header_problem(header: list[str], names: list[str]) -> str | None:
    """Say how a header differs from the schema's field names, or None if it does not."""
    if header == names:
        return None
    missing = [n for n in names if n not in header]
    extra = [h for h in header if h not in names]
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if extra:
        parts.append("unexpected " + ", ".join(repr(e) for e in extra))
    if not missing and not extra:
        if len(set(header)) != len(header):
            parts.append("a column is repeated")
        else:
            parts.append("the columns are in another order")
    return "; ".join(parts) + "; expected the schema's fields in order: " + ", ".join(names)


def raw_bytes(column: Any) -> bytes:
    """The UTF-8 bytes of a string array's values, back to back (one copy, no decoding)."""
    import numpy as np

    buffers = column.buffers()
    if len(column) == 0 or buffers[2] is None:
        return b""
    offsets = np.frombuffer(
        buffers[1], dtype=np.int32, count=len(column) + 1, offset=column.offset * 4
    )
    return bytes(memoryview(buffers[2])[int(offsets[0]) : int(offsets[-1])])


def line_numbers(record_batch: Any, first: int) -> tuple[Ints, int]:
    """The line each row of a batch starts on (cells may span lines), and the next line.

    Lines end with LF, CRLF or a lone CR, as in editors and in the CSV parser.
    """
    import numpy as np
    import pyarrow.compute as pc

    n = record_batch.num_rows
    extra = np.zeros(n, dtype=np.int64)
    for column in record_batch.columns:
        data = raw_bytes(column)
        if data.find(b"\n") < 0 and data.find(b"\r") < 0:
            continue
        for pattern, sign in (("\n", 1), ("\r", 1), ("\r\n", -1)):  # LF, CR, CRLF: one line
            counts = pc.fill_null(pc.count_substring(column, pattern), 0)
            extra += sign * np.asarray(counts.to_numpy(), dtype=np.int64)
    before = np.cumsum(extra) - extra
    lines = first + np.arange(n, dtype=np.int64) + before
    return lines, first + n + int(extra.sum())


def blank_rows(record_batch: Any) -> Any:
    """Rows whose every cell is empty (a blank line), as a boolean array, or None."""
    import pyarrow.compute as pc

    columns = record_batch.columns
    if not columns or min(c.null_count for c in columns) == 0:
        return None
    anything = pc.is_valid(columns[0])
    for column in columns[1:]:
        anything = pc.or_(anything, pc.is_valid(column))
    blank = pc.invert(anything)
    return blank if pc.any(blank).as_py() else None


def read_table(path: Path, names: list[str], dialect: Dialect = DEFAULT) -> pa.Table:
    """A whole CSV, every cell as text (empty cell -> null), under the policy above.

    Raises PackageError if the file cannot be read, DataError naming file and line for a
    byte order mark, bad quoting, a blank line, or a header that is not `names`.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        header, batches = read_all(path, names, dialect)
    except OSError as error:
        raise PackageError(f"{path.name}: cannot read ({error.strerror})") from None
    except Unreadable as error:
        place = path.name if error.line is None else f"{path.name}:{error.line}"
        raise DataError(f"{place}: not a readable UTF-8 CSV ({error})") from None
    problem = header_problem(header, names)
    if problem is not None:
        raise DataError(
            f"{path.name}:1: header {header} does not match the schema fields ({problem})"
        )
    if not batches:
        return pa.table({n: pa.array([], pa.string()) for n in names})
    table = pa.Table.from_batches(batches).combine_chunks()
    joined = table.to_batches()[0]
    blank = blank_rows(joined)
    if blank is not None:  # its line: rows before it, plus the line breaks inside their cells
        first = pc.indices_nonzero(blank)[0].as_py()
        line = 2 + first
        cells: list[Any] = joined.slice(0, first).columns
        for column in cells:
            for pattern, sign in (("\n", 1), ("\r", 1), ("\r\n", -1)):
                line += sign * (pc.sum(pc.count_substring(column, pattern)).as_py() or 0)
        raise DataError(f"{path.name}:{line}: the line is blank; expected a row of cells")
    return table
