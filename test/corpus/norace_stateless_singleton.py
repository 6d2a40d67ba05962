"""A class-level singleton whose __setitem__ does nothing, shared by every instance.

Writing `NULL[k] = v` from every thread stores nothing: the subscript is a call to a method
that touches no data, so there is nothing to race on.
"""
import threading


class NullStore:
    """Discards everything (the 'null object' of a cache backend)."""

    def __setitem__(self, key, value):
        pass

    def __getitem__(self, key):
        raise KeyError(key)

    def __delitem__(self, key):
        pass


class Backend:
    NULL = NullStore()     # one instance shared by every Backend


def work(b):
    for i in range(200):
        b.NULL["k"] = i
        del b.NULL["k"]
        try:
            b.NULL["k"]
        except KeyError:
            pass


ts = [threading.Thread(target=work, args=(Backend(),)) for _ in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
