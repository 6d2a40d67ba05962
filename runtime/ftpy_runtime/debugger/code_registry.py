"""Find the code objects that hold a breakpoint, including ones that do not exist yet.

Tracing backends want code objects, users give file names and line numbers.  The registry
bridges the two:

* modules compiled from now on are seen through a wrapper around ``SourceLoader.get_code``
  (the import system's single place that turns a ``.py`` file into a code object), and the main
  script is registered by the launcher;
* code that already exists is found through the functions alive in the heap (a ``gc`` scan)
  and the frames on every thread's stack.

Each module code object is walked down its ``co_consts`` to the nested function and class
bodies, because a breakpoint in a function body lives in that function's own code object.

"""

from __future__ import annotations

import _thread
import gc
import sys
import types
from collections.abc import Callable, Iterable, Iterator

from ..user_code import canonical

CodeType = types.CodeType


def walk(code: CodeType) -> Iterator[CodeType]:
    """``code`` and every code object nested in it."""
    yield code
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from walk(const)


def own_lines(code: CodeType) -> set[int]:
    """Line numbers that start an instruction of ``code`` itself (not of nested code)."""
    return {line for _, _, line in code.co_lines() if line is not None and line > 0}


class CodeRegistry:
    """Module code objects by canonical file name, plus a hook for new ones."""

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self._modules: dict[str, list[CodeType]] = {}
        self._listeners: list[Callable[[str, CodeType], None]] = []
        self._original_get_code: Callable[..., CodeType | None] | None = None

    def add_listener(self, fn: Callable[[str, CodeType], None]) -> None:
        self._listeners.append(fn)

    def install_import_hook(self) -> None:
        """Wrap ``SourceLoader.get_code`` so every module compiled from source is registered."""
        # The private module is where every .py file becomes a code object (typeshed leaves it out).
        from importlib import _bootstrap_external  # type: ignore[attr-defined]

        loader_cls = _bootstrap_external.SourceLoader
        original = loader_cls.get_code
        registry = self

        def get_code(loader: _bootstrap_external.SourceLoader, fullname: str) -> CodeType | None:
            code = original(loader, fullname)
            if code is not None:
                registry.register(code)
            return code

        self._original_get_code = original
        loader_cls.get_code = get_code  # type: ignore[method-assign]  # the hook: a wrapper in its place

    def uninstall_import_hook(self) -> None:
        if self._original_get_code is not None:
            from importlib import _bootstrap_external  # type: ignore[attr-defined]

            _bootstrap_external.SourceLoader.get_code = self._original_get_code  # type: ignore[method-assign]  # put back
            self._original_get_code = None

    def register(self, code: CodeType) -> None:
        """A module's code object was just created: remember it and tell the listeners."""
        filename = canonical(code.co_filename)
        with self._lock:
            self._modules.setdefault(filename, []).append(code)
        for fn in self._listeners:
            fn(filename, code)

    def codes_for_file(self, filename: str) -> list[CodeType]:
        """Every known code object (nested ones included) compiled from ``filename``."""
        with self._lock:
            roots = list(self._modules.get(filename, ()))
        seen: dict[int, CodeType] = {}
        for root in roots:
            for code in walk(root):
                seen[id(code)] = code
        for code in self._live_code(lambda c: canonical(c.co_filename) == filename):
            seen.setdefault(id(code), code)
        return list(seen.values())

    def all_codes(self, predicate: Callable[[CodeType], bool]) -> list[CodeType]:
        """Every known code object for which ``predicate`` holds (for function breakpoints)."""
        with self._lock:
            roots = [c for codes in self._modules.values() for c in codes]
        seen: dict[int, CodeType] = {}
        for root in roots:
            for code in walk(root):
                if predicate(code):
                    seen[id(code)] = code
        for code in self._live_code(predicate):
            seen.setdefault(id(code), code)
        return list(seen.values())

    @staticmethod
    def _live_code(predicate: Callable[[CodeType], bool]) -> Iterable[CodeType]:
        """Code reachable from live functions and from the frames now executing."""
        found: list[CodeType] = []
        for obj in gc.get_objects():
            if isinstance(obj, types.FunctionType):
                for code in walk(obj.__code__):
                    if predicate(code):
                        found.append(code)
        for frame in sys._current_frames().values():  # pyright: ignore[reportPrivateUsage]  # CPython's frame API
            f: types.FrameType | None = frame
            while f is not None:
                if predicate(f.f_code):
                    found.append(f.f_code)
                f = f.f_back
        return found
