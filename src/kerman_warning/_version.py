"""The package version: the one place it is written (`release` rewrites it)."""

__version__ = "2.0.0"
