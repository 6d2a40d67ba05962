"""The runtime's connection code before authentication, the mutual handshake, and the secret file.

Real sockets on loopback against the real ``Listener``/``handshake``/``write_secret``; the
strangers here are what a careless or hostile local process would do: connect and say nothing,
dribble bytes, send a deeply nested or huge line, listen on the port and wait for a secret.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import unittest
from typing import Any
from unittest import mock

from ftpy_runtime.agent import protocol, secretfile
from ftpy_runtime.agent.connection import Connection, Listener, connect
from ftpy_runtime.agent.handshake import HandshakeError, handshake, parse_flat, proof

RUNTIME_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "runtime")
WAIT = 60.0  # generous: the machine may be loaded
SECRET = "s3cret-" + "ab" * 16


def _in_thread(fn: Any) -> dict[str, Any]:
    """Run fn in a thread; the dict gets "value" or "error" when it is done (join via "thread")."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:
            out["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    out["thread"] = t
    t.start()
    return out


class HandshakeTest(unittest.TestCase):
    def pair(self) -> tuple[socket.socket, socket.socket]:
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        return a, b

    def test_both_sides_prove_the_secret_and_keep_what_follows(self) -> None:
        a, b = self.pair()
        listener = _in_thread(lambda: handshake(a, SECRET, listening=True, role="runtime"))
        rest = handshake(b, SECRET, listening=False, role="adapter")
        b.sendall(b'{"type":"request","seq":1}\n')
        listener["thread"].join(WAIT)
        self.assertNotIn("error", listener)
        self.assertEqual(rest, b"")
        self.assertEqual(Connection(a, listener["value"]).read_line() if listener["value"] else Connection(a).read_line(),
                         b'{"type":"request","seq":1}')

    def test_a_wrong_secret_is_refused_on_both_sides(self) -> None:
        a, b = self.pair()
        listener = _in_thread(lambda: handshake(a, SECRET, listening=True, role="runtime"))
        with self.assertRaisesRegex(HandshakeError, "session secret does not match"):
            handshake(b, "wrong", listening=False, role="adapter")
        listener["thread"].join(WAIT)
        self.assertIsInstance(listener.get("error"), HandshakeError)

    def test_a_stranger_listening_learns_nothing_and_gets_no_proof(self) -> None:
        a, b = self.pair()
        received: list[bytes] = []

        def stranger() -> None:
            # It reads the hello and answers with a challenge it cannot prove.
            a.settimeout(WAIT)
            received.append(a.recv(4096))
            a.sendall(protocol.encode({"type": "challenge", "protocol": protocol.PROTOCOL_VERSION, "role": "runtime",
                                       "nonce": "00" * 16, "proof": "00" * 32}))
            a.sendall(protocol.encode({"type": "event", "event": "output", "body": {"output": "injected"}}))
            try:
                while chunk := a.recv(4096):
                    received.append(chunk)
            except OSError:
                pass

        t = _in_thread(stranger)
        with self.assertRaisesRegex(HandshakeError, "session secret does not match"):
            handshake(b, SECRET, listening=False, role="adapter")
        b.close()
        t["thread"].join(WAIT)
        everything = b"".join(received)
        self.assertNotIn(SECRET.encode(), everything)
        self.assertEqual(everything.count(b"\n"), 1, everything)  # the hello, and nothing after it
        self.assertIn(b'"type":"hello"', everything)

    def test_proofs_differ_by_side_and_nonce(self) -> None:
        self.assertNotEqual(proof(SECRET, "listener", "a" * 32, "b" * 32), proof(SECRET, "connector", "a" * 32, "b" * 32))
        self.assertNotEqual(proof(SECRET, "listener", "a" * 32, "b" * 32), proof(SECRET, "listener", "a" * 32, "c" * 32))

    def test_only_flat_small_objects_are_parsed(self) -> None:
        self.assertEqual(parse_flat(b'{"type":"hello","protocol":2}'), {"type": "hello", "protocol": 2})
        self.assertIsNone(parse_flat(b"[" * 100_000 + b"]" * 100_000))
        self.assertIsNone(parse_flat(b'{"a":' * 50_000 + b"1" + b"}" * 50_000))
        self.assertIsNone(parse_flat(b'{"type":"' + b"x" * 5000 + b'"}'))
        self.assertIsNone(parse_flat(b"not json"))


class ListenerTest(unittest.TestCase):
    def setUp(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(self.server.close)
        self.port = self.server.getsockname()[1]
        self.listener = Listener(self.server, SECRET)
        self.strangers: list[socket.socket] = []

    def tearDown(self) -> None:
        for s in self.strangers:
            s.close()

    def stranger(self, data: bytes = b"") -> socket.socket:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)
        self.strangers.append(s)
        if data:
            s.sendall(data)
        return s

    def attach(self) -> Connection:
        """A correct adapter dials while the strangers are connected; the listener hands it over."""
        return self.attach_with(_in_thread(self.listener.accept))

    def attach_with(self, accepted: dict[str, Any]) -> Connection:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)
        self.addCleanup(sock.close)
        handshake(sock, SECRET, listening=False, role="adapter")
        accepted["thread"].join(WAIT)
        self.assertNotIn("error", accepted)
        conn: Connection = accepted["value"]
        self.addCleanup(conn.close)
        return conn

    def still_open(self, s: socket.socket) -> bool:
        s.setblocking(False)
        try:
            return s.recv(1) != b""
        except BlockingIOError:
            return True
        except OSError:
            return False
        finally:
            s.setblocking(True)

    def test_idle_and_dribbling_connections_do_not_hold_up_a_real_adapter(self) -> None:
        idle = [self.stranger() for _ in range(3)]
        slow = self.stranger(b"{")
        self.attach()
        # Handled side by side: the strangers are still pending (their deadline has not come).
        self.assertTrue(all(self.still_open(s) for s in idle + [slow]))

    def test_a_stranger_is_hung_up_on_at_its_deadline(self) -> None:
        accepted = _in_thread(self.listener.accept)  # the agent waits for an adapter
        with mock.patch("ftpy_runtime.agent.handshake.HANDSHAKE_TIMEOUT", 0.3):
            s = self.stranger(b"{")
            s.settimeout(WAIT)
            reply = b""
            while chunk := s.recv(4096):  # returns at the hang-up
                reply += chunk
        self.assertIn(b"no handshake within the time limit", reply)
        self.assertIn("thread", accepted)
        self.attach_with(accepted)

    def test_a_nested_line_does_not_end_listening(self) -> None:
        s = self.stranger(b"[" * 200_000 + b"\n")
        s.settimeout(WAIT)
        self.assertIn(b'"rejected"', s.recv(4096))
        self.attach()

    def test_a_huge_hello_is_cut_off_after_the_size_limit(self) -> None:
        s = self.stranger()
        sent = 0
        chunk = b"x" * 65536
        with self.assertRaises(OSError):  # the listener hangs up: the peer's writes start failing
            while sent < 100 * 1024 * 1024:
                s.sendall(chunk)
                sent += len(chunk)
        self.assertLess(sent, 100 * 1024 * 1024)
        self.attach()

    def test_many_strangers_push_out_the_oldest_not_the_adapter(self) -> None:
        for _ in range(40):
            self.stranger()
        self.attach()

    def test_a_second_adapter_is_told_one_is_attached(self) -> None:
        self.attach()
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)
        self.addCleanup(sock.close)
        with self.assertRaisesRegex(HandshakeError, "another debug adapter is attached"):
            handshake(sock, SECRET, listening=False, role="adapter")

    def test_connect_runs_the_handshake_as_the_dialling_side(self) -> None:
        accepted = _in_thread(self.listener.accept)
        conn = connect("127.0.0.1", self.port, SECRET)
        self.addCleanup(conn.close)
        accepted["thread"].join(WAIT)
        self.assertIsInstance(accepted.get("value"), Connection)
        with self.assertRaises(ConnectionError):
            connect("127.0.0.1", self.port, "wrong")


