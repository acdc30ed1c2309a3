"""Exceptions, each with the exit code the CLI turns it into."""

from __future__ import annotations


class KermanWarningError(Exception):
    """Base of every error this package raises on purpose; the message is one line for a person."""

    exit_code = 2


class PackageError(KermanWarningError):
    """The package cannot be used: a missing or unreadable file, an unsafe path, bad JSON."""

    exit_code = 2


class DataError(KermanWarningError):
    """The data is readable but breaks its schema (a value, a type, a constraint)."""

    exit_code = 1


def where(file: str, row: int | None = None, field: str | None = None) -> str:
    """Name a place in the package the way a person opens it: `file:line [field]`."""
    place = file if row is None else f"{file}:{row}"
    return place if field is None else f"{place} [{field}]"
