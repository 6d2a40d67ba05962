"""concurrent.futures callbacks: submit() -> the task -> its done-callback (same worker, or
the caller when the future was already done); the callback's writes are seen after
shutdown(wait=True)."""
from concurrent.futures import ThreadPoolExecutor


class Tally:
    def __init__(self):
        self.setting = None
        self.done = []


tally = Tally()


def task(n):
    return n * n + len(tally.setting)


def on_done(fut):
    tally.done.append(fut.result())


tally.setting = "xyz"
with ThreadPoolExecutor(max_workers=2) as ex:
    futs = [ex.submit(task, i) for i in range(8)]
    for f in futs:
        f.add_done_callback(on_done)
print(sorted(tally.done))
