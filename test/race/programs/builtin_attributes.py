"""Attribute access on builtins and C types, which accept no hooks of their own."""
import threading

n = (5).real + int.from_bytes(b"\x01", "little") + len("abc".upper())
try:
    (1).imag = 3
except AttributeError as e:
    print("AttributeError:", e)
try:
    object().anything = 1
except AttributeError as e:
    print("AttributeError:", e)
s = "x,y".split(",")
d = dict(a=1)
print(n, s, d.get("a"), threading.current_thread().name)


def worker():
    return (7).bit_length() + str.lower("A").__len__()


t = threading.Thread(target=worker)
t.start()
t.join()
