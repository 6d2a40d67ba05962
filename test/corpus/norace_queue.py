"""Objects handed over through queue.Queue belong to the consumer after get()."""
import queue
import threading


class Job:
    def __init__(self, n):
        self.n = n
        self.result = None


q = queue.Queue()
done = queue.Queue()


def worker():
    while True:
        job = q.get()
        if job is None:
            break
        job.result = job.n * 2
        done.put(job)


t = threading.Thread(target=worker)
t.start()
for i in range(5):
    q.put(Job(i))
for _ in range(5):
    j = done.get()
    print(j.result)
q.put(None)
t.join()
