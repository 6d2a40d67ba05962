"""The mutual handshake in front of every connection between the adapter and a runtime.

Both ends know the session secret; neither ever sends it.  Each proves it knows it with an
HMAC over both ends' fresh nonces, the connecting side only after the listening side has
proved itself, so a stranger holding the port learns nothing it could replay::

    connector -> listener   {"type": "hello", "protocol": 2, "role": ..., "nonce": Nc}
    listener  -> connector  {"type": "challenge", "protocol": 2, "role": ..., "nonce": Nl,
                             "proof": HMAC(secret, "ftpy-handshake|listener|Nc|Nl")}
    connector -> listener   {"type": "proof", "proof": HMAC(secret, "ftpy-handshake|connector|Nc|Nl")}
    listener  -> connector  {"type": "welcome", ...}  or  {"type": "rejected", "message": ...}

A peer that has not authenticated gets little of our attention: lines of at most
`MAX_HANDSHAKE_LINE` bytes, one deadline for the whole exchange (`HANDSHAKE_TIMEOUT`), and no
JSON beyond one flat object (no ``[`` and one ``{``: nothing for a parser to recurse into).

The TypeScript twin is ``handshake`` in ``debug-adapter/runtimeConnection.ts``; the constants
are declared in both ``protocol`` files and compared by the twin test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import socket
import time
from typing import Any, NoReturn

from . import protocol

#: The whole handshake must be over this many seconds after the connection is made.
HANDSHAKE_TIMEOUT = protocol.HANDSHAKE_TIMEOUT_MS / 1000
#: No handshake line is longer (the real ones are under 300 bytes).
MAX_HANDSHAKE_LINE = protocol.MAX_HANDSHAKE_LINE

_NONCE = re.compile(r"[0-9a-f]{32,128}\Z")


class HandshakeError(ConnectionError):
    """The peer did not complete the handshake: wrong secret, bad line, timeout, hang-up."""


def proof(secret: str, prover: str, connector_nonce: str, listener_nonce: str) -> str:
    """What the side ``prover`` ("connector" or "listener") sends to show it knows the secret."""
    message = f"{protocol.HANDSHAKE_LABEL}|{prover}|{connector_nonce}|{listener_nonce}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def handshake(sock: socket.socket, secret: str, *, listening: bool, role: str,
              timeout: float | None = None) -> bytes:
    """Run the mutual handshake on a fresh socket; return the bytes that arrived after it.

    ``listening`` says which side this is (the one that accepted the connection, or the one
    that dialled).  Raises HandshakeError if the peer does not prove it knows ``secret``; the
    secret itself is never sent, and a connector sends nothing derived from it before the
    listener has proved itself.  Leaves the socket blocking, without a timeout.
    """
    reader = _LineReader(sock, time.monotonic() + (HANDSHAKE_TIMEOUT if timeout is None else timeout))
    if listening:
        hello = reader.message()
        if hello.get("type") != "hello" or hello.get("protocol") != protocol.PROTOCOL_VERSION:
            _reject(sock, "not a hello of this protocol version" if hello.get("type") == "hello" else "no hello")
        connector_nonce = hello.get("nonce")
        if not isinstance(connector_nonce, str) or not _NONCE.match(connector_nonce):
            _reject(sock, "the hello has no nonce")
        listener_nonce = secrets.token_hex(16)
        _send(sock, {"type": "challenge", "protocol": protocol.PROTOCOL_VERSION, "role": role, "nonce": listener_nonce,
                     "proof": proof(secret, "listener", connector_nonce, listener_nonce)})
        answer = reader.message()
        offered = answer.get("proof")
        expected = proof(secret, "connector", connector_nonce, listener_nonce)
        if answer.get("type") != "proof" or not isinstance(offered, str) or not hmac.compare_digest(offered.encode(), expected.encode()):
            _reject(sock, "wrong or missing session secret")
        _send(sock, {"type": "welcome", "protocol": protocol.PROTOCOL_VERSION, "role": role})
    else:
        connector_nonce = secrets.token_hex(16)
        _send(sock, {"type": "hello", "protocol": protocol.PROTOCOL_VERSION, "role": role, "nonce": connector_nonce})
        challenge = reader.message()
        if challenge.get("type") == "rejected":
            raise HandshakeError(f"the peer rejected the connection: {challenge.get('message')}")
        listener_nonce = challenge.get("nonce")
        offered = challenge.get("proof")
        if (challenge.get("type") != "challenge" or not isinstance(listener_nonce, str) or not _NONCE.match(listener_nonce)
                or not isinstance(offered, str)
                or not hmac.compare_digest(offered.encode(), proof(secret, "listener", connector_nonce, listener_nonce).encode())):
            raise HandshakeError("the session secret does not match: the secret is wrong, or the peer is not the debugger")
        _send(sock, {"type": "proof", "proof": proof(secret, "connector", connector_nonce, listener_nonce)})
        reply = reader.message()
        if reply.get("type") != "welcome":
            raise HandshakeError(f"the peer rejected the connection: {reply.get('message')}")
    sock.settimeout(None)
    return reader.rest


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    try:
        sock.sendall(protocol.encode(message))
    except OSError as exc:
        raise HandshakeError(f"the peer went away during the handshake ({exc})") from None


def _reject(sock: socket.socket, why: str) -> NoReturn:
    try:
        sock.settimeout(0.5)
        sock.sendall(protocol.encode({"type": "rejected", "message": why}))
    except OSError:
        pass
    raise HandshakeError(why)


class _LineReader:
    """Handshake lines from a socket, under one deadline and a size limit, parsed only as flat objects."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.rest = b""

    def message(self) -> dict[str, Any]:
        while b"\n" not in self.rest:
            if len(self.rest) > MAX_HANDSHAKE_LINE:
                _reject(self.sock, "handshake line too long")
            left = self.deadline - time.monotonic()
            if left <= 0:
                _reject(self.sock, "no handshake within the time limit")
            try:
                self.sock.settimeout(left)
                chunk = self.sock.recv(MAX_HANDSHAKE_LINE + 1)
            except TimeoutError:
                _reject(self.sock, "no handshake within the time limit")
            except (OSError, ValueError) as exc:
                raise HandshakeError(f"the connection failed during the handshake ({exc})") from None
            if not chunk:
                raise HandshakeError("the peer closed the connection during the handshake")
            self.rest += chunk
        line, _, self.rest = self.rest.partition(b"\n")
        if len(line) > MAX_HANDSHAKE_LINE:
            _reject(self.sock, "handshake line too long")
        message = parse_flat(line)
        if message is None:
            _reject(self.sock, "not a handshake message")
        return message


def parse_flat(line: bytes) -> dict[str, Any] | None:
    """A handshake line as a flat JSON object of strings and numbers, or None.

    Anything that could nest (``[``, a second ``{``) is refused before the parser sees it, so
    no line can make it recurse, however it is built.
    """
    if len(line) > MAX_HANDSHAKE_LINE or b"[" in line or line.count(b"{") != 1:
        return None
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    fields: dict[str, Any] = value  # pyright: ignore[reportUnknownVariableType]
    if not all(isinstance(v, (str, int, float, bool)) or v is None for v in fields.values()):
        return None
    return fields
