"""Running user code while stopped: evaluate, variables, setVariable and completions.

Each request is turned into a function and run on a parked user thread (the frame's own thread
when it is free) through ``world.parked_calls.run_on``, with a timeout.  A ``__repr__`` that never returns
costs the user one error message, never the session.

"""

from __future__ import annotations

import builtins
import keyword
import re
import types
from typing import Any

from . import variables
from .variables import Handles

#: Seconds the agent waits for user code before answering with an error.
EVAL_TIMEOUT = 3.0


def _compile(expression: str, mode_hint: str) -> tuple[types.CodeType, bool]:
    """Compile as an expression if possible; in the REPL, statements are fine too."""
    try:
        return compile(expression, "<ftpy-eval>", "eval"), True
    except SyntaxError:
        if mode_hint != "repl":
            raise
        return compile(expression, "<ftpy-eval>", "exec"), False


def evaluate(handles: Handles, frame: types.FrameType | None, expression: str, context: str) -> dict[str, Any]:
    code, is_expr = _compile(expression, context)
    globs: dict[str, Any]
    locs: dict[str, Any]
    if frame is not None:
        globs, locs = frame.f_globals, frame.f_locals
    else:
        import __main__

        globs = locs = __main__.__dict__
    if is_expr:
        value = eval(code, globs, locs)
    else:
        exec(code, globs, locs)
        return {"result": "", "variablesReference": 0}
    var = variables.describe(handles, expression, value, expression)
    body: dict[str, Any] = {"result": var["value"], "type": var["type"], "variablesReference": var["variablesReference"]}
    if "indexedVariables" in var:
        body["indexedVariables"] = var["indexedVariables"]
    return body


def set_variable(handles: Handles, item: Any, frame: types.FrameType | None, name: str, value_text: str) -> dict[str, Any]:
    if frame is None and isinstance(item, variables.Scope):
        frame = item.frame
    globs = frame.f_globals if frame is not None else {}
    locs = frame.f_locals if frame is not None else {}
    new_value = eval(compile(value_text, "<ftpy-set>", "eval"), globs, locs)
    variables.assign(item, name, new_value)
    var = variables.describe(handles, name, variables.lookup(item, name), None)
    return {"value": var["value"], "type": var["type"], "variablesReference": var["variablesReference"]}


_TOKEN = re.compile(r"[A-Za-z_][\w.]*$")


def completions(frame: types.FrameType | None, text: str, column: int) -> dict[str, Any]:
    prefix_text = text[: max(0, column - 1)]
    m = _TOKEN.search(prefix_text)
    token = m.group(0) if m else ""
    globs = frame.f_globals if frame is not None else {}
    locs = dict(frame.f_locals) if frame is not None else {}
    names: list[str]
    if "." in token:
        base, _, partial = token.rpartition(".")
        try:
            obj = eval(base, globs, locs)
            names = dir(obj)
        except Exception:
            names = []
    else:
        partial = token
        names = [*locs, *globs, *dir(builtins), *keyword.kwlist]
    seen: set[str] = set()
    targets: list[dict[str, Any]] = []
    for name in sorted(names):
        if name.startswith(partial) and name not in seen and (partial.startswith("_") or not name.startswith("__")):
            seen.add(name)
            targets.append({"label": name, "type": "property" if name in locs else "variable", "length": len(partial)})
    return {"targets": targets[:200]}
