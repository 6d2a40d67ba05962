"""Which thread each live object is biased to, heap-wide.

Biased reference counting gives every object an owner, the thread that
created it (``ob_tid``).  The owner counts its references in
``ob_ref_local`` without atomics; everyone else pays for atomic updates of
``ob_ref_shared``.  A program whose worker threads mostly touch objects that
some other thread created is paying that price everywhere, and this
snapshot shows it: per thread, how many objects it owns, of which types, and
how many of them other threads currently hold references to.

The objects come from `gc.get_objects`, which in free-threaded builds stops
the world while it collects them, so the set is consistent.  Only objects
the cyclic GC tracks are visible (containers, instances, functions...), not
ints, strings or untracked tuples.

Collecting the objects takes a reference to each of them (the list holds
it).  Those references go to ``ob_ref_shared`` for every object the
snapshotting thread doesn't own, so we measure how many the scan adds, on a
probe object, and subtract them before calling an object "shared".
"""

from __future__ import annotations

import gc
import threading
import time
from collections import Counter
from itertools import compress
from typing import Any

from . import headers, rawmemory

__all__ = ["snapshot"]

# Field offsets in the free-threaded header (the same in 3.13 and 3.14;
# see headers.LAYOUTS for the sources).
_TID_WORD = 0  # ob_tid, u64 at offset 0: word 0
_SHARED_WORD = 2  # ob_ref_shared, i64 at offset 16: word 2
_LOCAL_U32 = 3  # ob_ref_local, u32 at offset 12: u32 index 3
_SHARED_SHIFT = 2
_IMMORTAL_LOCAL = 0xFFFF_FFFF


def _type_label(t: type) -> str:
    module = getattr(t, "__module__", None)
    qualname = getattr(t, "__qualname__", t.__name__)
    if module and module != "builtins":
        return f"{module}.{qualname}"
    return qualname


def _top(counter: Counter[type], top: int) -> list[dict[str, Any]]:
    return [{"type": _type_label(t), "count": n} for t, n in counter.most_common(top)]


def snapshot(thread_names: dict[int, str], top: int = 10) -> dict[str, Any]:
    """Count live GC-tracked objects per owning thread.

    `thread_names` maps ``threading.get_ident()`` values to names.  Returns::

        {"free_threaded": True, "objects": 123456, "elapsed_s": 0.41,
         "inspector_refs": 1,
         "threads": [{"ident": 1403..., "name": "MainThread", "alive": True,
                      "objects": 9000, "shared": 120,
                      "top_types": [{"type": "dict", "count": 4000}, ...]}, ...],
         "unowned": {"objects": 3000, "immortal": 2500, "merged": 500,
                     "top_types": [...]}}

    Threads are sorted by how many objects they own.  An ident that is not
    in `thread_names` belongs to a thread that has exited (its objects keep
    the old ``ob_tid`` until their counts are merged) and gets ``"alive":
    False``.  On a GIL build the answer is ``{"free_threaded": False,
    "reason": ...}``.
    """
    if not headers.is_free_threaded_build():
        return {
            "free_threaded": False,
            "reason": "not a free-threaded build (Py_GIL_DISABLED=0): objects have no owner thread",
        }
    started = time.perf_counter()
    words = rawmemory.int64_words()
    u32 = rawmemory.uint32_words()
    me = threading.get_ident()

    # A probe this thread owns, referenced only by `probe`: how much does
    # ob_ref_local grow while the scan holds its references?
    probe: list[None] = [None]
    probe_local = (id(probe) >> 2) + _LOCAL_U32
    before = u32[probe_local]

    objs = gc.get_objects()
    # From here until `del objs`, the only references the scan holds on each
    # object are the list's; the comprehensions below work on addresses.
    own = u32[probe_local] - before
    addrs = list(map(id, objs))
    types = list(map(type, objs))
    tids = [words[a >> 3] for a in addrs]
    shared = [words[(a >> 3) + _SHARED_WORD] >> _SHARED_SHIFT for a in addrs]
    unowned_local = [u32[(a >> 2) + _LOCAL_U32] for a in compress(addrs, map((0).__eq__, tids))]
    del objs, addrs

    by_thread_type: Counter[tuple[int, type]] = Counter(zip(tids, types))
    owned: Counter[int] = Counter()
    for (tid, _), n in by_thread_type.items():
        owned[tid] += n
    # "Shared": other threads hold references, i.e. the shared count is
    # positive once the scan's own references are taken off.  Those landed
    # in ob_ref_shared for every object this thread doesn't own...
    shared_by_thread: Counter[int] = Counter(compress(tids, map(own.__lt__, shared)))
    # ...and in ob_ref_local for the ones it does.
    shared_by_thread[me] += sum(1 for s in compress(shared, map(me.__eq__, tids)) if 0 < s <= own)
    del shared_by_thread[0]
    immortal = sum(1 for v in unowned_local if v == _IMMORTAL_LOCAL)

    per_type: dict[int, Counter[type]] = {}
    for (tid, t), n in by_thread_type.items():
        per_type.setdefault(tid, Counter())[t] = n

    threads: list[dict[str, Any]] = []
    for tid, n in owned.most_common():
        if tid == 0:
            continue
        name = thread_names.get(tid)
        threads.append(
            {
                "ident": tid,
                "name": name if name is not None else f"exited thread {tid}",
                "alive": name is not None,
                "objects": n,
                "shared": shared_by_thread.get(tid, 0),
                "top_types": _top(per_type[tid], top),
            }
        )
    unowned_total = owned.get(0, 0)
    return {
        "free_threaded": True,
        "objects": len(tids),
        "elapsed_s": time.perf_counter() - started,
        "inspector_refs": own,
        "threads": threads,
        "unowned": {
            "objects": unowned_total,
            "immortal": immortal,
            "merged": unowned_total - immortal,
            "top_types": _top(per_type.get(0, Counter()), top),
        },
    }
