"""Readers of the free-threaded object model: what PEP 703 put in every object and thread.

``headers``    an object's 32-byte header (ob_tid, biased refcounts, ob_mutex, GC bits), decoded;
``rawmemory``  word-sized reads of the process's memory, for whole-heap scans;
``ownership``  which thread each live object is biased to, heap-wide;
``gil``        whether the GIL is on, why, and which import turned it back on;
``lookups``    ``get_shared``: ``dict.get`` for keys another thread stored (3.13t's slow path);
``locks/``     tracked ``Lock``/``RLock``: who holds which, who waits, deadlocks.

May import: ``user_code`` and each other.  Never the DAP-shaped layers (``views``, ``agent``),
the debugger or the thread world: these modules answer in plain dicts and dataclasses that
``views`` turns into rows and the CLI or tests can use as they are.
"""
