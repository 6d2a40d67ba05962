"""Who holds which lock, who waits for which, and whether they deadlock.

``tracked``   `install`/`uninstall`: plain ``Lock``s whose creation site is noted, the tracked ``RLock``;
``snapshot``  held locks and waiting threads, read on demand (heap scan, frames);
``waitfor``   cycles in the wait-for graph: deadlocks;
``render``    a deadlock as ThreadSanitizer-style text.

Each imports only the ones above it in this list (and ``user_code``).  The names below are the
package's public face; the views, the debugger and the launcher use nothing else.
"""

from __future__ import annotations

from .render import render
from .snapshot import anyone_waiting, snapshot
from .tracked import TrackedLock, TrackedRLock, install, installed, uninstall
from .waitfor import current_deadlocks, find_deadlocks

__all__ = [
    "TrackedLock",
    "TrackedRLock",
    "install",
    "uninstall",
    "installed",
    "snapshot",
    "find_deadlocks",
    "current_deadlocks",
    "anyone_waiting",
    "render",
]
