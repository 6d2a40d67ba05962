"""Running the user's program as ``__main__``, the way ``python program.py`` would."""

from __future__ import annotations

import os
import runpy
import sys
import types
from typing import Any, Callable


def run_path(path: str, register: Callable[[types.CodeType], None],
             compile_main: Callable[[str], types.CodeType] | None = None) -> None:
    """Compile, register (so breakpoints bind before the first line runs) and execute a script."""
    if compile_main is not None:
        code = compile_main(path)
    else:
        with open(path, "rb") as f:
            source = f.read()
        code = compile(source, path, "exec", dont_inherit=True)
    register(code)
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = __builtins__  # type: ignore[attr-defined]
    main.__spec__ = None
    main.__loader__ = None  # type: ignore[assignment]
    sys.modules["__main__"] = main
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    exec(code, main.__dict__)


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
