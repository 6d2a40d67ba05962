"""Read the PEP 703 object header of a live object, and explain it.

In a free-threaded CPython every object starts with a 32-byte header::

    offset  size  field            meaning
         0     8  ob_tid           owning thread (0: immortal or merged)
         8     2  ob_flags         3.14: object flags; 3.13: padding
        10     1  ob_mutex         the per-object PyMutex
        11     1  ob_gc_bits       GC state bits
        12     4  ob_ref_local     references taken by the owning thread
        16     8  ob_ref_shared    references taken by other threads, << 2,
                                   with two flag bits below
        24     8  ob_type          the type pointer

We read those bytes with ctypes at ``id(obj)`` and decode them with a
version-keyed layout table, `LAYOUTS`.  The values come from CPython's headers:

* ``Include/object.h`` (3.13: ``uint16_t _padding``; 3.14: ``uint16_t
  ob_flags``, with ``_Py_IMMORTAL_FLAGS (1 << 0)``,
  ``_Py_STATICALLY_ALLOCATED_FLAG (1 << 2)`` and, in debug free-threaded
  builds, ``_Py_TYPE_REVEALED_FLAG (1 << 3)``).
* ``Include/refcount.h`` (3.14; ``Include/object.h`` in 3.13):
  ``_Py_IMMORTAL_REFCNT_LOCAL UINT32_MAX``, ``_Py_REF_SHARED_SHIFT 2``,
  ``_Py_REF_MAYBE_WEAKREF 0x1``, ``_Py_REF_QUEUED 0x2``, ``_Py_REF_MERGED 0x3``.
  ``Py_REFCNT`` of an immortal object is ``_Py_IMMORTAL_REFCNT`` (``UINT_MAX``)
  in 3.13 and ``_Py_IMMORTAL_INITIAL_REFCNT`` (``3 << 30``) in 3.14.
* ``Include/internal/pycore_gc.h``: 3.13 has ``TRACKED 1, FINALIZED 2,
  UNREACHABLE 4, FROZEN 8, SHARED 16, SHARED_INLINE 32, DEFERRED 64``; 3.14
  dropped ``SHARED_INLINE`` and reuses bit 5 for ``ALIVE`` (the GC's
  mark-alive phase, gh-128807 / PR #128808).
* ``Include/cpython/lock.h`` and ``Include/internal/pycore_lock.h``:
  ``_Py_UNLOCKED 0``, ``_Py_LOCKED 1``, ``_Py_HAS_PARKED 2`` (same in both).

The 3.13 values were checked against the 3.13.5 sources and a running
3.13.5t; 3.14's cannot be run here and are tested on synthetic header bytes.

Reading an object takes references to it: the arguments of `read` and the
functions it calls are references too, and they land in ``ob_ref_local`` when
the reading thread owns the object, or in ``ob_ref_shared`` when it does not.
We don't guess how many: the first read measures it on a fresh probe object
(header read with and without the reader's call path in between), and every
`HeaderInfo` carries the measured number so the UI can say so.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import struct
import sys
import sysconfig
import threading
import types
from collections.abc import Callable
from typing import Any, cast

__all__ = [
    "HeaderLayout",
    "HeaderInfo",
    "LAYOUTS",
    "HEADER_SIZE",
    "is_free_threaded_build",
    "layout_for",
    "decode",
    "read",
    "describe",
    "inspector_refs",
]

HEADER_SIZE = 32

# ob_tid u64, ob_flags/_padding u16, ob_mutex u8, ob_gc_bits u8,
# ob_ref_local u32, ob_ref_shared i64, ob_type u64: native byte order,
# standard sizes, no alignment padding (the C struct has none either).
_HEADER = struct.Struct("=QHBBIqQ")
assert _HEADER.size == HEADER_SIZE


@dataclasses.dataclass(frozen=True)
class HeaderLayout:
    """How one CPython version lays out and encodes the free-threaded header."""

    version: tuple[int, int]
    #: Does the u16 at offset 8 mean something (3.14 ``ob_flags``) or is it padding?
    has_ob_flags: bool
    #: ``ob_gc_bits`` bit values and their names, lowest bit first.
    gc_bits: tuple[tuple[int, str], ...]
    #: ``ob_flags`` bit values and their names (empty when `has_ob_flags` is false).
    ob_flags: tuple[tuple[int, str], ...]
    #: What ``Py_REFCNT`` (and `sys.getrefcount`) report for an immortal object.
    immortal_refcount: int
    #: The low two bits of ``ob_ref_shared``.
    shared_flags: tuple[str, str, str, str] = ("none", "maybe-weakref", "queued", "merged")
    shared_shift: int = 2
    immortal_local: int = 0xFFFF_FFFF
    mutex_locked: int = 1
    mutex_has_parked: int = 2
    #: The ``ob_gc_bits`` bit meaning "uses deferred reference counting".
    gc_deferred_bit: int = 64


LAYOUTS: dict[tuple[int, int], HeaderLayout] = {
    (3, 13): HeaderLayout(
        version=(3, 13),
        has_ob_flags=False,
        gc_bits=(
            (1, "tracked"),
            (2, "finalized"),
            (4, "unreachable"),
            (8, "frozen"),
            (16, "shared"),
            (32, "shared-inline"),
            (64, "deferred"),
        ),
        ob_flags=(),
        immortal_refcount=0xFFFF_FFFF,  # _Py_IMMORTAL_REFCNT = UINT_MAX
    ),
    (3, 14): HeaderLayout(
        version=(3, 14),
        has_ob_flags=True,
        gc_bits=(
            (1, "tracked"),
            (2, "finalized"),
            (4, "unreachable"),
            (8, "frozen"),
            (16, "shared"),
            (32, "alive"),
            (64, "deferred"),
        ),
        ob_flags=(
            (1, "immortal"),  # _Py_IMMORTAL_FLAGS
            (4, "statically-allocated"),  # _Py_STATICALLY_ALLOCATED_FLAG
            (8, "type-revealed"),  # _Py_TYPE_REVEALED_FLAG (debug builds only)
        ),
        immortal_refcount=3 << 30,  # _Py_IMMORTAL_INITIAL_REFCNT
    ),
}


def layout_for(version: tuple[int, int]) -> HeaderLayout:
    """The header layout for a Python `version` (major, minor).

    Versions newer than the newest we know use the newest layout; versions
    before 3.13 have no free-threaded build and raise `ValueError`.
    """
    version = (int(version[0]), int(version[1]))
    if version in LAYOUTS:
        return LAYOUTS[version]
    newest = max(LAYOUTS)
    if version > newest:
        return LAYOUTS[newest]
    raise ValueError(
        f"Python {version[0]}.{version[1]} has no free-threaded build "
        "(they start at 3.13), so there is no PEP 703 header to decode."
    )


@functools.lru_cache(maxsize=None)
def is_free_threaded_build() -> bool:
    """Was this interpreter built with ``--disable-gil`` (Py_GIL_DISABLED=1)?"""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


@dataclasses.dataclass(frozen=True)
class HeaderInfo:
    """One decoded object header.

    On a GIL build only `free_threaded` (False), `refcount`, `inspector_refs`
    and `note` are meaningful; the header fields are None.
    """

    free_threaded: bool
    #: The layout used to decode (major, minor), or the running version on GIL builds.
    version: tuple[int, int]
    #: Total references, as ``Py_REFCNT`` computes it (including the inspector's own).
    refcount: int
    #: How many of `refcount` the inspector itself held while reading (measured).
    inspector_refs: int = 0
    #: Where the inspector's references were counted: "ob_ref_local",
    #: "ob_ref_shared", "none (immortal)", or "" (synthetic bytes / GIL build).
    inspector_refs_field: str = ""
    note: str = ""
    address: int | None = None
    type_name: str | None = None
    raw: bytes | None = None
    ob_tid: int | None = None
    ob_flags: int | None = None
    ob_flags_names: tuple[str, ...] = ()
    ob_mutex: int | None = None
    mutex_state: str | None = None
    ob_gc_bits: int | None = None
    gc_bits_names: tuple[str, ...] = ()
    ob_ref_local: int | None = None
    #: The raw signed 64-bit ``ob_ref_shared`` word (count << 2 | flags).
    ob_ref_shared: int | None = None
    #: ``ob_ref_shared >> 2`` (arithmetic shift: it can be negative).
    shared_count: int | None = None
    shared_flags: int | None = None
    shared_flag_name: str | None = None
    immortal: bool | None = None
    deferred: bool | None = None
    type_address: int | None = None

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict: every field, ``raw`` as hex, plus the counts without the inspector."""
        out: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value: object = getattr(self, field.name)
            if isinstance(value, bytes):
                value = value.hex()
            elif isinstance(value, tuple):
                value = list(cast("tuple[object, ...]", value))
            out[field.name] = value
        out["refcount_without_inspector"] = self.refcount_without_inspector
        out["local_without_inspector"] = self.local_without_inspector
        out["shared_without_inspector"] = self.shared_without_inspector
        return out

    @property
    def refcount_without_inspector(self) -> int:
        """`refcount` less the inspector's own references."""
        if self.immortal:
            return self.refcount
        return self.refcount - self.inspector_refs

    @property
    def local_without_inspector(self) -> int | None:
        """``ob_ref_local`` less the inspector's references counted there."""
        if self.ob_ref_local is None:
            return None
        if self.inspector_refs_field == "ob_ref_local":
            return self.ob_ref_local - self.inspector_refs
        return self.ob_ref_local

    @property
    def shared_without_inspector(self) -> int | None:
        """The shared count less the inspector's references counted there."""
        if self.shared_count is None:
            return None
        if self.inspector_refs_field == "ob_ref_shared":
            return self.shared_count - self.inspector_refs
        return self.shared_count


