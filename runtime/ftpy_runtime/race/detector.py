"""The happens-before checker: FastTrack over the threads' access logs.

Logs arrive whole, one thread's at a time, in that thread's program order; logs of
different threads arrive in no particular order.  So that arrival order cannot matter, each
shadow entry keeps the accessing thread's full clock snapshot (shared by every access of
one epoch, so it costs a reference), and two accesses race when neither happened before the
other (vectorclock.concurrent).  For each variable the detector keeps, per thread, a short
history of reads and writes from distinct epochs, like TSAN's bounded shadow cells.

Before any Python-level work, a log is collapsed at C speed: repeated accesses by one
thread to the same object, site and key within one epoch are one access as far as races go.

What conflicts with what (docs/races.md, "What counts as a race"):

* attributes, globals, closure cells, and subscripts of other objects: write/write and
  read/write on the same field;
* built-in containers: a per-key read (d[k], d.get(k), k in d) against a write or delete of
  the same key, and a multi-step read (iteration, list(x), x.copy(), keys()/items()...)
  against any write; single operations never race with each other (write/write is fine).
"""

from __future__ import annotations

import _thread
import operator
import os
import sys
import weakref
from itertools import accumulate, compress, repeat
from typing import Any, Callable, Optional

from . import containers as C
from . import sites as S
from .containers import UNKNOWN_KEY, TypeModel
from .sites import Site, SiteTable
from .vectorclock import vc_get

HISTORY = 8                 # entries per (variable, thread, read|write)
SWEEP_EVERY = 2000          # new shadow objects in a shard between sweeps of the dead ones

IMMUTABLE = frozenset({int, float, complex, str, bytes, bool, type(None), tuple, frozenset,
                       range, type(Ellipsis), type(NotImplemented)})

WHOLE = ("*",)
ANY = ("?",)     # per-key reads of a dict or set, against writes that remove entries it picks
_ATTR_READS = frozenset({S.ATTR_R, S.ATTR_RW})
_ATTR_SETS = frozenset({S.ATTR_W, S.ATTR_RW})
_SUB_DUNDERS = {S.SUB_R: ("__getitem__",), S.SUB_W: ("__setitem__",), S.SUB_D: ("__delitem__",),
                S.SUB_RW: ("__getitem__", "__setitem__")}
_MASK64 = (1 << 64) - 1
LOCAL_INDEX_LIMIT = 20_000
KEY_PREFIX = "\0[]"


def keyed_field(key_hash: int) -> str:
    """The field name for one key of a subscripted object (interned: immortal on 3.13t)."""
    return sys.intern(f"{KEY_PREFIX}{key_hash}")


def field_key_hash(field: Any) -> Any:
    """The key hash of a field made by keyed_field, else None."""
    if isinstance(field, str) and field.startswith(KEY_PREFIX):
        return int(field[len(KEY_PREFIX):])
    return None

try:  # threading.local attributes are per thread: never a race
    from _thread import _local as _LOCAL_TYPE  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    _LOCAL_TYPE = ()

Entry = tuple  # (own clock, vc snapshot, site id, stack, thread idx)


class _Var:
    __slots__ = ("reads", "writes")

    def __init__(self) -> None:
        self.reads: dict[int, list[Entry]] = {}
        self.writes: dict[int, list[Entry]] = {}


class _Obj:
    __slots__ = ("ref", "strong", "fields")

    def __init__(self, obj: Any) -> None:
        try:
            self.ref: Any = weakref.ref(obj)
            self.strong = False
        except TypeError:
            self.ref = obj
            self.strong = True
        self.fields: dict[Any, _Var] = {}

    def alive_as(self, obj: Any) -> bool:
        if self.strong:
            return self.ref is obj
        return self.ref is not None and self.ref() is obj


class RaceFound:
    """Two conflicting unordered accesses, before formatting."""

    def __init__(self, obj: Any, field: Any, cur: Entry, cur_write: bool,
                 prev: Entry, prev_write: bool, whole: bool) -> None:
        self.obj = obj
        self.field = field
        self.cur = cur
        self.cur_write = cur_write
        self.prev = prev
        self.prev_write = prev_write
        self.whole = whole


