"""Slowdown of the race detector against a plain run, and its parallel speedup.

    python3.13t -m ftpy_runtime.race.bench.run_bench [--iterations N] [--threads 1,2,4] [--repeat 3]

For each workload (attr_workload.py, container_workload.py, lock_workload.py) and thread count, runs the
program plainly and under ``python -m ftpy_runtime.race`` on the same interpreter, takes the
best of `repeat` timings (the programs time their threaded part themselves, so start-up and
rewriting are left out) and prints a table:

    workload   threads  plain s  race s  slowdown  speedup(plain)  speedup(race)

Every thread does the same amount of work, so speedup at n threads is n * t(1) / t(n).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIME = os.path.dirname(os.path.dirname(HERE))
WORKLOADS = ("attr_workload.py", "container_workload.py", "lock_workload.py")


def timed(args: list[str], race: bool) -> float:
    env = dict(os.environ)
    env["PYTHONPATH"] = RUNTIME + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [sys.executable] + (["-m", "ftpy_runtime.race", "--"] if race else []) + args
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr}")
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--iterations", type=int, default=200_000)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", help="also write the results here")
    opts = p.parse_args()
    counts = [int(x) for x in opts.threads.split(",")]
    rows = []
    print(f"{'workload':<22}{'threads':>8}{'plain s':>10}{'race s':>10}{'slowdown':>10}{'speedup plain':>15}{'speedup race':>14}")
    for w in WORKLOADS:
        base: dict[str, float] = {}
        for n in counts:
            args = [os.path.join(HERE, w), str(n), str(opts.iterations)]
            plain = min(timed(args, False) for _ in range(opts.repeat))
            race = min(timed(args, True) for _ in range(opts.repeat))
            if n == counts[0]:
                base = {"plain": plain / counts[0], "race": race / counts[0]}
            sp_plain = n * base["plain"] / plain
            sp_race = n * base["race"] / race
            rows.append({"workload": w, "threads": n, "plain": plain, "race": race,
                         "slowdown": race / plain, "speedupPlain": sp_plain, "speedupRace": sp_race})
            print(f"{w:<22}{n:>8}{plain:>10.3f}{race:>10.3f}{race / plain:>9.1f}x{sp_plain:>14.2f}x{sp_race:>13.2f}x")
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({"python": sys.version, "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
