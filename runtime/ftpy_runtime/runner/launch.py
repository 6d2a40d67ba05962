"""The launcher: what ``python -m ftpy_runtime`` does to run a program under the debugger.

    python -m ftpy_runtime --connect 127.0.0.1:PORT
    python -m ftpy_runtime --listen PORT [--races] [--race-suppressions FILE] [--no-track-locks]
                                         [--stop-on-entry] [--no-wait] program.py [args...]
    python -m ftpy_runtime --listen PORT [options] --module pkg.mod [args...]

``--connect`` is what the debug adapter uses when it launches a program: the runtime dials
back, presents the secret from the FTPY_SESSION_TOKEN environment variable, and learns what to
run from the ``initialize`` request (``protocol.RuntimeOptions``: program or module, args, cwd,
stopOnEntry, justMyCode, races, raceSuppressions, trackLocks).  ``--listen`` is a person's
command line, for attaching later: the options are flags, the runtime waits for an adapter
that knows the secret, which is taken from FTPY_SESSION_TOKEN or made up and written to a new
file only this user can read, removed at exit (``agent/secretfile.py``).

For a transition period ``--connect`` also accepts the flags and the program on its command
line (what adapters before ``RuntimeOptions`` send); options in ``initialize`` override them.
"""

from __future__ import annotations

import _thread
import argparse
import dataclasses
import os
import secrets
import signal
import socket
import sys
import threading
import time
import types
from typing import Any

from ..agent import protocol
from ..agent.agent import Agent
from ..agent.connection import connect, log
from ..agent.protocol import RuntimeOptions
from ..agent.secretfile import remove_all as remove_secret_files
from ..agent.secretfile import write_secret
from ..user_code import is_internal, is_runtime_thread_name, start_runtime_thread
from ..world.parked_calls import set_async_exc
from . import child
from .program import exit_code_of, format_exception_without_runtime, run_module, run_path


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m ftpy_runtime", description="Run a Python program under the ftpy debugger.")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--connect", metavar="HOST:PORT", help="dial back to a debug adapter")
    where.add_argument("--listen", metavar="PORT", type=int, help="wait for a debug adapter on 127.0.0.1:PORT (0: any free port)")
    p.add_argument("--module", "-m", dest="module", help="run a module as with python -m")
    p.add_argument("--stop-on-entry", action="store_true")
    p.add_argument("--no-wait", action="store_true", help="with --listen: start the program without waiting for an adapter")
    p.add_argument("--races", action="store_true", help="run the race detector")
    p.add_argument("--no-track-locks", action="store_true",
                   help="leave threading.Lock/RLock alone (no Locks view or deadlock reports)")
    p.add_argument("--race-suppressions", metavar="FILE")
    p.add_argument("rest", nargs=argparse.REMAINDER, help="program.py and its arguments")
    ns = p.parse_args(argv)
    rest = list(ns.rest)
    if rest and rest[0] == "--":
        rest = rest[1:]
    if ns.module is None and not rest and ns.connect is None:
        p.error("give a program to run (or --module NAME)")
    ns.program = None if ns.module or not rest else rest[0]
    ns.args = rest if ns.module else rest[1:]
    return ns


def options_from_flags(ns: argparse.Namespace) -> RuntimeOptions:
    """The launch options a command line gives (``--listen``, or an older adapter's ``--connect``)."""
    return RuntimeOptions(
        program=os.path.abspath(ns.program) if ns.program else None,
        module=ns.module,
        args=tuple(ns.args),
        stopOnEntry=bool(ns.stop_on_entry),
        races=bool(ns.races),
        raceSuppressions=ns.race_suppressions,
        trackLocks=not ns.no_track_locks,
    )


