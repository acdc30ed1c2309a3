"""The `kerman-warning` command: info, export, export-annotations, validate, build,
diff, release, versions.

One grammar: every command that works on a package names it with `--package PATH` (a folder,
its datapackage.json, or a release zip); without it, the package this library ships (see
`_locate`). The older spellings (a positional path, `export --path`) still work.

Exit codes: 0 success, 1 the data is invalid (or a release is refused), 2 usage or unreadable
input, 3 a bug of the validator (`validate` only; the report names the rule). Errors are
one line on stderr; set KERMAN_WARNING_DEBUG=1 to see a traceback instead.
Text the terminal cannot encode is written as backslash escapes, never a crash.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ._errors import KermanWarningError, PackageError
from ._version import __version__
from ._words import plural

if TYPE_CHECKING:
    from ._package import Package

PROG = "kerman-warning"
Handler = Callable[[argparse.Namespace], int]
_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<word>[^']*)' \(choose from (?P<choices>.*)\)")
_EXAMPLE_WIDTH = 28


def _short(value: object, width: int) -> str:
    """One line of at most `width` characters; control characters shown as escapes."""
    text = "" if value is None else " ".join(str(value).split())
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _package_spec(args: argparse.Namespace) -> Path | None:
    """The package the user named, by `--package` or the older positional form."""
    named = getattr(args, "package", None)
    positional = getattr(args, "path", None)
    if named is not None and positional is not None and Path(named) != Path(positional):
        raise PackageError(f"two packages named: {positional} and --package {named}; name one")
    chosen = named if named is not None else positional
    return None if chosen is None else Path(chosen)


# --- info --------------------------------------------------------------------------------------


def _info(args: argparse.Namespace) -> int:
    from ._locate import package_at

    spec, table = _package_spec(args), args.table
    if table is not None and spec is None and Path(table).exists():
        spec, table = Path(table), None  # the older form: `info PATH`
    with package_at(spec) as package:
        if table is None:
            _print_package(package, shown=str(spec) if spec else None)
        else:
            _print_table(package, table)
    return 0


def _print_package(package: Package, *, shown: str | None) -> None:
    from ._catalogue import catalogue

    descriptor = package.descriptor
    print(f"{descriptor.get('name')} {descriptor.get('version')}: {descriptor.get('title', '')}")
    print(f"package: {shown or package.root}")
    tables = catalogue(package)
    width = max((len(table.name) for table in tables), default=0)
    rows = max((len(plural(table.rows, "row")) for table in tables), default=0)
    for table in tables:
        print(
            f"  {table.name:<{width}}  {plural(table.rows, 'row'):>{rows}}  "
            f"{_short(table.description, 80)}"
        )
    print(f"columns of a table: {PROG} info TABLE")


def _print_table(package: Package, name: str) -> None:
    from ._catalogue import catalogue
    from .load import _load

    package.table(name)  # a clear error (with a suggestion) for a name that is not a table
    (table,) = [t for t in catalogue(package) if t.name == name]
    data = _load(package, name, None, "parquet")
    print(f"{table.name}: {table.title} ({plural(table.rows, 'row')}, file {table.path})")
    print(f"  {_short(table.description, 200)}")
    print(f"primary key: {', '.join(table.primary_key) or 'none'}")
    rows = [("column", "type", "example", "description")]
    for column in table.columns:
        kind = column.type
        if column.categories is not None:
            kind += f" ({'ordered ' if column.ordered else ''}vocabulary)"
        example = next((v for v in data.column(column.name).to_pylist() if v is not None), None)
        rows.append((column.name, kind, _short(example, _EXAMPLE_WIDTH), column.description))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [f"{row[i]:<{widths[i]}}" for i in range(3)]
        print("  " + "  ".join([*cells, _short(row[3], 100)]).rstrip())


# --- export, build, validate -------------------------------------------------------------------


def _export(args: argparse.Namespace) -> int:
    from ._export import export

    export(
        args.name,
        output=args.output,
        format=args.format,
        path=_package_spec(args),
        force=args.force,
    )
    return 0


def _export_annotations(args: argparse.Namespace) -> int:
    from ._annotations import export_annotations

    written = export_annotations(
        format=args.format,
        output=args.output,
        path=_package_spec(args),
        document=args.document,
        force=args.force,
    )
    for path in written:
        print(f"wrote {path}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from ._locate import require_this_package
    from ._package import open_package
    from ._zip import is_zip
    from .build import build

    spec = _package_spec(args)
    if spec is not None and is_zip(spec):
        raise PackageError(f"{spec}: a release zip is built already; unpack it to rebuild it")
    require_this_package(open_package(spec), any_package=args.any_package)
    result = build(spec, check=args.check)
    verb = "would change" if args.check else "wrote"
    for relative in result.changed:
        print(f"{verb} {relative}")
    print(f"{len(result.changed)} changed, {len(result.unchanged)} unchanged")
    return 1 if (args.check and result.changed) else 0


class _NoPandas:
    """A finder that answers `import pandas` with ImportError."""

    @staticmethod
    def find_spec(name: str, *_: object) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"{name} is not imported while validating", name=name)


@contextlib.contextmanager
def _without_pandas() -> Any:
    """pyarrow imports pandas, when installed, on its first conversion of Python objects, just in
    case they are pandas objects: about 0.5 s, more than validating the real package takes.
    The validator passes no pandas object, so during `validate` pyarrow finds none (a pandas
    already imported is left alone)."""
    if "pandas" in sys.modules:
        yield
        return
    finder = _NoPandas()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


def _validate(args: argparse.Namespace) -> int:
    from ._locate import root_at
    from .validate import validate
    from .validate.catalogue import catalogue

    if args.list_rules:
        print(catalogue(format=args.format, rules=args.rules), end="")
        return 0

    spec = _package_spec(args)
    with root_at(spec) as root, _without_pandas():
        report = validate(root, rules=args.rules)
        text = report.render(format=args.format)
        if spec is not None and not str(root.resolve()).startswith(str(spec.resolve())):
            text = text.replace(str(root), str(spec))  # a zip: name it, not its scratch
    _show(text, json=args.format == "json")
    if report.bug is not None:  # also on stderr, where CI looks for failures
        print(f"{PROG}: validator bug: {report.bug}", file=sys.stderr)
    return report.exit_code


# --- history -----------------------------------------------------------------------------------


def _diff(args: argparse.Namespace) -> int:
    from . import diff

    result = diff.diff(args.old, args.new, repo=args.repo)
    _show(result.render(format=args.format), json=args.format == "json")
    return 0


def _release(args: argparse.Namespace) -> int:
    from . import release
    from ._git import toplevel
    from ._locate import require_this_package
    from ._package import default_root, open_package

    repo = _package_spec(args)
    require_this_package(
        open_package(toplevel(default_root() if repo is None else repo)),
        any_package=args.any_package,
    )
    outcome = release.release(
        args.bump, commit=args.commit, date=args.date, repo=repo, rules=args.rules
    )
    _show(outcome.render())
    return 0


def _versions(args: argparse.Namespace) -> int:
    from ._package import default_root
    from ._versions import released

    found = released(args.repo or default_root())
    if not found:
        print("no released version in this history")
    for release in found:
        tag = f"  tag {release.tag}" if release.tag else ""
        print(f"{release.version:<10} {release.commit[:12]}  {release.date}{tag}")
    return 0


# --- the parser --------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse with a did-you-mean for a mistyped command or choice."""

    def error(self, message: str) -> NoReturn:
        import difflib

        found = _INVALID_CHOICE.search(message)
        if found is not None:
            choices = re.findall(r"'([^']*)'", found["choices"])
            close = difflib.get_close_matches(found["word"], choices, n=1)
            if close:
                message += f"; did you mean {close[0]!r}?"
        super().error(message)


def parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog=PROG,
        description="The kerman-warning data package: inspect, export, build, validate, release.",
        epilog="Exit codes: 0 success, 1 data invalid or release refused, 2 usage or input error, "
        "3 a bug of kerman-warning (validate).",
    )
    top.add_argument("-V", "--version", action="version", version=f"{PROG} {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler)
        return sub

    def package_option(sub: argparse.ArgumentParser, *aliases: str) -> None:
        sub.add_argument(
            "--package",
            *aliases,
            dest="package",
            metavar="PATH",
            default=None,
            help="a copy of the package: a folder, its datapackage.json, or a release zip "
            "(default: the package this library ships)",
        )

    def older_positional(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("path", nargs="?", default=None, help=argparse.SUPPRESS)

    info = command("info", _info, "Print every table with its row count, or one table's columns.")
    info.add_argument(
        "table", nargs="?", default=None, help="a table: its columns, types, examples"
    )
    package_option(info)

    export = command("export", _export, "Write one table (CSV by default) or the article text.")
    export.add_argument("name", help="a table, e.g. events; or article for the text")
    export.add_argument(
        "--format",
        choices=["csv", "jsonl", "json", "parquet"],
        default=None,
        help="csv (default, as data/*.csv), jsonl (one JSON object per row), json, parquet",
    )
    export.add_argument("--output", default="-", help="file to write (default: - for stdout)")
    export.add_argument("--force", action="store_true", help="replace an existing file")
    package_option(export, "--path")

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
    package_option(spans, "--path")

    build = command(
        "build", _build, "Derive Parquet, JSON Schemas, hashes and the data dictionary."
    )
    older_positional(build)
    package_option(build)
    build.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if any derived file is stale"
    )
    build.add_argument(
        "--any-package", action="store_true", help="build a package not named kerman-warning"
    )

    validate = command("validate", _validate, "Check the package against every rule.")
    validate.epilog = (
        "Exit codes: 0 valid (warnings allowed), 1 invalid, 2 unusable input, "
        "3 a bug of the validator (please report it)."
    )
    older_positional(validate)
    package_option(validate)
    validate.add_argument("--format", choices=["text", "json"], default="text")
    validate.add_argument(
        "--rules",
        choices=["all", "datapackage"],
        default="all",
        help="all: every rule (default); datapackage: only what holds for any Data Package v2",
    )
    validate.add_argument("--list-rules", action="store_true", help="print the rule catalogue")

    diff = command("diff", _diff, "Classify the changes between two versions (semver bump).")
    what = "package folder, release zip, released version (1.0.0) or git revision"
    diff.add_argument("old", help=what)
    diff.add_argument("new", help=what)
    diff.add_argument("--format", choices=["text", "json"], default="text")
    diff.add_argument(
        "--repo", type=Path, default=None, help="git repository for revisions (default: here)"
    )

    release = command("release", _release, "Cut a release: changelog, version, artifacts.")
    release.add_argument("bump", help="major, minor, patch, or an explicit X.Y.Z")
    release.add_argument("--commit", action="store_true", help="run git commit and git tag")
    release.add_argument("--date", default=None, help="release date YYYY-MM-DD (default: today)")
    package_option(release, "--repo")
    release.add_argument(
        "--any-package", action="store_true", help="release a package not named kerman-warning"
    )

    versions = command("versions", _versions, "List released versions with commit and date.")
    versions.add_argument(
        "--repo", type=Path, default=None, help="git repository (default: this library's)"
    )
    release.add_argument(
        "--rules",
        choices=["all", "datapackage"],
        default="all",
        help="the validate rule set the package must pass (default: all)",
    )
    return top


def _terminated(signum: int, frame: Any) -> NoReturn:
    raise SystemExit(128 + signum)  # unwinds `with` blocks, so scratch folders are removed


def _escape_unencodable() -> None:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # a closed or odd stream
                reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    _escape_unencodable()
    args = parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        previous = signal.signal(signal.SIGTERM, _terminated)
    except ValueError:  # not the main thread: leave signals alone
        previous = None
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
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _show(text: str, *, json: bool = False) -> None:
    """Print a rendered report: no raw control character, nothing the terminal cannot encode."""
    from ._text import for_terminal

    print(for_terminal(text, encoding=sys.stdout.encoding, json=json), end="")


def _fail(message: str, code: int) -> int:
    from ._text import escape

    print(f"{PROG}: error: {escape(message)}", file=sys.stderr)
    return code
