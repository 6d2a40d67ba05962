import sys

print("bye")
sys.stderr.write("to stderr\n")
sys.exit(3)
