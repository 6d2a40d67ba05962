"""Values to look at: a long list, a dict, an object, and one whose __repr__ never returns."""


class Hang:
    def __repr__(self):
        while True:
            pass


class Point:
    def __init__(self):
        self.x = 1
        self.y = [1, 2, 3]


def with_hang():
    h = Hang()
    return h  # BP-HANG


def main():
    big = list(range(1000))
    d = {"a": 1, "b": [1, 2]}
    p = Point()
    total = 5
    print("total is", total)  # BP-INSPECT
    return big, d, p


main()
with_hang()
