"""Child processes (``subProcess: true``): each child Python process gets the runtime and
becomes a child session of the one that launched the program.

How a child is found and debugged:

* The adapter starts the program with ``FTPY_CHILD_LISTENER`` (where its child listener is,
  and that listener's own secret) and ``bootstrap/`` first on ``PYTHONPATH``.  The launcher
  (`follow_children`) moves the address to ``FTPY_SUBPROCESS``, which every descendant
  inherits, so the top process itself is never taken for a child.
* A child that *starts a new interpreter* (multiprocessing's spawn and forkserver, a
  ``ProcessPoolExecutor`` with those, ``subprocess.run([sys.executable, ...])``) imports
  ``bootstrap/sitecustomize.py`` at start-up, which calls `start_from_site` (and then the
  user's own ``sitecustomize``, if there is one).
* A child made by a plain ``os.fork`` (multiprocessing's fork start method) inherits a copy of
  the parent's runtime whose agent thread and socket are not its own: `_after_fork` drops that
  copy (without touching the parent's socket) and starts a fresh runtime.
* Either way the child's runtime listens on a loopback port with a new secret, dials the
  adapter's child listener (the usual authenticated handshake, `connection.connect`), and
  sends one ``process`` event whose body carries ``child``: the port and secret.  The adapter
  asks the client for a child session (DAP ``startDebugging``), which attaches to that port;
  the child waits (up to `ATTACH_TIMEOUT`) until that session's ``configurationDone``, so its
  breakpoints are set before the child's own code runs.  If the adapter declines (a
  ``disconnect`` request on the announce connection) or nobody attaches in time, the runtime
  leaves and the child runs on undebugged, saying so.
* A Python that cannot run the runtime (older than 3.12) announces itself as unsupported, and
  the adapter says so in the Debug Console; the child runs undisturbed.

Plain-fork children when ``subProcess`` is off still get `_after_fork`: the inherited runtime
is dropped (it could never report a stop: its agent thread did not survive the fork, so a
breakpoint would park the child for good) and the child runs on with a note on stderr.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

#: Set by the adapter for the program it launches (JSON: host, port, token).
LISTENER_ENV = "FTPY_CHILD_LISTENER"
#: What every descendant inherits (JSON: host, port, token, justMyCode, trackLocks).
CHILD_ENV = "FTPY_SUBPROCESS"
#: How long a child waits for its session to be configured before it runs on undebugged.
ATTACH_TIMEOUT = 30.0
#: The oldest Python the runtime runs on.
MIN_VERSION = (3, 12)

#: The runtime of this process (the agent), once there is one; read by `_after_fork`.
_current: Any = None
_fork_hook_installed = False


def log(message: str) -> None:
    stderr = sys.__stderr__
    if stderr is None:
        return
    try:
        stderr.write(f"ftpy: {message}\n")
        stderr.flush()
    except Exception:
        pass


def bootstrap_dir() -> str:
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap")


def _spec() -> dict[str, Any] | None:
    raw = os.environ.get(CHILD_ENV)
    if not raw:
        return None
    try:
        spec: object = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(spec, dict):
        return None
    return spec  # pyright: ignore[reportUnknownVariableType]  # checked where used


def _build() -> str:
    import sysconfig

    version = sys.version.split()[0]
    free = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    return f"Python {version} ({'free-threaded' if free else 'with the GIL'})"


# The top process.


def follow_children(agent: Any, options: Any) -> None:
    """In the launched program: hand the child listener's address to every descendant, and
    watch for children the debugger cannot follow.  Always: make a plain fork safe."""
    global _current
    _current = agent
    raw = os.environ.pop(LISTENER_ENV, None)
    if raw:
        try:
            spec = json.loads(raw)
            spec["justMyCode"] = bool(options.justMyCode)
            spec["trackLocks"] = bool(options.trackLocks) and not bool(options.races)
            os.environ[CHILD_ENV] = json.dumps(spec)
        except (ValueError, TypeError, KeyError) as exc:
            log(f"ignoring a malformed {LISTENER_ENV} ({exc})")
        _watch_popen(agent)
    _install_fork_hook()


# A child that started a new interpreter.


def start_from_site() -> None:
    """Called by ``bootstrap/sitecustomize.py`` in every new interpreter below the program."""
    spec = _spec()
    if spec is None:
        return
    if sys.version_info < MIN_VERSION:
        _announce_unsupported(spec, f"the debugger's runtime needs Python {MIN_VERSION[0]}.{MIN_VERSION[1]} or newer")
        return
    argv = " ".join(getattr(sys, "orig_argv", []))
    if "multiprocessing.resource_tracker" in argv:
        return  # multiprocessing's bookkeeping process: nothing of the user's runs there
    if "multiprocessing.forkserver" in argv:
        # The fork server only forks the workers: each of those becomes a session (`_after_fork`).
        _install_fork_hook()
        return
    try:
        start(spec, program=_program_name())
    except Exception as exc:
        log(f"could not start the debugger in child process {os.getpid()}: {exc!r}; it runs undebugged")


def _program_name() -> str | None:
    argv = list(getattr(sys, "orig_argv", []))[1:]
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "-c":
            return "-c " + (argv[i + 1][:60] if i + 1 < len(argv) else "")
        if a == "-m":
            return argv[i + 1] if i + 1 < len(argv) else None
        if a.startswith("-"):
            i += 1
            continue
        return os.path.abspath(a)
    return None


def _announce_unsupported(spec: dict[str, Any], reason: str) -> None:
    try:
        from ..agent.connection import connect

        conn = connect(str(spec["host"]), int(spec["port"]), str(spec["token"]))
        conn.send({"type": "event", "event": "process", "body": {
            "pid": os.getpid(), "executable": sys.executable, "program": _program_name(),
            "child": {"supported": False, "reason": reason, "build": _build(), "ppid": os.getppid()}}})
        conn.drain(2.0)
        conn.close()
    except Exception as exc:
        log(f"child process {os.getpid()} ({_build()}) runs without the debugger: {reason} ({exc!r})")


# Starting the runtime in a child.


def start(spec: dict[str, Any], program: str | None) -> bool:
    """Start a runtime in this (child) process, announce it, and wait until its session is
    configured.  False when it runs on undebugged (declined, or nobody came in time)."""
    global _current
    import secrets
    import socket

    from ..agent.agent import Agent
    from ..agent.connection import connect
    from ..agent.protocol import RuntimeOptions
    from ..user_code import start_runtime_thread

    token = secrets.token_hex(32)
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    options = RuntimeOptions(justMyCode=bool(spec.get("justMyCode", True)), trackLocks=bool(spec.get("trackLocks", True)))
    agent = Agent(None, server=server, token=token, terminate_on_disconnect=False, options=options)
    agent.describe(program)
    agent.start()
    _current = agent
    declined: list[bool] = []  # a plain flag: the program's threading may be patched later
    try:
        announce = connect(str(spec["host"]), int(spec["port"]), str(spec["token"]))
    except (OSError, ValueError, ConnectionError) as exc:
        log(f"child process {os.getpid()} could not reach the debug adapter ({exc}); it runs undebugged")
        _leave(agent, server)
        return False
    body = dict(agent.process_info)
    body["child"] = {"supported": True, "port": port, "secret": token, "ppid": os.getppid(), "build": _build()}
    announce.send({"type": "event", "event": "process", "body": body})

    def listen() -> None:
        for message in announce.messages():
            if message.get("type") == "request":
                announce.send({"type": "response", "request_seq": message.get("seq"), "command": message.get("command"),
                               "success": True, "body": {}})
                if message.get("command") == "disconnect":
                    announce.drain(1.0)
                    declined.append(True)
                    break
        announce.close()

    start_runtime_thread(listen)
    deadline = time.monotonic() + ATTACH_TIMEOUT
    while not agent.configured.is_set():
        if declined or time.monotonic() > deadline:
            why = "the debug adapter did not start a child session" if declined else \
                f"no child session attached within {ATTACH_TIMEOUT:.0f} s"
            log(f"child process {os.getpid()} runs without the debugger: {why}")
            _leave(agent, server)
            return False
        time.sleep(0.002)
    _after_attach(agent, options)
    return True


def _after_attach(agent: Any, options: Any) -> None:
    try:
        from ..objectmodel import gil

        st = gil.state()
        agent.send_event("gil", {"enabled": bool(st.get("enabled")), "reason": str(st.get("reason", ""))})
        gil.watch(lambda event: agent.send_event("gil", dict(event)))
    except Exception as exc:
        log(f"the GIL watcher failed: {exc!r}")
    if options.trackLocks:
        try:
            from ..objectmodel import locks

            locks.install()
        except Exception as exc:
            log(f"could not install tracked locks: {exc!r}")
    _register_main_code(agent.debugger.registry.register)
    _report_exit(agent)
    _watch_popen(agent)
    _install_fork_hook()


def _leave(agent: Any, server: Any) -> None:
    global _current
    try:
        agent.server = None
        server.close()
        agent.debugger.uninstall()
    except Exception:
        pass
    _current = None


def _register_main_code(register: Callable[[Any], None]) -> None:
    """Tell the code registry about module code the import system does not compile: the
    child's main script (``python child.py``) and multiprocessing's ``__mp_main__`` (runpy).

    A one-shot ``PY_START`` watch on a spare ``sys.monitoring`` tool: each code object calls
    back once (then DISABLE), and only ``<module>`` code of a real file is registered.
    """
    mon: Any = getattr(sys, "monitoring", None)
    if mon is None:
        return
    tool = next((t for t in (5, 4, 3, 2) if mon.get_tool(t) is None), None)
    if tool is None:
        return
    mon.use_tool_id(tool, "ftpy-main-code")
    disable = mon.DISABLE

    def started(code: Any, offset: int) -> Any:
        if code.co_name == "<module>" and code.co_filename.endswith(".py"):
            try:
                register(code)
            except Exception:
                pass
        return disable

    mon.register_callback(tool, mon.events.PY_START, started)
    mon.set_events(tool, mon.events.PY_START)


def _report_exit(agent: Any) -> None:
    """Send ``exited`` when the child ends: at interpreter exit, or in ``os._exit`` (which a
    forked multiprocessing child ends with, skipping ``atexit``).  At interpreter exit the
    status is the last ``sys.exit`` argument (multiprocessing's spawn ends that way), 1 after an
    uncaught exception, else 0; a bare ``raise SystemExit(n)`` is reported as 0."""
    import atexit

    real_exit = os._exit
    real_sys_exit = sys.exit
    real_excepthook = sys.excepthook
    sent: list[bool] = []
    #: The status the interpreter will exit with, as far as we can tell: atexit is not told.
    status: list[int] = [0]

    def exit(code: Any = None) -> None:  # same name as the original, for tracebacks
        status[0] = code if isinstance(code, int) else (0 if code is None else 1)
        real_sys_exit(code)

    def excepthook(*args: Any) -> None:  # an uncaught exception ends the interpreter with status 1
        status[0] = 1
        real_excepthook(*args)

    def report(code: int) -> None:
        if sent or agent.conn is None:
            return
        sent.append(True)
        agent.send_event("exited", {"exitCode": code})
        agent.conn.drain(1.0)

    def _exit(code: int) -> None:  # same name as the original, for tracebacks
        try:
            report(code)
        finally:
            real_exit(code)

    atexit.register(lambda: report(status[0]))
    os._exit = _exit
    sys.exit = exit
    sys.excepthook = excepthook


def _watch_popen(agent: Any) -> None:
    """Say in the Debug Console when the program starts a child the debugger cannot follow:
    one that is not Python, or one started without the debugger's environment."""
    import subprocess

    cls: Any = subprocess.Popen
    if getattr(cls._execute_child, "_ftpy_watch", False):
        return
    original = cls._execute_child

    def _execute_child(self: Any, args: Any, executable: Any, *rest: Any, **kw: Any) -> Any:
        result = original(self, args, executable, *rest, **kw)
        try:
            _note_child(self, args, executable, rest, kw)
        except Exception:
            pass
        return result

    _execute_child._ftpy_watch = True  # type: ignore[attr-defined]  # marks the wrapper
    cls._execute_child = _execute_child
    global _popen_agent
    _popen_agent = agent


_popen_agent: Any = None


def _note_child(popen: Any, args: Any, executable: Any, rest: tuple[Any, ...], kw: dict[str, Any]) -> None:
    import shlex

    agent = _current or _popen_agent
    if agent is None:
        return
    if isinstance(args, (str, bytes)):
        words = shlex.split(os.fsdecode(args))
    else:
        words = [os.fsdecode(a) for a in args]
    # _execute_child(args, executable, preexec_fn, close_fds, pass_fds, cwd, env, startupinfo, creationflags, shell, ...)
    shell = bool(rest[7]) if len(rest) > 7 else False
    exe = os.fsdecode(executable) if executable else (words[0] if words else "")
    env = rest[4] if len(rest) > 4 else None
    name = os.path.basename(exe)
    text = " ".join(words)[:120]
    if shell:
        return  # a shell: whatever Python it starts inherits the environment and announces itself
    if "python" not in name.lower():
        message = f"Child process {popen.pid} (`{text}`) is not Python: it runs without the debugger.\n"
    elif env is not None and CHILD_ENV not in env:
        message = (f"Child process {popen.pid} (`{text}`) was given an environment without {CHILD_ENV}: "
                   "it runs without the debugger.\n")
    else:
        return
    agent.send_event("output", {"category": "console", "output": message})


# A plain fork.


def _install_fork_hook() -> None:
    global _fork_hook_installed
    if _fork_hook_installed:
        return
    _fork_hook_installed = True
    os.register_at_fork(before=_before_fork, after_in_parent=_release_fork_locks, after_in_child=_after_fork)


#: The runtime's locks held across a fork (`_before_fork`), so that the child's copies are free.
_fork_locks: list[Any] = []


def _before_fork() -> None:
    """Hold the thread world's and the backend's locks while the process forks: a copy made
    while another thread (the coordinator, polling) held one would stay locked in the child."""
    agent = _current
    if agent is None:
        return
    for lock in (agent.debugger.world.lock, getattr(agent.debugger.backend, "_lock", None)):
        if lock is not None and lock.acquire(timeout=1.0):
            _fork_locks.append(lock)


def _release_fork_locks() -> None:
    while _fork_locks:
        try:
            _fork_locks.pop().release()
        except RuntimeError:
            pass


def _after_fork() -> None:
    """In a forked child: drop the parent's runtime (its threads did not survive the fork, and
    its socket is the parent's), then start this child's own, or run on undebugged."""
    global _current
    _release_fork_locks()
    old = _current
    _current = None
    if old is not None:
        _abandon(old)
    spec = _spec()
    if spec is None:
        if old is not None:
            log(f"forked child {os.getpid()} runs without the debugger (subProcess is off)")
        return
    if sys.version_info < MIN_VERSION:
        return
    try:
        start(spec, program=f"fork of {os.getppid()}")
    except Exception as exc:
        log(f"could not start the debugger in forked child {os.getpid()}: {exc!r}; it runs undebugged")


def _abandon(agent: Any) -> None:
    """Forget a runtime copied by fork.  Its sockets are closed only in this process (no
    ``shutdown``, which would end the parent's connection too)."""
    conn, server = agent.conn, agent.server
    agent.conn = None
    agent.server = None
    for sock in (getattr(conn, "sock", None), server):
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
    if conn is not None:
        conn.closed = True
    try:
        agent.debugger.uninstall()
    except Exception as exc:
        log(f"forked child {os.getpid()}: could not drop the parent's debugger ({exc!r})")
