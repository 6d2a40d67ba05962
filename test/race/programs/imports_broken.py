"""Imports a user module with a syntax error: the error must read as in a plain run."""
print("before")
import _broken_module  # noqa: E402
