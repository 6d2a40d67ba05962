"""The runtime protocol: what the debug adapter and the runtime say to each other.

This file has a TypeScript twin, ``debug-adapter/protocol.ts``.  The two declare the same
message types, command names and event names; ``test/dap/protocol.test.ts`` reads both and
fails when they drift apart.  Change them together.

The wire format is one JSON object per line (UTF-8, ``\\n``-terminated) over a loopback TCP
socket.  Every connection starts with the mutual handshake of ``handshake.py``: each side
proves with an HMAC over fresh nonces that it knows the per-session secret, which never travels
(``hello``, ``challenge``, ``proof``, then ``welcome`` or ``rejected`` and a hang-up).  After that the adapter sends ``request`` messages, and the runtime answers each with a
``response`` (same ``seq``) and volunteers ``event`` messages.

The first request is ``initialize``, whose ``arguments`` are ``{"options": RuntimeOptions}``:
everything the runtime needs to know about the launch (what to run, with which arguments, in
which folder, stop on entry, races...), in one object keyed by the launch attribute names.  Its
response is the process description (`ProcessInfo` in the twin).  Only what must exist before
the interpreter starts travels otherwise: the session secret, ``PYTHONPATH``, ``PYTHON_GIL`` and
``PYTHONUNBUFFERED`` in the environment.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any, cast

#: Bumped when a message changes shape incompatibly (2: the mutual HMAC handshake).
PROTOCOL_VERSION = 2

#: The environment variable that carries the session secret to a launched runtime.  Never argv:
#: other users can read a process's command line.
TOKEN_ENV = "FTPY_SESSION_TOKEN"

#: Where ``--listen`` leaves its secret when none was given: ``~/<SECRET_DIR>/port-<PORT>.secret``,
#: readable by the user alone.  The adapter reads it for an ``attach`` without ``secret``.
SECRET_DIR = (".cache", "ftpy", "sessions")

#: The kinds of message on the wire.
MESSAGE_TYPES = ("hello", "challenge", "proof", "welcome", "rejected", "request", "response", "event")

#: The handshake (``handshake.py``): the label every proof's HMAC starts with, the longest line a
#: peer may send before it has authenticated, and how long it has to authenticate.
HANDSHAKE_LABEL = "ftpy-handshake"
MAX_HANDSHAKE_LINE = 1024
HANDSHAKE_TIMEOUT_MS = 5000

#: Requests the adapter may send.  Most mirror the DAP request of the same name.
COMMANDS = (
    "initialize",
    "setBreakpoints",
    "setFunctionBreakpoints",
    "setExceptionBreakpoints",
    "dataBreakpointInfo",
    "setDataBreakpoints",
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
    "threadStacks",
    "parallelEvaluate",
    "freeze",
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
    obj: object = json.loads(line.decode("utf-8"))
    if not isinstance(obj, dict):
        raise ValueError("not a runtime protocol message")
    message = cast("dict[str, Any]", obj)
    if message.get("type") not in MESSAGE_TYPES:
        raise ValueError("not a runtime protocol message")
    return message


# -- Launch options ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RuntimeOptions:
    """What to run and how: the ``options`` of the ``initialize`` request.

    The field names are the launch attribute names (camelCase, as on the wire and in
    ``launch.json``); the defaults are the runtime's.  ``debug-adapter/protocol.ts`` declares
    the same keys, types and defaults (``RUNTIME_OPTIONS``), and ``test/dap/protocol.test.ts``
    compares the two.  Adding an option: a field here, its twin there, and the code that uses it.
    """

    #: The script to run, an absolute path (or ``module``).
    program: str | None = None
    #: A module to run as ``python -m`` does (instead of ``program``).
    module: str | None = None
    #: The program's command-line arguments (``sys.argv[1:]``).
    args: tuple[str, ...] = ()
    #: The working directory to run in (the adapter also starts the runtime there).
    cwd: str | None = None
    #: Stop at the first line of the user's code.
    stopOnEntry: bool = False
    #: Stop only in the user's code, not in the standard library or site-packages.
    justMyCode: bool = True
    #: Run the race detector.
    races: bool = False
    #: A suppressions file for the race detector.
    raceSuppressions: str | None = None
    #: Track ``threading.Lock``/``RLock`` owners (the Locks view, deadlock reports).
    trackLocks: bool = True

    def as_json(self) -> dict[str, Any]:
        """The options as the wire carries them (``args`` as a list)."""
        out = dataclasses.asdict(self)
        out["args"] = list(self.args)
        return out

    def updated(self, wire: Mapping[str, object], on_unknown: Callable[[str], None] | None = None) -> RuntimeOptions:
        """These options with the keys present in ``wire`` replaced.

        Unknown keys are ignored (each is passed to ``on_unknown``: a newer adapter may send
        options this runtime does not know).  A value of the wrong type raises ``ValueError``
        naming the key: that is a bug between the adapter and the runtime, never the user's.
        """
        changes: dict[str, Any] = {}
        for key, value in wire.items():
            expected = _OPTION_TYPES.get(key)
            if expected is None:
                if on_unknown is not None:
                    on_unknown(key)
                continue
            changes[key] = _checked(key, value, expected)
        return dataclasses.replace(self, **changes)


def _checked(key: str, value: object, expected: str) -> object:
    """``value`` if it has the wire type ``expected`` (``args`` becomes a tuple), else ValueError."""
    nullable = expected.endswith("|null")
    base = expected.removesuffix("|null")
    if value is None and nullable:
        return None
    if base == "string" and isinstance(value, str):
        return value
    if base == "boolean" and isinstance(value, bool):
        return value
    if base == "string[]" and isinstance(value, list):
        items = cast("list[object]", value)
        if all(isinstance(v, str) for v in items):
            return tuple(items)
    raise ValueError(f"launch option {key!r} must be {expected.replace('|', ' or ')}, not {json.dumps(value, default=repr)}")


#: The wire type of each option, derived from the annotations above: ``"string"``,
#: ``"string|null"``, ``"boolean"`` or ``"string[]"`` (what the twin declares).
_WIRE_TYPES = {"str | None": "string|null", "str": "string", "bool": "boolean", "tuple[str, ...]": "string[]"}
_OPTION_TYPES: dict[str, str] = {f.name: _WIRE_TYPES[str(f.type)] for f in dataclasses.fields(RuntimeOptions)}


def runtime_options_schema() -> dict[str, dict[str, object]]:
    """``{key: {"type": wire type, "default": default}}``: what the twin test compares."""
    defaults = RuntimeOptions().as_json()
    return {key: {"type": wire, "default": defaults[key]} for key, wire in _OPTION_TYPES.items()}
