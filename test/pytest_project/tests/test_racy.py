"""A test whose own threads race: two workers bump one counter without a lock."""
import threading


class Counter:
    value = 0


def test_lost_update():
    c = Counter()

    def bump():
        c.value += 1  # RACE

    workers = [threading.Thread(target=bump) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert c.value in (1, 2)
