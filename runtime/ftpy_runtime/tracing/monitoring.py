"""The tracing backend built on ``sys.monitoring`` (PEP 669, Python 3.12+).

It costs nothing where nothing is watched: LINE events are switched on only for the code
objects that hold a breakpoint (``set_local_events``), PY_START only for those that match a
function breakpoint.  Global LINE and JUMP events are on only while the world is stopping,
stopped or stepping; JUMP is there so a one-line ``while`` loop still reaches a callback.
RAISE is global, and on only while the "raised" exception filter is.  (It fires in every frame
an exception propagates into, so an exception raised in a library is seen in the user frame
that called it; the debugger reports each exception once, in the first user frame.)

`uninstall` hands the tool id back and leaves no callback or event behind; `install` takes a
free tool id again (detach, then a later attach).

Callbacks run with monitoring suspended for their thread, so user code that the debugger runs
from inside one (conditions, logpoints, evaluations on a parked thread) is never traced.

"""

from __future__ import annotations

import _thread
import bisect
import sys
import types
from typing import Any

from ..user_code import INTERNAL_PREFIXES
from .callback_errors import internal_error
from .interface import TracingHooks

#: The tool ids ftpy may take, in order of preference (2 is the profiler's, 0 the debugger's).
TOOL_IDS = (0, 1, 3, 4, 5)


def unavailable_reason() -> str | None:
    """Why this backend cannot run in this interpreter right now, or None if it can."""
    mon = getattr(sys, "monitoring", None)
    if mon is None:
        return f"Python {sys.version.split()[0]} has no sys.monitoring (PEP 669 arrived in Python 3.12)"
    if all(mon.get_tool(tool) is not None for tool in TOOL_IDS):
        taken = ", ".join(f"{tool} ({mon.get_tool(tool)})" for tool in TOOL_IDS)
        return f"every sys.monitoring tool id ftpy can use is taken: {taken}; is another debugger or coverage tool running?"
    return None


