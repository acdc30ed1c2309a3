"""The `kerman-warning` command: info, export, export-annotations, validate, build, diff, release.

Exit codes: 0 success, 1 the data is invalid (or a release is refused), 2 usage or unreadable
input. Errors are one line on stderr; set KERMAN_WARNING_DEBUG=1 to see a traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ._errors import KermanWarningError, PackageError
from ._package import here_or_shipped
from ._version import __version__

PROG = "kerman-warning"
Handler = Callable[[argparse.Namespace], int]


def _info(args: argparse.Namespace) -> int:
    import pyarrow.parquet as pq

    from ._package import open_package

    package = open_package(here_or_shipped(args.path))
    descriptor = package.descriptor
    print(f"{descriptor.get('name')} {descriptor.get('version')}: {descriptor.get('title', '')}")
    print(f"package: {package.root}")
    names = package.table_names()
    width = max((len(name) for name in names), default=0)
    for name in names:
        rows = pq.ParquetFile(package.parquet_path(name)).metadata.num_rows
        summary = " ".join(str(package.table(name).get("description", "")).split())
        if len(summary) > 80:
            summary = summary[:79] + "…"
        print(f"  {name:<{width}}  {rows:>4} rows  {summary}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from ._export import export

    export(args.name, output=args.output, format=args.format, path=here_or_shipped(args.path))
    return 0


def _export_annotations(args: argparse.Namespace) -> int:
    from ._annotations import export_annotations

    written = export_annotations(
        format=args.format,
        output=args.output,
        path=here_or_shipped(args.path),
        document=args.document,
        force=args.force,
    )
    for path in written:
        print(f"wrote {path}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from .build import build

    result = build(here_or_shipped(args.path), check=args.check)
    verb = "would change" if args.check else "wrote"
    for relative in result.changed:
        print(f"{verb} {relative}")
    print(f"{len(result.changed)} changed, {len(result.unchanged)} unchanged")
    return 1 if (args.check and result.changed) else 0


def _validate(args: argparse.Namespace) -> int:
    from . import rules, validate

    if args.list_rules:
        print(rules.catalogue(format=args.format), end="")
        return 0

    report = validate.validate(here_or_shipped(args.path))
    print(report.render(format=args.format), end="")
    return report.exit_code


def _diff(args: argparse.Namespace) -> int:
    from . import diff

    result = diff.diff(args.old, args.new, repo=args.repo)
    print(result.render(format=args.format), end="")
    return 0


def _release(args: argparse.Namespace) -> int:
    from . import release

    outcome = release.release(args.bump, commit=args.commit, date=args.date, repo=args.repo)
    print(outcome.render(), end="")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog=PROG,
        description="The kerman-warning data package: inspect, export, build, validate, release.",
        epilog="Exit codes: 0 success, 1 data invalid or release refused, 2 usage or input error.",
    )
    top.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler)
        return sub

    def package_argument(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "path",
            nargs="?",
            type=Path,
            default=None,
            help="a copy of the package (folder or datapackage.json); default: the one in the "
            "current folder, else the one shipped",
        )

    info = command("info", _info, "Print the version and every resource with its row count.")
    package_argument(info)

    export = command("export", _export, "Write one resource as CSV, Parquet or JSON.")
    export.add_argument("name", help="resource name, e.g. events")
    export.add_argument("--format", choices=["csv", "parquet", "json"], required=True)
    export.add_argument(
        "--output", required=True, help="file to write, or - for stdout (csv, json)"
    )
    export.add_argument("--path", type=Path, default=None, help="another copy of the package")

    spans = command(
        "export-annotations",
        _export_annotations,
        "Write every coded span as W3C Web Annotation, brat standoff or JSON Lines.",
    )
    spans.add_argument("--format", choices=["w3c", "brat", "jsonl"], required=True)
    spans.add_argument(
        "--output", required=True, help="file to write (brat: the .ann; the .txt goes beside it)"
    )
    spans.add_argument("--document", default=None, help="brat: the doc_id to write")
    spans.add_argument("--force", action="store_true", help="replace an existing file")
    spans.add_argument("--path", type=Path, default=None, help="another copy of the package")

    build = command(
        "build", _build, "Derive Parquet, JSON Schemas, hashes and the data dictionary."
    )
    package_argument(build)
    build.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if any derived file is stale"
    )

    validate = command("validate", _validate, "Check the package against every rule.")
    package_argument(validate)
    validate.add_argument("--format", choices=["text", "json"], default="text")
    validate.add_argument("--list-rules", action="store_true", help="print the rule catalogue")

    diff = command("diff", _diff, "Classify the changes between two versions (semver bump).")
    diff.add_argument("old", help="package folder, release zip, or git revision")
    diff.add_argument("new", help="package folder, release zip, or git revision")
    diff.add_argument("--format", choices=["text", "json"], default="text")
    diff.add_argument(
        "--repo", type=Path, default=None, help="git repository for revisions (default: here)"
    )

    release = command("release", _release, "Cut a release: changelog, version, artifacts.")
    release.add_argument("bump", help="major, minor, patch, or an explicit X.Y.Z")
    release.add_argument("--commit", action="store_true", help="run git commit and git tag")
    release.add_argument("--date", default=None, help="release date YYYY-MM-DD (default: today)")
    release.add_argument(
        "--repo", type=Path, default=None, help="the repository to release (default: here)"
    )
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KermanWarningError as error:
        return _fail(str(error), error.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        return 0
    except Exception as error:  # never a traceback for a person; say where to look instead
        if os.environ.get("KERMAN_WARNING_DEBUG"):
            raise
        message = f"unexpected {type(error).__name__}: {error} (KERMAN_WARNING_DEBUG=1 shows more)"
        return _fail(" ".join(message.split()), PackageError.exit_code)


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code
