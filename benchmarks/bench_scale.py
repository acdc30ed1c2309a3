"""The goals of issue 11, measured: memory as one table grows (M1), time at 10^6 rows per table
beside a streaming read and a DuckDB baseline (T1), and small packages (T2).

    python benchmarks/bench_scale.py                        # all three, full sizes (~1 hour)
    python benchmarks/bench_scale.py --quick                # `make bench`: small sizes, 1 run
    python benchmarks/bench_scale.py --only m1 --runs 3

M1: `events` alone scaled to each of --events rows (the other tables at --base rows): the base
package is generated once, each variant is hard links to it plus a new events.csv and what the
build derives from it (benchmarks/generate.py --only events), so 10^7 rows cost 3 GB of disk,
not 33. Each run is a cold `kerman-warning validate`; peak RSS is the kernel's high-water mark
of that process (getrusage of a wrapper's only child), and RSS is also sampled every 50 ms
from /proc to show when the peak happens. Runs are interleaved over the sizes.

T1: at --base rows per table, interleaved: our validate; a streaming typed read of the same
CSVs with `pyarrow.csv.open_csv` (column types from the Table Schemas), the floor of any
validator that reads every cell; and DuckDB (the dev extra) doing a typed load of every table,
primary-key uniqueness on every table, one foreign-key anti-join (events.source_id into
sources) and one categories check (events.event_type), in one process.

T2: the real package, cold; then --small rows per table against `frictionless validate`
(time and peak memory; bench_validate.py measures the same at other sizes).

The validator measured is the command as users run it (`python -m kerman_warning validate`):
it streams a CSV of up to `MAX_STREAMED_BYTES` (64 GiB), far above the 3.3 GB of `events` at
10^7 rows. Only the generator lifts limits (`generate.lift_limits`), since `build` reads a
CSV whole.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_validate import _ENV, compiled, measure, theirs  # noqa: E402
from generate import marker  # noqa: E402  (it lifts limits in this process, which validates nothing)


def ours(package: Path) -> list[str]:
    return [sys.executable, "-m", "kerman_warning", "validate", str(package)]


# The scaled packages keep every key and span consistent (generate.py): a timed run must
# find no problem, so that its time is the time of checking, not of reporting.
EXPECTED: set[str] = set()


# bench_validate's wrapper keeps only the end of the output; this one keeps the JSON report.
_WRAPPER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
with open(sys.argv[1], "wb") as out:
    done = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
print(json.dumps({"seconds": seconds, "peak_mib": peak / 1024, "code": done.returncode}))
"""


def validated(package: Path) -> dict[str, Any]:
    """One timed run of our validate with a JSON report: which rules the package breaks."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        command = [*ours(package), "--format", "json"]
        out = subprocess.run(
            [sys.executable, "-c", _WRAPPER, report.name, *command],
            capture_output=True,
            text=True,
            check=True,
            env=_ENV,
        )
        run: dict[str, Any] = json.loads(out.stdout)
        try:
            problems = json.loads(Path(report.name).read_text(encoding="utf-8"))["problems"]
            run["broken"] = sorted({p["rule"] for p in problems})
        except (ValueError, KeyError):
            run["broken"] = [f"no report (exit code {run['code']})"]
    run["valid"] = run["code"] in (0, 1) and set(run["broken"]) <= EXPECTED
    return run


STREAM_READ = """
import sys, json
import pyarrow as pa, pyarrow.csv as pacsv
from kerman_warning._package import open_package
from kerman_warning.tableschema import arrow_type
package = open_package(sys.argv[1])
rows = 0
for name in package.table_names():
    schema = package.schema(name)
    types = {f["name"]: arrow_type(f) for f in schema["fields"]}
    types = {k: (pa.string() if pa.types.is_dictionary(v) else v) for k, v in types.items()}
    path = package.root / package.table(name)["path"]
    reader = pacsv.open_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))
    for batch in reader:
        rows += batch.num_rows
print(json.dumps({"rows": rows}))
"""

DUCKDB = """
import sys, json
import duckdb
from kerman_warning._package import open_package
from kerman_warning.tableschema import arrow_type
KIND = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "date": "DATE",
        "boolean": "BOOLEAN"}
