"""Every limit the code enforces on input it did not make, in one place (docs/limits.md).

Each is a plain number with the reason it has that value. The real package is far below all
of them (its largest file is about 30 KB, its descriptor nests 7 levels), so a limit is only
reached by a damaged or hostile input, and then it is one named problem or one error line
that names the file and the limit. A test keeps docs/limits.md listing every name here.
"""

from __future__ import annotations

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

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

# A CSV that `validate` streams in blocks: memory does not grow with it, time does (about 7 s
# a GiB on 2 cores), so the bound is on time. The largest real CSV is about 30 KB; the
# benchmarks stream 3.3 GB at 10^7 rows of `events` (docs/benchmarks.md).
MAX_STREAMED_BYTES = 64 * GIB

# A CSV read whole into memory: by `build` (which parses it to write the Parquet copy) and by
# the error path that finds the line of a parse error.
MAX_CSV_BYTES = 1 * GIB

# A Parquet copy (pyarrow reads it, so the bound is on the file).
MAX_PARQUET_BYTES = 256 * MIB

# The journal of an interrupted build (it names files, a few hundred bytes each).
MAX_JOURNAL_BYTES = 1 * MIB

# --- text cells (class G) ---------------------------------------------------------------------

# The longest text cell, in code points (the whole article has about 2,300).
MAX_CELL_CHARS = 10_000

# --- release zips (class C): checked from the central directory, then again while streaming ---

# Members in a release zip. The real zip holds about 60; a zip of thousands of tiny files is an
# inode and time attack, not a data package.
ZIP_MAX_MEMBERS = 2_000

# Bytes one member may expand to. The largest file of the package is about 20 KB; 64 MiB leaves
# room for a package a thousand times larger while keeping a bomb from filling the disk.
ZIP_MAX_MEMBER_BYTES = 64 * MIB

# Bytes all members together may expand to (the real package: about 200 KB).
ZIP_MAX_TOTAL_BYTES = 256 * MIB

# Expanded size over compressed size, per member. Text and Parquet compress about 3-10x;
# DEFLATE cannot exceed about 1032x, so a member that claims (or streams) more than 200x is a bomb.
# Members smaller than ZIP_RATIO_FLOOR are exempt: an empty or tiny file has any ratio.
ZIP_MAX_RATIO = 200
ZIP_RATIO_FLOOR = 64 * KIB

# Bytes read from a member at a time while streaming it to disk.
ZIP_CHUNK = 64 * KIB

# --- reading files of a package (class J) ---

# The largest descriptor, schema, CSV or text file the library reads whole into memory. The
# largest real file is about 20 KB; 64 MiB is ample and keeps a sparse 2 GiB file from being read.
MAX_FILE_BYTES = 64 * MIB

# --- writing files (class D) ---

# The largest output `export` writes (a table of the package is a few KB; anything near this
# means the input was not the package).
MAX_EXPORT_BYTES = 256 * MIB
