"""ftpy_runtime: the part of the Free-Threaded Python Debugger that runs inside the debuggee.

Standard library only.  ``python -m ftpy_runtime`` runs a program under the debugger (see
``__main__.py``); the race detector lives in ``ftpy_runtime.race``, the object-header reader in
``headers.py``.
"""
