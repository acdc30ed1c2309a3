"""Cold-process cost of the library against the bare tools it wraps.

Measures, over several runs of fresh interpreters, interleaved so that drift hits both sides:
  1. `import kerman_warning` against `python -c pass`          (target: within 20 ms)
  2. `kerman_warning.load("events")` against a bare
     `pyarrow.parquet.read_table` of the same file               (target: within 1.15x)

Run:  python benchmarks/bench_load.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import kerman_warning as kw
from kerman_warning._package import open_package

PARQUET = open_package().parquet_path("events")
CASES = {
    "bare python": "pass",
    "import kerman_warning": "import kerman_warning",
    "bare pyarrow read_table": f"import pyarrow.parquet as pq; pq.read_table({str(PARQUET)!r})",
    "kerman_warning.load": "import kerman_warning; kerman_warning.load('events')",
}


def cold(code: str) -> float:
    """Wall time of one fresh interpreter running `code`, in milliseconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    for code in CASES.values():  # warm the OS file cache once; not counted
        cold(code)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(runs):
        for name, code in CASES.items():
            times[name].append(cold(code))
    median = {name: statistics.median(values) for name, values in times.items()}
    print(
        f"kerman-warning {kw.__version__}, Python {sys.version.split()[0]}, {runs} cold runs each"
    )
    for name, values in times.items():
        print(f"  {name:<26} median {median[name]:7.1f} ms   min {min(values):7.1f} ms")
    import_cost = median["import kerman_warning"] - median["bare python"]
    ratio = median["kerman_warning.load"] / median["bare pyarrow read_table"]
    print(f"import kerman_warning costs {import_cost:+.1f} ms over bare python (target <= 20 ms)")
    print(f"load('events') / bare read_table = {ratio:.3f}x (target <= 1.15x)")


if __name__ == "__main__":
    main()
