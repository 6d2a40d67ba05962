"""Reads after future.result() see the task's writes."""
from concurrent.futures import ThreadPoolExecutor


class Report:
    lines = 0


rep = Report()


def task():
    rep.lines = 10
    return rep


with ThreadPoolExecutor(max_workers=2) as ex:
    fut = ex.submit(task)
    print(fut.result().lines)
    print(rep.lines)