def _bit_names(value: int, table: tuple[tuple[int, str], ...]) -> tuple[str, ...]:
    names: list[str] = []
    known = 0
    for bit, name in table:
        known |= bit
        if value & bit:
            names.append(name)
    rest = value & ~known
    bit = 0
    while rest:
        if rest & 1:
            names.append(f"bit{bit}")
        rest >>= 1
        bit += 1
    return tuple(names)


def _mutex_state(value: int, layout: HeaderLayout) -> str:
    locked = bool(value & layout.mutex_locked)
    parked = bool(value & layout.mutex_has_parked)
    if locked and parked:
        return "locked, with parked waiters"
    if locked:
        return "locked"
    if parked:
        return "unlocked, parked waiters being woken"
    return "unlocked"


def decode(raw: bytes, version: tuple[int, int]) -> HeaderInfo:
    """Decode 32 bytes of free-threaded object header, laid out as in `version`.

    `raw` is in this machine's byte order, as it sits in memory.  Only the
    header bytes are decoded: no inspector references are subtracted.
    """
    if len(raw) < HEADER_SIZE:
        raise ValueError(
            f"A free-threaded object header is {HEADER_SIZE} bytes; got {len(raw)}. "
            "Pass the first 32 bytes at the object's address."
        )
    layout = layout_for(version)
    raw = bytes(raw[:HEADER_SIZE])
    fields: tuple[int, ...] = _HEADER.unpack(raw)
    tid, flags16, mutex, gc_bits, local, shared, type_addr = fields
    immortal = local == layout.immortal_local
    shared_count = shared >> layout.shared_shift  # Python's >> is arithmetic
    shared_flags = shared & ((1 << layout.shared_shift) - 1)
    if immortal:
        refcount = layout.immortal_refcount
    else:
        refcount = local + shared_count
    return HeaderInfo(
        free_threaded=True,
        version=layout.version,
        refcount=refcount,
        raw=raw,
        ob_tid=tid,
        ob_flags=flags16 if layout.has_ob_flags else None,
        ob_flags_names=_bit_names(flags16, layout.ob_flags) if layout.has_ob_flags else (),
        ob_mutex=mutex,
        mutex_state=_mutex_state(mutex, layout),
        ob_gc_bits=gc_bits,
        gc_bits_names=_bit_names(gc_bits, layout.gc_bits),
        ob_ref_local=local,
        ob_ref_shared=shared,
        shared_count=shared_count,
        shared_flags=shared_flags,
        shared_flag_name=layout.shared_flags[shared_flags],
        immortal=immortal,
        deferred=bool(gc_bits & layout.gc_deferred_bit),
        type_address=type_addr,
    )


