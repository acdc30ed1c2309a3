"""Load the data package: Arrow tables, pandas frames, the descriptor, schemas and the text.

Nothing is imported at module level but this package's exceptions, not even `typing`: the
functions import what they need (pyarrow, pandas, pathlib), so that `import kerman_warning`
costs next to nothing.
"""

from __future__ import annotations

from ._errors import PackageError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing; type checkers know it
if TYPE_CHECKING:
    from typing import Any, Literal

    import pandas as pd
    import pyarrow as pa

    from ._package import Package, PathLike

    Format = Literal["parquet", "csv"]

__all__ = [
    "datapackage",
    "load",
    "load_all",
    "load_pandas",
    "resource_names",
    "schema",
    "text",
]


def open_package(path: PathLike | None) -> Package:
    from ._package import open_package

    return open_package(path)


def datapackage(*, path: PathLike | None = None) -> dict[str, Any]:
    """The Data Package descriptor (`datapackage.json`) as a dict (a copy: edit it freely)."""
    import copy

    return copy.deepcopy(open_package(path).descriptor)


def resource_names(*, path: PathLike | None = None) -> list[str]:
    """The names of the tabular resources, in descriptor order."""
    return open_package(path).table_names()


def schema(name: str, *, path: PathLike | None = None) -> dict[str, Any]:
    """The Table Schema of resource `name` as a dict."""
    return open_package(path).schema(name)


def load(name: str, *, path: PathLike | None = None, format: Format = "parquet") -> pa.Table:
    """Resource `name` as a `pyarrow.Table`, typed by its Table Schema, in primary-key order.

    Dates are `date32`, integers `int64`, booleans `bool`, controlled vocabularies dictionary
    encoded (ordered where the schema says so). `format="csv"` reads and types the hand-edited
    CSV instead of the Parquet copy; both give equal tables.
    """
    package = open_package(path)
    if format == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(package.parquet_path(name))
    if format == "csv":
        from .tableschema import read_csv, sort_by_key

        table_schema = package.schema(name)
        source = package.resolve(package.table(name).get("path"), what=f"path of {name!r}")
        return sort_by_key(read_csv(source, table_schema), table_schema.get("primaryKey", []))
    raise PackageError(f"format must be 'parquet' or 'csv', not {format!r}")


def load_all(*, path: PathLike | None = None, format: Format = "parquet") -> dict[str, pa.Table]:
    """Every tabular resource, by name, as `pyarrow.Table`s."""
    return {name: load(name, path=path, format=format) for name in resource_names(path=path)}


def load_pandas(
    name: str, *, path: PathLike | None = None, format: Format = "parquet"
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
    table = load(name, path=path, format=format)
    return table.to_pandas(types_mapper=mapping.get, date_as_object=False)


def text(document_id: str | None = None, *, path: PathLike | None = None) -> str:
    """The text of a document, the string every `start`/`end` offset points into.

    With one document in the package, `document_id` may be left out. The text's SHA-256 is
    checked against the `documents` table before it is returned.
    """
    import hashlib

    from .tableschema import read_csv_text

    package = open_package(path)
    documents = package.table("documents")
    names = [f["name"] for f in package.schema("documents")["fields"]]
    source = package.resolve(documents.get("path"), what="path of 'documents'")
    rows = read_csv_text(source, names, documents.get("dialect")).to_pylist()
    if document_id is None:
        if len(rows) != 1:
            ids = ", ".join(row["doc_id"] for row in rows)
            raise PackageError(
                f"several documents ({ids}): name one, e.g. text({rows[0]['doc_id']!r})"
            )
        document_id = rows[0]["doc_id"]
    for row in rows:
        if row["doc_id"] == document_id:
            raw = package.resolve(row["text_path"], what=f"text of {document_id!r}").read_bytes()
            if hashlib.sha256(raw).hexdigest() != row["text_sha256"]:
                raise PackageError(f"text of {document_id!r} does not match its text_sha256")
            # newline="" semantics: the bytes decoded as they are, so offsets count every char.
            return raw.decode("utf-8")
    raise PackageError(f"no document {document_id!r} in documents.csv")