def check_launch(options: RuntimeOptions) -> RuntimeOptions:
    """The options ``initialize`` brought, checked: one thing to run, a folder that exists.

    A relative ``program`` is taken relative to ``cwd`` (the adapter sends absolute paths).
    """
    if options.cwd is not None and not os.path.isdir(options.cwd):
        raise ValueError(f"the launch option cwd {options.cwd!r} is not a folder")
    if options.program is not None and options.module is not None:
        raise ValueError("the launch options name both a program and a module: give one")
    if options.program is None and options.module is None:
        raise ValueError("the launch options name nothing to run: give program (or module)")
    if options.program is not None and not os.path.isabs(options.program):
        base = options.cwd if options.cwd is not None else os.getcwd()
        options = dataclasses.replace(options, program=os.path.abspath(os.path.join(base, options.program)))
    return options


def main(argv: list[str]) -> int:
    ns = parse_args(argv)
    token = os.environ.pop(protocol.TOKEN_ENV, "") or ""

    if ns.connect:
        if not token:
            log(f"--connect needs the session secret in {protocol.TOKEN_ENV}")
            return 2
        host, _, port = ns.connect.rpartition(":")
        try:
            conn = connect(host or "127.0.0.1", int(port), token)
        except (OSError, ValueError, ConnectionError) as exc:
            log(f"could not reach the debug adapter at {ns.connect}: {exc}")
            return 2
        # What to run comes with the adapter's ``initialize``.
        agent = Agent(conn, terminate_on_disconnect=True, options=options_from_flags(ns), accept_launch=check_launch)
    else:
        if not token:
            token = secrets.token_hex(32)
        server = socket.create_server(("127.0.0.1", ns.listen))
        port = server.getsockname()[1]
        try:
            path = write_secret(port, token)
        except OSError as exc:
            log(f"cannot leave the session secret for an adapter: {exc}")
            return 2
        log(f"listening on 127.0.0.1:{port} (session secret in {path})")
        agent = Agent(None, server=server, token=token, terminate_on_disconnect=False, options=options_from_flags(ns))
        agent.describe(agent.options.program or agent.options.module)

    agent.start()
    if agent.conn is not None:
        agent.initialized.wait()
        if agent.launch_error is not None:
            log(f"nothing to run: {agent.launch_error}")
            agent.conn.drain(2.0)
            return 2
        agent.announce()
    options = agent.options
    child.follow_children(agent, options)
    if options.cwd is not None:
        os.chdir(options.cwd)
    _watch_gil(agent)
    if ns.connect or not ns.no_wait:
        agent.configured.wait()

    program, module = options.program, options.module
    race = _start_races(agent, options)
    if race is None and options.trackLocks:
        _track_locks(agent)
    debugger = agent.debugger
    sys.argv = [program or module or "", *options.args]
    if options.stopOnEntry:
        debugger.stop_on_entry()
    _defer_sigint_while_stopped(agent)
    code = 0
    try:
        if program is not None:
            run_path(program, debugger.registry.register, race.compile_main if race is not None else None)
        elif module is not None:
            run_module(module)
    except SystemExit as exc:
        code = exit_code_of(exc)
    except BaseException as exc:  # the program's uncaught exception
        debugger.on_uncaught(exc)
        sys.stderr.write(format_exception_without_runtime(exc))
        # As python itself: an uncaught KeyboardInterrupt ends the process as SIGINT would (130).
        code = 128 + signal.SIGINT if isinstance(exc, KeyboardInterrupt) else 1
    _join_threads()
    if race is not None:
        try:
            race.finish()
        except Exception as exc:
            log(f"the race detector failed while finishing: {exc!r}")
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    agent.send_event("exited", {"exitCode": code})
    if agent.conn is not None:
        agent.conn.drain(2.0)
    remove_secret_files()
    return code