class MonitoringBackend:
    name = "sys.monitoring"

    def __init__(self, hooks: TracingHooks) -> None:
        self._hooks = hooks
        mon = sys.monitoring
        self._mon = mon
        self._events = mon.events
        self._lock = _thread.allocate_lock()
        self._local: dict[int, tuple[types.CodeType, int]] = {}
        self._line_tables: dict[int, tuple[types.CodeType, list[int], list[int | None]]] = {}
        self._global_lines = False
        self._raises = False
        #: The tool id held while installed; -1 when not.
        self.tool = -1

    def install(self) -> None:
        if self.tool >= 0:
            return
        mon, ev = self._mon, self._events
        for tool in TOOL_IDS:
            if mon.get_tool(tool) is None:
                mon.use_tool_id(tool, "ftpy")
                self.tool = tool
                break
        else:
            raise RuntimeError(unavailable_reason() or "every sys.monitoring tool id is taken")
        tool = self.tool
        mon.register_callback(tool, ev.LINE, self._make_line_callback())
        mon.register_callback(tool, ev.JUMP, self._make_jump_callback())
        mon.register_callback(tool, ev.PY_START, self._make_start_callback())
        mon.register_callback(tool, ev.RAISE, self._make_raise_callback())
        with self._lock:
            # Whatever was watched before an uninstall/install cycle is watched again.
            for code, flags in self._local.values():
                mon.set_local_events(tool, code, flags)
            self._apply_global()

    def uninstall(self) -> None:
        mon, tool = self._mon, self.tool
        if tool < 0:
            return
        with self._lock:
            # The interpreter forgets every event; `_local` and the global wishes are kept, so
            # that a later `install` picks up where this left off.
            mon.set_events(tool, 0)
            for code, _ in self._local.values():
                mon.set_local_events(tool, code, 0)
            self.tool = -1
        for event in (self._events.LINE, self._events.JUMP, self._events.PY_START, self._events.RAISE):
            mon.register_callback(tool, event, None)
        mon.free_tool_id(tool)

    # The callbacks.  Built as closures so the hot path reaches everything through cells.

    def _make_line_callback(self) -> Any:
        on_line = self._hooks.on_line
        getframe = sys._getframe  # pyright: ignore[reportPrivateUsage]  # CPython's frame API
        DISABLE = self._mon.DISABLE
        internal = INTERNAL_PREFIXES

        def line(code: types.CodeType, line: int) -> Any:
            if code.co_filename.startswith(internal):
                return DISABLE
            try:
                if on_line(getframe(1), line):
                    return DISABLE  # no breakpoint here and nothing global: don't call back again
            except Exception as exc:  # a debugger bug must never surface in the user's code
                internal_error(exc)
            return None

        return line

    def _make_jump_callback(self) -> Any:
        on_line = self._hooks.on_line
        on_jump = self._hooks.on_jump
        line_at = self._line_at
        getframe = sys._getframe  # pyright: ignore[reportPrivateUsage]  # CPython's frame API
        DISABLE = self._mon.DISABLE
        internal = INTERNAL_PREFIXES

        def jump(code: types.CodeType, src: int, dest: int) -> Any:
            if code.co_filename.startswith(internal):
                return DISABLE
            frame = getframe(1)
            try:
                if dest < src:
                    # A loop that stays on one line never starts a "new" line, so LINE is silent:
                    # treat the backward jump as reaching the line again (as settrace does).
                    line = line_at(code, dest)
                    if line is not None and line == frame.f_lineno:
                        return DISABLE if on_line(frame, line) else None
                return DISABLE if on_jump(frame) else None
            except Exception as exc:
                internal_error(exc)
                return None

        return jump

    def _line_at(self, code: types.CodeType, offset: int) -> int | None:
        """The line of the instruction at ``offset`` (tables cached per code object)."""
        table = self._line_tables.get(id(code))
        if table is None or table[0] is not code:
            starts: list[int] = []
            lines: list[int | None] = []
            for start, _end, line in code.co_lines():
                starts.append(start)
                lines.append(line)
            table = (code, starts, lines)
            self._line_tables[id(code)] = table
        i = bisect.bisect_right(table[1], offset) - 1
        return table[2][i] if i >= 0 else None

    def _make_start_callback(self) -> Any:
        on_start = self._hooks.on_start
        getframe = sys._getframe  # pyright: ignore[reportPrivateUsage]  # CPython's frame API

        def start(code: types.CodeType, offset: int) -> Any:
            try:
                on_start(getframe(1))
            except Exception as exc:
                internal_error(exc)
            return None

        return start

    def _make_raise_callback(self) -> Any:
        on_raise = self._hooks.on_raise
        getframe = sys._getframe  # pyright: ignore[reportPrivateUsage]  # CPython's frame API
        internal = INTERNAL_PREFIXES

        def raised(code: types.CodeType, offset: int, exc: BaseException) -> Any:
            if not code.co_filename.startswith(internal):
                try:
                    on_raise(getframe(1), exc)
                except Exception as err:
                    internal_error(err)
            return None

        return raised

    # What the rest of the debugger switches on and off.

    def _set_local(self, code: types.CodeType, bit: int, enabled: bool) -> None:
        with self._lock:
            _, flags = self._local.get(id(code), (code, 0))
            flags = flags | bit if enabled else flags & ~bit
            if self.tool >= 0:
                self._mon.set_local_events(self.tool, code, flags)
            if flags:
                self._local[id(code)] = (code, flags)
            else:
                self._local.pop(id(code), None)

    @property
    def global_lines(self) -> bool:
        return self._global_lines

    def watch_lines(self, code: types.CodeType, enabled: bool) -> None:
        self._set_local(code, self._events.LINE | self._events.JUMP, enabled)
        if enabled:
            # Lines of this code may have been disabled (DISABLE) before it held this breakpoint.
            self._mon.restart_events()

    def watch_starts(self, code: types.CodeType, enabled: bool) -> None:
        self._set_local(code, self._events.PY_START, enabled)

    def _apply_global(self) -> None:
        ev = self._events
        flags = (ev.LINE | ev.JUMP if self._global_lines else 0) | (ev.RAISE if self._raises else 0)
        if self.tool >= 0:
            self._mon.set_events(self.tool, flags)

    def set_global(self, enabled: bool) -> None:
        with self._lock:
            if enabled != self._global_lines:
                self._global_lines = enabled
                self._apply_global()
                if enabled:
                    # Stepping must see every line, including ones disabled while running.
                    self._mon.restart_events()

    def set_exceptions(self, raised: bool) -> None:
        with self._lock:
            self._raises = raised
            self._apply_global()
