"""One call into the library per test: safe alone, a race when --threads runs it N at once."""
from shop.inventory import record_sale


def test_record_sale():
    assert record_sale(5) >= 5
