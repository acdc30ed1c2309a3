"""kerman-warning: the CNN Arabic report of the US warning to Iran before the Kerman attack.

>>> import kerman_warning
>>> events = kerman_warning.load_pandas("events")   # doctest: +SKIP

Importing this package is cheap: pyarrow and pandas are imported by the functions that use them.
"""

from ._errors import DataError, KermanWarningError, PackageError
from ._version import __version__
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

__all__ = [
    "DataError",
    "KermanWarningError",
    "PackageError",
    "__version__",
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
