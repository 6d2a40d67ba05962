"""queue.Queue.task_done() -> join(): what the workers did before task_done is seen after join."""
import queue
import threading


class Job:
    def __init__(self, n):
        self.n = n
        self.result = None


q = queue.Queue()


def worker():
    while True:
        job = q.get()
        if job is None:
            q.task_done()
            return
        job.result = job.n * 2
        q.task_done()


jobs = [Job(i) for i in range(20)]
ts = [threading.Thread(target=worker, daemon=True) for _ in range(3)]
for t in ts:
    t.start()
for j in jobs:
    q.put(j)
q.join()
print(sum(j.result for j in jobs))
for _ in ts:
    q.put(None)
q.join()