# -- Reading live objects ------------------------------------------------------

_string_at = ctypes.string_at


class _Probe:
    """A fresh, plain object used to measure the inspector's own references."""

    __slots__ = ("__weakref__",)


class _Calibration:
    """The measured number of references `read` holds while it reads.

    Measured once per process, lazily, on probe objects the calling thread
    has just created, so their references are all in ``ob_ref_local`` and
    nothing else touches them.  `plain` is for ordinary objects; `deferred`
    for objects that use deferred reference counting (functions, code,
    modules, types), whose stack references 3.14 does not count.
    """

    plain: int | None = None
    deferred: int | None = None


def _probe_function() -> None:
    """Code for deferred-refcount probes (a top-level function's code)."""


def _deferred_probe() -> object | None:
    """A fresh object with deferred reference counting, if this build makes one.

    CPython defers reference counting for top-level functions (not nested
    ones), so a new function object built from a top-level code object is one.
    """
    fresh = types.FunctionType(_probe_function.__code__, {})
    info = decode(_string_at(id(fresh), HEADER_SIZE), sys.version_info[:2])
    return fresh if info.deferred and not info.immortal else None


def _measure(make_probe: Callable[[], object | None]) -> int | None:
    """Count the references `read` adds, on a probe only this frame refers to.

    The baseline is read inline (``id(probe)`` returns, dropping its
    argument, before the bytes are copied), so the only difference between
    the two readings is the reader's own call path.
    """
    probe = make_probe()
    if probe is None:
        return None
    if is_free_threaded_build():
        before = decode(_string_at(id(probe), HEADER_SIZE), sys.version_info[:2]).refcount
    else:
        before = sys.getrefcount(probe) - 1
    during = read(probe, _calibrating=True).refcount
    return during - before


