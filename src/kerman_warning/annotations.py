"""Every coded span as W3C Web Annotation, brat standoff or JSON Lines (see `_annotations`).

This module imports nothing at load time, so that `import kerman_warning` stays free.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path

    from ._package import PathLike

__all__ = ["export_annotations"]


def export_annotations(
    format: str,
    output: PathLike,
    *,
    path: PathLike | None = None,
    document: str | None = None,
    force: bool = False,
) -> list[Path]:
    """Write every span of the package to `output` as `format`: "w3c" (one Web Annotation
    AnnotationCollection, JSON-LD), "brat" (`output` is the .ann; the .txt goes beside it) or
    "jsonl" (one line per document with its text and spans). An existing file is replaced only
    with `force`, never one that is not a regular file; the folder must exist; each file is
    written to a temporary file beside it and renamed into place. Returns the files written."""
    from ._annotations import export_annotations as write

    return write(format=format, output=output, path=path, document=document, force=force)
