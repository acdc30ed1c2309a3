"""Words for people: counts with the right plural."""

from __future__ import annotations


def plural(count: int, word: str) -> str:
    """`1 row`, `2 rows`, `0 rows` (regular English plurals only)."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