SHARDS = 16


class Detector:
    """Shadow state for every object and field seen, and the race checks.

    The shadow state is split into shards by object id, each with its own lock, so
    threads flushing their logs at the same time mostly check in parallel.
    """

    def __init__(self, sites: SiteTable, on_race: Callable[[RaceFound], None]) -> None:
        self.sites = sites
        self.shards = [_Shard(on_race) for _ in range(SHARDS)]

    # Logs ---------------------------------------------------------------------------
    def process(self, ts: Any, buf: Any, keep: list[Any]) -> None:
        """Check one thread's log (`buf`: pairs of ints, `keep`: one object per pair).

        Only the owning thread calls this for its log, so the thread's detector-side
        state (clock, stacks, caches) needs no lock; the shards have theirs.
        """
        n = len(keep)
        if not n:
            return
        sites = buf[0::2]
        auxs = buf[1::2]
        # One int per record, exact (bit fields that cannot overlap): id, site, key hash,
        # epoch number within the log.  Big ints are not GC-tracked, tuples would be.
        # Accesses to one (object, site, key) are merged within a segment, keeping the
        # last one.  A segment ends at every STACK record (a site's stack changed) and every
        # SYNC record except a release's (aux 0): a release only advances this thread's own
        # clock entry, and an access in a later epoch races with every access the same
        # access in an earlier epoch would race with (FastTrack's epoch order), so merging
        # across releases loses no race.  That is what makes lock-heavy code cheap: the
        # accesses between one lock's acquire and release, repeated a thousand times, are
        # checked once per log.  Each kept access takes the clock of its own position.
        segs = accumulate(map(operator.and_, map((0).__gt__, sites), map(operator.ne, auxs, repeat(0))))
        is_sync = list(map(S.SYNC.__eq__, sites))
        fine = list(accumulate(is_sync))
        vcs = [ts.det_vc, *compress(keep, is_sync)]
        keys = map(operator.add,
                   map(operator.add, map(id, keep), map(operator.lshift, sites, repeat(64))),
                   map(operator.add,
                       map(operator.lshift, map(operator.and_, auxs, repeat(_MASK64)), repeat(128)),
                       map(operator.lshift, segs, repeat(192))))
        uniq = dict(zip(keys, range(n)))
        stacks = ts.det_stacks
        # Thread-owned caches.  On 3.13t a dict lookup whose key object is owned by
        # another thread is ~100x slower than one with its own (or immortal) keys, so
        # each thread keeps its own index of sites and shadow objects.
        site_cache = ts.det_sites
        get_site = site_cache.get
        local = ts.det_objs
        models = ts.det_models
        if len(local) > LOCAL_INDEX_LIMIT:
            local.clear()
        batches: list[Optional[list[Any]]] = [None] * SHARDS
        for i in uniq.values():
            site = sites[i]
            if site < 0:
                if site != S.SYNC:
                    stacks[auxs[i]] = keep[i]
                continue
            desc = get_site(site)
            if desc is None:
                desc = self.sites.get(site)
                if desc is None:
                    continue
                site_cache[site] = desc
            obj = keep[i]
            if type(obj) in IMMUTABLE and obj is not True:
                continue
            shard = 0 if obj is True else (id(obj) >> 4) % SHARDS
            batch = batches[shard]
            if batch is None:
                batch = batches[shard] = []
            batch.append(i)
            batch.append(vcs[fine[i]])
            batch.append(stacks.get(site))    # the stack as of this record, in log order
        ts.det_vc = vcs[-1]
        u = ts.idx
        for shard_index, batch in enumerate(batches):
            if batch is None:
                continue
            shard = self.shards[shard_index]
            with shard.lock:
                shard._local = local
                shard._models = models
                for j in range(0, len(batch), 3):
                    i = batch[j]
                    site = sites[i]
                    shard.access(u, batch[j + 1], site, site_cache[site], auxs[i], keep[i],
                                 batch[j + 2])
                shard._local = {}
                shard._models = {}


