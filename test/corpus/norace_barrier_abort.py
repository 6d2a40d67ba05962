"""Barrier.abort(): what the aborting thread did before abort() is seen by the threads that
get BrokenBarrierError (the barrier's lock orders them)."""
import threading


class State:
    reason = None


state = State()
barrier = threading.Barrier(3)


def waiter(out, i):
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        out[i] = state.reason


def wait_until_two_wait():
    while barrier.n_waiting < 2:
        pass


out = [None, None]
ts = [threading.Thread(target=waiter, args=(out, i)) for i in range(2)]
for t in ts:
    t.start()
wait_until_two_wait()
state.reason = "shutting down"
barrier.abort()
for t in ts:
    t.join()
print(out)
