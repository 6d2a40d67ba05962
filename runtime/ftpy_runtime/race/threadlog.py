"""Per-thread access logs: the detector's hot path.

Each thread that runs instrumented code gets a `ThreadState` and three closures over it,
the hooks ``a(obj, site)`` (attributes), ``h(obj, site)`` (the other unkeyed accesses) and
``k(obj, site, key)``.  A hook appends two ints to the
thread's own ``array('q')`` (the site id and the key's hash, or NOKEY) and the object to
the thread's own list, until the detector looks at it.  The list holds a *weak* reference
(a `Life`, below) to every object that takes one (instances, classes, functions,
generators, subclasses of the built-in containers): the detector never keeps the
program's objects alive, so
``__del__``, finalizers, weakref callbacks and generators' ``finally`` run exactly when
they do without it.  An object that died before its log was checked is left out of the
check (its id may have been reused).  Objects that take no weak reference (exact built-in
lists, dicts, bytearrays, cell tokens) are held until the check.  Nothing shared is touched and nothing GC-tracked is allocated,
so threads never contend on the detector (see docs/architecture.md, "The contention trap").

Synchronisation goes into the same log: when the thread's vector clock changes, a SYNC
record carries the new clock.  The first access at each site also logs a STACK record with
the call stack, so reports can show where the access came from without walking the stack
on every access.

When the log reaches `LOG_LIMIT` entries (and at thread exit, join, start and program
end) the owning thread hands it to the detector.
"""

from __future__ import annotations

import itertools
import operator
import os
import sys
import time
import weakref
from array import array
from typing import Any, Callable, Optional

from .containers import EXACT_CONTAINERS, PLAIN_KEYS, is_container, key_hash
from .hooks import _immortalize
from .sites import NOKEY, STACK, SYNC
from .vectorclock import vc_join

LOG_LIMIT = 4096            # objects per log before a flush
LIVES_LIMIT = 1 << 15       # objects a thread keeps a `Life` for before it starts afresh
FLUSH_INTERVAL = 0.5        # seconds a log may wait at synchronisation points
STACK_DEPTH = 24

_RUNTIME_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_THREADING_FILE = os.path.abspath(getattr(sys.modules.get("threading"), "__file__", "") or "")

Frames = tuple  # tuple of (file, function, line), innermost first

class Life(weakref.ref):
    """A weak reference that knows its object's address (`oid`) and whether the object is
    gone: its callback (DEATH_CALLBACK) sets `gone` before the memory can be reused.

    The hooks' test "this epoch already logged this object at this site" is
    ``r.oid == id(obj) and r.gone is None``, which reads nothing any other thread writes.
    Calling the weak reference instead (``r() is obj``) locks one of the 127 one-byte
    mutexes CPython 3.13t keeps side by side for every weak reference in the process
    (WEAKREF_LIST_LOCK in Include/internal/pycore_weakref.h): two threads each on its own
    objects fought over those two cache lines on every access (3M hook hits: 0.47 s on one
    thread, 0.34 s split over two; with this test 0.63 s and 0.31 s).

    Each thread keeps one per object it logged (ThreadState.lives), made on the first
    miss and reused by every later epoch, so lock-heavy code allocates none per epoch.
    """

    __slots__ = ("oid", "gone")


# Every Life's callback: its object is being freed (this runs before the memory is, on
# either path: a reference count reaching zero or the cyclic GC), so `gone` becomes True.
# Nothing it does may drop a reference to an object the Life's thread owns from the dying
# object's thread: CPython queues such a decrement to the owner and interrupts it to merge
# it, once per death, and the owner then frees the objects those merges release inside
# whatever Python code it runs, the program's own weakref callbacks included, nested.  A
# thread freeing 70,000 objects another thread let go of reached the recursion limit there
# (CPython's test_weakref, test_threaded_weak_value_dict_copy: RecursionErrors the plain
# program never printed).  So the callback is C (operator.methodcaller: no bytecode) and
# immortal (the Life's reference to it is dropped by the dying object's thread), and what
# it stores and replaces (True, None) are immortal; resetting `oid` instead would free an
# int of the Life's thread.
DEATH_CALLBACK = operator.methodcaller("__setattr__", "gone", True)
_immortalize(DEATH_CALLBACK)


