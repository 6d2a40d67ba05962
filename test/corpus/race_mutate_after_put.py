"""The producer keeps mutating an item after handing it over through a queue."""
import queue
import threading


class Job:
    def __init__(self):
        self.state = "new"


q = queue.Queue()


def producer():
    job = Job()
    q.put(job)
    job.state = "changed"  # RACE


t = threading.Thread(target=producer)
t.start()
job = q.get()
print(job.state)  # RACE
t.join()
