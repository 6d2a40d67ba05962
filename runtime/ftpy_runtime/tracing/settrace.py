"""The fallback tracing backend, on ``sys.settrace`` for every thread.

Same interface as the ``sys.monitoring`` backend, for interpreters without PEP 669 (or when
``FTPY_BACKEND=settrace`` asks for it).  It is necessarily dearer: the global trace function
sees every call in every thread, though it hands out a line tracer only to code objects that
hold a breakpoint, or to everything while the world is stopping or stepping.  To reach threads
that are already deep in a loop, switching on global tracing also sets ``f_trace`` on every
frame of every thread (coverage.py's ``pytracer`` is the model for the rest).  `uninstall`
takes the trace function off every thread and every frame again.

"""

from __future__ import annotations

import _thread
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

from ..user_code import INTERNAL_PREFIXES
from .callback_errors import internal_error
from .interface import TracingHooks


def unavailable_reason() -> str | None:
    """Why this backend cannot run here (never: every CPython has ``sys.settrace``)."""
    return None


class SettraceBackend:
    name = "settrace"

    def __init__(self, hooks: TracingHooks) -> None:
        self._hooks = hooks
        self._lock = _thread.allocate_lock()
        self._line_codes: dict[int, types.CodeType] = {}
        self._start_codes: dict[int, types.CodeType] = {}
        self._global = False
        self._raises = False
        self._installed = False

    def install(self) -> None:
        self._installed = True
        if hasattr(threading, "settrace_all_threads"):
            threading.settrace_all_threads(self._trace)
        else:
            threading.settrace(self._trace)
            sys.settrace(self._trace)
        if self._global or self._line_codes:
            self._retrace(lambda f: self._global or id(f.f_code) in self._line_codes)

    def uninstall(self) -> None:
        if not self._installed:
            return
        self._installed = False
        # The trace function goes from every thread (and from threads started later) ...
        if hasattr(threading, "settrace_all_threads"):
            threading.settrace_all_threads(None)  # type: ignore[arg-type]  # None clears it, as documented
        else:
            threading.settrace(None)  # type: ignore[arg-type]  # None clears it, as documented
            sys.settrace(None)
        # ... and so do the line tracers `_retrace` gave frames that were already running.
        for frame in sys._current_frames().values():  # pyright: ignore[reportPrivateUsage]  # CPython's frame API
            f: types.FrameType | None = frame
            while f is not None:
                if f.f_trace == self._local_trace:
                    f.f_trace = None
                f = f.f_back

    def _trace(self, frame: types.FrameType, event: str, arg: Any) -> Any:
        code = frame.f_code
        if code.co_filename.startswith(INTERNAL_PREFIXES):
            return None
        if event == "call" and id(code) in self._start_codes:
            try:
                self._hooks.on_start(frame)
            except Exception as exc:  # never surface a debugger bug in the user's code
                internal_error(exc)
        if self._global or self._raises or id(code) in self._line_codes:
            return self._local_trace
        return None

    def _local_trace(self, frame: types.FrameType, event: str, arg: Any) -> Any:
        try:
            self._local_event(frame, event, arg)
        except Exception as exc:  # a debugger bug must never surface in the user's code
            internal_error(exc)
        return self._local_trace

    def _local_event(self, frame: types.FrameType, event: str, arg: Any) -> None:
        if event == "line":
            if self._global or id(frame.f_code) in self._line_codes:
                self._hooks.on_line(frame, frame.f_lineno)
        elif event == "exception" and self._raises:
            # Fired in every frame the exception passes through; the debugger reports it once,
            # in the first user frame (as with sys.monitoring's RAISE).
            self._hooks.on_raise(frame, arg[1])

    def watch_lines(self, code: types.CodeType, enabled: bool) -> None:
        with self._lock:
            if enabled:
                self._line_codes[id(code)] = code
            else:
                self._line_codes.pop(id(code), None)
        if enabled and self._installed:
            self._retrace(lambda f: f.f_code is code)

    def watch_starts(self, code: types.CodeType, enabled: bool) -> None:
        with self._lock:
            if enabled:
                self._start_codes[id(code)] = code
            else:
                self._start_codes.pop(id(code), None)

    @property
    def global_lines(self) -> bool:
        return self._global

    def set_global(self, enabled: bool) -> None:
        self._global = enabled
        if enabled and self._installed:
            self._retrace(lambda f: True)

    def set_exceptions(self, raised: bool) -> None:
        self._raises = raised

    def _retrace(self, want: Callable[[types.FrameType], bool]) -> None:
        """Give frames that are already running a line tracer."""
        for frame in sys._current_frames().values():  # pyright: ignore[reportPrivateUsage]  # CPython's frame API
            f: types.FrameType | None = frame
            while f is not None:
                if not f.f_code.co_filename.startswith(INTERNAL_PREFIXES) and want(f) and f.f_trace is None:
                    f.f_trace = self._local_trace
                f = f.f_back
