"""THREADS threads each pass the marked line HITS times; for breakpoint-hit throughput.

    python hits.py THREADS HITS
"""
import sys
import threading


def worker(hits: int, out: list, k: int) -> None:
    total = 0
    for i in range(hits):
        total += i  # BREAKPOINT
    out[k] = total


def main() -> None:
    n, hits = int(sys.argv[1]), int(sys.argv[2])
    out = [0] * n
    threads = [threading.Thread(target=worker, args=(hits, out, k), name=f"hitter-{k}") for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("done", sum(out), flush=True)


if __name__ == "__main__":
    main()
