"""The agent: the runtime's one thread that talks to the debug adapter.

It reads requests, answers them, and forwards events from the debugger.  It is never traced (its
code is the runtime's own, which the backends skip) and never runs user code itself: anything
that might call a ``__repr__`` goes to a parked user thread with a timeout.  It never holds a lock
while it waits on the socket.

"""

from __future__ import annotations

import _thread
import os
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeGuard, cast

from ..debugger.core import Debugger
from ..user_code import start_runtime_thread
from ..objectmodel import ownership
from ..views import data_targets, evaluate, model_views, parallel, stacks, variables
from ..views.variables import Handles, Scope
from ..world import freezing
from ..world.parked_calls import EvalTimeout, run_on
from ..world.threads import ThreadState
from . import protocol
from . import secretfile
from .connection import Connection, accept_authenticated, debug, log
from .protocol import RuntimeOptions

Result = tuple[dict[str, Any], Callable[[], None] | None]


class Flag:
    """A one-way event on a raw ``_thread`` lock (the race detector patches threading.Event)."""

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self._lock.acquire()
        self._set = False

    def set(self) -> None:
        if not self._set:
            self._set = True
            try:
                self._lock.release()
            except RuntimeError:
                pass

    def is_set(self) -> bool:
        return self._set

    def wait(self) -> None:
        with self._lock:
            pass


class RequestError(Exception):
    """A request the runtime cannot honour; the message goes to the user.

    ``after``, when given, runs once the error reply has been queued (as a request's own
    ``after`` does once its response has).
    """

    def __init__(self, message: str, after: Callable[[], None] | None = None) -> None:
        super().__init__(message)
        self.after = after


#: Checks and completes the launch options ``initialize`` brought; ValueError says what is wrong.
LaunchCheck = Callable[[RuntimeOptions], RuntimeOptions]


