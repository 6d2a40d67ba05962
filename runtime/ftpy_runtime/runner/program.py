"""Running the user's program as ``__main__``, the way ``python program.py`` would."""

from __future__ import annotations

import ast
import os
import runpy
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any, cast

from ..user_code import is_internal


def run_path(path: str, register: Callable[[types.CodeType], None],
             compile_main: Callable[[str], types.CodeType] | None = None) -> None:
    """Compile, register (so breakpoints bind before the first line runs) and execute a script."""
    if compile_main is not None:
        code = compile_main(path)
    else:
        code = compile_script(path)
    register(code)
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = __builtins__  # type: ignore[attr-defined]  # as the interpreter sets it for __main__
    main.__spec__ = None
    main.__loader__ = None  # type: ignore[assignment]  # as for a script run by path
    sys.modules["__main__"] = main
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    exec(code, main.__dict__)


def compile_script(path: str) -> types.CodeType:
    """The code object of a script, compiled the way ``python script.py`` compiles it.

    Not ``compile(source, ...)``: on the free-threaded build that call leaves the code's
    constants (floats, big ints, tuples) mortal (gh-118527), while the interpreter's own
    compiler and ``compile(ast_tree, ...)`` make them immortal.  A mortal constant is one
    object that every thread running the function increfs on each LOAD_CONST, so a plain
    arithmetic loop serialises on its shared refcount: 2x slower at 2 threads, 6x at 16.
    Going through the AST gives the same code with immortal constants.
    """
    with open(path, "rb") as f:
        source = f.read()
    tree = cast(ast.Module, compile(source, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True))
    return compile(tree, path, "exec", dont_inherit=True)


def run_module(name: str) -> None:
    sys.path[0] = os.getcwd()
    runpy.run_module(name, run_name="__main__", alter_sys=True)


def exit_code_of(exc: SystemExit) -> int:
    code: Any = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    try:
        sys.stderr.write(f"{code}\n")
    except Exception:
        pass
    return 1


def format_exception_without_runtime(exc: BaseException) -> str:
    """A traceback as Python would print it, minus the runtime's own frames (wherever they are:
    the launcher's at the top, a signal handler's at the bottom)."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    for t in (te, *_chained(te)):
        t.stack = traceback.StackSummary.from_list([f for f in t.stack if not is_internal(f.filename)])
    return "".join(te.format())


def _chained(te: traceback.TracebackException) -> list[traceback.TracebackException]:
    out: list[traceback.TracebackException] = []
    seen: set[int] = set()
    todo = [te]
    while todo:
        t = todo.pop()
        for nxt in (t.__cause__, t.__context__):
            if nxt is not None and id(nxt) not in seen:
                seen.add(id(nxt))
                out.append(nxt)
                todo.append(nxt)
    return out
