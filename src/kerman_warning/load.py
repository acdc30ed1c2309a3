"""Load the data package: Arrow tables, pandas and polars frames, the catalogue and the text.

Nothing is imported at module level but this package's exceptions, not even `typing`: the
functions import what they need (pyarrow, pandas, polars, pathlib), so that
`import kerman_warning` costs next to nothing.

Which package: `path=` names a package folder, its `datapackage.json` or a release zip; without
it, the package this library ships (see `kerman_warning._locate`). Rows come in primary-key
order, as in the CSVs themselves (docs/datasheet.md, "Row order").

Stale data is never served: before a Parquet copy is read, the CSV it was built from and the
copy itself are compared with the `bytes`/`hash` that `kerman-warning build` wrote into the
descriptor (a few KB hashed: docs/benchmarks.md). A mismatch is a `PackageError` that says to
run `kerman-warning build`.
"""

from __future__ import annotations

from ._errors import PackageError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing; type checkers know it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from contextlib import AbstractContextManager
    from typing import Any, Literal

    import pandas as pd
    import polars as pl
    import pyarrow as pa

    from ._catalogue import Table
    from ._package import Package, PathLike

    Format = Literal["parquet", "csv"]

__all__ = [
    "datapackage",
    "load",
    "load_all",
    "load_pandas",
    "load_polars",
    "resource_names",
    "schema",
    "tables",
    "text",
]


def _package(path: PathLike | None) -> AbstractContextManager[Package]:
    from ._locate import package_at

    return package_at(path)


def datapackage(*, path: PathLike | None = None) -> dict[str, Any]:
    """The Data Package descriptor (`datapackage.json`) as a dict (a copy: edit it freely)."""
    import copy

    with _package(path) as package:
        return copy.deepcopy(package.descriptor)


def resource_names(*, path: PathLike | None = None) -> list[str]:
    """The names of the tabular resources, in descriptor order."""
    with _package(path) as package:
        return package.table_names()


def schema(name: str, *, path: PathLike | None = None) -> dict[str, Any]:
    """The Table Schema of resource `name` as a dict."""
    with _package(path) as package:
        return package.schema(name)


def tables(*, path: PathLike | None = None) -> list[Table]:
    """The catalogue: every table with its title, description, row count and typed columns.

    >>> [(t.name, t.rows) for t in kerman_warning.tables()][:2]   # doctest: +SKIP
    [('documents', 1), ('entities', 20)]
    """
    from ._catalogue import catalogue

    with _package(path) as package:
        return catalogue(package)


def load(
    name: str,
    *,
    columns: Sequence[str] | None = None,
    path: PathLike | None = None,
    format: Format = "parquet",
) -> pa.Table:
    """Resource `name` as a `pyarrow.Table`, typed by its Table Schema, in primary-key order.

    Dates are `date32`, integers `int64`, booleans `bool`, controlled vocabularies dictionary
    encoded (ordered where the schema says so). `columns` selects and orders columns by name.
    `format="csv"` reads and types the hand-edited CSV instead of the Parquet copy; both give
    equal tables. The Parquet copy is refused if it or its CSV changed since the last build.
    """
    with _package(path) as package:
        return _load(package, name, columns, format)


def _load(package: Package, name: str, columns: Sequence[str] | None, format: str) -> pa.Table:
    from ._catalogue import check_columns

    table_schema = package.schema(name)
    wanted = check_columns(name, table_schema, columns)
    if format == "parquet":
        from ._catalogue import read_parquet

        return read_parquet(package, name, wanted)
    if format == "csv":
        from .tableschema import read_csv, sort_by_key

        source = package.resolve(package.table(name).get("path"), what=f"path of {name!r}")
        table = sort_by_key(read_csv(source, table_schema), table_schema.get("primaryKey", []))
        return table if wanted is None else table.select(wanted)
    raise PackageError(f"format must be 'parquet' or 'csv', not {format!r}")


def load_all(*, path: PathLike | None = None, format: Format = "parquet") -> dict[str, pa.Table]:
    """Every tabular resource, by name, as `pyarrow.Table`s."""
    with _package(path) as package:
        return {name: _load(package, name, None, format) for name in package.table_names()}


