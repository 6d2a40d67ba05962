"""Happens-before edges for threads and locks made with ``_thread`` directly, below threading.

``threading.Thread`` gets its start and join edges in syncpatch.py, and its log is checked when
it ends.  A thread started by ``_thread.start_new_thread`` had neither: its clock started empty
(so writes its parent made before starting it could be reported against it) and its log was
never handed to the detector when it ended (so the races it took part in were never reported).
Programs that start threads this way synchronise with ``_thread.allocate_lock()`` locks, which
gave no edges either: checking those threads' logs without them would turn missed races into
false ones.  So both are patched here:

* ``_thread.start_new_thread(f, args, kwargs)`` starts the thread on `_RawStart`, which gives it
  the parent's released clock (parent → child, as ``Thread.start``), runs ``f`` exactly as
  ``_thread`` would (``SystemExit`` ends the thread quietly; any other exception goes to
  ``sys.unraisablehook`` with ``_thread``'s own message and a traceback that starts in ``f``),
  then checks the thread's log.
* ``_thread.allocate_lock()`` returns the same traced Lock as ``threading.Lock()``.

The runtime's own calls (and importlib's module locks) still get plain ones: their
synchronisation is not the program's, and would order the program's threads falsely.
"""

from __future__ import annotations

import _thread
import sys
from typing import Any, Callable, Optional

from ..user_code import is_internal
from .threadlog import capture_stack


def _runtime_caller(depth: int) -> bool:
    """Is the frame `depth` levels above the caller the runtime's own code, or importlib's?
    (The patched functions below are called through `_AsBuiltin.__call__`: their caller's
    caller is the program's.)"""
    try:
        fn = sys._getframe(depth + 1).f_code.co_filename
    except ValueError:   # called from C with no Python frame
        return False
    return is_internal(fn)


def _unraisable_args_type() -> Optional[type]:
    """The type ``sys.unraisablehook`` is called with (not exposed by name): caught once from a
    ``__del__`` that raises, with the hook swapped out so nothing is printed."""
    seen: list[Any] = []

    class _Raises:
        def __del__(self) -> None:
            raise RuntimeError

    old = sys.unraisablehook
    sys.unraisablehook = seen.append
    try:
        _Raises()
    finally:
        sys.unraisablehook = old
    return type(seen[0]) if seen else None


class _RawStart:
    """What a ``_thread.start_new_thread`` thread runs instead of the program's function."""

    __slots__ = ("session", "init", "function", "hook_args")

    def __init__(self, session: Any, init: tuple, function: Callable[..., Any],
                 hook_args: Optional[type]) -> None:
        self.session = session
        self.init = init
        self.function = function
        self.hook_args = hook_args

    def __repr__(self) -> str:
        return repr(self.function)   # what _thread's "started by %R" message names

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        session = self.session
        session.begin_thread(f"Dummy-{_thread.get_ident()}", self.init)
        try:
            self.function(*args, **kwargs)
        except SystemExit:
            pass                      # as _thread does: the thread just ends
        except BaseException as exc:
            tb = exc.__traceback__
            if self.hook_args is None or tb is None:
                raise                 # _thread reports it (naming this object's repr)
            # The traceback _thread would report starts in the program's function.
            exc = exc.with_traceback(tb.tb_next)
            sys.unraisablehook(self.hook_args(
                (type(exc), exc, exc.__traceback__,
                 f"Exception ignored in thread started by {self.function!r}", None)))
        finally:
            ts = session.current()
            if ts is not None:
                ts.end()


class _AsBuiltin:
    """A replacement for a built-in function that, like one, does not become a method when a
    class stores it (``locktype = _thread.allocate_lock``), and has its name, doc and repr."""

    def __init__(self, fn: Callable[..., Any], original: Any) -> None:
        self._fn = fn
        self._original = original
        self.__name__ = original.__name__
        self.__qualname__ = original.__qualname__
        self.__doc__ = original.__doc__
        self.__module__ = "_thread"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._fn(*args, **kwargs)

    def __repr__(self) -> str:
        return repr(self._original)

    def __reduce__(self) -> Any:
        return self._original.__reduce__()   # pickles by name, as the built-in does


def install_raw_threads(patch: Callable[[Any, str, Any], None], session: Any,
                        lock_class: type) -> None:
    """Patch ``_thread.start_new_thread`` and ``_thread.allocate_lock`` with `patch`."""
    current = session.current
    orig_start = _thread.start_new_thread
    orig_alloc = _thread.allocate_lock
    hook_args = _unraisable_args_type()

    def start_new_thread(function: Any, args: Any, kwargs: Any = None) -> int:
        # Wrong arguments get _thread's own errors; runtime threads stay the runtime's.
        ts = None if _runtime_caller(2) else current()
        if (ts is None or not callable(function) or not issubclass(type(args), tuple)
                or (kwargs is not None and not issubclass(type(kwargs), dict))):
            return orig_start(function, args) if kwargs is None else orig_start(function, args, kwargs)
        init = (session.new_thread_index(), ts.release(), capture_stack(1), ts.idx)
        ts.flush()
        boot = _RawStart(session, init, function, hook_args)
        return orig_start(boot, args) if kwargs is None else orig_start(boot, args, kwargs)

    def allocate_lock() -> Any:
        if _runtime_caller(2) or current() is None:
            return orig_alloc()
        return lock_class()

    for name, fn, original in (("start_new_thread", start_new_thread, orig_start),
                               ("allocate_lock", allocate_lock, orig_alloc)):
        patch(_thread, name, _AsBuiltin(fn, original))
    for alias, fn in (("start_new", start_new_thread), ("allocate", allocate_lock)):
        original = getattr(_thread, alias, None)   # the old names, where they are kept
        if original is not None:
            patch(_thread, alias, _AsBuiltin(fn, original))
