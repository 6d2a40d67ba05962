"""Word-sized reads of this process's memory, fast enough for whole-heap scans.

`ctypes.string_at` costs a foreign-function call per read, about a
microsecond; a heap scan reads two words from each of a million objects.
Instead we lay a ctypes array over the whole address space, starting at
address 0, and view it through a `memoryview`: ``view[address // 8]`` is then
one C-level index, with no call and no copy.

Nothing is mapped or copied by making the view; only the indexed words are
touched.  Indexing an address that isn't mapped crashes the process, so the
callers only read the headers of objects they hold references to.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Literal

__all__ = ["int64_words", "uint32_words"]


def _address_space(ctype: type[ctypes.c_int64] | type[ctypes.c_uint32], fmt: Literal["q", "I"]) -> memoryview:
    size = ctypes.sizeof(ctype)
    count = sys.maxsize // size
    array = (ctype * count).from_address(0)
    # ctypes exports formats like "<q"; recast through bytes to the native
    # single-character format so indexing returns plain ints.
    return memoryview(array).cast("B").cast(fmt)


class _Views:
    """The views, made on first use."""

    int64: memoryview | None = None
    uint32: memoryview | None = None


def int64_words() -> memoryview:
    """Signed 64-bit words: ``view[address >> 3]`` reads the word at `address`."""
    if _Views.int64 is None:
        _Views.int64 = _address_space(ctypes.c_int64, "q")
    return _Views.int64


def uint32_words() -> memoryview:
    """Unsigned 32-bit words: ``view[address >> 2]`` reads the u32 at `address`."""
    if _Views.uint32 is None:
        _Views.uint32 = _address_space(ctypes.c_uint32, "I")
    return _Views.uint32