package = open_package(sys.argv[1])
con = duckdb.connect()
problems = 0
for name in package.table_names():
    schema = package.schema(name)
    columns = {f["name"]: KIND.get(f.get("type", "string"), "VARCHAR") for f in schema["fields"]}
    path = package.root / package.table(name)["path"]
    con.execute(
        f'CREATE TABLE "{name}" AS SELECT * FROM read_csv(?, header=true, columns={columns!r})',
        [str(path)],
    )
    pk = ", ".join(schema["primaryKey"])
    problems += con.execute(
        f'SELECT count(*) FROM (SELECT {pk} FROM "{name}" GROUP BY {pk} HAVING count(*) > 1)'
    ).fetchone()[0]
problems += con.execute(
    "SELECT count(*) FROM events e ANTI JOIN sources s ON e.source_id = s.source_id "
    "WHERE e.source_id IS NOT NULL"
).fetchone()[0]
field = next(f for f in package.schema("events")["fields"] if f["name"] == "event_type")
allowed = [c["value"] if isinstance(c, dict) else c for c in field["categories"]]
problems += con.execute(
    "SELECT count(*) FROM events WHERE event_type IS NOT NULL AND NOT list_contains(?, event_type)",
    [allowed],
).fetchone()[0]
print(json.dumps({"problems": problems}))
"""


def sampled(package: Path) -> dict[str, Any]:
    """Validate `package` (`validated`: wall time, kernel peak RSS, rules broken) and sample
    the RSS of the process doing the work every 50 ms; report when the sampled peak came."""
    samples: list[tuple[float, int]] = []
    stop = threading.Event()
    me = os.getpid()

    def watch() -> None:
        started = time.perf_counter()
        while not stop.is_set():
            for pid in _descendants(me):
                rss = _rss_kib(pid)
                if rss:
                    samples.append((time.perf_counter() - started, rss))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        run = validated(package)
    finally:
        stop.set()
        watcher.join()
    if samples:
        at, top = max(samples, key=lambda s: s[1])
        run["sampled_peak_mib"] = top / 1024
        run["sampled_peak_at"] = at / max(run["seconds"], 1e-9)  # fraction of the run
    return run


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            out.append(child)
            todo.append(child)
    return out


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def generate(rows: int, target: Path, *extra: str) -> Path:
    """The scaled package at `target`, generated unless a complete one is there (its marker,
    which generate.py writes last, says so: a half-written package is generated again)."""
    if not marker(target).is_file():
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), str(rows), str(target), *extra],
            check=True,
        )
    return target


def med(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs if key in r))


def m1(work: Path, base_rows: int, sizes: list[int], runs: int) -> dict[str, Any]:
    base = generate(base_rows, work / str(base_rows))
    packages = {}
    for n in sizes:
        if n == base_rows:
            packages[n] = base
        else:
            target = work / f"events-{n}"
            packages[n] = generate(n, target, "--only", "events", "--base", str(base))
    measured: dict[int, list[dict[str, Any]]] = {n: [] for n in sizes}
    for _ in range(runs):
        for n in sizes:
            run = sampled(packages[n])
            measured[n].append(run)
            print(
                f"  M1 events={n:>11,} {run['seconds']:7.2f} s {run['peak_mib']:8.0f} MiB "
                f"broken: {run['broken']}",
                flush=True,
            )
    lines = [
        "| events rows | median time | peak RSS (median) | peak / peak at smallest "
        "| sampled peak at | only the expected rules broken |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    first = med(measured[sizes[0]], "peak_mib")
    for n in sizes:
        done = measured[n]
        peak = med(done, "peak_mib")
        lines.append(
            f"| {n:,} | {med(done, 'seconds'):.2f} s | {peak:,.0f} MiB | {peak / first:.2f}x "
            f"| {med(done, 'sampled_peak_at'):.0%} of the run "
            f"| {all(r['valid'] for r in done)} |"
        )
    return {"runs": {str(n): v for n, v in measured.items()}, "table": "\n".join(lines)}


def t1(work: Path, rows: int, runs: int) -> dict[str, Any]:
    package = generate(rows, work / str(rows))
    commands: dict[str, list[str] | None] = {
        "kerman-warning validate": None,
        "pyarrow.csv.open_csv (typed, streaming)": [
            sys.executable,
            "-c",
            STREAM_READ,
            str(package),
        ],
        "DuckDB baseline": [sys.executable, "-c", DUCKDB, str(package)],
    }
    measured: dict[str, list[dict[str, Any]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            if command is None:
                run = validated(package)
                run["ok"] = run["valid"]
            else:
                run = measure(command)
                run["ok"] = run["code"] == 0
                if name == "DuckDB baseline":
                    run["ok"] = run["ok"] and '"problems": 0' in run["tail"]
                del run["tail"]
            measured[name].append(run)
            print(f"  T1 {name:<42} {run['seconds']:7.2f} s {run['peak_mib']:8.0f} MiB", flush=True)
    ours_t = med(measured["kerman-warning validate"], "seconds")
    lines = [
        f"| at {rows:,} rows per table | median time | peak RSS | ours / this (time) | ok |",
        "|---|---:|---:|---:|---|",
    ]
    for name, done in measured.items():
        t = med(done, "seconds")
        lines.append(
            f"| {name} | {t:.2f} s | {med(done, 'peak_mib'):,.0f} MiB | {ours_t / t:.2f}x "
            f"| {all(r['ok'] for r in done)} |"
        )
    return {"runs": measured, "table": "\n".join(lines)}


def t2(work: Path, small: int, runs: int, frictionless_runs: int) -> dict[str, Any]:

    real_runs = [measure([sys.executable, "-m", "kerman_warning", "validate"]) for _ in range(runs)]
    for run in real_runs:
        run["valid"] = run["code"] == 0 and "VALID" in run.pop("tail")
    package = generate(small, work / str(small))
    measured: dict[str, list[dict[str, Any]]] = {"kerman-warning": [], "frictionless": []}
    for i in range(max(runs, frictionless_runs)):
        if i < runs:
            run = validated(package)
            measured["kerman-warning"].append(run)
        if i < frictionless_runs:
            run = measure(theirs(package))
            run["valid"] = run["code"] == 0 and "INVALID" not in run.pop("tail")
            measured["frictionless"].append(run)
    mine, other = measured["kerman-warning"], measured["frictionless"]
    lines = [
        "| package | kerman-warning: time | peak RSS | frictionless: time | peak RSS "
        "| speed-up | memory ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| the real package, cold | {med(real_runs, 'seconds'):.2f} s "
        f"| {med(real_runs, 'peak_mib'):,.0f} MiB | | | | |",
        f"| {small:,} rows per table | {med(mine, 'seconds'):.2f} s "
        f"| {med(mine, 'peak_mib'):,.0f} MiB | {med(other, 'seconds'):.2f} s "
        f"| {med(other, 'peak_mib'):,.0f} MiB "
        f"| {med(other, 'seconds') / med(mine, 'seconds'):.1f}x "
        f"| {med(mine, 'peak_mib') / med(other, 'peak_mib'):.2f} |",
    ]
    return {"real": real_runs, "runs": measured, "table": "\n".join(lines)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=["m1", "t1", "t2"], default=None)
    parser.add_argument("--quick", action="store_true", help="small sizes, one run (make bench)")
    parser.add_argument("--base", type=int, default=1_000_000, help="rows per table (M1, T1)")
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 3_000_000, 10_000_000])
    parser.add_argument("--small", type=int, default=10_000, help="rows per table (T2)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--frictionless-runs", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("/tmp/kw-bench"))
    parser.add_argument("--json", type=Path, default=None, help="write the raw runs here")
    args = parser.parse_args(argv)
    if args.quick:
        args.base, args.events, args.small = 2_000, [2_000, 6_000, 20_000], 2_000
        args.runs = args.frictionless_runs = 1
    goals = args.only or ["m1", "t1", "t2"]
    compiled(sys.executable)
    print(
        f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    results: dict[str, Any] = {}
    if "m1" in goals:
        results["m1"] = m1(args.work, args.base, args.events, args.runs)
    if "t1" in goals:
        results["t1"] = t1(args.work, args.base, args.runs)
    if "t2" in goals:
        results["t2"] = t2(args.work, args.small, args.runs, args.frictionless_runs)
    for goal, result in results.items():
        print(f"\n{goal.upper()}\n{result['table']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
