"""Every limit the code enforces on input it did not make, in one place (docs/limits.md).

Each is a plain number with the reason it has that value. The real package is far below all
of them (its largest file is about 30 KB, its descriptor nests 7 levels), so a limit is only
reached by a damaged or hostile input, and then it is one named problem or one error line
that names the file and the limit. A test keeps docs/limits.md listing every name here.
"""

from __future__ import annotations

KIB = 1024
MIB = 1024 * KIB

# --- names and paths (class A) ------------------------------------------------------------

# A resource name becomes a file name (data/parquet/<name>.parquet): lowercase letters,
# digits, '.', '_' and '-', starting with a letter or digit (the Data Package v2 advice,
# never hidden, '.' or '..', never read as an option) ...
NAME_PATTERN = "^[a-z0-9][a-z0-9._-]*$"
# ... and short: with its longest suffix it stays far below a 255-byte file name.
NAME_MAX_CHARS = 64

# A path in the descriptor (PATH_MAX is 4096 bytes; the real ones are under 40 characters).
PATH_MAX_CHARS = 1024

# --- reading files (classes E and F): checked before a byte is read -----------------------

# The descriptor, a Table Schema or a row JSON Schema: read whole and parsed (the real
# descriptor is about 30 KB).
MAX_JSON_BYTES = 16 * MIB

# Nesting of JSON objects and arrays (the real descriptor nests 7 levels; Python's parser
# fails near 1,000, and a deeper document is an attack, not a package).
MAX_JSON_DEPTH = 64

# A document's text: the validator keeps a byte offset for every character (8 bytes each),
# so 16 MiB of text costs at most 128 MiB of offsets (the article is about 11 KB).
MAX_TEXT_BYTES = 16 * MIB

# A CSV: streamed in blocks, so memory does not grow with it, but time does (the largest real
# CSV is about 30 KB).
MAX_CSV_BYTES = 256 * MIB

# A Parquet copy (pyarrow reads it, so the bound is on the file).
MAX_PARQUET_BYTES = 256 * MIB

# The journal of an interrupted build (it names files, a few hundred bytes each).
MAX_JOURNAL_BYTES = 1 * MIB

# --- text cells (class G) ---------------------------------------------------------------------

# The longest text cell, in code points (the whole article has about 2,300).
MAX_CELL_CHARS = 10_000