def load_pandas(
    name: str,
    *,
    columns: Sequence[str] | None = None,
    path: PathLike | None = None,
    format: Format = "parquet",
) -> pd.DataFrame:
    """Resource `name` as a `pandas.DataFrame` with nullable dtypes and a RangeIndex.

    Integers are `Int64`, booleans `boolean`, text `string`, dates `datetime64`, controlled
    vocabularies `category` (ordered where the schema says so). Needs the `pandas` extra.
    """
    try:
        import pandas as pd
    except ImportError:
        raise PackageError(
            "load_pandas needs pandas: pip install 'kerman-warning[pandas]'"
        ) from None
    import pyarrow as pa

    mapping = {
        pa.int64(): pd.Int64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.string(): pd.StringDtype(),
    }
    table = load(name, columns=columns, path=path, format=format)
    return table.to_pandas(types_mapper=mapping.get, date_as_object=False)


def load_polars(
    name: str,
    *,
    columns: Sequence[str] | None = None,
    path: PathLike | None = None,
    format: Format = "parquet",
) -> pl.DataFrame:
    """Resource `name` as a `polars.DataFrame`; vocabularies the schema orders are `pl.Enum`.

    An ordered vocabulary (e.g. `events.date_precision`) becomes `pl.Enum` with the schema's
    categories in their order, so comparisons and sorts follow it; other vocabularies are
    `pl.Categorical`, dates `pl.Date`, integers `pl.Int64`. Needs the `polars` extra.
    """
    try:
        import polars as pl
    except ImportError:
        raise PackageError(
            "load_polars needs polars: pip install 'kerman-warning[polars]'"
        ) from None
    from .tableschema import categories

    with _package(path) as package:
        table_schema = package.schema(name)
        table = _load(package, name, columns, format)
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    casts = []
    for field in table_schema.get("fields", []):
        values = categories(field)
        if values is None or field["name"] not in frame.columns:
            continue
        kind = pl.Enum(values) if field.get("categoriesOrdered") else pl.Categorical()
        casts.append(pl.col(field["name"]).cast(pl.String).cast(kind))
    return frame.with_columns(casts) if casts else frame


def text(document_id: str | None = None, *, path: PathLike | None = None) -> str:
    """The text of a document, the string every `start`/`end` offset points into.

    With one document in the package, `document_id` may be left out. The text's SHA-256 is
    checked against the `documents` table before it is returned.
    """
    import hashlib

    from . import _limits
    from ._io import read_bounded
    from .tableschema import read_csv_text

    with _package(path) as package:
        documents = package.table("documents")
        names = [f["name"] for f in package.schema("documents")["fields"]]
        source = package.resolve(documents.get("path"), what="path of 'documents'")
        if source.stat().st_size > _limits.MAX_FILE_BYTES:
            raise PackageError(
                f"{source}: more than the limit of {_limits.MAX_FILE_BYTES} bytes (MAX_FILE_BYTES)"
            )
        rows = read_csv_text(source, names, documents.get("dialect")).to_pylist()
        if document_id is None:
            if len(rows) != 1:
                ids = ", ".join(str(row.get("doc_id")) for row in rows)
                first = rows[0].get("doc_id") if rows else "doc-..."
                raise PackageError(f"several documents ({ids}): name one, e.g. text({first!r})")
            document_id = rows[0].get("doc_id")
        for row in rows:
            if row.get("doc_id") == document_id:
                target = package.resolve(row.get("text_path"), what=f"text of {document_id!r}")
                raw = read_bounded(target, _limits.MAX_FILE_BYTES, "MAX_FILE_BYTES")
                if hashlib.sha256(raw).hexdigest() != row.get("text_sha256"):
                    raise PackageError(f"text of {document_id!r} does not match its text_sha256")
                try:
                    # newline="" semantics: decoded as it is, so offsets count every character.
                    return raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise PackageError(f"{target}: not UTF-8 ({error.reason})") from None
    raise PackageError(f"no document {document_id!r} in documents.csv")
