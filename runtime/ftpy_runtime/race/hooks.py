"""What rewritten code imports: the per-thread hook holder, cell tokens, site registration.

``tl`` is a `threading.local` whose first use in a thread builds that thread's hooks (see
threadlog.py).  Ordinary functions read ``tl.ak`` once on entry and keep the two hooks in
locals, so an access touches only objects its own thread made.

When no race session is active (a rewritten module imported after the session finished,
say) the hooks are no-ops that hand back their first argument.
"""

from __future__ import annotations

import _thread
from typing import Any, Callable, Optional

from .sites import SiteTable


def _noop_a(obj: Any, site: int, act: Any = None) -> Any:
    return obj


def _noop_k(obj: Any, site: int, key: Any, act: Any = None) -> Any:
    return obj


def _noop_c() -> int:
    return 0


class _Active:
    """The session the hooks report to (at most one per process)."""

    session: Optional[Any] = None          # a RaceSession
    sites = SiteTable()


class HookHolder(_thread._local):  # type: ignore[name-defined]
    """Per-thread attributes ``a``, ``h``, ``k`` (the hooks), ``ak`` and ``akc`` (for
    prologues) and ``ts``.

    One holder per session; its first use on a thread asks the session for that thread's
    state (threadlog.ThreadState), whose closures become the hooks.
    """

    def __init__(self) -> None:
        # No-op hooks first: anything the session does below that reaches a patched
        # primitive (or instrumented code) on this thread finds a complete holder.
        self.ts = None
        self.a, self.h, self.k, self.ak = _noop_a, _noop_a, _noop_k, (_noop_a, _noop_k)
        self.akc = (_noop_a, _noop_k, _noop_c)
        session = _Active.session
        if session is None or session.finished:
            return
        ts = session.thread_state()
        self.a, self.h, self.k = ts.hook_a, ts.hook_h, ts.hook_k
        self.ak = (ts.hook_a, ts.hook_k)
        # For prologues: the hooks and this thread's activation counter; each call of an
        # instrumented function numbers itself and passes the number to the hooks, so its
        # call stack is captured once per activation (exact outer frames, see threadlog).
        self.akc = (ts.hook_a, ts.hook_k, ts.next_activation)
        self.ts = ts


    # What module code calls through the holder (rewrite.py puts the holder into the
    # code as a constant, so these are not names in the program's namespaces).
    @staticmethod
    def reg(path: str, entries: tuple) -> None:
        _Active.sites.register(path, entries)

    @staticmethod
    def tok() -> object:
        return object()


tl = HookHolder()   # replaced by each session as it installs


def instrumented(path: str) -> bool:
    """True when the module at `path` was loaded with race hooks (its code has started)."""
    return path in _Active.sites.files()


def active_session() -> Any:
    """The RaceSession installed in this process (finished or not), or None."""
    return _Active.session


def tok() -> object:
    """A fresh object standing for one activation's closure cells."""
    return object()


def register(path: str, entries: tuple) -> None:
    """Called by a rewritten module as it starts: record its access sites."""
    _Active.sites.register(path, entries)
