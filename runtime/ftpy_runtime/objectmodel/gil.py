"""Is the GIL on, why, and which import turned it back on.

A free-threaded build starts with the GIL off.  It comes back on for good
when ``PYTHON_GIL=1`` or ``-X gil=1`` says so, or when the program imports
an extension module that hasn't declared ``Py_mod_gil =
Py_MOD_GIL_NOT_USED`` (CPython then warns: "The global interpreter lock (GIL)
has been enabled to load module '<name>'...").  After that every thread is
serialised again, and the program is quietly a GIL program.

`watch` reports the moment that happens, naming the module and the line of
the user's code that imported it.  It notices in two ways:

* ``ExtensionFileLoader.create_module`` (where ``_imp.create_dynamic`` runs
  the module's init, and where CPython decides about the GIL) is wrapped to
  compare ``sys._is_gil_enabled()`` before and after.  This works whatever
  the program's warning filters say, even "ignore" or "error".
* ``warnings._showwarnmsg`` is wrapped to spot CPython's warning, for
  extensions loaded some other way.  The wrapper always passes the warning
  on unchanged, so ``showwarning`` overrides, ``catch_warnings(record=True)``
  and logging's capture keep working.
"""

from __future__ import annotations

import _thread
import importlib
import os
import re
import sys
import sysconfig
import threading
import warnings
from collections.abc import Callable
from importlib.machinery import ExtensionFileLoader
from types import FrameType
from typing import Any, cast

__all__ = ["state", "watch", "events"]

GilCallback = Callable[[dict[str, Any]], None]

_MESSAGE = re.compile(
    r"The global interpreter lock \(GIL\) has been enabled to load module '([^']+)'"
)
_THIS_FILE = os.path.normcase(os.path.abspath(__file__))
_IMPORTLIB_DIR = os.path.normcase(os.path.dirname(os.path.abspath(importlib.__file__)))
# warnings.py, and in 3.14 the _py_warnings.py it re-exports.
_WARNINGS_FILES = frozenset(
    os.path.normcase(os.path.join(os.path.dirname(os.path.abspath(warnings.__file__)), name))
    for name in ("warnings.py", "_py_warnings.py")
)


def _is_free_threaded_build() -> bool:
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def _gil_enabled() -> bool:
    probe = getattr(sys, "_is_gil_enabled", None)
    return True if probe is None else bool(probe())


class _State:
    """The watcher's process-wide state (touched only on imports and warnings)."""

    callbacks: list[GilCallback] = []
    events: list[dict[str, Any]] = []
    reported: set[str] = set()
    lock: Any = _thread.allocate_lock()
    original_create_module: Callable[..., Any] | None = None
    original_showwarnmsg: Callable[..., Any] | None = None


def _skippable(filename: str) -> bool:
    if filename.startswith("<frozen importlib") or filename.startswith("<frozen zipimport"):
        return True
    if filename.startswith("<"):
        return False
    norm = os.path.normcase(os.path.abspath(filename))
    return norm == _THIS_FILE or norm in _WARNINGS_FILES or norm.startswith(_IMPORTLIB_DIR + os.sep)


def _user_stack(frame: FrameType | None) -> list[dict[str, Any]]:
    """Frames outside the import machinery, innermost first: [0] is the line that imported."""
    stack: list[dict[str, Any]] = []
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        if not _skippable(filename):
            stack.append(
                {
                    "function": getattr(code, "co_qualname", code.co_name),
                    "file": filename if filename.startswith("<") else os.path.abspath(filename),
                    "line": frame.f_lineno,
                }
            )
        frame = frame.f_back
    return stack


def _report(module: str, path: str | None, how: str, frame: FrameType | None) -> None:
    with _State.lock:
        if module in _State.reported:
            return
        _State.reported.add(module)
    stack = _user_stack(frame)
    file, line = (stack[0]["file"], stack[0]["line"]) if stack else (None, None)
    where = f" ({path})" if path else ""
    event = {
        "enabled": True,
        "module": module,
        "file": file,
        "line": line,
        "reason": (
            f"extension module '{module}'{where} does not declare Py_mod_gil = "
            "Py_MOD_GIL_NOT_USED, so CPython turned the GIL on to load it; "
            "run with PYTHON_GIL=0 (or -X gil=0) to keep it off at your own risk"
        ),
        "thread": {"id": threading.get_ident(), "name": threading.current_thread().name},
        "stack": stack,
        "detected_by": how,
    }
    with _State.lock:
        _State.events.append(event)
        callbacks = list(_State.callbacks)
    for callback in callbacks:
        try:
            callback(dict(event))
        except Exception:  # a broken callback must not break the user's import
            pass


