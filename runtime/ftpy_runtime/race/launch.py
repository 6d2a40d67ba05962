"""Running the program the way ``python script.py``, ``python -m mod`` and ``python -c code`` do.

What the program sees is what the plain interpreter would give it: ``sys.argv``,
``sys.path[0]``, a fresh ``__main__`` module with the same attributes, and for ``-m`` the
import system's own module lookup (frozen runpy, so tracebacks and "No module named"
messages read the same).  The main module's code is instrumented: a script and ``-c``
code through the session's compiler, a ``-m`` module through the import hook, which sees
it being imported.
"""

from __future__ import annotations

import builtins
import importlib.machinery
import linecache
import os
import runpy
import sys
import types
from dataclasses import dataclass
from typing import Any


@dataclass
class Target:
    """What to run: exactly one of a script path, a module name or code text."""

    script: str | None = None
    module: str | None = None
    code: str | None = None

    def describe(self) -> str:
        if self.module is not None:
            return f"-m {self.module}"
        if self.code is not None:
            return "-c CODE"
        return str(self.script)

    def root(self) -> str:
        """The folder whose modules are the program's own by default."""
        if self.script is not None:
            return os.path.dirname(os.path.abspath(self.script))
        return os.getcwd()


def prepare_sys(target: Target, args: list[str]) -> None:
    """``sys.argv`` and ``sys.path[0]`` as the plain interpreter sets them before running."""
    if target.module is not None:
        sys.argv = ["-m", *args]          # runpy puts the module's file in argv[0]
        sys.path[0] = os.getcwd()
    elif target.code is not None:
        sys.argv = ["-c", *args]
        sys.path[0] = ""
    else:
        script = os.path.abspath(str(target.script))
        sys.argv = [script, *args]
        sys.path[0] = os.path.dirname(script)


def _fresh_main(file: str | None) -> types.ModuleType:
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins  # type: ignore[attr-defined]
    main.__annotations__ = {}
    if file is not None:
        main.__file__ = file
        main.__cached__ = None  # type: ignore[attr-defined]
    return main


def run(target: Target, session: Any) -> None:
    """Run the program to completion in this thread; its exceptions propagate."""
    if target.module is not None:
        # runpy runs the module in the namespace of sys.modules["__main__"], which here is
        # this runner's own module: give it the fresh one the interpreter would have.
        sys.modules["__main__"] = _fresh_main(None)
        run_module = getattr(runpy, "_run_module_as_main", None)
        if run_module is not None:
            run_module(target.module, True)
        else:  # pragma: no cover - every CPython since 2.7 has it
            runpy.run_module(target.module, run_name="__main__", alter_sys=True)
        return
    if target.code is not None:
        source = target.code
        code = session.compile_source(source, "<string>")
        if code is None:
            code = compile(source, "<string>", "exec", dont_inherit=True)
        register = getattr(linecache, "_register_code", None)
        if register is not None:   # 3.13 shows -c source lines in tracebacks this way
            register(code, source, "<string>")
        main = _fresh_main(None)
        main.__loader__ = importlib.machinery.BuiltinImporter  # type: ignore[assignment]
        main.__spec__ = None
        sys.modules["__main__"] = main
        exec(code, main.__dict__)
        return
    script = os.path.abspath(str(target.script))
    code = session.compile_main(script)
    if code is None:
        with open(script, "rb") as f:
            code = compile(f.read(), script, "exec", dont_inherit=True)
    main = _fresh_main(script)
    main.__loader__ = importlib.machinery.SourceFileLoader("__main__", script)  # type: ignore[assignment]
    sys.modules["__main__"] = main
    exec(code, main.__dict__)