def new_life(obj: Any, oid: int) -> Life:
    """A Life for `obj`, whose id is `oid`, that is not gone."""
    r = Life(obj, DEATH_CALLBACK)
    r.oid = oid
    r.gone = None
    return r


def _cells(fn: Callable[..., Any]) -> dict[str, Any]:
    """`fn`'s closure cells by name (the hooks' state that the synchronisation methods
    repoint without touching the hooks)."""
    return dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))


# Objects the detector never checks (immutable, or views and iterators, whose container is
# checked where it is accessed): not logged, so the log never holds them, nor what they hold.
# `True` stands for a module's globals, so bool is logged.  Other built-in types that take
# no weak reference and have no __dict__ (iterators and views of every kind, weakrefs,
# cells...) are left out too (_unchecked_builtin), so the log does not keep alive what they
# point to; the built-in containers that take none (_HELD_TYPES) must be held.
_UNCHECKED_TYPES = frozenset({
    int, float, complex, str, bytes, tuple, frozenset, range, type(None), type(Ellipsis),
    type(NotImplemented), type({}.keys()), type({}.values()), type({}.items()),
    type(iter([])), type(iter(())), type(iter({})), type(iter("")), type(iter(range(1))),
    type(reversed([])), memoryview, slice, Life,
})
_HELD_TYPES = frozenset({list, dict, bytearray, bool, object})
_type_mro = type.__dict__["__mro__"].__get__
_type_dict = type.__dict__["__dict__"].__get__


def _unchecked_builtin(tp: type) -> bool:
    """A type whose objects take no weak reference and have neither a __dict__ nor the
    __slots__ of a Python class: a C type (an iterator, a view, a cell...), nothing of which
    is checked.  Read from the type's own slots, never through a metaclass."""
    if tp.__dictoffset__:
        return False
    return not any("__slots__" in _type_dict(c) for c in _type_mro(tp))


def _per_type(test: Callable[[type], bool]) -> Callable[[type], bool]:
    """`test`, remembered per type in a table of the calling thread's own (the contention
    trap): id(type) -> (its Life, verdict), so a class made in a function is
    still freed when the program drops it."""
    verdicts: dict[int, tuple[Life, bool]] = {}
    id_ = id

    def cached(tp: type) -> bool:
        tid = id_(tp)
        v = verdicts.get(tid)
        if v is None or v[0].oid != tid or v[0].gone:    # (see Life: every thread shares a type)
            if len(verdicts) > 1024:
                verdicts.clear()
            v = verdicts[tid] = (new_life(tp, tid), test(tp))
        return v[1]
    return cached


def capture_stack(skip: int) -> Frames:
    """The calling thread's Python stack, innermost first, without the detector's frames."""
    try:
        f = sys._getframe(skip + 1)
    except ValueError:
        return ()
    out = []
    while f is not None and len(out) < STACK_DEPTH:
        code = f.f_code
        fn = code.co_filename
        if not fn.startswith(_RUNTIME_DIR) and fn != _THREADING_FILE and fn != "<frozen runpy>":
            out.append((fn, getattr(code, "co_qualname", code.co_name), f.f_lineno))
        f = f.f_back
    return tuple(out)


