"""How the runtime sees the program run: the tracing backends, behind one interface.

``interface``        ``TracingHooks`` (what a backend calls) and ``Backend`` (what drives it): Protocols;
``monitoring``       the backend on ``sys.monitoring`` (PEP 669), the default;
``settrace``         the fallback on ``sys.settrace``;
``selection``        which backend to use, and why the other was not chosen;
``callback_errors``  what a callback does with a bug of the debugger's (log it, never raise it).

May import: ``user_code`` (the one definition of the runtime's own frames).  Never the
debugger: a backend is given a ``TracingHooks`` object and holds its bound methods.
"""
