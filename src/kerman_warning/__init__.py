"""kerman-warning: the CNN Arabic report of the US warning to Iran before the Kerman attack.

>>> import kerman_warning
>>> events = kerman_warning.load_pandas("events")   # doctest: +SKIP

Importing this package is cheap: pyarrow and pandas are imported by the functions that use them.
"""

# The submodules `load` and `schema` share their names with functions: importing them first
# means the functions, bound below, are what `kerman_warning.load` and `.schema` stay.
from . import load as _load_module  # noqa: F401
from . import schema as _schema_module  # noqa: F401
from ._errors import DataError, KermanWarningError, PackageError
from ._version import __version__
from .load import datapackage, load, load_all, load_pandas, resource_names, schema, text

__all__ = [
    "DataError",
    "KermanWarningError",
    "PackageError",
    "__version__",
    "datapackage",
    "load",
    "load_all",
    "load_pandas",
    "resource_names",
    "schema",
    "text",
]