class _Shard:
    """One part of the shadow state: objects whose id falls in it, under one lock."""

    def __init__(self, on_race: Callable[[RaceFound], None]) -> None:
        self.on_race = on_race
        self.lock = _thread.allocate_lock()
        self.objs: dict[Any, _Obj] = {}
        self._local: dict[int, _Obj] = {}   # the flushing thread's index, while it holds the lock
        self._models: dict[int, TypeModel] = {}   # the flushing thread's type models, likewise
        self.new_since_sweep = 0

    # One access ----------------------------------------------------------------------
    def access(self, u: int, vc: tuple, site: int, desc: Site, aux: int, obj: Any,
               stack: Any) -> None:
        kind = desc.kind
        if kind >= S.NAME_R and kind <= S.NAME_D:
            if obj is True:   # a module global: one shadow object per module file
                key: Any = desc.file     # a str: cannot clash with an object's id
                sh = self.objs.get(key)
                if sh is None:
                    sh = self.objs[key] = _Obj(_GlobalsToken(desc.file))
                self._plain(sh, sh.ref, desc.name, kind, u, vc, site, stack, True)
                return
            sh = self._shadow(obj)
            self._plain(sh, obj, desc.name, kind, u, vc, site, stack, False)
            return
        if issubclass(type(obj), _LOCAL_TYPE):   # not isinstance: it asks obj.__class__ (user code)
            return
        tp = type(obj)
        models = self._models
        model = models.get(id(tp))
        if model is None or model.tp is not tp:
            model = models[id(tp)] = TypeModel(tp)
        calls = model.calls
        if kind <= S.ATTR_D:
            # Properties, Python descriptors and Python __setattr__/__getattribute__ are
            # calls: the accesses their code makes are what count.
            if calls and (("__getattribute__" in calls and kind in _ATTR_READS)
                          or ("__setattr__" in calls and kind in _ATTR_SETS)
                          or ("__delattr__" in calls and kind == S.ATTR_D)):
                return
            if model.attr_is_call(desc.name):
                return
            sh = self._shadow(obj)
            self._plain(sh, obj, desc.name, kind, u, vc, site, stack, False)
            return
        if kind <= S.SUB_D:
            if calls and any(d in calls for d in _SUB_DUNDERS[kind]):
                return      # obj[k] on a type that implements it in Python: a call
        entry = (vc[u], vc, site, stack, u)
        container = model.container
        if kind <= S.SUB_D:
            if not container:
                if aux == UNKNOWN_KEY:
                    return
                sh = self._shadow(obj)
                field = keyed_field(aux)
                self._plain(sh, obj, field, kind - (S.SUB_R - S.ATTR_R), u, vc, site, stack, False)
                return
            sh = self._shadow(obj)
            reads = kind in (S.SUB_R, S.SUB_RW)
            writes = kind != S.SUB_R
            if aux == UNKNOWN_KEY:
                # A key we could not hash without running user code: its per-key reads
                # are not checked; a store still changes the contents.
                if writes:
                    self._check(sh, obj, WHOLE, entry, True, False, True)
                return
            if aux == S.NOKEY:
                if reads:
                    self._check(sh, obj, WHOLE, entry, False, False, True)
                if writes:
                    self._check(sh, obj, WHOLE, entry, True, False, True)
                return
            field = keyed_field(aux)
            if reads:
                self._key_read(sh, obj, field, entry, model.keyed)
            if writes:
                self._check(sh, obj, field, entry, True, False, False)
                self._check(sh, obj, WHOLE, entry, True, False, True)
            return
        if not container:
            return
        if kind == S.ITER:
            if "__iter__" not in calls:
                self._check(self._shadow(obj), obj, WHOLE, entry, False, False, True)
        elif kind == S.CONTAINS:
            if model.keyed and aux != S.NOKEY and aux != UNKNOWN_KEY and "__contains__" not in calls:
                self._key_read(self._shadow(obj), obj, keyed_field(aux), entry, True)
        elif kind == S.METHOD:
            how = model.methods.get(desc.name)
            if how is None:
                return      # not an operation of this container (or a Python override)
            sh = self._shadow(obj)
            keyed = model.keyed and aux != S.NOKEY and aux != UNKNOWN_KEY
            if how == C.WHOLE_READ:
                self._check(sh, obj, WHOLE, entry, False, False, True)
            elif how == C.KEY_READ:
                if keyed:
                    self._key_read(sh, obj, keyed_field(aux), entry, True)
            elif how == C.KEY_WRITE and keyed:
                self._check(sh, obj, keyed_field(aux), entry, True, False, False)
                self._check(sh, obj, WHOLE, entry, True, False, True)
            elif how == C.ANY_WRITE:
                self._check(sh, obj, ANY, entry, True, False, True)
                self._check(sh, obj, WHOLE, entry, True, False, True)
            else:
                self._check(sh, obj, WHOLE, entry, True, False, True)

    def _key_read(self, sh: _Obj, obj: Any, field: Any, entry: Entry, keyed: bool) -> None:
        """A per-key read; on dicts and sets it also conflicts with writes that remove
        entries the detector cannot name in advance (popitem, clear, set.pop)."""
        self._check(sh, obj, field, entry, False, False, False)
        if keyed:
            self._check(sh, obj, ANY, entry, False, False, True)

    def _plain(self, sh: _Obj, obj: Any, field: Any, kind: int, u: int, vc: tuple,
               site: int, stack: Any, _global: bool) -> None:
        entry = (vc[u], vc, site, stack, u)
        if kind in S.READS:
            self._check(sh, obj, field, entry, False, True, False)
        if kind in S.WRITES:
            self._check(sh, obj, field, entry, True, True, False)

    def _shadow(self, obj: Any) -> _Obj:
        oid = id(obj)
        local = self._local
        sh = local.get(oid)
        if sh is not None and sh.alive_as(obj):
            return sh
        sh = self.objs.get(oid)
        if sh is None or not sh.alive_as(obj):
            sh = self.objs[oid] = _Obj(obj)
            self.new_since_sweep += 1
            if self.new_since_sweep >= SWEEP_EVERY and self.new_since_sweep * 2 >= len(self.objs):
                self._sweep()
        local[oid] = sh
        return sh

    def _sweep(self) -> None:
        """Forget objects that died, or that only the detector still holds."""
        self.new_since_sweep = 0
        dead = [k for k, sh in self.objs.items()
                if (sh.strong and not isinstance(sh.ref, _GlobalsToken) and sys.getrefcount(sh.ref) <= 3)
                or (not sh.strong and sh.ref() is None)]
        for k in dead:
            sh = self.objs.pop(k)
            if sh.strong:
                sh.ref = None     # copies in threads' indexes no longer match any object

    def _check(self, sh: _Obj, obj: Any, field: Any, entry: Entry, is_write: bool,
               ww: bool, whole: bool) -> None:
        var = sh.fields.get(field)
        if var is None:
            var = sh.fields[field] = _Var()
        clk, vc, site, _stack, u = entry
        if is_write:
            if var.reads:
                self._against(var.reads, False, obj, field, entry, True, whole)
            if ww and var.writes:
                self._against(var.writes, True, obj, field, entry, True, whole)
        elif var.writes:
            self._against(var.writes, True, obj, field, entry, False, whole)
        own = (var.writes if is_write else var.reads).get(u)
        if own is None:
            (var.writes if is_write else var.reads)[u] = [entry]
            return
        stack = entry[3]
        for e in own:
            if e[1] is vc and e[2] == site and e[3] is stack:
                return
        own.append(entry)
        if len(own) > HISTORY:
            del own[1]


    def _against(self, table: dict[int, list[Entry]], prev_write: bool, obj: Any, field: Any,
                 entry: Entry, is_write: bool, whole: bool) -> None:
        clk, vc, _site, _stack, u = entry
        for t, entries in table.items():
            if t == u:
                continue
            known = vc_get(vc, t)
            for e in entries:   # every racing entry: each pair of sites is its own report
                if e[0] > known and clk > vc_get(e[1], u):
                    self.on_race(RaceFound(obj, WHOLE if field is ANY else field, entry, is_write,
                                           e, prev_write, whole))


class _GlobalsToken:
    """Stands for a module's globals in the shadow state."""

    __slots__ = ("file",)

    def __init__(self, file: str) -> None:
        self.file = file

    @property
    def module_name(self) -> str:
        return os.path.splitext(os.path.basename(self.file))[0]
