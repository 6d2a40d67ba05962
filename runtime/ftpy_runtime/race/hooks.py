"""What rewritten code imports: the per-thread hook holder, cell tokens, site registration.

``tl`` is a `threading.local` whose first use in a thread builds that thread's hooks (see
threadlog.py).  Rewritten code reaches it as a constant (``HOLDER.a(obj, SITE)``) on every
access, from every thread, so on free-threaded 3.13 the holder is made immortal: loading
it then touches no shared reference count (the contention trap; 2 threads ran a no-op hook
through it 3.5x slower than 1 thread, 2x when immortal).

When no race session is active (a rewritten module imported after the session finished,
say) the hooks are no-ops that hand back their first argument.
"""

from __future__ import annotations

import _thread
import ctypes
import sys
import sysconfig
import types
from typing import Any, Callable, Optional

from ..user_code import is_runtime_file
from .sites import SiteTable

# PEP 703 header of CPython 3.13t (objectmodel/headers.py): ob_tid u64 at 0, ob_ref_local u32
# at 12, ob_ref_shared i64 at 16; immortal means ob_ref_local == UINT32_MAX, and Py_REFCNT
# then reads UINT32_MAX.  Only this layout was checked: other versions keep a mortal holder.
_IMMORTAL_LOCAL = 0xFFFFFFFF
_CAN_IMMORTALIZE = bool(sysconfig.get_config_var("Py_GIL_DISABLED")) and sys.version_info[:2] == (3, 13)


def _immortalize(obj: object) -> bool:
    """Make `obj`, which only the calling thread has seen yet, immortal (never freed), as
    _Py_SetImmortal does: unowned, local count UINT32_MAX, shared count 0."""
    if not _CAN_IMMORTALIZE:
        return False
    addr = id(obj)
    if ctypes.c_uint64.from_address(addr).value != _thread.get_ident():
        return False     # not this thread's own object: its counts are not ours to change
    ctypes.c_uint32.from_address(addr + 12).value = _IMMORTAL_LOCAL
    ctypes.c_int64.from_address(addr + 16).value = 0
    ctypes.c_uint64.from_address(addr).value = 0
    return sys.getrefcount(obj) == _IMMORTAL_LOCAL


def share_between_threads(value: Any) -> None:
    """Make what every thread of the program will call through a patch (a function, a class's
    methods, a callable instance), and the closure cells those functions read, immortal.

    A function defined inside another function gets no deferred reference count on 3.13t
    (funcobject.c: only top-level functions do), so each call from two threads adds to its
    shared count, and to that of each cell of its closure (COPY_FREE_VARS): the lock
    wrappers' `__enter__`/`__exit__`, called for every `with lock:`, then ping-ponged one
    cache line between threads each working on locks of their own (2 threads kept 0.82 of
    the plain speedup; 0.98 with these immortal).  Only the runtime's own functions are
    touched, and only objects this thread made (`_immortalize` checks); they are never
    freed, like the session's hook holder."""
    if not _CAN_IMMORTALIZE:
        return
    if isinstance(value, type):
        found = [v for c in value.__mro__ for v in vars(c).values()]
    elif isinstance(value, types.FunctionType):
        found = [value]
    else:
        # An instance of one of the runtime's classes (rawthreads._AsBuiltin, say).
        module = sys.modules.get(type(value).__module__)
        if not is_runtime_file(getattr(module, "__file__", None) or ""):
            return
        _immortalize(value)
        found = list(getattr(value, "__dict__", {}).values())
    for fn in found:
        if not isinstance(fn, types.FunctionType) or not is_runtime_file(fn.__code__.co_filename):
            continue
        _immortalize(fn)
        for cell in fn.__closure__ or ():
            _immortalize(cell)
            try:
                content = cell.cell_contents
            except ValueError:       # an empty cell
                continue
            if isinstance(content, (types.FunctionType, types.MethodType)):
                _immortalize(content)


