"""This project's own rules (`--rules all`), one module per subject; importing this package
registers them. Each rule is declared once (`declare`) and implemented by a small function
attached with `@RULE.each_batch` or `@RULE.at_end(keeps=...)`; see CONTRIBUTING.md."""

from __future__ import annotations

from . import (
    casualties,
    entities,
    events,
    factuality,
    metadata,
    order,
    provenance,
    repository,
    spans,
    text,
)
from .spans import load_documents

__all__ = [
    "casualties",
    "entities",
    "events",
    "factuality",
    "load_documents",
    "metadata",
    "order",
    "provenance",
    "repository",
    "spans",
    "text",
]
