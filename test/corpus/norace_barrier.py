"""Each thread writes its own slot, waits at a barrier, then reads everyone's."""
import threading

N = 3
slots = [0] * N
barrier = threading.Barrier(N)


class Out:
    pass


out = [Out() for _ in range(N)]


def phase(i):
    out[i].mine = i * 10
    barrier.wait()
    out[i].total = sum(o.mine for o in out)


ts = [threading.Thread(target=phase, args=(i,)) for i in range(N)]
for t in ts:
    t.start()
for t in ts:
    t.join()
