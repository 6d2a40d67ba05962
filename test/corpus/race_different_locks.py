"""Each thread holds a lock, but not the same lock."""
import threading


class Account:
    balance = 0


acct = Account()
lock_a = threading.Lock()
lock_b = threading.Lock()


def deposit(lock):
    with lock:
        acct.balance += 10  # RACE


ts = [threading.Thread(target=deposit, args=(l,)) for l in (lock_a, lock_b)]
for t in ts:
    t.start()
for t in ts:
    t.join()
