"""One thread iterates a dict while another inserts into it."""
import threading

table = {i: i for i in range(5)}
go = threading.Event()


def inserter():
    go.wait()
    table[100] = 100  # RACE


def summer():
    go.set()
    total = 0
    for k in list(table):  # RACE
        total += k
    return total


t = threading.Thread(target=inserter)
t.start()
summer()
t.join()
