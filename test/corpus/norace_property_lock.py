"""A property whose getter and setter take the object's lock: `acct.balance = x` is a call
to the setter, not a write of a field, and everything the accessors touch is locked."""
import threading


class Account:
    def __init__(self):
        self._lock = threading.Lock()
        self._balance = 0

    @property
    def balance(self):
        with self._lock:
            return self._balance

    @balance.setter
    def balance(self, value):
        with self._lock:
            self._balance = value


acct = Account()


def work(n):
    for i in range(200):
        acct.balance = i + n
        acct.balance


ts = [threading.Thread(target=work, args=(n,)) for n in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
