"""One channel to the runtime: ``--connect`` learns what to run from ``initialize``'s options.

Each test starts the real runtime (``python -m ftpy_runtime --connect``) against a small adapter
written here on a loopback socket: it checks the session secret the way the real adapter does,
sends ``initialize`` with ``{"options": RuntimeOptions}``, then ``configurationDone``, and reads
what the runtime says until the program exits.  The program's own output is checked too: its
argv, its working directory, its locks.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import textwrap
import unittest
from typing import Any

from ftpy_runtime.agent import protocol
from ftpy_runtime.agent.handshake import handshake
from ftpy_runtime.agent.protocol import RuntimeOptions

RUNTIME_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "runtime")
WAIT = 60.0  # generous: the machine may be loaded

SHOW = textwrap.dedent(
    """\
    import json, os, sys, threading
    print(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "lock": type(threading.Lock()).__name__,
                      "rlock": type(threading.RLock()).__name__}))
    """
)


class FakeAdapter:
    """The adapter's side of the runtime protocol, just enough to launch one program."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(WAIT)
        self.port = self.server.getsockname()[1]
        self.token = secrets.token_hex(16)
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.seq = 0
        self.events: list[dict[str, Any]] = []

    def accept(self) -> None:
        self.sock, _ = self.server.accept()
        self.buffer = handshake(self.sock, self.token, listening=True, role="adapter")
        self.sock.settimeout(WAIT)

    def write(self, message: dict[str, Any]) -> None:
        assert self.sock is not None
        self.sock.sendall(protocol.encode(message))

    def read(self) -> dict[str, Any]:
        assert self.sock is not None
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the runtime hung up")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return protocol.decode(line)

    def request(self, command: str, arguments: dict[str, Any]) -> dict[str, Any]:
        self.seq += 1
        self.write({"type": "request", "seq": self.seq, "command": command, "arguments": arguments})
        while True:
            message = self.read()
            if message["type"] == "response" and message["request_seq"] == self.seq:
                return message
            self.events.append(message)

    def event(self, name: str) -> dict[str, Any]:
        """The next event called ``name`` (events seen before it are kept)."""
        for e in self.events:
            if e["event"] == name:
                self.events.remove(e)
                return e
        while True:
            message = self.read()
            if message["type"] == "event" and message["event"] == name:
                return message
            self.events.append(message)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.server.close()


