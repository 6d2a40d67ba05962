"""Who changed the balance?  A data breakpoint with a thread filter answers it.

Stop at the marked line, right-click `balance` (under `account`) in the Variables pane, pick
"Break on Value Change", then give the new data breakpoint (in the Breakpoints view, "Edit
Condition...") the condition `thread != owner`. The main thread, which made the account,
changes the balance four times and never stops; the thread that changes it behind its back does.
"""

import threading


class Account:
    def __init__(self) -> None:
        self.balance = 0


def main() -> None:
    account = Account()
    account.balance = 10  # BREAK HERE
    for _ in range(3):
        account.balance += 1  # the owner's own writes

    def intruder() -> None:
        account.balance = -1  # THE OTHER THREAD WRITES

    t = threading.Thread(target=intruder, name="intruder")
    t.start()
    t.join()
    print("balance", account.balance)


main()
