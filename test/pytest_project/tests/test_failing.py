"""A plain failure: its assertion message must be pytest's own (assertion rewriting kept)."""


class Order:
    def __init__(self, items):
        self.items = items


def test_order_total():
    order = Order([3, 4])
    assert sum(order.items) == 8
