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
    """Per-thread attributes ``a``, ``k``, ``ak`` (the pair), ``akc`` (for prologues) and ``ts``.

    One holder per session; its first use on a thread asks the session for that thread's
    state (threadlog.ThreadState), whose closures become the hooks.
    """

    def __init__(self) -> None:
        session = _Active.session
        if session is None or session.finished:
            self.ts = None
            a, k, c = _noop_a, _noop_k, _noop_c
        else:
            self.ts = session.thread_state()
            a, k, c = self.ts.hook_a, self.ts.hook_k, self.ts.next_activation
        self.a = a
        self.k = k
        self.ak = (a, k)
        # For prologues: the hooks and this thread's activation counter; each call of an
        # instrumented function numbers itself and passes the number to the hooks, so its
        # call stack is captured once per activation (exact outer frames, see threadlog).
        self.akc = (a, k, c)


tl = HookHolder()   # replaced by each session as it installs


def active_session() -> Any:
    """The RaceSession installed in this process (finished or not), or None."""
    return _Active.session


def tok() -> object:
    """A fresh object standing for one activation's closure cells."""
    return object()


def register(path: str, entries: tuple) -> None:
    """Called by a rewritten module as it starts: record its access sites."""
    _Active.sites.register(path, entries)