class ThreadState:
    """One thread as the detector sees it: its number, clock, log and hooks."""

    # Slots: 3.13t does not specialise attribute access, and a slot is found faster than a
    # dict entry; the lock wrappers touch a dozen of these per `with`.  `__dict__` keeps
    # other attributes possible.
    __slots__ = ("session", "idx", "name", "created_at", "parent", "vc", "final", "published",
                 "pend", "snap", "flushing", "syncs_since_check", "last_flush", "det_vc",
                 "det_stacks", "det_sites", "det_objs", "det_models", "buf", "keep", "last",
                 "next_activation", "hook_a", "hook_k", "hook_m", "hook_mk", "last_cell", "get_cell", "last_get",
                 "win", "win_get", "window", "unwindow", "wbuf", "wkeep", "site_stacks",
                 "hook_w", "wlock", "wobj", "wsite", "locks_cell", "lives", "__weakref__",
                 "__dict__")

    def __init__(self, session: Any, idx: int, name: str, vc: list[int],
                 created_at: Frames, parent: Optional[int]) -> None:
        self.session = session
        self.idx = idx                  # T-number; 1 is the main thread
        self.name = name
        self.created_at = created_at
        self.parent = parent
        # Clocks are array('q'): copying one allocates nothing the cyclic GC tracks, so
        # synchronisation does not bring on collections (a full-heap scan on 3.13t).
        clock = array("q", vc)
        if len(clock) <= idx:
            clock.extend([0] * (idx + 1 - len(clock)))
        clock[idx] = max(clock[idx], 1)
        self.vc = clock                 # owned by this thread; snapshots go to the log
        self.final: Optional[Any] = None
        self.published: Optional[Any] = None   # the clock this thread last released
        # Lock releases defer their epoch increment (see "Merged epochs" below): while one
        # is pending, `pend` is 1 + the log position its SYNC record will take, else 0.
        self.pend = 0
        # The clock a lock release published that still equals `vc` and that lives on that
        # one lock (and in `published`) only; None once `vc` moves on.
        self.snap: Optional[Any] = None
        self.flushing = False
        self.syncs_since_check = 0
        self.last_flush = time.monotonic()
        # Detector-side view, touched only by this thread's flushes.
        self.det_vc: Any = clock[:]
        self.det_stacks: dict[int, Frames] = {}
        self.det_sites: dict[int, Any] = {}
        self.det_objs: dict[int, Any] = {}
        self.det_models: dict[int, Any] = {}
        self.buf = array("q")
        self.keep: list[Any] = []
        self.last: dict[int, Any] = {}
        self.lives: dict[int, Life] = {}    # id(obj) -> this thread's Life for obj
        self.next_activation = itertools.count(1).__next__   # numbers this thread's calls
        # A `with obj.lock:` read kept aside until the Lock's __enter__ decides it (hook w).
        self.wlock: Any = None
        self.wobj: Any = None
        self.wsite = 0
        (self.hook_a, self.hook_h, self.hook_k, self.hook_m, self.hook_mk,
         self.hook_w) = self._make_hooks()

    def _make_hooks(self) -> tuple[Callable[..., Any], ...]:
        make_life = new_life
        lives = self.lives
        lives_get = lives.get
        # Read from the type's own slot, never through a metaclass (which could define a
        # __weakrefoffset__ property: user code).
        weakrefoffset = type.__dict__["__weakrefoffset__"].__get__
        # Builtins bound here: a program that replaces builtins.len (or id, hash, type)
        # changes nothing in the hooks.
        type_, id_, len_, hash_ = type, id, len, hash
        # This thread's own copies (frozenset(a_frozenset) would be the same object): every
        # thread loading one shared set would contend on its refcount (the contention trap).
        skip = frozenset(tuple(_UNCHECKED_TYPES))
        held = frozenset(tuple(_HELD_TYPES))
        unchecked = _per_type(_unchecked_builtin)
        bapp = self.buf.append
        kapp = self.keep.append
        keep = self.keep
        # `last` remembers, for this epoch, what each (object, site, key) logged: the
        # object's weak reference, or the object itself when it takes none (it is held by
        # the log until the check anyway).  Its key mixes id(obj) into the site id (and the
        # key's hash); the identity test below makes a hit exact.  A loop that touches the
        # same field again logs it once per epoch: the synchronisation methods clear it.
        last: dict[int, Any] = self.last
        last_get = last.get
        # While a lock release is pending the hooks must not skip an access as already
        # logged in this epoch (the access may turn out to be in the next one): the release
        # points the cells the hooks read `last` through at a dict of the window's own
        # (`win`, empty), the merge or the commit points them back.  Cell writes, so the hit
        # path itself is unchanged.
        peek = lambda: (last, last_get)   # noqa: E731 - only its closure is used
        cells = _cells(peek)
        self.last_cell, self.get_cell = cells["last"], cells["last_get"]
        self.last_get = last_get
        # Accesses of a window that the epoch had logged already (the read of `self.lock`
        # before the next `with self.lock:`, say) are hits if the release merges: they are
        # kept aside, two ints (site, aux) and two objects (the reference, the stack) each,
        # and enter the log only if it commits (commit, below).
        self.wbuf = array("q")
        self.wkeep: list[Any] = []
        wapp, wkapp = self.wbuf.append, self.wkeep.append
        elast, elast_get = last, last_get     # the epoch's own `last`, whatever the cells hold
        self.win: dict[int, Any] = {}      # this thread's own (the contention trap)
        self.win_get = self.win.get
        self.window = (self.last_cell, self.get_cell, self.win, self.win_get)
        self.unwindow = (self.last_cell, self.get_cell, last, last_get)
        limit = LOG_LIMIT
        flush = self.log_full

        # Stacks.  Code without a prologue (module code, generators, lambdas) logs the
        # stack of the first access at each site.  Instrumented functions pass their
        # activation number `act`: while an activation runs its callers cannot change, so
        # its stack is captured once, at its first logged access, and a STACK record goes
        # into the log whenever a site's stack is not the one last logged for it.  Every
        # frame of every access's stack is then exact.  Stacks are interned per thread.
        acts: dict[int, Frames] = {}
        site_stacks: dict[int, Frames] = {}
        self.site_stacks = site_stacks
        sget = site_stacks.get
        interned: dict[Frames, Frames] = {}

        getframe = sys._getframe
        mix = 0x9E3779B97F4A7C15
        keymask = (1 << 100) - 1
        cur: list[Any] = [None, None]     # the activation last seen, and its stack

        def restack(site: int, act: Any) -> None:
            fr = acts.get(act)
            cur[0] = act
            if fr is None:
                if len(acts) >= 64:
                    acts.clear()
                fr = capture_stack(3)
                fr = interned.setdefault(fr, fr)
                if len(interned) > 4096:
                    interned.clear()
                acts[act] = fr
            cur[1] = fr
            if sget(site) is not fr:
                site_stacks[site] = fr
                bapp(STACK)
                bapp(site)
                kapp(fr)

        def log(obj: Any, tp: type, weak: int, site: int, aux: int, lk: int, act: Any) -> Any:
            """The access (obj, site, aux) missed `last` under `lk`: log it if obj is checked.
            `weak` is the weakref offset of its type `tp`."""
            if weak:
                oid = id_(obj)
                r = lives_get(oid)
                if r is None or r.oid != oid or r.gone:    # (an earlier object's, now dead)
                    r = make_life(obj, oid)
                    if len_(lives) >= LIVES_LIMIT:
                        lives.clear()
                    lives[oid] = r
            elif tp in held or not unchecked(tp):
                r = obj          # no weak reference to it: held until the check
                lk = ~lk
            else:
                return obj
            if act is None:
                # No prologue numbers activations (rewrite.HOLDER_ONLY: the program must see
                # no new local): the instrumented frame (below log and its hook), its caller
                # and the instruction the caller is at name the activation instead; none is
                # kept, so no frame outlives its call.
                f = getframe(2)
                fb = f.f_back
                act = id_(f) ^ (id_(fb) * mix) ^ (fb.f_lasti << 1 if fb is not None else 0)
            if last is not elast and elast_get(lk) is r:
                # In a window (`last` is the window's), an access this epoch logged already,
                # from the stack logged last for its site: aside, not into the log.
                fr = cur[1] if act == cur[0] else acts.get(act)
                if fr is not None and sget(site) is fr:
                    last[lk] = r         # (the next one in this window is a hit)
                    wapp(site)
                    wapp(aux)
                    wkapp(r)
                    wkapp(fr)
                    return obj
            # The one place entries enter `last`: every hit is of an entry made here (or
            # kept aside above), since the last synchronisation cleared it.
            last[lk] = r
            if act != cur[0] or sget(site) is not cur[1]:
                restack(site, act)
            bapp(site)
            bapp(aux)
            kapp(r)
            if len_(keep) >= limit:
                flush()
            return obj

        # The hit path is what a loop over unsynchronised objects runs on every access, so
        # it does the least that is exact.  `last` keeps what an unkeyed access logged
        # under lk = id(obj) ^ site (>= 0): the object's Life there, or the object itself
        # under ~lk (< 0) when it takes none; a keyed access (k) mixes the key's hash in
        # and keeps lk >= 0 too.  So a value under a key >= 0 is always a Life (Life is
        # unchecked: no held object is one), and a hit is one lookup, a comparison of its
        # `oid` with id(obj) and a look at `gone`: while the Life's object lives, an equal
        # oid means it is obj (not an object that died and left its address to obj, nor
        # another whose lk collides).  Nothing another thread writes is read (see Life).  `a` (attributes: mostly
        # instances, with weak references) tries that first; `h` (iterations, container
        # methods, globals: mostly lists, dicts and True, held, or numbers, which are not
        # checked) and `k` (subscripts: the same) reject unchecked types, then try ~lk
        # first.  Which reference to keep is decided on a miss only.
        def a(obj: Any, site: int, act: Any = None) -> Any:
            oid = id_(obj)
            lk = oid ^ site
            r = last_get(lk)
            if r is not None and r.oid == oid and r.gone is None:    # hit
                return obj
            tp = type_(obj)
            if tp in skip:    # never logged (strings' methods, say): no call on their way
                return obj
            weak = weakrefoffset(tp)
            if not weak and last_get(~lk) is obj:    # hit
                return obj
            return log(obj, tp, weak, site, -1, lk, act)

        def h(obj: Any, site: int, act: Any = None) -> Any:
            # Numbers and strings (`total += x` is hooked as total.__iadd__), ranges and
            # tuples (iterated) are common here: rejected first.
            tp = type_(obj)
            if tp in skip:
                return obj
            oid = id_(obj)
            lk = oid ^ site
            if last_get(~lk) is obj:            # hit
                return obj
            r = last_get(lk)
            if r is not None and r.oid == oid and r.gone is None:    # hit
                return obj
            return log(obj, tp, weakrefoffset(tp), site, -1, lk, act)

        # Keys are hashed here only when that runs no user code (containers.key_hash):
        # a key class's own __hash__ must never run inside the detector's work.
        plain = frozenset(tuple(PLAIN_KEYS))    # this thread's own copy (the contention trap)

        def k(obj: Any, site: int, key: Any, act: Any = None) -> Any:
            # Subscripts of immutable values (tuples, strings) are common: rejected before
            # the key is hashed.
            tp = type_(obj)
            if tp in skip:
                return obj
            kh = hash_(key) if type_(key) in plain else key_hash(key)
            oid = id_(obj)
            lk = (oid ^ site ^ (kh * mix)) & keymask    # >= 0 whatever the hash
            if last_get(~lk) is obj:            # hit
                return obj
            r = last_get(lk)
            if r is not None and r.oid == oid and r.gone is None:    # hit
                return obj
            return log(obj, tp, weakrefoffset(tp), site, kh, lk, act)

        # `m` and `mk`: iterations, `in` and container-method calls (``x.get(k)``), which
        # the detector counts only on built-in containers and their subclasses (a cache
        # class's own ``get`` is a call: what its code does is what counts).  Anything else
        # returns at once, before a lookup or a log record.
        conts = frozenset(tuple(EXACT_CONTAINERS))   # this thread's own copy
        container = _per_type(is_container)

        def m(obj: Any, site: int, act: Any = None) -> Any:
            tp = type_(obj)
            if tp not in conts and (tp in skip or not container(tp)):
                return obj
            oid = id_(obj)
            lk = oid ^ site
            if last_get(~lk) is obj:            # hit
                return obj
            r = last_get(lk)
            if r is not None and r.oid == oid and r.gone is None:    # hit
                return obj
            return log(obj, tp, weakrefoffset(tp), site, -1, lk, act)

        def mk(obj: Any, site: int, key: Any, act: Any = None) -> Any:
            tp = type_(obj)
            if tp not in conts and (tp in skip or not container(tp)):
                return obj
            kh = hash_(key) if type_(key) in plain else key_hash(key)
            oid = id_(obj)
            lk = (oid ^ site ^ (kh * mix)) & keymask
            if last_get(~lk) is obj:            # hit
                return obj
            r = last_get(lk)
            if r is not None and r.oid == oid and r.gone is None:    # hit
                return obj
            return log(obj, tp, weakrefoffset(tp), site, kh, lk, act)

        # `w`: the read of a `with` statement's ``obj.attr`` (rewrite.visit_With), made
        # before the hook is called: `val` is what it read.  When `val` is one of the
        # session's lock wrappers and a release is pending (a window), an access that the
        # epoch logged already is kept in three slots, not logged: the Lock's __enter__,
        # which runs next in the same frame, drops it if it merges (a hit after all) and
        # hands it to push_slot otherwise, which captures the stack there (the same as
        # here: the same frame, at the same line).  The log() path it avoids costs most of
        # a `with self.lock:` after a release (getframe, the activation, the side buffer).
        # The rest is `a`'s body, copied rather than called: log() names the activation by
        # the frame two levels up, which must be the instrumented one.
        locks: frozenset[type] = frozenset(tuple(getattr(self.session, "lock_types", ())))
        peek_locks = lambda: locks   # noqa: E731 - only its closure is used
        self.locks_cell = _cells(peek_locks)["locks"]
        ts = self

        def w(val: Any, obj: Any, site: int, act: Any = None) -> Any:
            oid = id_(obj)
            lk = oid ^ site
            if last is not elast:
                if type_(val) in locks:
                    r = elast_get(lk)
                    if r is not None and r.oid == oid and r.gone is None:
                        ts.wlock = val
                        ts.wobj = r
                        ts.wsite = site
                        return val
            r = last_get(lk)
            if r is not None and r.oid == oid and r.gone is None:    # hit
                return val
            tp = type_(obj)
            if tp in skip:
                return val
            weak = weakrefoffset(tp)
            if not weak and last_get(~lk) is obj:    # hit
                return val
            log(obj, tp, weak, site, -1, lk, act)
            return val

        return a, h, k, m, mk, w

    def push_slot(self) -> None:
        """The `with` read kept in the slots (hook w) was not merged away: it is an access
        of the window, like those the hooks keep aside (`wbuf`), with the stack of the
        `with` statement, captured now (this runs in the Lock's __enter__, in its frame)."""
        r, site = self.wobj, self.wsite
        self.wobj = None
        obj = r() if r is not None else None
        if obj is None:
            return
        fr = capture_stack(1)
        old = self.site_stacks.get(site)
        self.win[id(obj) ^ site] = r     # (so that a merge drops what is kept aside)
        if old is not None and old == fr:
            self.wbuf.append(site)
            self.wbuf.append(-1)
            self.wkeep.append(r)
            self.wkeep.append(old)
            return
        self.site_stacks[site] = fr
        self.buf.append(STACK)
        self.buf.append(site)
        self.keep.append(fr)
        self.buf.append(site)
        self.buf.append(-1)
        self.keep.append(r)

    def _sample(self, site: int) -> None:
        stack = capture_stack(2)
        self.buf.append(STACK)
        self.buf.append(site)
        self.keep.append(stack)

    # Synchronisation (always called on this thread) ----------------------------------
    #
    # Merged epochs.  A release publishes the thread's clock S (its own entry e) and moves
    # it to epoch e+1, so that what it does next is not ordered before whoever acquires S.
    # When nobody joins S before this thread itself acquires the same lock again (the lock
    # still holds S: nobody released it since), no other thread ever learnt e, so e and
    # e+1 are indistinguishable to all of them and the thread may stay in e.  A lock
    # release therefore only *defers* its increment (`pend`): the thread re-acquiring its
    # own S (`snap`) drops it (a merge), anything else that synchronises first commits it
    # (the SYNC record goes in at the release's position, `last` is cleared, as an
    # immediate release would have done).  `with lock:` loops then log each access once
    # per log instead of once per iteration, and allocate nothing: a release in a merged
    # epoch publishes the same S again.  While a release is pending, accesses are logged
    # but never skipped as "already logged in this epoch" (hit_cell): the epoch they
    # belong to is not decided yet.
    def _synced(self) -> None:
        """After a SYNC record: hand over a full log, or one that has waited long enough."""
        if len(self.keep) >= LOG_LIMIT:
            self.flush()
        else:
            self._tick()

    def _tick(self) -> None:
        """Reports should stream while the program runs, not only when logs fill up (and
        what a log holds should not wait for that): every so many synchronisations, hand
        over a log that has waited long enough."""
        self.syncs_since_check += 1
        if self.syncs_since_check >= 256:
            self._tick_due()

    def _tick_due(self) -> None:
        self.syncs_since_check = 0
        if time.monotonic() - self.last_flush >= FLUSH_INTERVAL:
            self.flush()

    def commit(self) -> None:
        """The pending lock release takes effect: this thread moves on to a new epoch."""
        p = self.pend - 1
        if p < 0:
            return
        self.pend = 0
        self.snap = None
        # A `with` read still in the slots (hook w) belongs to an __enter__ that never ran
        # (it raised first): dropped, never logged late.
        self.wlock = None
        # What was logged before the release is in the old epoch; what the window logged
        # is in the new one, and stays known as logged.
        self.last.clear()
        self._close_window()
        vc = self.vc
        vc[self.idx] += 1
        # aux 0 marks a release: the new clock differs from the old one only in this
        # thread's own entry, which lets the detector merge accesses across it.
        buf, keep = self.buf, self.keep
        if p >= len(keep):
            buf.append(SYNC)
            buf.append(0)
            keep.append(vc[:])
        else:   # accesses were logged since the release: its record goes before them
            buf.insert(2 * p, 0)
            buf.insert(2 * p, SYNC)
            keep.insert(p, vc[:])
        wk = self.wkeep
        if wk:
            # The window's accesses the old epoch had logged too (kept aside by the hooks,
            # each with the stack its site had logged then) are in the new epoch: into the
            # log, each after a STACK record where its site's logged stack has moved on.
            wb, stacks = self.wbuf, self.site_stacks
            for j in range(len(wk) // 2):
                site, fr = wb[2 * j], wk[2 * j + 1]
                if stacks.get(site) is not fr:
                    stacks[site] = fr
                    buf.append(STACK)
                    buf.append(site)
                    keep.append(fr)
                buf.append(site)
                buf.append(wb[2 * j + 1])
                keep.append(wk[2 * j])
            del wk[:]
            del wb[:]
        self._synced()

    def release_lock(self, lock: Any) -> None:
        """`lock` (a wrapper, its clock in `_ftpy_vc`) is being released by this thread.

        The Lock wrapper's `__exit__` and `release` inline this: lock-heavy code releases
        once per access."""
        if self.pend:
            self.commit()
        s = self.snap
        if s is None or lock._ftpy_vc is not s:
            s = self.snap = self.published = self.vc[:]
            lock._ftpy_vc = s
        self.pend = len(self.keep) + 1
        last_cell, get_cell, win, win_get = self.window
        last_cell.cell_contents = win
        get_cell.cell_contents = win_get

    def _close_window(self) -> None:
        """The pending release is decided: what the window logged joins `last`."""
        win = self.win
        if win:
            self.last.update(win)
            win.clear()
        self.last_cell.cell_contents = self.last
        self.get_cell.cell_contents = self.last_get

    def merge(self) -> None:
        """This thread re-acquired the clock its pending release published, and nobody
        joined it in between: the release never happened as far as others can tell."""
        self.pend = 0
        self.wlock = None          # (see commit)
        last_cell, get_cell, win, _ = self.window
        last, last_get = self.last, self.last_get
        if win:
            # What the window logged is in this epoch now; what it kept aside (accesses
            # the epoch had logged already) were hits after all.
            last.update(win)
            win.clear()
            if self.wkeep:
                del self.wkeep[:]
                del self.wbuf[:]
        last_cell.cell_contents = last
        get_cell.cell_contents = last_get
        self.syncs_since_check += 1
        if self.syncs_since_check >= 256:
            self._tick_due()

    def acquire_lock(self, other: Optional[Any]) -> None:
        """A lock whose clock is `other` was acquired (inlined by the Lock wrapper too)."""
        if other is self.snap:
            if other is not None and self.pend:   # our own pending release, unjoined
                self.merge()
        elif other is not self.published:
            self.acquire(other)

    def _log_vc(self, release: bool = False) -> None:
        self.last.clear()
        self.buf.append(SYNC)
        self.buf.append(0 if release else NOKEY)
        self.keep.append(self.vc[:])
        self._synced()

    def release(self) -> Any:
        """The clock to publish at a release that is not a lock's (a thread's start or end,
        Event.set, a queue put); advances this thread's epoch at once."""
        if self.pend:
            self.commit()
        vc = self.vc
        snap = vc[:]
        vc[self.idx] += 1
        self.published = snap
        self.snap = None
        self._log_vc(release=True)
        return snap

    def new_epoch(self) -> int:
        """Start a new epoch that publishes nothing (the session's test labels); its number."""
        if self.pend:
            self.commit()
        self.snap = None
        self.vc[self.idx] += 1
        self._log_vc()
        return self.vc[self.idx]

    def acquire(self, other: Optional[Any]) -> None:
        """Join a published clock into this thread's clock."""
        if not other:
            return
        if other is self.snap:      # (before `published`, which is the same clock then)
            self.acquire_lock(other)
            return
        if other is self.published:   # our own last release: nothing new
            return
        vc = self.vc
        if len(other) <= len(vc) and all(map(operator.le, other, vc)):
            return
        if self.pend:
            self.commit()
        self.snap = None
        self.vc = array("q", vc_join(self.vc, other))
        self._log_vc()

    # Handing the log to the detector --------------------------------------------------
    def flush(self) -> None:
        """Hand the whole log to the detector (a pending release takes effect first: the
        log must say which epoch its last records are in)."""
        if self.pend:
            self.commit()
        self._hand_over(len(self.keep))

    def end(self) -> None:
        """The thread is ending: hand over its log, and let go of what it kept to skip
        repeats (its Lives and `last`): a finished thread's state stays in the session,
        and 200 threads that each logged 2,000 long-lived objects kept 400,000 Lives."""
        self.flush()
        self.last.clear()
        self.lives.clear()

    def log_full(self) -> None:
        """The hooks filled the log.  The records a pending release's window logged wait in
        the next log until the release is decided (a flush is no synchronisation: it must
        not end a merged epoch); a window of half a log is decided now, as a commit."""
        p = self.pend - 1
        if p >= 0 and len(self.keep) - p > LOG_LIMIT // 2:
            self.commit()
            p = -1
        self._hand_over(p if p >= 0 else len(self.keep))

    def _hand_over(self, n: int) -> None:
        """Check the first `n` records of the log."""
        if self.flushing or not n:
            return
        self.flushing = True
        self.last_flush = time.monotonic()
        try:
            buf = self.buf[:2 * n]
            # Weak references back to objects; one whose object died reads as None, which
            # the detector skips like any immutable value.
            keep = [x() if type(x) is Life else x for x in self.keep[:n]]
            del self.buf[:2 * n]
            del self.keep[:n]
            if self.pend:
                self.pend -= n
            self.session.process_log(self, buf, keep)
            del keep
            # `last` outlives the log, as long as the epoch does (a merged one can last the
            # whole run).  The objects it holds (not weak references) must still die once
            # the program and the log let go of them: it lets go of those only it and the
            # detector's shadow state hold (its sweep frees them; getrefcount's own
            # argument is the third reference).
            last = self.last
            if len(last) > LOG_LIMIT:
                last.clear()
            elif last:
                getrc = sys.getrefcount
                for key in [key for key in list(last)
                            if type(last[key]) is not Life and getrc(last[key]) <= 3]:
                    del last[key]
        finally:
            self.flushing = False
