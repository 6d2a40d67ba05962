"""``python -m ftpy_runtime``: run a program under the debugger (see ``runner/launch.py``).

    python -m ftpy_runtime --connect 127.0.0.1:PORT      (what to run comes in ``initialize``)
    python -m ftpy_runtime --listen PORT [options] program.py [args...]
    python -m ftpy_runtime --listen PORT [options] --module pkg.mod [args...]

This is the entry point the debug adapter starts; it stays here, whatever moves inside.
"""

from __future__ import annotations

import sys

from .runner.launch import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
