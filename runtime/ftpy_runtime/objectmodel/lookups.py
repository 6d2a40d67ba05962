"""Dict lookups on a hot path whose stored keys another thread made.

On 3.13t a dict read is lock-free only when it can take a reference to the stored key and
value without their owner: a key owned by another thread, never shared, fails that every time
(an ``id()`` or a thread ident the agent thread stored).  The read then falls back to the dict's
critical section, which is cheap (~0.1 µs) — except under ``dict.get``, whose wrapper already
holds that very lock: the fallback locks it again, spins ~40 ``sched_yield``s and parks before
it is handed the lock it holds (~7–15 µs a call, measured in bench/programs/databp.py and a
conditional breakpoint).  ``get_shared`` is ``d.get(key)`` without that trap; use it (or
``d[key]``) where a callback looks up keys it did not insert itself.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def get_shared(d: dict[K, V], key: K) -> V | None:
    """``d.get(key)``, at the price of two lock-free-or-briefly-locked reads (a miss costs one)."""
    try:
        return d[key] if key in d else None
    except KeyError:  # removed by another thread between the two reads
        return None
