"""The thread world: every Python thread, stopping them all, and running code on a stopped one.

``threads``       the thread registry: ``ThreadState`` per thread, DAP ids, the runtime's own threads;
``stopping``      the stop-the-world protocol: request, park, coordinate, resume (``World``);
``parked_calls``  running user code on a parked thread, with a timeout (``run_on``).

May import: ``user_code``.  Nothing here knows about breakpoints, tracing or the DAP: the
``World`` is given callables (switch global events on/off, report a stop, forget handles).
"""
