"""What a tracing callback does with a bug of the debugger's: log it, never raise it in user code."""

from __future__ import annotations

import sys
import traceback

#: Kinds already logged (each is logged once; at most a few dozen in all).
_reported: list[str] = []


def internal_error(exc: BaseException) -> None:
    """Log a bug in the debugger's own callback (once per kind) instead of raising it in user code."""
    key = f"{type(exc).__name__}: {exc}"
    if key in _reported or len(_reported) > 20:
        return
    _reported.append(key)
    stderr = sys.__stderr__
    if stderr is not None:
        stderr.write("ftpy: internal error in a tracing callback (please report):\n" + "".join(traceback.format_exception(exc)))
