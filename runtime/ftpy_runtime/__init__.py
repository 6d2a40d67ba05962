"""ftpy_runtime: the part of the Free-Threaded Python Debugger that runs inside the debuggee.

Standard library only; Python 3.13t first, and it degrades gracefully on GIL builds >= 3.12.

Entry points (the only names the adapter and the CLI use; they stay where they are):

* ``python -m ftpy_runtime`` (``__main__.py``): run a program under the debugger;
* ``from ftpy_runtime.remote import serve``: attach to a running program (Python 3.14+);
* ``python -m ftpy_runtime.race``: run a program under the race detector (``ftpy race``);
* ``python -m ftpy_runtime.tracing.selection``: which tracing backend this interpreter gets (``ftpy doctor``).

The layers, lowest first.  A module may import from its own layer and from layers listed
before it, never from one listed after it (``test/python/test_import_layers.py`` checks this,
and that there is no import cycle between modules at all):

==============  ==========================================================================
``user_code``   whose code and thread this is: the runtime's, a library's, the user's (imports nothing)
``objectmodel`` readers of the free-threaded object model: headers, ownership, raw memory, GIL, locks
``tracing``     the tracing backends (``sys.monitoring``, ``settrace``) behind one interface
``world``       the thread world: thread registry, stop-the-world, running code on a parked thread
``debugger``    the debugger proper: breakpoints, stepping, exceptions, code registry
``views``       DAP-shaped views: variables, stacks and scopes, evaluate, object-model rows
``agent``       the wire: protocol, connection, and the agent that answers the adapter's requests
``runner``      running the user's program under all of the above (what ``__main__`` calls)
``race``        the race detector: self-contained, imports nothing else of the runtime
==============  ==========================================================================

``objectmodel`` and ``tracing`` know nothing of the DAP; ``tracing`` is driven through
``tracing.interface`` and calls back through it, so it never imports the debugger.
"""
