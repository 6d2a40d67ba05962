"""The debugger proper: what happens when a traced thread reaches a line, a function or a raise.

The tracing backend calls ``on_line``/``on_jump``/``on_start``/``on_raise`` (the
`tracing.interface.TracingHooks` it was given) from whatever thread is running; the agent calls
the request methods from its own thread.  The two meet in the ``World``
(``world/stopping.py``), which owns parking and resuming.

Order inside ``on_line`` matters: a thread first parks if a stop is under way, and only after it
is let go does it look at its own step and breakpoint.  So when two threads reach a breakpoint
together, one stops the world and the other reports its own hit after the next ``continue``:
every hit is reported exactly once.  A hit held back like that is checked again against the
breakpoints as they are after the ``continue``: one the user removed (or changed so that it no
longer applies) while the world was stopped is not reported.

"""

from __future__ import annotations

import threading
import traceback
import types
from collections.abc import Callable
from typing import Any, cast

from ..objectmodel import locks
from ..objectmodel.lookups import get_shared
from ..tracing.interface import Backend
from ..tracing.selection import Choice, make_backend
from ..user_code import is_internal, is_user
from ..world.stopping import StopInfo, World
from ..world.threads import Step, ThreadState
from .breakpoints import Breakpoint, BreakpointTable, format_log_message
from .code_registry import CodeRegistry
from .databreakpoints import DataBreakpoints
from .stepping import step_finished, thread_ending

_BORING_EXCEPTIONS = (StopIteration, StopAsyncIteration, GeneratorExit)


