"""Start the debugger's runtime in a child Python process (``subProcess: true``).

The debug adapter puts this folder first on the program's ``PYTHONPATH``, so every Python the
program starts imports this file at start-up, before its own code.  With ``FTPY_SUBPROCESS``
in the environment (set by the debugged program for its descendants, never for the program
itself) it starts the runtime and waits for the child session (``runner/child.py``).  Then it
runs the user's own ``sitecustomize``, the next one on ``sys.path``, as Python would have.

Written for any Python 3: an interpreter too old for the runtime only reports that it is.
"""

import os
import sys


def _start_runtime() -> None:
    if not os.environ.get("FTPY_SUBPROCESS"):
        return
    try:
        from ftpy_runtime.runner import child
    except Exception as exc:
        sys.stderr.write(f"ftpy: child process {os.getpid()} runs without the debugger: its runtime does not load here ({exc!r})\n")
        return
    child.start_from_site()


def _chain_user_sitecustomize() -> None:
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None or spec.origin == os.path.abspath(__file__):
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


_start_runtime()
_chain_user_sitecustomize()
