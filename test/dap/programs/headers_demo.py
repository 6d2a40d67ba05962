"""Objects with known owners: `maker` creates two, keeps one to itself and hands the other to
`taker`, which holds three references to it.  Then `maker` stops at BP-HEADERS."""
import threading


class Box:
    def __init__(self, tag):
        self.tag = tag


handoff = []
handed = threading.Event()
taken = threading.Event()
finish = threading.Event()


def maker():
    mine = Box("private")
    shared = Box("shared")
    nothing = None
    small = 7
    handoff.append(shared)
    handed.set()
    taken.wait()
    print("maker stopping", flush=True)
    return mine, shared, nothing, small  # BP-HEADERS


def taker():
    handed.wait()
    held = [handoff[0]] * 3
    taken.set()
    finish.wait()
    return held


t2 = threading.Thread(target=taker, name="taker", daemon=True)
t2.start()
t1 = threading.Thread(target=maker, name="maker")
t1.start()
t1.join()
finish.set()
