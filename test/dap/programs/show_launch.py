"""Prints how it was started: its own command line, sys.argv and the working directory."""
import json
import os
import sys

with open("/proc/self/cmdline", "rb") as f:
    cmdline = [part.decode() for part in f.read().split(b"\0")[:-1]]
print("LAUNCH " + json.dumps({"cmdline": cmdline, "argv": sys.argv, "cwd": os.getcwd()}))