class Agent:
    def __init__(self, conn: Connection | None, server: socket.socket | None = None, token: str = "",
                 terminate_on_disconnect: bool = True, options: RuntimeOptions | None = None,
                 accept_launch: LaunchCheck | None = None) -> None:
        self.conn = conn
        self.server = server
        self.token = token
        self.terminate_on_disconnect = terminate_on_disconnect
        self.handles = Handles()
        self.debugger = Debugger(self.send_event, self.handles.clear)
        self.configured = Flag()
        #: The launch options: the command line's until ``initialize`` brings the adapter's.
        self.options = options if options is not None else RuntimeOptions()
        #: Set when a launch waits for ``initialize`` to say what to run (``--connect``): it
        #: checks the options (`LaunchCheck`), and `initialized` lets the launcher go on.
        self._accept_launch = accept_launch
        self.initialized = Flag()
        #: Why the launch options were refused (then nothing runs), or None.
        self.launch_error: str | None = None
        self.process_info: dict[str, Any] = {}

    def start(self) -> None:
        main = threading.main_thread()
        self.debugger.world.threads.state_for(main.ident or 0, main)  # the main thread is thread 1
        self.debugger.install()
        start_runtime_thread(self._serve_forever)
        variables.WATCHDOG.start()

    def describe(self, program: str | None) -> None:
        """Fill in `process_info` (the ``process`` event and the ``initialize`` response)."""
        self.process_info = describe_process(program)
        self.process_info["backend"] = self.debugger.backend.name

    def announce(self) -> None:
        """What an adapter is told as soon as it is connected: the process, and (in the Debug
        Console) which tracing backend runs and why the other was not chosen."""
        if self.process_info:
            self.send_event("process", self.process_info)
        self.send_event("output", {"category": "console", "output": self.debugger.backend_choice.describe() + "\n"})

    def send_event(self, event: str, body: dict[str, Any]) -> None:
        conn = self.conn
        if conn is not None:
            conn.send({"type": "event", "event": event, "body": body})

    # The loop.

    def _serve_forever(self) -> None:
        while True:
            if self.conn is None:
                if self.server is None:
                    return
                try:
                    self.conn = accept_authenticated(self.server, self.token)
                except OSError:
                    return
                self.debugger.install()  # again, if an earlier adapter detached
                self.announce()
            conn = self.conn
            while True:
                try:
                    for message in conn.messages():
                        if message.get("type") == "request":
                            self._handle(conn, message)
                    break
                except Exception as exc:  # a line the decoder choked on (RecursionError): skip it, read on
                    log(f"ignoring a message from the adapter that could not be decoded ({type(exc).__name__})")
            # The adapter went away.
            conn.close()
            self.conn = None
            if self.terminate_on_disconnect:
                log("the debug adapter went away; ending the program")
                os._exit(1)
            self.debugger.uninstall()
            self.configured.set()

    def _handle(self, conn: Connection, message: dict[str, Any]) -> None:
        command = message.get("command")
        seq = message.get("seq")
        args: object = message.get("arguments") or {}
        reply: dict[str, Any] = {"type": "response", "request_seq": seq, "command": command}
        after: Callable[[], None] | None = None
        try:
            if command not in protocol.COMMANDS or not _is_object(args):
                raise RequestError(f"unknown request {command!r}")
            body, after = getattr(self, "_" + str(command))(args)
            reply.update(success=True, body=body)
        except RequestError as exc:
            reply.update(success=False, message=str(exc))
            after = exc.after
        except EvalTimeout as exc:
            reply.update(success=False, message=str(exc))
        except BaseException as exc:  # noqa: BLE001 - user code raised (SystemExit and KeyboardInterrupt too), or a bad argument: report, never die
            reply.update(success=False, message=_error_message(exc))
        conn.send(reply)
        if after is not None:
            after()

    # Helpers.

    def _thread(self, args: dict[str, Any]) -> ThreadState:
        ts = self.debugger.world.threads.by_id(int(args.get("threadId", 0)))
        if ts is None:
            raise RequestError(f"no thread with id {args.get('threadId')!r}")
        return ts

    def _stopped_thread(self, args: dict[str, Any]) -> ThreadState:
        ts = self._thread(args)
        if not ts.parked:
            raise RequestError(f"thread {ts.name!r} is not stopped")
        return ts

    def _frame(self, args: dict[str, Any]) -> tuple[ThreadState | None, Any]:
        fid = args.get("frameId")
        if fid is None:
            stop = self.debugger.world.current_stop
            ts = stop.thread if stop is not None else None
            return ts, ts.frame if ts is not None else None
        found = self.handles.frame(int(fid))
        if found is None:
            raise RequestError(f"no frame with id {fid!r} (frames are valid only while stopped)")
        return found[0], found[1]

    def _require_stopped(self) -> None:
        if not self.debugger.world.stop_requested:
            raise RequestError("the program is running; pause it first")

    def _run_user(self, ts: ThreadState | None, fn: Callable[[], Any]) -> Any:
        self._require_stopped()
        return run_on(self.debugger.world, ts, fn, evaluate.EVAL_TIMEOUT)

    # Requests.

    def _initialize(self, args: dict[str, Any]) -> Result:
        wire = dict(_object(args.get("options")))
        if "justMyCode" in args and "justMyCode" not in wire:
            wire["justMyCode"] = args["justMyCode"]  # adapters from before RuntimeOptions
        check = self._accept_launch
        if check is not None:
            # The launch waits for these options to know what to run.
            self._accept_launch = None
            try:
                self.options = check(self.options.updated(wire, _unknown_option))
            except ValueError as exc:
                self.launch_error = str(exc)
                # The launcher gives up once the refusal is on its way to the adapter.
                raise RequestError(str(exc), after=self.initialized.set) from None
            self.describe(self.options.program or self.options.module)
        else:
            # The program is already running (attach): only what can still change applies.
            late = sorted(k for k in wire if k != "justMyCode")
            if late:
                debug(f"the program is already running; launch options {', '.join(late)} do not apply")
            self.options = self.options.updated({k: v for k, v in wire.items() if k == "justMyCode"})
        self.debugger.just_my_code = self.options.justMyCode
        self.debugger.world.enabled = True
        # The launcher goes on (and announces the process) once the response is on its way.
        return dict(self.process_info), self.initialized.set

    def _setBreakpoints(self, args: dict[str, Any]) -> Result:
        path = _object(args.get("source")).get("path")
        if not isinstance(path, str):
            raise RequestError("setBreakpoints needs source.path")
        specs = _objects(args.get("breakpoints"))
        bps = self.debugger.breakpoints.set_file(path, specs)
        return {"breakpoints": [bp.to_dap() for bp in bps]}, None

    def _setFunctionBreakpoints(self, args: dict[str, Any]) -> Result:
        specs = _objects(args.get("breakpoints"))
        fbps = self.debugger.breakpoints.set_functions(specs)
        return {"breakpoints": [f.to_dap() for f in fbps]}, None

    def _setExceptionBreakpoints(self, args: dict[str, Any]) -> Result:
        filters = [f for f in _list(args.get("filters")) if isinstance(f, str)]
        self.debugger.set_exception_filters(filters)
        return {"breakpoints": [{"verified": True} for _ in filters]}, None

    def _dataBreakpointInfo(self, args: dict[str, Any]) -> Result:
        """Can the row ``name`` of ``variablesReference`` be watched (debugger/databreakpoints.py)?"""
        db = self.debugger.data_breakpoints
        item = self.handles.get(int(args.get("variablesReference") or 0))
        name = args.get("name")
        if item is None or not isinstance(name, str):
            return db.describe(None, "only a row of the Variables pane can be watched"), None
        owner = self._owner(item)
        spec, why = self._run_user(owner, lambda: data_targets.target_for(item, name))
        target = db.make_target(spec[0], spec[1], spec[2], spec[3], owner) if spec is not None else None
        return db.describe(target, why), None

    def _setDataBreakpoints(self, args: dict[str, Any]) -> Result:
        specs = _objects(args.get("breakpoints"))
        return {"breakpoints": self.debugger.data_breakpoints.set(specs)}, None

    def _configurationDone(self, args: dict[str, Any]) -> Result:
        return {}, self.configured.set

    def _continue(self, args: dict[str, Any]) -> Result:
        if args.get("singleThread"):
            ts = self._stopped_thread(args)
            return {"allThreadsContinued": False}, lambda: self.debugger.world.resume_thread(ts)
        return {"allThreadsContinued": not self.debugger.world.frozen}, self.debugger.world.resume_all

    def _pause(self, args: dict[str, Any]) -> Result:
        return {}, self.debugger.pause

    def _stepper(self, kind: str, args: dict[str, Any]) -> Result:
        ts = self._stopped_thread(args)
        single = bool(args.get("singleThread", False))
        return {}, lambda: self.debugger.step(ts, kind, single)

    def _next(self, args: dict[str, Any]) -> Result:
        return self._stepper("over", args)

    def _stepIn(self, args: dict[str, Any]) -> Result:
        return self._stepper("in", args)

    def _stepOut(self, args: dict[str, Any]) -> Result:
        return self._stepper("out", args)

    def _threads(self, args: dict[str, Any]) -> Result:
        return stacks.threads(self.debugger.world), None

    def _stackTrace(self, args: dict[str, Any]) -> Result:
        ts = self._thread(args)
        self._require_stopped()
        body = stacks.stack_trace(self.debugger.world, self.handles, ts, int(args.get("startFrame") or 0),
                                     int(args.get("levels") or 0), self.debugger.just_my_code)
        return body, None

    def _scopes(self, args: dict[str, Any]) -> Result:
        _, frame = self._frame({"frameId": args.get("frameId")})
        return stacks.scopes(self.handles, frame), None

    def _variables(self, args: dict[str, Any]) -> Result:
        item = self.handles.get(int(args.get("variablesReference", 0)))
        if item is None:
            raise RequestError("unknown variablesReference (references are valid only while stopped)")
        if isinstance(item, model_views.VIEW_TYPES):
            # No user code in these: read here, on the agent thread, which owns none of the
            # program's objects (so its references to them are counted as shared, and measured).
            self._require_stopped()
            return {"variables": model_views.children(self.handles, item, self.debugger.world)}, None
        owner = self._owner(item)
        filter_ = args.get("filter") if args.get("filter") in ("indexed", "named") else None
        start, count = int(args.get("start") or 0), int(args.get("count") or 0)
        found = self._run_user(owner, lambda: variables.children(self.handles, item, filter_, start, count))
        return {"variables": found}, None

    def _owner(self, item: Any) -> ThreadState | None:
        if isinstance(item, Scope):
            for ts in self.debugger.world.parked.copy().values():
                if ts.frame is not None:
                    f = ts.frame
                    while f is not None:
                        if f is item.frame:
                            return ts
                        f = f.f_back
        stop = self.debugger.world.current_stop
        return stop.thread if stop is not None else None

    def _setVariable(self, args: dict[str, Any]) -> Result:
        item = self.handles.get(int(args.get("variablesReference", 0)))
        if item is None:
            raise RequestError("unknown variablesReference")
        name, value = args.get("name"), args.get("value")
        if not isinstance(name, str) or not isinstance(value, str):
            raise RequestError("setVariable needs a name and a value")
        ts, frame = self._frame({"frameId": args.get("frameId")}) if args.get("frameId") is not None else (self._owner(item), None)
        body = self._run_user(ts, lambda: evaluate.set_variable(self.handles, item, frame, name, value))
        return body, None

    def _evaluate(self, args: dict[str, Any]) -> Result:
        expression = args.get("expression")
        if not isinstance(expression, str) or not expression.strip():
            raise RequestError("nothing to evaluate")
        ts, frame = self._frame(args)
        context = str(args.get("context") or "repl")
        body = self._run_user(ts, lambda: evaluate.evaluate(self.handles, frame, expression, context))
        return body, None

    def _completions(self, args: dict[str, Any]) -> Result:
        ts, frame = self._frame(args)
        text, column = str(args.get("text") or ""), int(args.get("column") or 1)
        return self._run_user(ts, lambda: evaluate.completions(frame, text, column)), None

    def _ownership(self, args: dict[str, Any]) -> Result:
        """``ownership.snapshot``: live objects per owning thread (only while stopped)."""
        self._require_stopped()
        top = int(args.get("top") or 10)
        return ownership.snapshot(self.debugger.world.threads.names(), top), None

    def _locks(self, args: dict[str, Any]) -> Result:
        """Held tracked locks, waiting threads and deadlocks (only while stopped)."""
        self._require_stopped()
        return model_views.locks_report(self.debugger.world.threads.names()), None

    def _threadStacks(self, args: dict[str, Any]) -> Result:
        """Every thread's stack, grouped by common prefix (Parallel Stacks), in one request."""
        self._require_stopped()
        return parallel.thread_stacks(self.debugger.world, self.debugger.just_my_code), None

    def _parallelEvaluate(self, args: dict[str, Any]) -> Result:
        """One expression in every thread's top user frame (or at ``depth``): Parallel Watch."""
        expression = args.get("expression")
        if not isinstance(expression, str) or not expression.strip():
            raise RequestError("nothing to evaluate")
        self._require_stopped()
        depth = args.get("depth")
        ids = [i for i in _list(args.get("threadIds")) if isinstance(i, int)] if args.get("threadIds") is not None else None
        body = parallel.parallel_evaluate(self.debugger.world, self.handles, expression.strip(),
                                          int(depth) if depth is not None else None, self.debugger.just_my_code,
                                          evaluate.EVAL_TIMEOUT, ids)
        return body, None

    def _freeze(self, args: dict[str, Any]) -> Result:
        """Freeze (``frozen: true``, the default) or thaw a thread: a frozen one stays parked."""
        ts = self._thread(args)
        if args.get("frozen", True):
            freezing.freeze(self.debugger.world, ts)
        else:
            freezing.thaw(self.debugger.world, ts)
        return {"threadId": ts.id, "frozen": freezing.is_frozen(self.debugger.world, ts), "parked": ts.parked}, None

    def _exceptionInfo(self, args: dict[str, Any]) -> Result:
        ts = self._thread(args)
        if ts.exception is None:
            raise RequestError(f"thread {ts.name!r} did not stop on an exception")
        return dict(ts.exception), None

    def _disconnect(self, args: dict[str, Any]) -> Result:
        if args.get("terminateDebuggee"):
            def terminate() -> None:
                if self.conn is not None:
                    self.conn.drain(1.0)
                secretfile.remove_all()  # os._exit skips atexit
                os._exit(0)
            return {}, terminate
        def detach() -> None:
            self.debugger.uninstall()
            self.configured.set()
        return {}, detach


