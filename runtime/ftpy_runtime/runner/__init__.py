"""Running the user's program under the debugger: what ``python -m ftpy_runtime`` does.

``launch``   the command line, the connection, the launch options, and the run itself
             (race detection, tracked locks, the GIL watcher, stop on entry, the exit code);
``program``  running a script or module as ``__main__``, the way ``python`` would.

May import every other layer (it is the top one), ``race`` included.
"""
