"""The runtime protocol: what the debug adapter and the runtime say to each other.

This file has a TypeScript twin, ``debug-adapter/protocol.ts``.  The two declare the same
message types, command names and event names; ``test/dap/protocol.test.ts`` reads both and
fails when they drift apart.  Change them together.

The wire format is one JSON object per line (UTF-8, ``\\n``-terminated) over a loopback TCP
socket.  The side that connects speaks first with a ``hello`` carrying the per-session secret;
the side that listens answers ``welcome`` or ``rejected`` and, for a bad secret, hangs up.
After that the adapter sends ``request`` messages, and the runtime answers each with a
``response`` (same ``seq``) and volunteers ``event`` messages.

"""

from __future__ import annotations

import json
from typing import Any

#: Bumped when a message changes shape incompatibly.
PROTOCOL_VERSION = 1

#: The environment variable that carries the session secret to a launched runtime.  Never argv:
#: other users can read a process's command line.
TOKEN_ENV = "FTPY_SESSION_TOKEN"

#: Where ``--listen`` leaves its secret when none was given: ``~/<SECRET_DIR>/port-<PORT>.secret``,
#: readable by the user alone.  The adapter reads it for an ``attach`` without ``secret``.
SECRET_DIR = (".cache", "ftpy", "sessions")

#: The kinds of message on the wire.
MESSAGE_TYPES = ("hello", "welcome", "rejected", "request", "response", "event")

#: Requests the adapter may send.  Most mirror the DAP request of the same name.
COMMANDS = (
    "initialize",
    "setBreakpoints",
    "setFunctionBreakpoints",
    "setExceptionBreakpoints",
    "configurationDone",
    "continue",
    "pause",
    "next",
    "stepIn",
    "stepOut",
    "threads",
    "stackTrace",
    "scopes",
    "variables",
    "setVariable",
    "evaluate",
    "completions",
    "exceptionInfo",
    "ownership",
    "locks",
    "disconnect",
)

#: Events the runtime may send.
EVENTS = (
    "process",
    "stopped",
    "continued",
    "output",
    "breakpoint",
    "thread",
    "exited",
    "race",
    "gil",
    "deadlock",
)


def encode(message: dict[str, Any]) -> bytes:
    """One message as a line of bytes, ready for the socket."""
    return (json.dumps(message, separators=(",", ":"), default=repr) + "\n").encode("utf-8")


def decode(line: bytes) -> dict[str, Any]:
    """Parse one line; raise ValueError for anything that is not a JSON object with a type."""
    obj = json.loads(line.decode("utf-8"))
    if not isinstance(obj, dict) or obj.get("type") not in MESSAGE_TYPES:
        raise ValueError("not a runtime protocol message")
    return obj
