"""A race, then the process dies by SIGSEGV: the report found before must survive.

Racy free-threaded programs do crash (a racy LRU cache can corrupt a C OrderedDict); the
detector streams each report as it is found, and `ftpy race` makes the JSON and SARIF from
that stream when the program dies before the end.  Exit status: 139 (128 + SIGSEGV), not 66.
"""
# EXIT: 139
import ctypes
import threading


class Stats:
    hits = 0


stats = Stats()


def hit():
    stats.hits += 1  # RACE


workers = [threading.Thread(target=hit) for _ in range(2)]
for w in workers:
    w.start()
for w in workers:
    w.join()            # each worker's log is checked as it ends: the race is reported here
print("about to crash", flush=True)
ctypes.string_at(0)     # reads address 0: SIGSEGV
print("not reached")
