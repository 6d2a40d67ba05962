"""threading.local attributes are per thread and never race."""
import threading

local = threading.local()


def work(n):
    local.value = n
    local.value += 1
    return local.value


ts = [threading.Thread(target=work, args=(i,)) for i in range(3)]
for t in ts:
    t.start()
work(10)
for t in ts:
    t.join()