def _share_module(cls: type) -> bool:
    """Give `cls`, a Python subclass of ``_thread._local``, the ``_thread`` module as its
    defining module (PyHeapTypeObject.ht_module), as the C base type has.

    Every attribute lookup on a ``_thread._local`` asks for its module's state with
    PyType_GetModuleByDef.  On 3.13t that answers at once for a type whose own ht_module
    is that module, and takes the interpreter-wide type lock to walk the MRO for any other:
    every hook call through the holder then queued on one mutex (2M lookups: 0.19 s on
    one thread, 0.17 s on two; after this 0.16 s and 0.08 s, as the C type itself).

    The slot is found by looking for the module in ``_thread._local``'s own header, and
    written only where that one offset holds it there and NULL in `cls`; the type owns the
    reference it is given (type_dealloc drops it, type_traverse visits it)."""
    if not _CAN_IMMORTALIZE:
        return False
    module = sys.modules.get("_thread")
    base = _thread._local  # type: ignore[attr-defined]
    if module is None or not issubclass(cls, base):
        return False
    heap_type_size: int = getattr(type, "__basicsize__")    # sizeof(PyHeapTypeObject)
    slots = [off for off in range(0, heap_type_size, 8)
             if ctypes.c_void_p.from_address(id(base) + off).value == id(module)]
    if len(slots) != 1:
        return False
    slot = ctypes.c_void_p.from_address(id(cls) + slots[0])
    if slot.value is not None:
        return False
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(module))
    slot.value = id(module)
    return True


def _noop_a(obj: Any, site: int, act: Any = None) -> Any:
    return obj


def _noop_k(obj: Any, site: int, key: Any, act: Any = None) -> Any:
    return obj


def _noop_w(val: Any, obj: Any, site: int, act: Any = None) -> Any:
    return val


def _noop_c() -> int:
    return 0


class _Active:
    """The session the hooks report to (at most one per process)."""

    session: Optional[Any] = None          # a RaceSession
    sites = SiteTable()


class HookHolder(_thread._local):  # type: ignore[name-defined]
    """Per-thread attributes ``a``, ``h``, ``k``, ``m``, ``mk``, ``w`` (the hooks), ``ak`` and ``akc`` (for
    prologues) and ``ts``.

    One holder per session; its first use on a thread asks the session for that thread's
    state (threadlog.ThreadState), whose closures become the hooks.
    """

    def __new__(cls) -> "HookHolder":
        holder = super().__new__(cls)
        _immortalize(holder)     # before any other thread can see it
        return holder

    def __init__(self) -> None:
        # No-op hooks first: anything the session does below that reaches a patched
        # primitive (or instrumented code) on this thread finds a complete holder.
        self.ts = None
        self.a, self.h, self.k, self.ak = _noop_a, _noop_a, _noop_k, (_noop_a, _noop_k)
        self.m, self.mk, self.w = _noop_a, _noop_k, _noop_w
        self.akc = (_noop_a, _noop_k, _noop_c)
        session = _Active.session
        if session is None or session.finished:
            return
        ts = session.thread_state()
        self.a, self.h, self.k = ts.hook_a, ts.hook_h, ts.hook_k
        self.m, self.mk, self.w = ts.hook_m, ts.hook_mk, ts.hook_w
        self.ak = (ts.hook_a, ts.hook_k)
        # For prologues: the hooks and this thread's activation counter; each call of an
        # instrumented function numbers itself and passes the number to the hooks, so its
        # call stack is captured once per activation (exact outer frames, see threadlog).
        self.akc = (ts.hook_a, ts.hook_k, ts.next_activation)
        self.ts = ts


    # What module code calls through the holder (rewrite.py puts the holder into the
    # code as a constant, so these are not names in the program's namespaces).
    @staticmethod
    def reg(path: str, entries: tuple) -> None:
        _Active.sites.register(path, entries)

    @staticmethod
    def tok() -> object:
        return object()


_share_module(HookHolder)
tl = HookHolder()   # replaced by each session as it installs


def instrumented(path: str) -> bool:
    """True when the module at `path` was loaded with race hooks (its code has started)."""
    return path in _Active.sites.files()


def active_session() -> Any:
    """The RaceSession installed in this process (finished or not), or None."""
    return _Active.session


def tok() -> object:
    """A fresh object standing for one activation's closure cells."""
    return object()


def register(path: str, entries: tuple) -> None:
    """Called by a rewritten module as it starts: record its access sites."""
    _Active.sites.register(path, entries)