def inspector_refs(deferred: bool = False) -> int:
    """How many references the inspector holds on an object while reading it.

    Measured (once, then cached) by reading a fresh probe's header directly
    and again through `read`; the difference is the reader's own call path.
    """
    if _Calibration.plain is None:
        _Calibration.plain = _measure(_Probe)
    assert _Calibration.plain is not None
    if not deferred or not is_free_threaded_build():
        return _Calibration.plain
    if _Calibration.deferred is None:
        measured = _measure(_deferred_probe)
        _Calibration.deferred = _Calibration.plain if measured is None else measured
    return _Calibration.deferred


def _type_name(obj: object) -> str:
    t = type(obj)
    module = getattr(t, "__module__", None)
    if module and module != "builtins":
        return f"{module}.{t.__qualname__}"
    return t.__qualname__


def read(obj: object, *, _calibrating: bool = False) -> HeaderInfo:
    """Read and decode the header of `obj`.

    On a GIL build the answer says "not a free-threaded build" and carries
    only ``sys.getrefcount``.  The counts include the inspector's own
    references; `HeaderInfo.inspector_refs` says how many (measured).
    """
    return _inspect(obj, _calibrating)


def _inspect(obj: object, calibrating: bool) -> HeaderInfo:
    # `read` and `describe` both call this directly, so the references held
    # while the bytes are copied are the same for both (and `_measure` saw
    # exactly this path).
    version = sys.version_info[:2]
    if not is_free_threaded_build():
        total = sys.getrefcount(obj) - 1  # less getrefcount's own argument
        own = 0 if calibrating else inspector_refs()
        return HeaderInfo(
            free_threaded=False,
            version=version,
            refcount=total,
            inspector_refs=own,
            note=(
                f"{sys.executable} is not a free-threaded build (Py_GIL_DISABLED=0): "
                "objects have no PEP 703 header. Only sys.getrefcount is available; "
                "pick a python3.13t/3.14t to see owner thread and biased counts."
            ),
            address=id(obj),
            type_name=_type_name(obj),
        )
    if struct.calcsize("P") != 8:
        raise RuntimeError(
            "The header reader supports 64-bit builds only; this interpreter "
            f"has {struct.calcsize('P') * 8}-bit pointers."
        )
    address = id(obj)
    raw = _string_at(address, HEADER_SIZE)
    info = decode(raw, version)
    if calibrating:
        return info
    own = inspector_refs(bool(info.deferred))
    if info.immortal:
        field = "none (immortal)"
    elif info.ob_tid == threading.get_ident():
        field = "ob_ref_local"
    else:
        field = "ob_ref_shared"
    return dataclasses.replace(
        info,
        address=address,
        type_name=_type_name(obj),
        inspector_refs=0 if info.immortal else own,
        inspector_refs_field=field,
    )


# -- Display rows --------------------------------------------------------------