def _watching_create_module(self: ExtensionFileLoader, spec: Any) -> Any:
    original = _State.original_create_module
    assert original is not None
    before = _gil_enabled()
    try:
        return original(self, spec)
    finally:
        # Even if the import failed (a warnings filter of "error" turns
        # CPython's warning into an exception), the GIL is on now.
        if not before and _gil_enabled():
            _report(spec.name, getattr(spec, "origin", None), "import", sys._getframe(1))  # pyright: ignore[reportPrivateUsage]  # CPython's frame API


def _watching_showwarnmsg(msg: Any) -> Any:
    original = _State.original_showwarnmsg
    assert original is not None
    try:
        if issubclass(msg.category, RuntimeWarning):
            match = _MESSAGE.search(str(msg.message))
            if match:
                _report(match.group(1), None, "warning", sys._getframe(1))  # pyright: ignore[reportPrivateUsage]  # CPython's frame API
    except Exception:
        pass
    return original(msg)


def _install() -> None:
    if _State.original_create_module is None:
        _State.original_create_module = ExtensionFileLoader.create_module
        ExtensionFileLoader.create_module = _watching_create_module  # type: ignore[method-assign]  # the watcher's hook
    if _State.original_showwarnmsg is None and hasattr(warnings, "_showwarnmsg"):
        # warnings' private display hook, which every warning passes through (typeshed leaves it out).
        _State.original_showwarnmsg = warnings._showwarnmsg  # type: ignore[attr-defined]
        warnings._showwarnmsg = _watching_showwarnmsg  # type: ignore[attr-defined]


def watch(callback: GilCallback) -> Callable[[], None]:
    """Call `callback` when an import turns the GIL back on.

    The callback gets ``{"enabled": True, "module": name, "file": path,
    "line": n, "reason": text, "thread": {"id", "name"}, "stack": [{"function",
    "file", "line"}, ...], "detected_by": "import" | "warning"}``, on the
    importing thread, during the import.  ``file``/``line`` are the import
    statement (``stack[0]``); the stack leaves out the import machinery.  Exceptions it raises
    are swallowed.  Returns a function that stops this callback.  On a GIL
    build there is nothing to watch and the callback is never called.
    """
    with _State.lock:
        _State.callbacks.append(callback)
    if _is_free_threaded_build():
        _install()

    def unwatch() -> None:
        with _State.lock:
            if callback in _State.callbacks:
                _State.callbacks.remove(callback)

    return unwatch


def events() -> list[dict[str, Any]]:
    """Every GIL-enabling import seen so far, oldest first."""
    with _State.lock:
        return [dict(e) for e in _State.events]


def _modules_from_warning_registries() -> list[str]:
    """Modules named in CPython's GIL warning, from warnings' registries.

    Covers imports that happened before `watch` was called, as long as the
    warning wasn't filtered out ("ignore" leaves no trace).
    """
    found: list[str] = []
    for module in list(sys.modules.values()):
        registry: object = getattr(module, "__warningregistry__", None)
        if not isinstance(registry, dict):
            continue
        keys: list[object] = list(cast("dict[object, object]", registry))
        for key in keys:
            first: object = cast("tuple[object, ...]", key)[0] if isinstance(key, tuple) and key else None
            if isinstance(first, str):
                match = _MESSAGE.search(first)
                if match and match.group(1) not in found:
                    found.append(match.group(1))
    return found


def state() -> dict[str, Any]:
    """The GIL's state, and why.

    Returns ``{"free_threaded_build": bool, "enabled": bool, "forced_by":
    "-X gil=1" | "PYTHON_GIL=1" | ... | None, "modules": [names],
    "reason": text}``.
    """
    free_threaded = _is_free_threaded_build()
    enabled = _gil_enabled()
    forced: str | None = None
    xoption = getattr(sys, "_xoptions", {}).get("gil")
    env = os.environ.get("PYTHON_GIL")
    if xoption is not None and xoption is not True:
        forced = f"-X gil={xoption}"
    elif env:
        forced = f"PYTHON_GIL={env}"
    modules = [e["module"] for e in events()]
    for name in _modules_from_warning_registries():
        if name not in modules:
            modules.append(name)

    if not free_threaded:
        reason = (
            f"{sys.executable} is not a free-threaded build (Py_GIL_DISABLED=0): "
            "the GIL is always on"
        )
    elif forced is not None and forced.endswith("=1"):
        reason = f"forced on by {forced}"
    elif enabled and modules:
        names = ", ".join(f"'{m}'" for m in modules)
        reason = f"re-enabled by importing {names}, which did not declare Py_mod_gil support"
    elif enabled:
        reason = (
            "re-enabled by an extension module without Py_mod_gil support, imported "
            "before the debugger was watching (its warning was filtered out)"
        )
    elif forced is not None:
        reason = f"kept off by {forced}"
    else:
        reason = "off: the free-threaded default"
    return {
        "free_threaded_build": free_threaded,
        "enabled": enabled,
        "forced_by": forced,
        "modules": modules,
        "reason": reason,
    }