def _error_message(exc: BaseException) -> str:
    """What a request's error response says about what user code (or a bad argument) raised."""
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001 - a user exception's __str__ may raise anything
        text = "<unprintable>"
    message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if isinstance(exc, (SystemExit, KeyboardInterrupt)):
        message += " (raised by the evaluated code; the program goes on: use Stop to end it)"
    return message


def _is_object(value: object) -> TypeGuard[dict[str, Any]]:
    """Is this (decoded JSON) value a JSON object?"""
    return isinstance(value, dict)


def _object(value: object) -> dict[str, Any]:
    """A request argument that should be a JSON object: it, or {} when it is anything else."""
    return value if _is_object(value) else {}


def _list(value: object) -> list[object]:
    """A request argument that should be a JSON array: it, or [] when it is anything else."""
    return cast("list[object]", value) if isinstance(value, list) else []


def _objects(value: object) -> list[dict[str, Any]]:
    """The JSON objects in a request argument that should be an array of them."""
    return [v for v in _list(value) if _is_object(v)]


def _unknown_option(key: str) -> None:
    debug(f"ignoring the launch option {key!r}, which this runtime does not know")


def describe_process(program: str | None) -> dict[str, Any]:
    import sysconfig

    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return {
        "pid": os.getpid(),
        "executable": sys.executable,
        "pythonVersion": sys.version.split()[0],
        "freeThreaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "gilEnabled": bool(is_enabled()) if is_enabled is not None else True,
        "program": program,
    }
