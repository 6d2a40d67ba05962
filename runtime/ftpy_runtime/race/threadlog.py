"""Per-thread access logs: the detector's hot path.

Each thread that runs instrumented code gets a `ThreadState` and three closures over it,
the hooks ``a(obj, site)`` (attributes), ``h(obj, site)`` (the other unkeyed accesses) and
``k(obj, site, key)``.  A hook appends two ints to the
thread's own ``array('q')`` (the site id and the key's hash, or NOKEY) and the object to
the thread's own list, until the detector looks at it.  The list holds a *weak* reference
to every object that takes one (instances, classes, functions, generators, subclasses of
the built-in containers): the detector never keeps the program's objects alive, so
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

from .containers import PLAIN_KEYS, key_hash
from .sites import NOKEY, STACK, SYNC
from .vectorclock import vc_join

LOG_LIMIT = 4096            # objects per log before a flush
FLUSH_INTERVAL = 0.5        # seconds a log may wait at synchronisation points
STACK_DEPTH = 24

_RUNTIME_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_THREADING_FILE = os.path.abspath(getattr(sys.modules.get("threading"), "__file__", "") or "")

Frames = tuple  # tuple of (file, function, line), innermost first

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
    type(reversed([])), memoryview, slice,
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
        self.flushing = False
        self.syncs_since_check = 0
        self.last_flush = time.monotonic()
        # Detector-side view, touched only by this thread's flushes.
        self.det_vc: Any = clock[:]
        self.det_stacks: dict[int, Frames] = {}
        self.det_sites: dict[int, Any] = {}
        self.det_objs: dict[int, Any] = {}
        self.buf = array("q")
        self.keep: list[Any] = []
        self.last: dict[int, Any] = {}
        self.next_activation = itertools.count(1).__next__   # numbers this thread's calls
        self.hook_a, self.hook_h, self.hook_k = self._make_hooks()

    def _make_hooks(self) -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
        wref = weakref.ref
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
        # id(type) -> (weak reference to it, _unchecked_builtin(type)), this thread's own: a
        # class made in a function must still be freed when the program drops it.
        verdicts: dict[int, tuple[Any, bool]] = {}

        def unchecked(tp: type) -> bool:
            v = verdicts.get(id_(tp))
            if v is None or v[0]() is not tp:
                if len(verdicts) > 1024:
                    verdicts.clear()
                v = verdicts[id_(tp)] = (wref(tp), _unchecked_builtin(tp))
            return v[1]
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
        limit = LOG_LIMIT
        flush = self.flush

        # Stacks.  Code without a prologue (module code, generators, lambdas) logs the
        # stack of the first access at each site.  Instrumented functions pass their
        # activation number `act`: while an activation runs its callers cannot change, so
        # its stack is captured once, at its first logged access, and a STACK record goes
        # into the log whenever a site's stack is not the one last logged for it.  Every
        # frame of every access's stack is then exact.  Stacks are interned per thread.
        acts: dict[int, Frames] = {}
        site_stacks: dict[int, Frames] = {}
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
                r = wref(obj)    # the object's existing plain weak reference, when it has one
            elif tp in held or not unchecked(tp):
                r = obj          # no weak reference to it: held until the check
                lk = ~lk
            else:
                return obj
            # The one place entries enter `last`: every hit is of an entry made here, since
            # the last synchronisation cleared it.
            last[lk] = r
            if act is None:
                # No prologue numbers activations (rewrite.HOLDER_ONLY: the program must see
                # no new local): the instrumented frame (below log and its hook), its caller
                # and the instruction the caller is at name the activation instead; none is
                # kept, so no frame outlives its call.
                f = getframe(2)
                fb = f.f_back
                act = id_(f) ^ (id_(fb) * mix) ^ (fb.f_lasti << 1 if fb is not None else 0)
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
        # under lk = id(obj) ^ site (>= 0): the object's weak reference there, or the object
        # itself under ~lk (< 0) when it takes none; a keyed access (k) mixes the key's hash
        # in and keeps lk >= 0 too.  So a value under a key >= 0 is always an exact
        # weakref.ref (ReferenceType is unchecked: no held object is one), which runs no
        # user code when called, and a hit is one lookup and an identity test on its
        # object (it may have died and its id been reused).  `a` (attributes: mostly
        # instances, with weak references) tries that first; `h` (iterations, container
        # methods, globals: mostly lists, dicts and True, held, or numbers, which are not
        # checked) and `k` (subscripts: the same) reject unchecked types, then try ~lk
        # first.  Which reference to keep is decided on a miss only.
        def a(obj: Any, site: int, act: Any = None) -> Any:
            lk = id_(obj) ^ site
            r = last_get(lk)
            if r is not None and r() is obj:    # hit
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
            lk = id_(obj) ^ site
            if last_get(~lk) is obj:            # hit
                return obj
            r = last_get(lk)
            if r is not None and r() is obj:    # hit
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
            lk = (id_(obj) ^ site ^ (kh * mix)) & keymask    # >= 0 whatever the hash
            if last_get(~lk) is obj:            # hit
                return obj
            r = last_get(lk)
            if r is not None and r() is obj:    # hit
                return obj
            return log(obj, tp, weakrefoffset(tp), site, kh, lk, act)

        return a, h, k

    def _sample(self, site: int) -> None:
        stack = capture_stack(2)
        self.buf.append(STACK)
        self.buf.append(site)
        self.keep.append(stack)

    # Synchronisation (always called on this thread) ----------------------------------
    def _log_vc(self, release: bool = False) -> None:
        self.last.clear()
        self.buf.append(SYNC)
        # aux 0 marks a release: the new clock differs from the old one only in this
        # thread's own entry, which lets the detector merge accesses across it.
        self.buf.append(0 if release else NOKEY)
        self.keep.append(self.vc[:])
        if len(self.keep) >= LOG_LIMIT:
            self.flush()
        else:
            # Reports should stream while the program runs, not only when logs fill up:
            # every so many synchronisations, hand over a log that has waited long enough.
            self.syncs_since_check += 1
            if self.syncs_since_check >= 256:
                self.syncs_since_check = 0
                if time.monotonic() - self.last_flush >= FLUSH_INTERVAL:
                    self.flush()

    def release(self) -> Any:
        """The clock to publish at a release; advances this thread's epoch."""
        vc = self.vc
        snap = vc[:]
        vc[self.idx] += 1
        # _log_vc(release=True), inlined: lock-heavy code releases once per access.
        self.last.clear()
        buf = self.buf
        buf.append(SYNC)
        buf.append(0)
        keep = self.keep
        keep.append(vc[:])
        self.published = snap
        if len(keep) >= LOG_LIMIT:
            self.flush()
        else:
            self.syncs_since_check += 1
            if self.syncs_since_check >= 256:
                self.syncs_since_check = 0
                if time.monotonic() - self.last_flush >= FLUSH_INTERVAL:
                    self.flush()
        return snap

    def new_epoch(self) -> int:
        """Start a new epoch that publishes nothing (the session's test labels); its number."""
        self.vc[self.idx] += 1
        self._log_vc()
        return self.vc[self.idx]

    def acquire(self, other: Optional[Any]) -> None:
        """Join a published clock into this thread's clock."""
        if not other or other is self.published:   # our own last release: nothing new
            return
        vc = self.vc
        if len(other) <= len(vc) and all(map(operator.le, other, vc)):
            return
        self.vc = array("q", vc_join(vc, other))
        self._log_vc()

    # Handing the log to the detector --------------------------------------------------
    def flush(self) -> None:
        if self.flushing or not self.keep:
            return
        self.flushing = True
        self.last_flush = time.monotonic()
        try:
            buf = self.buf[:]
            # Weak references back to objects; one whose object died reads as None, which
            # the detector skips like any immutable value.
            ref_type = weakref.ReferenceType
            keep = [x() if type(x) is ref_type else x for x in self.keep]
            del self.buf[:]
            self.keep.clear()
            self.last.clear()
            self.session.process_log(self, buf, keep)
        finally:
            self.flushing = False
