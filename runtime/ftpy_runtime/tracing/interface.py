"""What a tracing backend is, and what it calls: two ``typing.Protocol`` declarations.

A backend turns the interpreter's events (``sys.monitoring`` or ``sys.settrace``) into four calls
on a `TracingHooks` object, which the debugger implements.  The debugger drives the backend
through `Backend`: which code objects to watch for lines or starts, and when every line matters
(while the world is stopping, stopped or stepping) or raised exceptions do.

The backend holds the hooks' bound methods and nothing else of the debugger's: it never imports
it, so a backend can be driven (and tested) by anything with these four methods.
"""

from __future__ import annotations

import types
from typing import Protocol


class TracingHooks(Protocol):
    """The callbacks a backend makes, on whatever user thread hit the event.

    They run inside the interpreter's tracing machinery: an exception they raise is a bug in
    the debugger, which the backend logs (`callback_errors.internal_error`) and never lets
    surface in the user's code.
    """

    def on_line(self, frame: types.FrameType, line: int) -> bool:
        """A thread reached ``line`` of ``frame``.  True: this line never needs to call back
        again (the backend may switch it off until something changes)."""
        ...

    def on_jump(self, frame: types.FrameType) -> bool:
        """A jump in ``frame`` (how a thread looping on one line is reached).  True: this jump
        never needs to call back again."""
        ...

    def on_start(self, frame: types.FrameType) -> None:
        """A watched code object (`Backend.watch_starts`) started running in ``frame``."""
        ...

    def on_raise(self, frame: types.FrameType, exc: BaseException) -> None:
        """``exc`` was raised in, or propagated into, ``frame`` (only while
        `Backend.set_exceptions` is on)."""
        ...


class Backend(Protocol):
    """A way of tracing the program: `monitoring.MonitoringBackend` or `settrace.SettraceBackend`."""

    #: How the Debug Console, ``ftpy doctor`` and the ``process`` event name it.
    name: str

    def install(self) -> None:
        """Start calling the hooks.  Calling it again after `uninstall` starts again."""
        ...

    def uninstall(self) -> None:
        """Stop calling the hooks and leave nothing behind: no callback, no trace function, no
        event switched on, no tool id held.  Harmless when not installed."""
        ...

    def watch_lines(self, code: types.CodeType, enabled: bool) -> None:
        """Call `TracingHooks.on_line` for every line of ``code`` (it holds a breakpoint), or stop."""
        ...

    def watch_starts(self, code: types.CodeType, enabled: bool) -> None:
        """Call `TracingHooks.on_start` whenever ``code`` starts (a function breakpoint), or stop."""
        ...

    @property
    def global_lines(self) -> bool:
        """Is every line of every code object being reported (`set_global`)?"""
        ...

    def set_global(self, enabled: bool) -> None:
        """Report every line and jump everywhere (stopping, stopped, stepping), or only watched ones."""
        ...

    def set_exceptions(self, raised: bool) -> None:
        """Report raised exceptions (the "raised" exception filter), or not."""
        ...
