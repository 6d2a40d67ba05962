"""An uncaught exception inside a worker-free program, a few frames deep."""


class Shape:
    pass


def area(s):
    return s.width * s.height


def main():
    return area(Shape())


main()