def _defer_sigint_while_stopped(agent: Agent) -> None:
    """Ctrl-C (SIGINT) while the program is stopped is held back until it runs again.

    With Python's own handler, a SIGINT that arrives while the main thread is parked at a
    breakpoint raises KeyboardInterrupt inside the debugger's park loop: the program's
    ``except KeyboardInterrupt`` runs behind a UI that still shows it stopped, with the
    runtime's frames in its traceback.  This handler (installed only over Python's default
    one) notes a SIGINT that finds the program stopped, or inside the runtime's own code, and
    raises KeyboardInterrupt in the main thread once the program has resumed, as an
    asynchronous exception, so that it surfaces in the program's own frame.  A SIGINT while
    the program runs its own code is raised at once, as Python's handler would.

    "Resumed" is not enough: the world is running again a moment before the main thread has
    left the park loop (an exception raised then came out of ``inbox.get()``, with the
    runtime's frames).  So the exception is raised once the main thread's innermost frame is
    the program's own.  (Raising it from this handler instead would put the handler's frame
    in the traceback.)
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return  # the program's environment chose another handler: leave it alone
    world = agent.debugger.world
    main_ident = threading.get_ident()
    pending = _thread.allocate_lock()  # held while a deferred SIGINT waits to be delivered

    def main_in_program() -> bool:
        f = sys._current_frames().get(main_ident)  # pyright: ignore[reportPrivateUsage]  # CPython's frame API
        return f is not None and not is_internal(f.f_code.co_filename)

    def deliver_when_running() -> None:
        try:
            while True:
                time.sleep(0.02)
                if not world.stop_requested and main_in_program():
                    break
            set_async_exc(main_ident, KeyboardInterrupt)
        finally:
            pending.release()

    def on_sigint(signum: int, frame: types.FrameType | None) -> None:
        if world.stop_requested or (frame is not None and is_internal(frame.f_code.co_filename)):
            if pending.acquire(blocking=False):
                start_runtime_thread(deliver_when_running)
            return
        signal.default_int_handler(signum, frame)

    signal.signal(signal.SIGINT, on_sigint)


def _join_threads() -> None:
    """Wait for the program's non-daemon threads, as the interpreter would at exit."""
    me = threading.current_thread()
    for t in threading.enumerate():
        if t is not me and not t.daemon and not is_runtime_thread_name(t.name):
            try:
                t.join()
            except Exception:
                pass


def _watch_gil(agent: Any) -> None:
    """Tell the adapter whether the GIL is on now, and when an import turns it back on."""
    try:
        from ..objectmodel import gil
    except Exception:
        is_enabled = getattr(sys, "_is_gil_enabled", None)
        agent.send_event("gil", {"enabled": bool(is_enabled()) if is_enabled else True, "reason": "at startup"})
        return
    try:
        st = gil.state()
        agent.send_event("gil", {"enabled": bool(st.get("enabled")), "reason": str(st.get("reason", ""))})
        gil.watch(lambda event: agent.send_event("gil", dict(event)))
    except Exception as exc:
        log(f"the GIL watcher failed: {exc!r}")


def _track_locks(agent: Any) -> None:
    """Make the program's new locks remember their owner (for the Locks view and deadlocks).

    Only without race detection: the race detector wraps ``threading.Lock`` with its own
    class, whose inner lock would be made here, in the runtime, and so hidden from the view.
    """
    try:
        from ..objectmodel import locks

        locks.install()
    except Exception as exc:
        log(f"could not install tracked locks: {exc!r}")


def _start_races(agent: Agent, options: RuntimeOptions) -> Any:
    if not options.races:
        return None
    program = options.program
    try:
        from ..race import RaceSession
    except Exception as exc:
        agent.send_event("output", {"category": "important",
                                    "output": f"Race detection is not available in this runtime ({exc}); running without it.\n"})
        return None
    session = RaceSession(
        # A module's own code is what lies under the working directory, as for `ftpy race -m`;
        # the import hook instruments the module itself as runpy imports it.
        root_dirs=[os.path.dirname(program) if program is not None else os.getcwd()],
        suppressions_path=options.raceSuppressions,
        on_report=lambda report: agent.send_event("race", report),
    )
    session.install()
    return session
