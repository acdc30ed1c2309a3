"""kerman-warning: the CNN Arabic report of the US warning to Iran before the Kerman attack.

>>> import kerman_warning
>>> events = kerman_warning.load_pandas("events")   # doctest: +SKIP

Importing this package is cheap: pyarrow and pandas are imported by the functions that use them.
"""

from ._errors import DataError, KermanWarningError, PackageError
from ._version import __version__
from .annotations import export_annotations
from .load import (
    datapackage,
    load,
    load_all,
    load_pandas,
    load_polars,
    resource_names,
    schema,
    tables,
    text,
)
from .readers import pandas_dtypes, read_csv_kwargs

__all__ = [
    "DataError",
    "KermanWarningError",
    "PackageError",
    "__version__",
    "datapackage",
    "export_annotations",
    "load",
    "load_all",
    "load_pandas",
    "load_polars",
    "pandas_dtypes",
    "read_csv_kwargs",
    "resource_names",
    "schema",
    "tables",
    "text",
]