class Debugger:
    def __init__(self, send_event: Callable[[str, dict[str, Any]], None], on_resumed: Callable[[], None]) -> None:
        self.send_event = send_event
        self.just_my_code = True
        self.exception_filters: frozenset[str] = frozenset()
        self.registry = CodeRegistry()
        backend, choice = make_backend(self)
        self.backend: Backend = backend
        #: Which backend was chosen, and why the others were not (told to the Debug Console).
        self.backend_choice: Choice = choice
        self.world = World(self.backend.set_global, self._report_stop, on_resumed)
        #: The thread table, read on the tracing hot path with one ``dict.get``.
        self._states = self.world.threads.by_ident
        self.world.threads.on_change = lambda reason, ts: self.send_event("thread", {"reason": reason, "threadId": ts.id})
        self.breakpoints = BreakpointTable(self.registry, self.backend, self._breakpoint_changed)
        #: Data breakpoints (``debugger/databreakpoints.py``): their own sys.monitoring tool, on
        #: only while one is set.
        self.data_breakpoints = DataBreakpoints(self.registry, self.world.threads, self.stop, send_event,
                                                lambda: self.just_my_code)
        #: The deadlocks already reported this session (see `_deadlock_key`), on the coordinator.
        self._reported_deadlocks: set[tuple[frozenset[int], frozenset[Any]]] = set()
        #: The ``threading.excepthook`` that `install` replaced (called on after ours).
        self._orig_thread_excepthook: Callable[[threading.ExceptHookArgs], object] = threading.excepthook
        self.installed = False

    def install(self) -> None:
        """Start debugging: the tracing backend, the import hook, the thread excepthook.

        Again after `uninstall` (a detach, then another adapter attaches) it starts again.
        """
        if self.installed:
            return
        self.world.start()
        self.world.enabled = True
        self.registry.install_import_hook()
        self.backend.install()
        self._orig_thread_excepthook = threading.excepthook
        threading.excepthook = self._thread_excepthook
        self.installed = True

    def uninstall(self) -> None:
        """Stop debugging and leave no hook behind (a detach): breakpoints, steps and stops are
        dropped, parked threads let go, and the backend, the import hook and the thread
        excepthook are taken out again.  The program runs on as if never debugged."""
        self.breakpoints.clear()
        self.data_breakpoints.clear()
        self.exception_filters = frozenset()
        self.backend.set_exceptions(False)
        self.world.clear_all()
        self._reported_deadlocks = set()
        if not self.installed:
            return
        self.installed = False
        self.backend.uninstall()
        self.registry.uninstall_import_hook()
        if threading.excepthook == self._thread_excepthook:
            # (A hook the program set since stays; ours, if that one still calls it, does nothing now.)
            threading.excepthook = self._orig_thread_excepthook

    # Events from the backend.  These run on user threads.

    def on_line(self, frame: types.FrameType, line: int) -> bool:
        """A thread reached a new line.  Returns True when this line never needs to call back
        again (no breakpoint on it, nothing stopping or stepping): the backend may disable it."""
        world = self.world
        ident = threading.get_ident()
        ts = self._states.get(ident)
        if ts is not None and ts.parked:
            return False  # debugger work (an evaluation) on a parked thread: never traced
        if world.stop_requested and ident != world.exempt and not world.threads.is_internal_ident(ident):
            world.park(world.threads.current(), frame)
            ts = self._states.get(ident)
        if ts is not None and ts.step is not None:
            if step_finished(ts.step, frame, self.just_my_code):
                reason = "entry" if ts.step.kind == "entry" else "step"
                self.stop(ts, frame, StopInfo(reason, ts))
            elif ident == world.exempt and thread_ending(frame):
                self._step_ran_out(ts, frame)
            return False
        # get_shared: the agent stored these keys (objectmodel/lookups.py says why not .get).
        table = get_shared(self.breakpoints.line_map, id(frame.f_code))
        if table is not None:
            bp = get_shared(table, line)
            if bp is not None:
                self._line_breakpoint(bp, frame)
                return False
        return not (world.stop_requested or self.backend.global_lines)

    def on_jump(self, frame: types.FrameType) -> bool:
        """A jump while pausing or in watched code: park if a stop is requested.  Returns True
        when this jump never needs to call back again (nothing is stopping or stepping)."""
        world = self.world
        ident = threading.get_ident()
        if world.stop_requested and ident != world.exempt and not world.threads.is_internal_ident(ident):
            ts = self._states.get(ident)
            if ts is None or not ts.parked:
                world.park(world.threads.current(), frame)
            return False
        return not self.backend.global_lines

    def on_start(self, frame: types.FrameType) -> None:
        fbp = get_shared(self.breakpoints.start_map, id(frame.f_code))
        if fbp is None or self._busy_parked():
            return
        if fbp.condition and not self._condition(fbp.condition, fbp.compiled, frame):
            return
        hits = fbp.count_hit()
        if fbp.hit_condition is not None and not fbp.hit_condition.matches(hits):
            return
        ts = self.world.threads.current()

        def still_wanted() -> StopInfo | None:
            # Removed or replaced while this hit waited: drop it (a replacement counts its own hits).
            return info if self.breakpoints.start_map.get(id(frame.f_code)) is fbp else None

        info = StopInfo("function breakpoint", ts, hit_ids=[fbp.id],
                        description=f"Paused on function breakpoint {fbp.name}")
        self.stop(ts, frame, info, recheck=still_wanted)

    def on_raise(self, frame: types.FrameType, exc: BaseException) -> None:
        if "raised" not in self.exception_filters or isinstance(exc, _BORING_EXCEPTIONS) or self._busy_parked():
            return
        if not is_user(frame.f_code.co_filename, self.just_my_code):
            return
        ts = self.world.threads.current()
        if ts.last_raised is exc:
            return  # the same exception propagating into the next user frame: reported already
        ts.last_raised = exc
        ts.exception = self._exception_info(exc, "always")
        self.stop(ts, frame, StopInfo("exception", ts, description=f"Paused on {type(exc).__name__}",
                                      text=self._exc_text(exc)))

    def on_uncaught(self, exc: BaseException) -> None:
        """An exception is about to end a thread or the program: stop at the place it was raised."""
        if "uncaught" not in self.exception_filters or isinstance(exc, SystemExit):
            return
        tb = exc.__traceback__
        stack: list[tuple[types.FrameType, int]] = []
        while tb is not None:
            if not is_internal(tb.tb_frame.f_code.co_filename):
                stack.append((tb.tb_frame, tb.tb_lineno))
            tb = tb.tb_next
        stack.reverse()
        if not any(is_user(f.f_code.co_filename, self.just_my_code) for f, _ in stack):
            return
        ts = self.world.threads.current()
        ts.exception = self._exception_info(exc, "unhandled")
        info = StopInfo("exception", ts, description=f"Uncaught {type(exc).__name__}", text=self._exc_text(exc))
        self.stop(ts, stack[0][0], info, stack_override=stack)

    def _busy_parked(self) -> bool:
        """Is this thread parked and running debugger work (so its events must be ignored)?"""
        ts = self._states.get(threading.get_ident())
        return ts is not None and ts.parked

    def _thread_excepthook(self, args: Any) -> None:
        if args.exc_value is not None:
            try:
                self.on_uncaught(args.exc_value)
            except Exception:
                pass
        self._orig_thread_excepthook(args)

    # Stopping.

    def stop(self, ts: ThreadState, frame: types.FrameType, info: StopInfo,
             stack_override: list[tuple[types.FrameType, int]] | None = None,
             recheck: Callable[[], StopInfo | None] | None = None) -> None:
        """Stop the world with this thread as the reason, and park until resumed.

        If another stop is under way, this thread parks in it first and tries again once resumed.
        The world may have changed meanwhile: ``recheck`` (when given) then says what to report
        now, or None when the stop no longer applies (its breakpoint was removed).
        """
        world = self.world
        while not world.request_stop(ts, info):
            world.park(ts, frame)
            if recheck is not None:
                again = recheck()
                if again is None:
                    return
                info = again
        world.park(ts, frame, stack_override)

    def pause(self) -> None:
        self.world.request_stop(None, StopInfo("pause", None, description="Paused"))

    def _report_stop(self, info: StopInfo) -> None:
        body: dict[str, Any] = {
            "reason": info.reason,
            "threadId": info.thread.id if info.thread is not None else 1,
            "allThreadsStopped": True,
        }
        description = info.description
        for report in self._deadlocks():
            key = self._deadlock_key(report)
            if key not in self._reported_deadlocks:
                # Each deadlock is announced once; the pause description names it every time.
                self._reported_deadlocks.add(key)
                self.send_event("output", {"category": "important", "output": report["text"] + "\n"})
                self.send_event("deadlock", report)
            if info.reason == "pause":
                who = " and ".join(f"'{t['name']}'" for t in report["threads"])
                description = f"Paused: potential deadlock ({report['kind']}) between {who}"
        if description:
            body["description"] = description
        if info.text:
            body["text"] = info.text
        if info.hit_ids:
            body["hitBreakpointIds"] = info.hit_ids
        self.send_event("stopped", body)

    @staticmethod
    def _deadlock_key(report: dict[str, Any]) -> tuple[frozenset[int], frozenset[Any]]:
        """What makes a deadlock the same one: the threads in the cycle and the locks they wait for."""
        threads = frozenset(int(t.get("id", 0)) for t in report.get("threads", []))
        locks_waited: list[object] = list(report.get("locks", []))
        lock_ids = frozenset(cast("dict[str, object]", lock).get("id") for lock in locks_waited if isinstance(lock, dict))
        return threads, lock_ids

    def _deadlocks(self) -> list[dict[str, Any]]:
        """Deadlocks among tracked locks, checked on every stop (cheap unless a thread waits)."""
        try:
            return locks.current_deadlocks(self.world.threads.names())
        except Exception as exc:  # never let the check cost the user the stop itself
            self.send_event("output", {"category": "console", "output": f"ftpy: the deadlock check failed: {exc!r}\n"})
            return []

    # Breakpoints.

    def _line_breakpoint(self, bp: Breakpoint, frame: types.FrameType) -> None:
        ts = self.world.threads.current()
        info = self._line_hit(ts, bp, frame)
        if info is None:
            return

        def still_wanted() -> StopInfo | None:
            # This hit waited out another thread's stop: report it only if its breakpoint is
            # still set.  One set anew in its place (a new id, maybe a new condition) judges the
            # hit afresh; a removed one drops it.
            nonlocal bp, info
            table = self.breakpoints.line_map.get(id(frame.f_code))
            now = table.get(bp.line) if table is not None else None
            if now is None:
                return None
            if now is not bp:
                bp = now
                again = self._line_hit(ts, now, frame)
                if again is None:
                    return None
                info = again
            return info

        self.stop(ts, frame, info, recheck=still_wanted)

    def _line_hit(self, ts: ThreadState, bp: Breakpoint, frame: types.FrameType) -> StopInfo | None:
        """Count a hit of ``bp``: the stop to make, or None (condition false, hit count not
        reached, or a logpoint, which logs here)."""
        if bp.condition and not self._condition(bp.condition, bp.compiled, frame):
            return None
        hits = bp.count_hit()
        if bp.hit_condition is not None and not bp.hit_condition.matches(hits):
            return None
        if bp.log_message is not None:
            text = format_log_message(bp.log_message, lambda expr: self._log_value(expr, frame))
            self.send_event("output", {
                "category": "console", "output": text + "\n",
                "source": {"path": bp.path}, "line": bp.line,
            })
            return None
        return StopInfo("breakpoint", ts, hit_ids=[bp.id])

    def _condition(self, expr: str, compiled: types.CodeType | None, frame: types.FrameType) -> bool:
        try:
            return bool(eval(compiled if compiled is not None else expr, frame.f_globals, frame.f_locals))
        except Exception as exc:
            self.send_event("output", {
                "category": "console",
                "output": f"Breakpoint condition {expr!r} raised {type(exc).__name__}: {exc}; stopping.\n",
            })
            return True

    @staticmethod
    def _log_value(expr: str, frame: types.FrameType) -> str:
        try:
            value = eval(expr, frame.f_globals, frame.f_locals)
        except Exception as exc:
            return f"<{type(exc).__name__}: {exc}>"
        try:
            return str(value)
        except Exception as exc:
            return f"<str() failed: {type(exc).__name__}>"

    def _breakpoint_changed(self, bp: Breakpoint) -> None:
        self.send_event("breakpoint", {"reason": "changed", "breakpoint": bp.to_dap()})

    def set_exception_filters(self, filters: list[str]) -> None:
        self.exception_filters = frozenset(f for f in filters if f in ("raised", "uncaught"))
        self.backend.set_exceptions("raised" in self.exception_filters)

    # Stepping.

    def _step_ran_out(self, ts: ThreadState, frame: types.FrameType) -> None:
        """A single-thread step left the thread's last frame: the thread is ending, and no user
        line will ever finish the step.  The others are still parked, so stop again (reporting
        one of them, since the ending thread has no code of the user's to show) rather than
        leave the client thinking the program runs."""
        others = sorted((t for t in list(self.world.parked.values()) if t is not ts), key=lambda t: t.id)
        if ts.ident == threading.main_thread().ident:
            # The program's end: it waits only for non-daemon threads.  If none is parked, it
            # simply exits, and the end of the session says so.
            others = [t for t in others if t.thread is not None and not t.thread.daemon]
        if not others:
            return  # nobody else is stopped: the thread simply runs on (to its end)
        shown = next((t for t in others if t.frame is not None and is_user(t.frame.f_code.co_filename, self.just_my_code)),
                     others[0])
        self.stop(ts, frame, StopInfo("step", shown,
                                      description=f"Paused: the stepped thread '{ts.name}' left its last frame"))

    def step(self, ts: ThreadState, kind: str, single_thread: bool) -> None:
        self.world.resume_for_step(ts, Step(kind, ts.frame), single_thread)

    def stop_on_entry(self) -> None:
        """Make the main thread stop at the first user line it runs."""
        ts = self.world.threads.current()
        ts.step = Step("entry", None)
        self.backend.set_global(True)

    # Exception details.

    @staticmethod
    def _exc_text(exc: BaseException) -> str:
        try:
            return f"{type(exc).__name__}: {exc}"
        except Exception:
            return type(exc).__name__

    def _exception_info(self, exc: BaseException, mode: str) -> dict[str, Any]:
        try:
            message = str(exc)
        except Exception:
            message = "<str() failed>"
        try:
            formatted = "".join(traceback.format_exception(exc))
        except Exception:
            formatted = ""
        return {
            "exceptionId": f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins."),
            "description": message,
            "breakMode": mode,
            "details": {"message": message, "typeName": type(exc).__qualname__,
                        "fullTypeName": f"{type(exc).__module__}.{type(exc).__qualname__}",
                        "stackTrace": formatted},
        }