class SecretFileTest(unittest.TestCase):
    def setUp(self) -> None:
        self.home = tempfile.mkdtemp(prefix="ftpy-home-")
        patcher = mock.patch.dict(os.environ, {"HOME": self.home})
        patcher.start()
        self.addCleanup(patcher.stop)
        self.addCleanup(secretfile.remove_all)
        self.path = secretfile.secret_path(4242)
        self.folder = os.path.dirname(self.path)

    def test_a_new_file_readable_by_this_user_alone(self) -> None:
        old = os.umask(0)
        try:
            path = secretfile.write_secret(4242, SECRET)
        finally:
            os.umask(old)
        self.assertEqual(path, self.path)
        self.assertEqual(stat.S_IMODE(os.lstat(path).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.lstat(self.folder).st_mode), 0o700)
        with open(path) as f:
            self.assertEqual(f.read(), SECRET)
        secretfile.remove_all()
        self.assertFalse(os.path.exists(path))

    def test_a_stale_world_readable_file_is_replaced_not_reused(self) -> None:
        os.makedirs(self.folder, mode=0o700)
        with open(self.path, "w") as f:
            f.write("stale")
        os.chmod(self.path, 0o644)
        old = os.path.join(self.folder, "old-name")
        os.link(self.path, old)  # the stale file itself, under a second name
        secretfile.write_secret(4242, SECRET)
        self.assertEqual(stat.S_IMODE(os.lstat(self.path).st_mode), 0o600)
        with open(old) as f:
            self.assertEqual(f.read(), "stale")  # the secret never went into the 0644 file

    def test_a_symlink_in_its_place_is_not_followed(self) -> None:
        os.makedirs(self.folder, mode=0o700)
        target = os.path.join(self.home, "victim")
        with open(target, "w") as f:
            f.write("precious")
        os.symlink(target, self.path)
        secretfile.write_secret(4242, SECRET)
        with open(target) as f:
            self.assertEqual(f.read(), "precious")
        self.assertTrue(stat.S_ISREG(os.lstat(self.path).st_mode))
        self.assertEqual(stat.S_IMODE(os.lstat(self.path).st_mode), 0o600)

    @unittest.skipUnless(hasattr(os, "getuid") and os.getuid() == 0, "needs root to make a file of another user")
    def test_a_file_of_another_user_is_refused(self) -> None:
        os.makedirs(self.folder, mode=0o700)
        with open(self.path, "w") as f:
            f.write("theirs")
        os.chown(self.path, 65534, 65534)
        with self.assertRaisesRegex(secretfile.SecretFileError, "another user"):
            secretfile.write_secret(4242, SECRET)
        with open(self.path) as f:
            self.assertEqual(f.read(), "theirs")

    def test_a_loose_folder_is_tightened(self) -> None:
        os.makedirs(self.folder)
        os.chmod(self.folder, 0o777)
        secretfile.write_secret(4242, SECRET)
        self.assertEqual(stat.S_IMODE(os.lstat(self.folder).st_mode), 0o700)

    def test_the_listening_runtime_removes_its_file_when_it_exits(self) -> None:
        program = os.path.join(self.home, "prog.py")
        with open(program, "w") as f:
            f.write(textwrap.dedent("""\
                import glob, os, sys
                found = glob.glob(os.path.expanduser("~/.cache/ftpy/sessions/port-*.secret"))
                print(found[0] if found else "none")
            """))
        env = {**os.environ, "HOME": self.home, "PYTHONPATH": RUNTIME_DIR}
        env.pop(protocol.TOKEN_ENV, None)
        done = subprocess.run([sys.executable, "-m", "ftpy_runtime", "--listen", "0", "--no-wait", program],
                              env=env, capture_output=True, text=True, timeout=WAIT)
        self.assertEqual(done.returncode, 0, done.stderr)
        path = done.stdout.strip()
        self.assertTrue(path.endswith(".secret"), done.stdout + done.stderr)
        self.assertFalse(os.path.exists(path), "the secret file outlived the runtime")


if __name__ == "__main__":
    unittest.main()
