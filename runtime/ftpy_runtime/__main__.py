"""``python -m ftpy_runtime``: run a program under the debugger.

    python -m ftpy_runtime --connect 127.0.0.1:PORT [options] -- program.py [args...]
    python -m ftpy_runtime --connect 127.0.0.1:PORT [options] --module pkg.mod [args...]
    python -m ftpy_runtime --listen PORT [options] program.py [args...]

``--connect`` is what the debug adapter uses when it launches a program: the runtime dials
back and presents the secret from the FTPY_SESSION_TOKEN environment variable.  ``--listen``
is for attaching later: the runtime waits for an adapter that knows the secret, which is taken
from FTPY_SESSION_TOKEN or made up and written to a file only this user can read.

"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
import threading
from typing import Any

from ftpy_runtime import protocol
from ftpy_runtime.connection import connect, log


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
                   help="leave threading.Lock/RLock alone (no Locks view or deadlock reports; no per-acquire cost)")
    p.add_argument("--race-suppressions", metavar="FILE")
    p.add_argument("rest", nargs=argparse.REMAINDER, help="program.py and its arguments")
    ns = p.parse_args(argv)
    rest = list(ns.rest)
    if rest and rest[0] == "--":
        rest = rest[1:]
    if ns.module is None and not rest:
        p.error("give a program to run (or --module NAME)")
    ns.program = None if ns.module else rest[0]
    ns.args = rest if ns.module else rest[1:]
    return ns


def secret_file(port: int) -> str:
    return os.path.join(os.path.expanduser("~"), *protocol_secret_dir(), f"port-{port}.secret")


def protocol_secret_dir() -> tuple[str, ...]:
    return tuple(protocol.SECRET_DIR)


def _write_secret(port: int, token: str) -> str:
    path = secret_file(port)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token)
    return path


def main(argv: list[str]) -> int:
    ns = parse_args(argv)
    token = os.environ.pop(protocol.TOKEN_ENV, "") or ""
    from ftpy_runtime.agent import Agent, describe_process, format_exception_without_runtime

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
        agent = Agent(conn, terminate_on_disconnect=True)
    else:
        if not token:
            token = secrets.token_hex(32)
        server = socket.create_server(("127.0.0.1", ns.listen))
        port = server.getsockname()[1]
        path = _write_secret(port, token)
        log(f"listening on 127.0.0.1:{port} (session secret in {path})")
        agent = Agent(None, server=server, token=token, terminate_on_disconnect=False)

    program = os.path.abspath(ns.program) if ns.program else None
    agent.process_info = describe_process(program or ns.module)
    agent.process_info["backend"] = agent.debugger.backend.name
    agent.start()
    if agent.conn is not None:
        agent.send_event("process", agent.process_info)
    _watch_gil(agent)
    if ns.connect or not ns.no_wait:
        agent.configured.wait()

    race = _start_races(agent, ns, program)
    if race is None and not ns.no_track_locks:
        _track_locks(agent)
    debugger = agent.debugger
    sys.argv = [program or ns.module, *ns.args]
    if ns.stop_on_entry:
        debugger.stop_on_entry()
    code = 0
    try:
        if program is not None:
            from ftpy_runtime.program import run_path

            run_path(program, debugger.registry.register, race.compile_main if race is not None else None)
        else:
            from ftpy_runtime.program import run_module

            run_module(ns.module)
    except SystemExit as exc:
        from ftpy_runtime.program import exit_code_of

        code = exit_code_of(exc)
    except BaseException as exc:  # the program's uncaught exception
        debugger.on_uncaught(exc)
        sys.stderr.write(format_exception_without_runtime(exc))
        code = 1
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
    return code


def _join_threads() -> None:
    """Wait for the program's non-daemon threads, as the interpreter would at exit."""
    me = threading.current_thread()
    for t in threading.enumerate():
        if t is not me and not t.daemon and not t.name.startswith("ftpy-"):
            try:
                t.join()
            except Exception:
                pass


def _watch_gil(agent: Any) -> None:
    """Tell the adapter whether the GIL is on now, and when an import turns it back on."""
    try:
        from ftpy_runtime import gil
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
        from ftpy_runtime import locks

        locks.install()
    except Exception as exc:
        log(f"could not install tracked locks: {exc!r}")


def _start_races(agent: Any, ns: argparse.Namespace, program: str | None) -> Any:
    if not ns.races:
        return None
    try:
        from ftpy_runtime.race import RaceSession  # type: ignore[attr-defined]
    except Exception as exc:
        agent.send_event("output", {"category": "important",
                                    "output": f"Race detection is not available in this runtime ({exc}); running without it.\n"})
        return None
    session = RaceSession(
        # A module's own code is what lies under the working directory, as for `ftpy race -m`;
        # the import hook instruments the module itself as runpy imports it.
        root_dirs=[os.path.dirname(program) if program is not None else os.getcwd()],
        suppressions_path=ns.race_suppressions,
        on_report=lambda report: agent.send_event("race", report),
    )
    session.install()
    return session


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