class LaunchOptionsTest(unittest.TestCase):
    def setUp(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="ftpy-options-")
        self.adapter = FakeAdapter()
        self.addCleanup(self.adapter.close)

    def write(self, name: str, source: str) -> str:
        path = os.path.join(self.folder, name)
        with open(path, "w") as f:
            f.write(source)
        return path

    def start(self, *argv: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        full = {**os.environ, "PYTHONPATH": RUNTIME_DIR, protocol.TOKEN_ENV: self.adapter.token, **(env or {})}
        child = subprocess.Popen(
            [sys.executable, "-m", "ftpy_runtime", "--connect", f"127.0.0.1:{self.adapter.port}", *argv],
            env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tempfile.gettempdir(),
        )
        self.addCleanup(lambda: child.poll() is None and child.kill())
        self.adapter.accept()
        return child

    def finish(self, child: subprocess.Popen[str]) -> tuple[int, str, str]:
        exited = self.adapter.event("exited")
        out, err = child.communicate(timeout=WAIT)
        self.assertEqual(child.returncode, exited["body"]["exitCode"])
        return child.returncode, out, err

    def shown(self, out: str) -> dict[str, Any]:
        return json.loads(out.strip().splitlines()[-1])

    def test_the_initialize_options_say_what_to_run(self) -> None:
        program = self.write("show.py", SHOW)
        work = os.path.join(self.folder, "work")
        os.mkdir(work)
        child = self.start()  # no program and no flags on the command line
        options = {"program": program, "args": ["one", "two words"], "cwd": work, "trackLocks": False}
        reply = self.adapter.request("initialize", {"options": options})
        self.assertTrue(reply["success"], reply)
        self.assertEqual(reply["body"]["program"], program, "the ProcessInfo names the program")
        self.assertEqual(reply["body"]["pid"], child.pid)
        self.assertTrue(self.adapter.request("configurationDone", {})["success"])
        code, out, _ = self.finish(child)
        self.assertEqual(code, 0)
        shown = self.shown(out)
        self.assertEqual(shown["argv"], ["one", "two words"])
        self.assertEqual(os.path.realpath(shown["cwd"]), os.path.realpath(work))
        self.assertEqual(shown["lock"], "lock", "trackLocks: false leaves threading.Lock plain")
        self.assertEqual(shown["rlock"], "RLock", "and threading.RLock")

    def test_missing_keys_take_the_runtimes_defaults(self) -> None:
        program = self.write("show.py", SHOW)
        child = self.start()
        self.assertTrue(self.adapter.request("initialize", {"options": {"program": program}})["success"])
        self.assertTrue(self.adapter.request("configurationDone", {})["success"])
        code, out, _ = self.finish(child)
        self.assertEqual(code, 0)
        shown = self.shown(out)
        self.assertEqual(shown["argv"], [])
        self.assertEqual(os.path.realpath(shown["cwd"]), os.path.realpath(tempfile.gettempdir()))
        self.assertEqual(shown["rlock"], "TrackedRLock", "trackLocks defaults to true")
        self.assertEqual(shown["lock"], "lock", "a tracked Lock is the plain C lock")

    def test_stop_on_entry(self) -> None:
        program = self.write("show.py", SHOW)
        child = self.start()
        self.assertTrue(self.adapter.request("initialize", {"options": {"program": program, "stopOnEntry": True}})["success"])
        self.assertTrue(self.adapter.request("configurationDone", {})["success"])
        stopped = self.adapter.event("stopped")
        self.assertEqual(stopped["body"]["reason"], "entry")
        self.assertTrue(self.adapter.request("continue", {"threadId": stopped["body"]["threadId"]})["success"])
        code, _, _ = self.finish(child)
        self.assertEqual(code, 0)

    def test_a_module_runs_like_python_dash_m(self) -> None:
        self.write("shown_module.py", SHOW)
        child = self.start()
        options = {"module": "shown_module", "args": ["--flag"], "cwd": self.folder}
        self.assertTrue(self.adapter.request("initialize", {"options": options})["success"])
        self.assertTrue(self.adapter.request("configurationDone", {})["success"])
        code, out, _ = self.finish(child)
        self.assertEqual(code, 0)
        self.assertEqual(self.shown(out)["argv"], ["--flag"])

    def test_races_option_runs_the_race_detector(self) -> None:
        corpus = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "corpus")
        racy = next(os.path.join(corpus, n) for n in sorted(os.listdir(corpus)) if n.startswith("race_") and n.endswith(".py"))
        child = self.start()
        self.assertTrue(self.adapter.request("initialize", {"options": {"program": racy, "races": True}})["success"])
        self.assertTrue(self.adapter.request("configurationDone", {})["success"])
        race = self.adapter.event("race")
        self.assertIn(racy, json.dumps(race["body"]), "the race report points into the program")
        self.finish(child)

    def test_unknown_keys_are_ignored_and_logged_at_debug_level(self) -> None:
        program = self.write("show.py", SHOW)
        child = self.start(env={"FTPY_DEBUG": "1"})
        reply = self.adapter.request("initialize", {"options": {"program": program, "colour": "blue"}})
        self.assertTrue(reply["success"], reply)
        self.assertTrue(self.adapter.request("configurationDone", {})["success"])
        code, _, err = self.finish(child)
        self.assertEqual(code, 0)
        self.assertIn("ignoring the launch option 'colour'", err)

    def test_a_wrongly_typed_option_fails_initialize_naming_it(self) -> None:
        program = self.write("show.py", SHOW)
        child = self.start()
        reply = self.adapter.request("initialize", {"options": {"program": program, "args": "not a list"}})
        self.assertFalse(reply["success"])
        self.assertIn("'args' must be string[]", reply["message"])
        _, err = child.communicate(timeout=WAIT)
        self.assertEqual(child.returncode, 2)
        self.assertIn("nothing to run", err)

    def test_nothing_to_run_is_refused_with_a_message(self) -> None:
        child = self.start()
        reply = self.adapter.request("initialize", {"options": {"args": ["x"]}})
        self.assertFalse(reply["success"])
        self.assertIn("name nothing to run", reply["message"])
        child.communicate(timeout=WAIT)
        self.assertEqual(child.returncode, 2)

    def test_the_command_line_flags_still_work(self) -> None:
        """Adapters from before RuntimeOptions: flags and program on argv, ``justMyCode`` alone."""
        program = self.write("show.py", SHOW)
        child = self.start("--no-track-locks", "--", program, "a", "b")
        reply = self.adapter.request("initialize", {"justMyCode": True})
        self.assertTrue(reply["success"], reply)
        self.assertEqual(reply["body"]["program"], program)
        self.assertTrue(self.adapter.request("configurationDone", {})["success"])
        code, out, _ = self.finish(child)
        self.assertEqual(code, 0)
        self.assertEqual(self.shown(out)["argv"], ["a", "b"])
        self.assertEqual(self.shown(out)["lock"], "lock")


class RuntimeOptionsTest(unittest.TestCase):
    """The declaration itself (its twin test against protocol.ts is test/dap/protocol.test.ts)."""

    def test_updated_replaces_only_the_keys_given(self) -> None:
        base = RuntimeOptions(program="/a.py", races=True)
        seen: list[str] = []
        new = base.updated({"args": ["x"], "stopOnEntry": True, "future": 1}, seen.append)
        self.assertEqual(new, RuntimeOptions(program="/a.py", races=True, args=("x",), stopOnEntry=True))
        self.assertEqual(seen, ["future"])

    def test_wrong_types_are_refused(self) -> None:
        for key, value in (("stopOnEntry", "yes"), ("args", [1]), ("program", 3), ("trackLocks", None)):
            with self.subTest(key=key), self.assertRaisesRegex(ValueError, repr(key)):
                RuntimeOptions().updated({key: value})

    def test_null_is_accepted_where_declared(self) -> None:
        self.assertEqual(RuntimeOptions(cwd="/x").updated({"cwd": None}).cwd, None)


if __name__ == "__main__":
    unittest.main()
