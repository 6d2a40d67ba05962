"""Access sites: the static places in user code where the rewriter put a hook.

Every hooked expression gets a site id, a 52-bit int computed at rewrite time from the
module's path and the site's index in it, so rewritten code can be cached and the id is a
code constant (immortal on free-threaded builds: loading it costs no shared refcount).
When a rewritten module runs, its first statement registers its table of sites here; the
detector turns ids back into kind, field name, file, line and function.
"""

from __future__ import annotations

import zlib
from typing import NamedTuple

# Access kinds.  The rewriter knows these statically; the detector refines container
# accesses by the type of the object at run time.
ATTR_R, ATTR_W, ATTR_RW, ATTR_D = 1, 2, 3, 4      # obj.name
SUB_R, SUB_W, SUB_RW, SUB_D = 5, 6, 7, 8          # obj[key]  (aux: hash of key, or NOKEY)
NAME_R, NAME_W, NAME_RW, NAME_D = 9, 10, 11, 12   # module globals (obj True) / closure cells (obj token)
ITER = 13                                          # a multi-step read: for, list(x), sorted(x), ...
METHOD = 14                                        # obj.name(...) for container methods (aux: key hash)
CONTAINS = 15                                      # key in obj (aux: key hash)

READS = frozenset({ATTR_R, SUB_R, NAME_R, ATTR_RW, SUB_RW, NAME_RW})
WRITES = frozenset({ATTR_W, ATTR_D, SUB_W, SUB_D, NAME_W, NAME_D, ATTR_RW, SUB_RW, NAME_RW})

NOKEY = -1          # hash() never returns -1, so it marks "key not known"
SYNC = -1           # log record: the thread's vector clock changed (obj: the new clock)
STACK = -2          # log record: call stack for the next access at site aux (obj: frames)

INDEX_BITS = 20


class Site(NamedTuple):
    kind: int
    name: str          # attribute / global / cell / method name; "" for subscripts
    line: int
    function: str      # qualified name of the enclosing function, "<module>" at top level
    file: str          # absolute path


def module_base(path: str) -> int:
    """The high bits shared by every site id of the module at `path`."""
    return (zlib.crc32(path.encode("utf-8", "surrogatepass")) & 0xFFFFFFFF) << INDEX_BITS


class SiteTable:
    """Site id → Site, filled as rewritten modules start running."""

    def __init__(self) -> None:
        self._sites: dict[int, Site] = {}
        self._files: dict[int, str] = {}
        self._lock = _plain_lock()

    def register(self, path: str, entries: tuple) -> None:
        base = module_base(path)
        with self._lock:
            owner = self._files.get(base)
            if owner is not None and owner != path:
                # Two paths share a crc32; the second module's sites would alias the first's.
                # Vanishingly rare; keep the first and leave the second unattributed.
                return
            self._files[base] = path
            for i, (kind, name, line, function) in enumerate(entries):
                self._sites[base | i] = Site(kind, name, line, function, path)

    def get(self, site_id: int) -> Site | None:
        return self._sites.get(site_id)

    def files(self) -> set[str]:
        """The paths of the modules registered so far."""
        with self._lock:
            return set(self._files.values())


def _plain_lock():
    import _thread
    return _thread.allocate_lock()
