"""A JSON-lines socket to the debug adapter, and the listener that authenticates it (`handshake`).

Sending is safe from any thread (one lock, held only for ``sendall``).  Receiving happens on
the agent's reader thread alone.  Nothing here ever holds a lock while waiting to *receive*.

"""

from __future__ import annotations

import _queue
import _thread
import os
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any

from ..user_code import start_runtime_thread
from . import protocol
from .handshake import HANDSHAKE_TIMEOUT, HandshakeError, handshake


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

    def __init__(self, sock: socket.socket, received: bytes = b"") -> None:
        self.sock = sock
        try:
            # Small request/response messages: without this, Nagle and delayed ACKs add 40 ms a stop.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self._buffer = received  # what arrived with the handshake
        self.closed = False
        # The runtime's own queues and locks come from _queue/_thread directly: the race detector
        # patches the threading/queue module attributes, and the debugger must not be observed.
        self._outbox: _queue.SimpleQueue[bytes | _queue.SimpleQueue[bool] | None] = _queue.SimpleQueue()
        start_runtime_thread(self._write_forever)

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
    """Dial a listening adapter and run the mutual handshake.  Raises ConnectionError if refused."""
    sock = socket.create_connection((host, port), timeout=HANDSHAKE_TIMEOUT)
    try:
        rest = handshake(sock, token, listening=False, role="runtime")
    except BaseException:
        sock.close()
        raise
    return Connection(sock, rest)


#: At most this many connections are handled half-way through the handshake at once; one more
#: pushes out the oldest, so idle or slow strangers cannot keep a real adapter out.
MAX_PENDING = 16


class Listener:
    """The ``--listen`` side: accepts connections and hands over the first that authenticates.

    A thread (``ftpy-listener``) accepts; each connection gets its own short-lived thread
    (``ftpy-handshake``) that runs `handshake` under its deadline, so a peer that sends nothing,
    dribbles bytes or floods cannot delay another.  Connections that come while an adapter is
    attached are turned away with a message.
    """

    def __init__(self, server: socket.socket, token: str) -> None:
        self._server = server
        self._token = token
        self._lock = _thread.allocate_lock()
        self._pending: list[socket.socket] = []
        self._waiting = False
        self._ready: _queue.SimpleQueue[Connection | None] = _queue.SimpleQueue()
        self._rejections = 0
        start_runtime_thread(self._accept_forever)

    def accept(self) -> Connection:
        """Wait for the next authenticated connection.  Raises OSError once the server is closed."""
        with self._lock:
            self._waiting = True
        conn = self._ready.get()
        if conn is None:
            raise OSError("the listening socket was closed")
        return conn

    def _accept_forever(self) -> None:
        while True:
            try:
                sock, addr = self._server.accept()
            except OSError:
                self._ready.put(None)
                return
            with self._lock:
                self._pending.append(sock)
                oldest = self._pending.pop(0) if len(self._pending) > MAX_PENDING else None
            if oldest is not None:
                try:  # its handshake thread sees the end of the stream, gives up and closes it
                    oldest.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            who = f"{addr[0]}:{addr[1]}" if isinstance(addr, tuple) else str(addr)
            start_runtime_thread(self._authenticate, sock, who)

    def _authenticate(self, sock: socket.socket, who: str) -> None:
        try:
            # An adapter that has just detached leaves the agent a moment to come back for the next.
            busy = True
            for _ in range(100):
                with self._lock:
                    busy = not self._waiting
                if not busy:
                    break
                time.sleep(0.02)
            if busy:
                sock.settimeout(1.0)
                sock.sendall(protocol.encode({"type": "rejected", "message": "another debug adapter is attached"}))
                raise HandshakeError("another debug adapter is attached")
            rest = handshake(sock, self._token, listening=True, role="runtime")
            with self._lock:
                taken = not self._waiting
                self._waiting = False
            if taken:
                raise HandshakeError("another debug adapter is attached")
            self._ready.put(Connection(sock, rest))
            return
        except BaseException as exc:  # whatever a stranger sends, this thread never takes the agent with it
            self._note_rejection(who, exc)
            _hang_up(sock)
        finally:
            with self._lock:
                if sock in self._pending:
                    self._pending.remove(sock)

    def _note_rejection(self, who: str, exc: BaseException) -> None:
        self._rejections += 1
        n = self._rejections
        if n <= 5 or n % 100 == 0:
            more = f" ({n} rejected so far)" if n > 5 else ""
            log(f"rejected a connection from {who}: {exc}{more}")


def _hang_up(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


_listeners: dict[int, Listener] = {}


def accept_authenticated(server: socket.socket, token: str) -> Connection:
    """The next connection on ``server`` that passes the mutual handshake (see `Listener`)."""
    listener = _listeners.get(id(server))
    if listener is None:
        listener = _listeners[id(server)] = Listener(server, token)
    return listener.accept()
