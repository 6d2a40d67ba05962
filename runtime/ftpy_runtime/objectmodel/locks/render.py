"""A deadlock as text, in the spirit of ThreadSanitizer's reports (the one renderer of it)."""

from __future__ import annotations

import os
from typing import Any


def render(deadlock: dict[str, Any]) -> str:
    """A deadlock report in the spirit of ThreadSanitizer's."""
    locks = deadlock["locks"]
    names = {lock["id"]: f"M{i}" for i, lock in enumerate(locks)}
    threads = deadlock["threads"]
    tnames = {t["id"]: f"T{i + 1}" for i, t in enumerate(threads)}
    kind = deadlock["kind"]
    title = (
        "lock-order-inversion (potential deadlock)"
        if kind == "lock-order-inversion"
        else "double lock of a non-reentrant Lock (deadlock unless another thread releases it)"
    )
    lines = ["==================", f"WARNING: ftpy: {title} (pid={os.getpid()})"]
    cycle = " => ".join(f"{names[m['id']]} ({m['id']})" for m in locks)
    lines.append(f"  Cycle in lock order graph: {cycle} => {names[locks[0]['id']]}")
    lines.append("")
    by_lock_owner: dict[str, dict[str, Any]] = {}
    for i, t in enumerate(threads):
        # Thread i waits for locks[i], held by the next thread in the cycle.
        by_lock_owner[locks[i]["id"]] = threads[(i + 1) % len(threads)]
    for t in threads:
        want = t["waiting_for"]
        holder = by_lock_owner[want["id"]]
        held = ", ".join(str(names.get(m["id"], m["id"])) for m in t["holding"]) or "nothing tracked"
        lines.append(
            f"  Thread {tnames[t['id']]} '{t['name']}' (ident {t['id']}) holds {held} "
            f"and waits for {names[want['id']]}, held by {tnames[holder['id']]} '{holder['name']}':"
        )
        for n, fr in enumerate(t["stack"]):
            lines.append(f"    #{n} {fr['function']} {fr['file']}:{fr['line']}")
        lines.append("")
    for m in locks:
        created = m["created"]
        lines.append(f"  Mutex {names[m['id']]} ({m['id']}, {m['type']}) created at {created['file']}:{created['line']}")
    lines.append("")
    first = threads[0]["stack"][0] if threads and threads[0]["stack"] else None
    where = f" {first['file']}:{first['line']} in {first['function']}" if first else ""
    lines.append(f"SUMMARY: ftpy: {title}{where}")
    lines.append("==================")
    return "\n".join(lines)
