"""Everything written before Thread.start() is visible in the new thread."""
import threading


class Job:
    pass


job = Job()
job.size = 3
job.items = [1, 2, 3]


def run():
    return job.size + len(job.items) + sum(job.items)


t = threading.Thread(target=run)
t.start()
t.join()
