"""Vector clocks and FastTrack epochs.

A vector clock is a tuple (or, for the owning thread, a list) of ints indexed by the
detector's thread number: ``vc[t]`` is how much of thread ``t``'s history is known to have
happened before.  An *epoch* is one entry of it, ``c@t``: thread ``t`` at its own clock ``c``.

FastTrack's insight is that most checks only need an epoch, not a whole clock: an access
``c@t`` happened before a thread whose clock is ``V`` exactly when ``c <= V[t]``.  The
detector stores epochs in its shadow state and compares them against the clock the
accessing thread had at the time; full clocks are only joined at synchronisation.
"""

from __future__ import annotations

from typing import Sequence

VC = Sequence[int]


def vc_get(vc: VC, t: int) -> int:
    """The entry of `vc` for thread `t` (0 when the clock has not heard of it)."""
    return vc[t] if t < len(vc) else 0


def vc_join(a: VC, b: VC) -> list[int]:
    """The pointwise maximum of two clocks, as a new list."""
    if len(a) < len(b):
        a, b = b, a
    out = list(map(max, a, b))
    out.extend(a[len(b):])
    return out


def vc_leq(a: VC, b: VC) -> bool:
    """True when every entry of `a` is at most the same entry of `b` (a happened before b)."""
    if len(a) > len(b):
        if any(a[len(b):]):
            return False
        a = a[: len(b)]
    return all(x <= y for x, y in zip(a, b))


def epoch_before(clock: int, thread: int, vc: VC) -> bool:
    """FastTrack's test: did the epoch ``clock@thread`` happen before clock `vc`?"""
    return clock <= vc_get(vc, thread)


def concurrent(t: int, vc_a: VC, u: int, vc_b: VC) -> bool:
    """True when access a (by thread t, clock vc_a) and b (by u, clock vc_b) are unordered.

    Neither happened before the other: a's own epoch is unknown to b, and b's own epoch is
    unknown to a.  Checking both directions lets the detector compare accesses in any order.
    """
    if t == u:
        return False
    return vc_get(vc_a, t) > vc_get(vc_b, t) and vc_get(vc_b, u) > vc_get(vc_a, u)
