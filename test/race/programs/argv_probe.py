"""Prints what a program can see of how it was started, then exits with status 5."""
import sys

print("argv", sys.argv)
print("path0", sys.path[0])
print("name", __name__, "file", globals().get("__file__"), "spec", getattr(__spec__, "name", None))
print("main-is-me", sys.modules["__main__"].__dict__ is globals())
sys.exit(5)
