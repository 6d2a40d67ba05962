"""A fork child that leaves by os._exit(7) keeps its status and leaves the parent's files alone."""
import os
import threading


class Box:
    value = 0


box = Box()


def bump():
    box.value += 1  # RACE


ts = [threading.Thread(target=bump) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
pid = os.fork()
if pid == 0:
    os._exit(7)
_, status = os.waitpid(pid, 0)
print("child status", os.waitstatus_to_exitcode(status), flush=True)
