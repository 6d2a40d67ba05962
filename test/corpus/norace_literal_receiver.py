"""Attributes of literals are no access to shared data: `(True).real` is not the global
`real` (in the log, True stands for the module's globals), and `" ".join` reads nothing
another thread can write.  One thread writes the global, the other only reads literals."""
import threading

real = 0
imag = 0


def writer():
    global real, imag
    for i in range(2000):
        real = i
        imag = i


def reader(out):
    for _ in range(2000):
        out.append((True).real + (False).imag + len(" ".join("ab")) + "xy"[1:].count("y"))


out = []
ts = [threading.Thread(target=writer), threading.Thread(target=reader, args=(out,))]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(len(out), out[0])
