"""A JSON-lines socket to the debug adapter, and the secret handshake in front of it.

Sending is safe from any thread (one lock, held only for ``sendall``).  Receiving happens on
the agent's reader thread alone.  Nothing here ever holds a lock while waiting to *receive*.

"""

from __future__ import annotations

import _queue
import hmac
import os
import socket
import sys
import threading
from collections.abc import Iterator
from typing import Any

from . import protocol

#: How long a peer may take to present its hello before we hang up on it.
HELLO_TIMEOUT = 10.0


def log(message: str) -> None:
    """The runtime's own diagnostics go to the real stderr, prefixed so they stand out."""
    stderr = sys.__stderr__
    if stderr is None:
        return
    try:
        stderr.write(f"ftpy: {message}\n")
        stderr.flush()
    except Exception:
        pass


#: FTPY_DEBUG=1 turns on the runtime's debug-level diagnostics (`debug`).
DEBUG = bool(os.environ.get("FTPY_DEBUG"))


def debug(message: str) -> None:
    """A diagnostic only worth seeing when chasing a problem (FTPY_DEBUG=1)."""
    if DEBUG:
        log(message)


class Connection:
    """One established, authenticated connection.

    Sending never blocks the caller on the socket: messages go into a queue that one writer
    thread (``ftpy-writer``) drains, in order.  A user thread sending a logpoint's output, or
    a stop, therefore never waits on the adapter, and no lock is held around socket I/O.
    Receiving happens on the agent's reader thread alone.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        try:
            # Small request/response messages: without this, Nagle and delayed ACKs add 40 ms a stop.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self._buffer = b""
        self.closed = False
        # The runtime's own queues and locks come from _queue/_thread directly: the race detector
        # patches the threading/queue module attributes, and the debugger must not be observed.
        self._outbox: _queue.SimpleQueue[bytes | _queue.SimpleQueue[bool] | None] = _queue.SimpleQueue()
        self.writer = threading.Thread(target=self._write_forever, name="ftpy-writer", daemon=True)
        self.writer.start()

    def send(self, message: dict[str, Any]) -> bool:
        """Queue one message; False if the peer is known to be gone."""
        if self.closed:
            return False
        self._outbox.put(protocol.encode(message))
        return True

    def drain(self, timeout: float = 2.0) -> None:
        """Wait (up to ``timeout``) until everything queued so far has been written."""
        marker: _queue.SimpleQueue[bool] = _queue.SimpleQueue()
        self._outbox.put(marker)
        try:
            marker.get(timeout=timeout)
        except _queue.Empty:
            pass

    def _write_forever(self) -> None:
        while True:
            item = self._outbox.get()
            if item is None:
                return
            if not isinstance(item, bytes):
                item.put(True)
                continue
            if self.closed:
                continue
            try:
                self.sock.sendall(item)
            except OSError:
                self.closed = True

    def read_line(self) -> bytes | None:
        """The next raw line, or None at end of stream."""
        while b"\n" not in self._buffer:
            try:
                chunk = self.sock.recv(65536)
            except (OSError, ValueError):
                return None
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def messages(self) -> Iterator[dict[str, Any]]:
        """Decoded messages until the peer hangs up.  Malformed lines are logged and skipped."""
        while True:
            line = self.read_line()
            if line is None:
                return
            if not line.strip():
                continue
            try:
                yield protocol.decode(line)
            except ValueError as exc:
                log(f"ignoring a malformed message from the adapter ({exc})")

    def close(self) -> None:
        self.closed = True
        self._outbox.put(None)
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


def connect(host: str, port: int, token: str) -> Connection:
    """Connect to a listening adapter and present the secret.  Raises ConnectionError if refused."""
    sock = socket.create_connection((host, port), timeout=HELLO_TIMEOUT)
    conn = Connection(sock)
    conn.send({"type": "hello", "protocol": protocol.PROTOCOL_VERSION, "role": "runtime", "token": token})
    conn.drain(HELLO_TIMEOUT)
    line = conn.read_line()
    sock.settimeout(None)
    if line is None:
        raise ConnectionError("the debug adapter closed the connection during the handshake")
    reply = protocol.decode(line)
    if reply["type"] != "welcome":
        raise ConnectionError(f"the debug adapter rejected this runtime: {reply.get('message')}")
    return conn


def accept_authenticated(server: socket.socket, token: str) -> Connection:
    """Accept connections until one presents the right secret.  Others are rejected and logged."""
    while True:
        sock, addr = server.accept()
        sock.settimeout(HELLO_TIMEOUT)
        conn = Connection(sock)
        try:
            line = conn.read_line()
            hello = protocol.decode(line) if line is not None else None
        except (ValueError, OSError):
            hello = None
        offered = hello.get("token") if isinstance(hello, dict) and hello.get("type") == "hello" else None
        if isinstance(offered, str) and hmac.compare_digest(offered.encode(), token.encode()):
            sock.settimeout(None)
            conn.send({"type": "welcome", "protocol": protocol.PROTOCOL_VERSION, "role": "runtime"})
            return conn
        log(f"rejected a connection from {addr[0]}:{addr[1]}: it did not present the session secret")
        conn.send({"type": "rejected", "message": "wrong or missing session secret"})
        conn.drain(1.0)
        conn.close()
