"""Every limit the library enforces on input it did not make, in one place (docs/limits.md).

Each is a plain number with the reason it has that value. The real package is far below all
of them (its largest file is about 20 KB, its release zip about 60 members and 200 KB
expanded), so a limit is only ever reached by a damaged or hostile input, and then it is one
`PackageError` naming the file and the limit.
"""

from __future__ import annotations

KIB = 1024
MIB = 1024 * KIB

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

# The largest Parquet copy `load()` opens (pyarrow reads it, so the bound is on the file).
MAX_PARQUET_BYTES = 256 * MIB

# --- writing files (class D) ---

# The largest output `export` writes (a table of the package is a few KB; anything near this
# means the input was not the package).
MAX_EXPORT_BYTES = 256 * MIB
