"""Run CPython's own test modules plainly and under the race detector; compare per test.

    python3.13t test/race/cpython/compare.py [--timeout S] [--keep DIR] MODULE...
    python3.13t test/race/cpython/compare.py --all        # the full list (SLOW_MODULES)

The modules are copied, at run time, out of the interpreter's own ``Lib/test`` into a
temporary folder (as the package ``cpytests``: packages such as ``test_concurrent_futures``
find their submodules through it), so that under the detector they are the program's own,
instrumented code; CPython's files are never committed here.  Each module runs in a fresh
interpreter through runner.py, once plainly and once as ``python -m ftpy_runtime.race
runner.py …``, and the two logs are compared test by test.  A race run that does not end
within its time limit while the plain one did is a hang (the log says which test was
running).  The detector's reports and exit status (66 when it found races, which CPython's
tests do have) are not compared: only what the program does.

Used by test/python/test_race_cpython.py (a fast subset by default, everything with
FTPY_SLOW_TESTS=1 or ``scripts/test.sh slow``); run directly it prints a table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
# FTPY_CPYTESTS_RUNTIME: another copy of the runtime to measure (an older commit's, say).
RUNTIME = os.environ.get("FTPY_CPYTESTS_RUNTIME") or os.path.join(ROOT, "runtime")
PACKAGE = "cpytests"

# Fast enough for every test run (a few seconds each, plainly and under the detector).
FAST_MODULES = ["test_scope", "test_patma", "test_generators", "test_dict", "test_thread"]
# Everything issue 10 names: scripts/test.sh slow.
SLOW_MODULES = [
    "test_threading", "test_thread", "test_queue", "test_concurrent_futures",
    "test_dict", "test_set", "test_list", "test_deque", "test_ordered_dict",
    "test_generators", "test_coroutines", "test_patma", "test_scope", "test_functools",
    "test_descr",
]


@dataclass
class Run:
    outcomes: dict[str, str] = field(default_factory=dict[str, str])
    details: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    running: str | None = None       # the test that had started and not ended when it was killed
    timed_out: bool = False
    finished: bool = False           # the runner wrote its last line
    seconds: float = 0.0
    status: int | None = None
    output: str = ""


@dataclass
class Comparison:
    module: str
    plain: Run
    race: Run
    differing: dict[str, tuple[str, str]]   # test id -> (plain outcome, race outcome)

    @property
    def hang(self) -> bool:
        return self.race.timed_out and not self.plain.timed_out

    @property
    def slowdown(self) -> float:
        return self.race.seconds / self.plain.seconds if self.plain.seconds else float("nan")

    def summary(self) -> str:
        hang = f", HANG in {self.race.running}" if self.hang else ""
        return (f"{self.module}: {len(self.plain.outcomes)} tests, {len(self.differing)} differing{hang}; "
                f"plain {self.plain.seconds:.1f}s, race {self.race.seconds:.1f}s ({self.slowdown:.1f}x)")

    def explain(self) -> str:
        lines = [self.summary()]
        for tid, (p, r) in sorted(self.differing.items()):
            lines.append(f"  {tid}: plain {p}, under the detector {r}")
            for d in self.race.details.get(tid, [])[-8:]:
                lines.append("      " + d)
        if self.hang:
            lines.append(f"  the race run was killed after {self.race.seconds:.0f}s in {self.race.running}")
            lines.append("  its output ended: " + self.race.output[-1500:].replace("\n", "\n    "))
        if not self.race.finished and not self.hang:
            lines.append("  the race run did not finish: " + self.race.output[-1500:].replace("\n", "\n    "))
        return "\n".join(lines)


def clean_env() -> dict[str, str]:
    """The environment for the runs: only ftpy_runtime added to the path (this project's
    own ``test`` package must not hide CPython's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "FTPY_"))}
    env["PYTHONPATH"] = RUNTIME
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONFAULTHANDLER"] = "1"
    return env


def stdlib_tests(python: str) -> str:
    out = subprocess.run([python, "-I", "-c", "import os, test; print(os.path.dirname(test.__file__))"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def prepare(python: str, modules: list[str], dest: str) -> str:
    """Copy `modules` out of the interpreter's Lib/test into dest/cpytests; the runner next to it."""
    src = stdlib_tests(python)
    pkg = os.path.join(dest, PACKAGE)
    os.makedirs(pkg, exist_ok=True)
    open(os.path.join(pkg, "__init__.py"), "w").close()
    for m in modules:
        if os.path.isdir(os.path.join(src, m)):
            shutil.copytree(os.path.join(src, m), os.path.join(pkg, m), dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(os.path.join(src, m + ".py"), pkg)
    shutil.copy(os.path.join(HERE, "runner.py"), os.path.join(dest, "run_cpytests.py"))
    return dest


def parse_log(text: str, run: Run) -> None:
    last: str | None = None
    for line in text.splitlines():
        if line.startswith("start "):
            run.running = last = line[6:]
        elif line.startswith("end "):
            tid, _, outcome = line[4:].rpartition(" ")
            run.outcomes[tid] = outcome
            run.running = None
            last = tid
        elif line.startswith("| ") and last is not None:
            run.details.setdefault(last, []).append(line[2:])
        elif line == "done":
            run.finished = True


def run_module(python: str, folder: str, module: str, race: bool, timeout: float) -> Run:
    tag = "race" if race else "plain"
    log = os.path.join(folder, f"{module}.{tag}.log")
    runner = os.path.join(folder, "run_cpytests.py")
    cmd = [python]
    env = clean_env()
    if race:
        cmd += ["-m", "ftpy_runtime.race", "--json", os.path.join(folder, f"{module}.races.json")]
        env["FTPY_RACE_CACHE"] = os.path.join(folder, "race-cache")
    cmd += [runner, f"{PACKAGE}.{module}", log]
    run = Run()
    t0 = time.monotonic()
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as out:
        proc = subprocess.Popen(cmd, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            run.status = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            run.timed_out = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:  # pragma: no cover
                pass
            proc.wait()
        run.seconds = time.monotonic() - t0
        out.seek(0)
        run.output = out.read()
    try:
        with open(log, encoding="utf-8", errors="replace") as f:
            parse_log(f.read(), run)
    except OSError:
        pass
    return run


def compare(python: str, folder: str, module: str, timeout: float | None = None) -> Comparison:
    plain = run_module(python, folder, module, False, timeout or 600)
    # The detector may be slower; a run that takes far longer than that is a hang.
    limit = timeout or max(120.0, 30 * plain.seconds)
    race = run_module(python, folder, module, True, limit)
    differing: dict[str, tuple[str, str]] = {}
    for tid in sorted(set(plain.outcomes) | set(race.outcomes)):
        p = plain.outcomes.get(tid, "missing")
        r = race.outcomes.get(tid, "missing")
        if r == "missing" and race.timed_out:
            continue   # not reached: counted as the hang
        if p != r:
            differing[tid] = (p, r)
    return Comparison(module, plain, race, differing)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("modules", nargs="*")
    ap.add_argument("--all", action="store_true", help="every module issue 10 lists")
    ap.add_argument("--fast", action="store_true", help="the default test run's subset")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per race run (default: 30x plain, at least 120)")
    ap.add_argument("--keep", default=None, help="work in this folder and keep the logs")
    ap.add_argument("--python", default=os.environ.get("FTPY_TEST_PYTHON") or sys.executable)
    ns = ap.parse_args(argv)
    modules = ns.modules + (SLOW_MODULES if ns.all else []) + (FAST_MODULES if ns.fast else [])
    if not modules:
        ap.error("name test modules, or --all / --fast")
    folder = ns.keep or tempfile.mkdtemp(prefix="ftpy-cpytests-")
    prepare(ns.python, modules, folder)
    bad = 0
    try:
        for m in modules:
            c = compare(ns.python, folder, m, ns.timeout)
            print(c.explain() if (c.differing or c.hang) else c.summary(), flush=True)
            bad += bool(c.differing or c.hang)
    finally:
        if ns.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
