"""A unittest TestCase whose threads race, for `ftpy race -m unittest`."""
import threading
import unittest


class Flag:
    up = False


class RaisesFlagTest(unittest.TestCase):
    def test_two_writers(self):
        flag = Flag()

        def raise_it():
            flag.up = True  # RACE

        t = threading.Thread(target=raise_it)
        t.start()
        flag.up = False  # RACE
        t.join()
        self.assertIn(flag.up, (True, False))


if __name__ == "__main__":
    unittest.main()
