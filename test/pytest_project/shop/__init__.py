"""A tiny library under test: the race in it shows only when its callers run at once."""
