"""ThreadSanitizer-style data race detection for free-threaded Python.

The pieces, in the order a run meets them:

* importhook.py / rewrite.py — instrument user modules (and the main script) at import;
* hooks.py / threadlog.py — the per-thread access logs that instrumented code writes;
* syncpatch.py / vectorclock.py — happens-before from threads, locks, events, queues;
* detector.py — FastTrack checks over the logs;
* report.py / suppressions.py — TSAN-style text, JSON, SARIF; what to leave out;
* session.py — RaceSession, the API the CLI (``python -m ftpy_runtime.race``) and the
  debugger use.
"""

from .session import RaceSession

__all__ = ["RaceSession"]
