"""Threads that share a counter under a lock, and a test with no threads: no race."""
import threading


def test_locked_counter():
    lock = threading.Lock()
    box = {"n": 0}

    def bump():
        for _ in range(100):
            with lock:
                box["n"] += 1

    workers = [threading.Thread(target=bump) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert box["n"] == 300


def test_no_threads():
    assert sorted({3, 1, 2}) == [1, 2, 3]
