"""Sales figures kept in one module-level tally, with no lock: fine in one thread."""


class Tally:
    def __init__(self) -> None:
        self.total = 0

    def add(self, n: int) -> None:
        self.total += n  # RACE (stress mode: every thread records into the one tally)


TALLY = Tally()


def record_sale(amount: int) -> int:
    TALLY.add(amount)
    return TALLY.total  # RACE (a read of the tally another thread is adding to)
