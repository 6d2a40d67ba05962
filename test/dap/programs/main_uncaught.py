"""The main thread dies of an uncaught exception."""


def lookup(table, key):
    return table[key]  # RAISE-MAIN


lookup({"a": 1}, "missing")
