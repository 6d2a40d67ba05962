"""Starts child processes in the way argv[1] says; each child calls work(), which has a breakpoint."""
import multiprocessing as mp
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor


def work(n):
    result = n * n  # child-bp
    return result


def main(mode):
    if mode in ("spawn", "forkserver", "fork"):
        p = mp.get_context(mode).Process(target=work, args=(3,))
        p.start()
        p.join()
        print(f"child {mode} exit {p.exitcode}", flush=True)
    elif mode == "pool":
        with ProcessPoolExecutor(max_workers=2) as ex:
            print(f"pool results {sorted(ex.map(work, [4, 5]))}", flush=True)
    elif mode == "spawnexit":
        p = mp.get_context("spawn").Process(target=sys.exit, args=(4,))
        p.start()
        p.join()
        print(f"child spawnexit exit {p.exitcode}", flush=True)
    elif mode == "run":
        r = subprocess.run([sys.executable, __file__, "leaf"])
        print(f"run exit {r.returncode}", flush=True)
    elif mode == "leaf":
        print(f"leaf result {work(7)}", flush=True)
    elif mode == "other":
        r = subprocess.run([sys.argv[2], __file__, "leaf"])
        print(f"other python exit {r.returncode}", flush=True)
    elif mode == "notpython":
        r = subprocess.run(["/bin/sh", "-c", "echo from sh; exit 3"])
        print(f"sh exit {r.returncode}", flush=True)
    elif mode == "osfork":
        pid = os.fork()
        if pid == 0:
            work(6)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        print(f"forked child exit {os.waitstatus_to_exitcode(status)}", flush=True)
    elif mode == "tree":
        p = mp.get_context("spawn").Process(target=time.sleep, args=(600,))
        p.start()
        print(f"sleeper {p.pid}", flush=True)
        p.join()


if __name__ == "__main__":
    main(sys.argv[1])
