"""Vector clocks and FastTrack epochs (ftpy_runtime.race.vectorclock)."""

import unittest

from ftpy_runtime.race.vectorclock import concurrent, epoch_before, vc_get, vc_join, vc_leq


class VectorClockTest(unittest.TestCase):
    def test_join_is_pointwise_max_and_pads(self):
        self.assertEqual(vc_join([1, 5, 0], [2, 1]), [2, 5, 0])
        self.assertEqual(vc_join((0, 1), (3, 0, 4)), [3, 1, 4])

    def test_leq(self):
        self.assertTrue(vc_leq((1, 2), (1, 3)))
        self.assertFalse(vc_leq((1, 4), (1, 3)))
        self.assertTrue(vc_leq((1, 2, 0), (1, 2)))
        self.assertFalse(vc_leq((1, 2, 1), (1, 2)))

    def test_get_beyond_length_is_zero(self):
        self.assertEqual(vc_get((1, 2), 5), 0)

    def test_epoch_before(self):
        # Thread 1 at clock 3 happened before a thread that knows thread 1 up to 3.
        self.assertTrue(epoch_before(3, 1, (0, 3, 7)))
        self.assertFalse(epoch_before(4, 1, (0, 3, 7)))

    def test_concurrent_release_acquire(self):
        # T1 writes at epoch 2@1, releases (clock becomes 3); T2 acquires [0, 2, 1].
        t1_write = (0, 2, 0)
        t2_after_acquire = (0, 2, 1)
        self.assertFalse(concurrent(1, t1_write, 2, t2_after_acquire))
        # Without the acquire, T2 knows nothing of T1.
        self.assertTrue(concurrent(1, t1_write, 2, (0, 0, 1)))

    def test_concurrent_is_symmetric_and_irreflexive(self):
        a, b = (0, 1, 0), (0, 0, 1)
        self.assertEqual(concurrent(1, a, 2, b), concurrent(2, b, 1, a))
        self.assertFalse(concurrent(1, a, 1, a))

    def test_later_access_ordered_after_other_thread(self):
        # b (T2) happened before a (T1): a's clock knows T2's epoch.
        b = (0, 0, 4)
        a = (0, 6, 4)
        self.assertFalse(concurrent(1, a, 2, b))
        self.assertFalse(concurrent(2, b, 1, a))


if __name__ == "__main__":
    unittest.main()
