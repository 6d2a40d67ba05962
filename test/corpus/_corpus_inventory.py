"""A user module imported by race_in_imported_module.py (instrumented as well)."""


class Inventory:
    def __init__(self):
        self.stock = 10

    def take(self):
        self.stock -= 1  # RACE
