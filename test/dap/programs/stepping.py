"""Three threads counting; thread 0 reaches a breakpoint and is stepped while the others park."""
import threading

counters = [0, 0, 0]
go = threading.Barrier(3)


def helper(v):
    w = v * 2  # HELPER-1
    return w  # HELPER-2


def work(idx):
    go.wait()
    n = 0
    while idx == 0 and min(counters[1:]) < 100:
        pass
    while n < 200_000_000:
        n += 1
        counters[idx] = n
        if idx == 0 and n == 1000:
            marker = n  # BP-STEP
            a = marker + 1  # STEP-2
            b = helper(a)  # STEP-3
            c = b + 1  # STEP-4
            print("stepped", c)  # STEP-5


threads = [threading.Thread(target=work, args=(i,), name=f"counter-{i}") for i in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
