"""Running hostile cases: each in a folder of its own, in child processes bounded in time and
memory, with every change to the file system outside the package found.

A case damages a copy of a package (`damage`), then runs one command on it. The children run
many cases each, in-process and one after another (a cold start per case would cost more than
the cases), under `resource.setrlimit` (address space, file size, CPU) and with an alarm per
case; the parent also kills a child that outlives every case's time. Each child writes one
JSON line per case as it goes, so a child that dies still names the case that killed it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MEMORY_LIMIT = 1 << 30  # address space of a child: 1 GiB (a 2 GiB file read whole fails)
FILE_LIMIT = 64 << 20  # no file a child writes may grow past 64 MiB
SNAPSHOT_READ = 1 << 20  # files up to this size are compared by content, larger ones by stat

Damage = Callable[[Path], Any]


@dataclass(frozen=True)
class Case:
    """One kind of hostile input: what is damaged, what runs, what must come out.

    `expect` is a rule id (`rule:<id>`, found in the JSON report) or text of the one error
    line (`error:<text>`); `package` is "tiny" (the test package) or "real" (a copy of this
    one). `writes` names what the command may change inside the package (a successful
    `build`); nothing outside the package ever changes.
    """

    id: str
    klass: str
    damage: Damage
    command: tuple[str, ...]
    code: int
    expect: str
    package: str = "tiny"
    writes: bool = False
    timeout: float = 20.0
    stdout_encoding: str = "utf-8"
    env: dict[str, str] = field(default_factory=dict)


def snapshot(root: Path) -> dict[str, tuple[Any, ...]]:
    """What is under `root`, never following links nor reading anything but small regular
    files: a FIFO, a device or a sparse 2 GiB file is described, not read."""
    seen: dict[str, tuple[Any, ...]] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        relative = path.relative_to(root).as_posix()
        if stat.S_ISREG(info.st_mode) and info.st_size <= SNAPSHOT_READ:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            seen[relative] = ("file", stat.S_IMODE(info.st_mode), digest)
        elif stat.S_ISLNK(info.st_mode):
            seen[relative] = ("link", str(path.readlink()))
        elif stat.S_ISDIR(info.st_mode):
            seen[relative] = ("folder", stat.S_IMODE(info.st_mode))  # its entries are listed
        else:
            kind = stat.S_IFMT(info.st_mode)
            seen[relative] = ("other", kind, info.st_size, info.st_mtime_ns)
    return seen


# The limits are set by the child's first statements rather than by `preexec_fn`, which is
# unsafe when the parent has threads (pytest's may, after the validator's tests).
CHILD = r"""
import resource
resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))
import io, json, os, signal, sys, tempfile, time, traceback

class Hang(BaseException):  # not an Exception: no `except Exception` may swallow it
    pass

def alarm(signum, frame):
    raise Hang()

signal.signal(signal.SIGALRM, alarm)
from kerman_warning import KermanWarningError, load
from kerman_warning.cli import main


def run(command):
    # The command line, or `@load NAME PACKAGE`: the library's load(), its errors as the
    # command line reports them (one line, the error's exit code).
    if command[0] != "@load":
        return main(command)
    try:
        load(command[1], path=command[2])
    except KermanWarningError as error:
        print(f"kerman-warning: error: {error}", file=sys.stderr)
        return error.exit_code
    return 0


spec = json.loads(open(sys.argv[1], encoding="utf-8").read())
with open(sys.argv[2], "w", encoding="utf-8") as results:
    for case in spec:
        os.chdir(case["dir"])
        tempfile.tempdir = os.path.join(case["dir"], "tmp")
        saved = {k: os.environ.get(k) for k in case["env"]}
        os.environ.update(case["env"])
        out, err = io.BytesIO(), io.BytesIO()
        sys.stdout = io.TextIOWrapper(out, encoding=case["encoding"], newline="\n")
        sys.stderr = io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace")
        started, crash = time.monotonic(), None
        signal.setitimer(signal.ITIMER_REAL, case["timeout"])
        try:
            code = run(case["command"])
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 2
        except Hang:
            code, crash = None, "hang"
        except BaseException:
            code, crash = None, traceback.format_exc()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        seconds = time.monotonic() - started
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                crash = crash or traceback.format_exc()
        printed, complained = out.getvalue(), err.getvalue()
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        results.write(json.dumps({
            "id": case["id"], "code": code, "crash": crash, "seconds": seconds,
            "stdout": printed.decode("utf-8", "backslashreplace"),
            "stderr": complained.decode("utf-8", "backslashreplace"),
        }) + "\n")
        results.flush()
""".replace("MEMORY_LIMIT", str(MEMORY_LIMIT)).replace("FILE_LIMIT", str(FILE_LIMIT))


def start_child(batch: list[dict[str, Any]], work: Path, number: int) -> Child:
    """Start a child process running `batch`; it writes its results as it goes."""
    spec, out = work / f"batch-{number}.json", work / f"results-{number}.jsonl"
    spec.write_text(json.dumps(batch), encoding="utf-8")
    environment = os.environ | {
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOME": str(work / "home"),
        # Address space is what RLIMIT_AS bounds: without these, Arrow's allocator and
        # glibc's per-thread arenas reserve over 1 GiB that is never used, and the bound
        # would measure reservations rather than what a case really allocates.
        "ARROW_DEFAULT_MEMORY_POOL": "system",
        "MALLOC_ARENA_MAX": "2",
    }
    environment.pop("KERMAN_WARNING_DEBUG", None)
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(spec), str(out)],
        cwd=work,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    return Child(process, out, 30 + sum(case["timeout"] for case in batch))


@dataclass
class Child:
    process: subprocess.Popen[bytes]
    out: Path
    budget: float


def collect(children: list[Child]) -> dict[str, dict[str, Any]]:
    """Wait for every child (killing one past its budget); the results by case id."""
    results: dict[str, dict[str, Any]] = {}
    for child in children:
        try:
            _, stderr = child.process.communicate(timeout=child.budget)
        except subprocess.TimeoutExpired:
            child.process.kill()
            _, stderr = child.process.communicate()
        lines = child.out.read_text(encoding="utf-8").splitlines() if child.out.exists() else []
        for line in lines:
            result = json.loads(line)
            results[result["id"]] = result
        if child.process.returncode != 0:  # the case after the last one written killed it
            results["<child>"] = {"code": child.process.returncode, "stderr": stderr.decode()}
    return results


def prepare(case: Case, folder: Path, make: Callable[[Path], Path]) -> dict[str, Any]:
    """Lay out `folder` for `case` (package, outside, home, tmp) and damage the package."""
    for part in ("outside", "home", "tmp"):
        (folder / part).mkdir(parents=True)
    (folder / "outside/keep.txt").write_text("not the package's\n", encoding="utf-8")
    package = make(folder / "package")
    case.damage(package)
    command = [
        part.replace("{pkg}", str(package)).replace("{dir}", str(folder)) for part in case.command
    ]
    return {
        "id": case.id,
        "dir": str(folder),
        "command": command,
        "timeout": case.timeout,
        "encoding": case.stdout_encoding,
        "env": case.env,
    }


def remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