def _owner_text(tid: int, thread_names: dict[int, str]) -> str:
    if tid == 0:
        return "none (immortal/merged)"
    name = thread_names.get(tid)
    if name is not None:
        return f"{name} (ident {tid})"
    return f"thread ident {tid} (not a live Python thread: exited, or not yet named)"


def _hex_bytes(raw: bytes) -> str:
    return " ".join(raw[i : i + 8].hex(" ") for i in range(0, len(raw), 8))


def _inspector_note(info: HeaderInfo, held_by_caller: int) -> str:
    if info.immortal:
        return (
            "immortal: reference counting is off for this object, so nobody's "
            "references (the inspector's included) change its counts"
        )
    own = info.inspector_refs
    where = info.inspector_refs_field
    reason = (
        "the inspecting thread owns the object"
        if where == "ob_ref_local"
        else "the inspecting thread does not own the object"
    )
    text = (
        f"{own} of these {info.refcount} references are the inspector's own while it "
        f"reads (measured), counted in {where} because {reason}; "
        f"without them: {info.refcount_without_inspector}"
    )
    if info.deferred:
        text += (
            "; it uses deferred reference counting: CPython added one local reference "
            "when it turned deferral on"
        )
        if info.version >= (3, 14):
            text += ", and references from running code's stack are not counted at all"
    if held_by_caller:
        text += (
            f"; the debugger also holds {held_by_caller} more, so the program's own "
            f"references are {info.refcount_without_inspector - held_by_caller}"
        )
    return text


def describe(
    obj: object, thread_names: dict[int, str], *, held_by_caller: int = 0
) -> list[tuple[str, str]]:
    """Display rows (label, value) explaining the header of `obj`, in order.

    `thread_names` maps ``threading.get_ident()`` values to thread names.
    `held_by_caller` is how many references the caller keeps on `obj` beyond
    `describe`'s own (a debugger's variable table, say); it only changes the
    note row.
    """
    info = _inspect(obj, False)
    if not info.free_threaded:
        return [
            ("build", "not a free-threaded build (Py_GIL_DISABLED=0): no PEP 703 header"),
            ("refcount", f"{info.refcount} (sys.getrefcount, less its own argument)"),
            (
                "note",
                f"{info.inspector_refs} of these {info.refcount} references are the inspector's "
                f"own while it reads (measured); without them: {info.refcount_without_inspector}",
            ),
        ]
    assert info.ob_tid is not None and info.ob_ref_local is not None
    assert info.shared_count is not None and info.ob_ref_shared is not None and info.raw is not None
    rows: list[tuple[str, str]] = [("owner thread (ob_tid)", _owner_text(info.ob_tid, thread_names))]
    if info.immortal:
        rows.append(("ob_ref_local", f"0x{info.ob_ref_local:08X} (immortal marker)"))
    else:
        rows.append(("ob_ref_local", str(info.ob_ref_local)))
    flag_name = info.shared_flag_name
    if info.deferred and flag_name == "queued":
        flag_name = "queued (the deferred-refcount marker: never really queued)"
    rows.append(
        (
            "ob_ref_shared",
            f"{info.shared_count}, flags {info.shared_flags:02b} {flag_name} "
            f"(raw 0x{info.ob_ref_shared & 0xFFFF_FFFF_FFFF_FFFF:X})",
        )
    )
    if info.immortal:
        rows.append(("refcount", f"{info.refcount} (the fixed value Py_REFCNT reports for immortals)"))
    else:
        rows.append(
            ("refcount", f"{info.refcount} (local {info.ob_ref_local} + shared {info.shared_count})")
        )
    rows.append(("immortal", "yes" if info.immortal else "no"))
    rows.append(("ob_mutex", f"{info.mutex_state} (0x{info.ob_mutex:02X})"))
    gc_names = ", ".join(info.gc_bits_names) or "none"
    rows.append(("ob_gc_bits", f"{gc_names} (0x{info.ob_gc_bits:02X})"))
    if info.ob_flags is not None:
        flag_names = ", ".join(info.ob_flags_names) or "none"
        rows.append(("ob_flags", f"{flag_names} (0x{info.ob_flags:04X})"))
    rows.append(("header bytes", _hex_bytes(info.raw)))
    rows.append(("note", _inspector_note(info, held_by_caller)))
    return rows
