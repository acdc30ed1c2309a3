"""Time `kerman-warning validate` against `frictionless validate` on the same scaled packages.

    python benchmarks/bench_validate.py                       # 10^4 and 10^5 rows per table
    python benchmarks/bench_validate.py --rows 1000000 --runs 3 --frictionless-runs 1
    python benchmarks/bench_validate.py --baseline OTHER/.venv/bin/python --runs 5

With --baseline, it compares this kerman-warning with another installation of it (e.g. a
checkout of an earlier commit with its own virtual environment) on the same files, runs
interleaved (this, baseline, this, ...) so that drift on a shared machine hits both, and
prints the median of each and their ratio instead of the comparison with frictionless.

For every size it generates the package once (benchmarks/generate.py, cached under --work),
then runs each validator as a cold process several times, measuring wall time and the peak
resident memory of that process (getrusage of a wrapper's only child). It prints a Markdown
table (median time, peak memory, ratio) and, with --json, writes the raw runs. Both
validators must find the generated package valid; a run that does not is reported as such.
This is a benchmark, not a test: it takes minutes (frictionless needs about 9 minutes at
10^6 rows per table on a 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# A wrapper process runs one command and reports its wall time and its peak RSS: the
# wrapper's RUSAGE_CHILDREN then covers exactly that one child.
_WRAPPER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
tail = done.stdout.decode("utf-8", "replace")[-2000:]
print(json.dumps({"seconds": seconds, "peak_mib": peak / 1024, "code": done.returncode,
                  "tail": tail}))
"""


# As installed from a wheel: pip compiles the bytecode at install, so no timed process pays
# for compiling the sources (a machine with PYTHONDONTWRITEBYTECODE=1 would make every cold
# process compile them, and the side with more source code pay more).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def compiled(python: str) -> None:
    """Compile the bytecode of the kerman_warning that `python` imports, as pip would."""
    where = subprocess.run(
        [
            python,
            "-c",
            "import kerman_warning, os; print(os.path.dirname(kerman_warning.__file__))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    subprocess.run([python, "-m", "compileall", "-q", where], check=True, env=_ENV)


def measure(command: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *command],
        capture_output=True,
        text=True,
        check=True,
        env=_ENV,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def ours(package: Path) -> list[str]:
    return [sys.executable, "-m", "kerman_warning", "validate", str(package)]


def theirs(package: Path) -> list[str]:
    frictionless = shutil.which("frictionless") or str(
        Path(sys.executable).with_name("frictionless")
    )
    return [frictionless, "validate", str(package / "datapackage.json")]


def valid(name: str, run: dict[str, Any]) -> bool:
    if name == "kerman-warning":
        return bool(run["code"] == 0 and "VALID" in run["tail"])
    return bool(run["code"] == 0 and "INVALID" not in run["tail"])


def bench(rows: int, work: Path, runs: int, frictionless_runs: int) -> dict[str, Any]:
    package = work / str(rows)
    if not (package / "datapackage.json").is_file():
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), str(rows), str(package)], check=True
        )
    size = sum(p.stat().st_size for p in (package / "data").glob("*.csv"))
    result: dict[str, Any] = {"rows_per_table": rows, "csv_bytes": size, "runs": {}}
    compiled(sys.executable)
    for name, command, count in (
        ("kerman-warning", ours(package), runs),
        ("frictionless", theirs(package), frictionless_runs),
    ):
        measured = [measure(command) for _ in range(count)]
        for run in measured:
            run["valid"] = valid(name, run)
            del run["tail"]
        result["runs"][name] = measured
        print(f"  {rows:>9,} {name:<15} {[round(r['seconds'], 2) for r in measured]}", flush=True)
    return result


def compare(rows: int, work: Path, runs: int, baseline: str) -> dict[str, Any]:
    """This kerman-warning against `baseline` (another Python with kerman-warning), interleaved."""
    package = work / str(rows)
    if not (package / "datapackage.json").is_file():
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), str(rows), str(package)], check=True
        )
    size = sum(p.stat().st_size for p in (package / "data").glob("*.csv"))
    commands = {
        "after": ours(package),
        "before": [baseline, "-m", "kerman_warning", "validate", str(package)],
    }
    measured: dict[str, list[dict[str, Any]]] = {"after": [], "before": []}
    for python in (sys.executable, baseline):
        compiled(python)
    for _ in range(runs):
        for name, command in commands.items():
            run = measure(command)
            run["valid"] = valid("kerman-warning", run)
            del run["tail"]
            measured[name].append(run)
    for name, done in measured.items():
        print(f"  {rows:>9,} {name:<7} {[round(r['seconds'], 2) for r in done]}", flush=True)
    return {"rows_per_table": rows, "csv_bytes": size, "runs": measured}


def compared(results: list[dict[str, Any]]) -> str:
    lines = [
        "| rows per table | CSV size | before: median time | peak memory "
        "| after: median time | peak memory | after / before (time) | runs |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        before, after = result["runs"]["before"], result["runs"]["after"]
        ok = all(r["valid"] for r in before + after)
        t1, t2 = median(before, "seconds"), median(after, "seconds")
        m1, m2 = median(before, "peak_mib"), median(after, "peak_mib")
        lines.append(
            f"| {result['rows_per_table']:,} | {result['csv_bytes'] / 2**20:,.0f} MiB "
            f"| {t1:.2f} s | {m1:,.0f} MiB | {t2:.2f} s | {m2:,.0f} MiB "
            f"| {t2 / t1:.3f}{'' if ok else ' (NOT VALID)'} | {len(after)} + {len(before)} |"
        )
    return "\n".join(lines)


def median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| rows per table | CSV size | kerman-warning: time (runs) | peak memory "
        "| frictionless: time (runs) | peak memory | speed-up | memory ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        mine, other = result["runs"]["kerman-warning"], result["runs"]["frictionless"]
        ok = all(r["valid"] for r in mine + other)
        t1, t2 = median(mine, "seconds"), median(other, "seconds")
        m1, m2 = median(mine, "peak_mib"), median(other, "peak_mib")
        lines.append(
            f"| {result['rows_per_table']:,} | {result['csv_bytes'] / 2**20:,.0f} MiB "
            f"| {t1:.2f} s ({len(mine)}) | {m1:,.0f} MiB | {t2:.2f} s ({len(other)}) "
            f"| {m2:,.0f} MiB | {t2 / t1:.1f}x | {m1 / m2:.2f}{'' if ok else ' (NOT VALID)'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3, help="runs of kerman-warning per size")
    parser.add_argument("--frictionless-runs", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("/tmp/kw-bench"))
    parser.add_argument("--json", type=Path, default=None, help="write the raw runs here")
    parser.add_argument(
        "--baseline", default=None, help="another Python with kerman-warning: before/after"
    )
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()}, {platform.machine()}, {platform.system()}")
    if args.baseline:
        results = [compare(n, args.work, args.runs, args.baseline) for n in args.rows]
        print()
        print(compared(results))
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        return 0
    results = [bench(n, args.work, args.runs, args.frictionless_runs) for n in args.rows]
    print()
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
