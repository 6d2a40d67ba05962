"""Locals that fight back: a __len__, a __getattribute__, __repr__s that raise or never return."""
import time


class BadLen(list):
    def __len__(self):
        raise ValueError("len boom")


class BadAttr:
    def __getattribute__(self, name):
        raise RuntimeError("getattribute boom")


class SlowRepr:
    def __repr__(self):
        for _ in range(6000):  # a minute, in Python code
            time.sleep(0.01)
        return "finally"


class ExitRepr:
    def __repr__(self):
        raise SystemExit(4)


class InterruptRepr:
    def __repr__(self):
        raise KeyboardInterrupt


def main():
    bad_len = BadLen([1, 2])
    bad_attr = BadAttr()
    slow = SlowRepr()
    exits = ExitRepr()
    interrupts = InterruptRepr()
    good = 42
    print("stopped here", good)  # BP-HOSTILE
    return bad_len, bad_attr, slow, exits, interrupts


main()
print("the program went on")
