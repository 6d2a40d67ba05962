"""The import hook that instruments user modules, with a cache of rewritten code.

Modelled on pytest's assertion rewriting: a meta-path finder claims the source modules
the user wants checked (by default everything under the program's directory; never the
standard library, site-packages or ftpy_runtime itself) and loads them with a loader whose
`get_code` returns the rewritten code.  The plain ``__pycache__`` is left alone, so a run
without the detector never sees instrumented bytecode; rewritten code is cached in its own
directory, keyed by the source's hash, its path (site ids depend on it), the interpreter
and the detector's version.
"""

from __future__ import annotations

import fnmatch
import hashlib
import importlib.abc
import importlib.machinery
import marshal
import os
import re
import sys
import sysconfig
import tempfile
from types import CodeType
from typing import Any, Optional, Sequence

from . import hooks
from .rewrite import link, rewrite_source

DETECTOR_VERSION = "1"
_RUNTIME_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _rewriter_fingerprint() -> str:
    """A hash of the rewriter's own source, so a changed rewriter never reuses old code."""
    h = hashlib.sha256()
    here = os.path.dirname(os.path.abspath(__file__))
    for name in ("rewrite.py", "redundant.py", "sites.py", "importhook.py", "containers.py"):
        try:
            with open(os.path.join(here, name), "rb") as f:
                h.update(f.read())
        except OSError:
            h.update(name.encode())
    return h.hexdigest()[:16]


_FINGERPRINT = _rewriter_fingerprint()


def default_cache_dir() -> str:
    env = os.environ.get("FTPY_RACE_CACHE")
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ftpy", "race-cache")


class CodeCache:
    """Rewritten code objects on disk, one marshal file per (source, path, version)."""

    def __init__(self, directory: Optional[str]) -> None:
        self.directory = directory

    def _key(self, path: str, source: bytes) -> str:
        h = hashlib.sha256()
        for part in (DETECTOR_VERSION, _FINGERPRINT, sys.version, str(sys.flags.optimize), path):
            h.update(part.encode("utf-8", "surrogatepass") + b"\0")
        h.update(source)
        return h.hexdigest()

    def code_for(self, path: str, source: bytes) -> Optional[CodeType]:
        """Instrumented code for `source` (read from `path`); None if it does not compile."""
        file = None
        if self.directory:
            file = os.path.join(self.directory, self._key(path, source)[:40] + ".ftpyc")
            try:
                with open(file, "rb") as f:
                    code = marshal.load(f)
                if isinstance(code, CodeType):
                    return link(code, hooks.tl)
            except (OSError, EOFError, ValueError, TypeError):
                pass
        code = rewrite_source(source, path)
        if code is not None and file is not None:
            try:
                os.makedirs(self.directory, exist_ok=True)  # type: ignore[arg-type]
                fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
                with os.fdopen(fd, "wb") as f:
                    marshal.dump(code, f)
                os.replace(tmp, file)
            except OSError:
                pass
        return None if code is None else link(code, hooks.tl)


class Selector:
    """Which source files get instrumented.

    By default every module under the roots (the script's folder, or the working directory
    for ``-m`` and ``-c``), never the standard library, site-packages or ftpy itself.
    ``include`` patterns replace the roots; a pattern that is a package or module name
    (``cachetools``, ``mylib.cache``) selects that package's files wherever it is installed,
    site-packages included.  ``exclude`` wins over both.
    """

    def __init__(self, roots: Sequence[str], include: Sequence[str] = (), exclude: Sequence[str] = (),
                 include_dirs: Sequence[str] = ()) -> None:
        self.roots = [os.path.realpath(r) for r in roots]
        self.include = list(include)
        self.exclude = list(exclude)
        self.include_dirs = [os.path.realpath(d) for d in include_dirs]
        paths = sysconfig.get_paths()
        never = {paths.get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
        never.add(_RUNTIME_DIR)
        never.add(os.path.dirname(os.__file__))
        self.never = [os.path.realpath(p) for p in never if p]

    @staticmethod
    def _under(path: str, root: str) -> bool:
        return path == root or path.startswith(root.rstrip(os.sep) + os.sep)

    def _matches(self, path: str, patterns: Sequence[str]) -> bool:
        candidates = [path, os.path.basename(path)]
        for r in self.roots:
            if self._under(path, r):
                candidates.append(os.path.relpath(path, r))
        return any(fnmatch.fnmatch(c, p) for p in patterns for c in candidates)

    def wants(self, path: str) -> bool:
        real = os.path.realpath(path)
        if self._under(real, _RUNTIME_DIR):
            return False
        if self.exclude and self._matches(real, self.exclude):
            return False
        if any(self._under(real, d) for d in self.include_dirs):
            return True     # named explicitly: site-packages or not
        parts = real.split(os.sep)
        if "site-packages" in parts or "dist-packages" in parts:
            return False
        if any(self._under(real, n) for n in self.never):
            # The standard library only when a root is itself inside it (a script kept
            # there); a root that merely contains it (`-m` run from / or from the home
            # folder that holds the interpreter) must not instrument threading.py.
            if not any(self._under(real, r) and any(self._under(r, n) for n in self.never) for r in self.roots):
                return False
        if self.include:
            return self._matches(real, self.include)
        return any(self._under(real, r) for r in self.roots)


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def is_module_name(pattern: str) -> bool:
    """True for ``--include`` values that name a module or package rather than a glob."""
    return bool(_NAME.match(pattern)) and not pattern.endswith(".py")


def locate_module(name: str, search_path: Sequence[str]) -> str | None:
    """The folder of package `name` (or the file of module `name`), found without importing it.

    Dotted names are walked folder by folder, so no package ``__init__`` runs before the
    detector is ready.  None when nothing of that name is on `search_path`.
    """
    first, *rest = name.split(".")
    spec = importlib.machinery.PathFinder.find_spec(first, list(search_path))
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    where: str | None = locations[0] if locations else spec.origin
    for part in rest:
        found = None
        for base in locations:
            pkg = os.path.join(base, part)
            if os.path.isdir(pkg):
                found, locations = pkg, [pkg]
                break
            if os.path.isfile(pkg + ".py"):
                found, locations = pkg + ".py", []
                break
        if found is None:
            return None
        where = found
    if where is None or where in ("built-in", "frozen") or not os.path.exists(where):
        return None
    return where


# RaceLoader.get_code is compiled under importlib's own file name, so that when a user
# module has a syntax error the import system trims it from the traceback together with
# its own frames, and the error reads exactly as it would without the detector.
_GET_CODE_SOURCE = """
def get_code(self, fullname):
    path = self.get_filename(fullname)
    data = self.get_data(path)
    code = self.cache.code_for(path, data)
    if code is None:
        code = _call_with_frames_removed(compile, data, path, "exec", dont_inherit=True, optimize=-1)
    return code
"""


def _make_get_code() -> Any:
    from importlib import _bootstrap  # type: ignore[attr-defined]
    ns: dict[str, Any] = {"_call_with_frames_removed": _bootstrap._call_with_frames_removed}
    filename = importlib.machinery.SourceFileLoader.get_code.__code__.co_filename
    exec(compile(_GET_CODE_SOURCE, filename, "exec"), ns)
    return ns["get_code"]


class RaceLoader(importlib.machinery.SourceFileLoader):
    """Loads a source module with race hooks (and never writes __pycache__)."""

    cache: CodeCache
    get_code = _make_get_code()


class RaceFinder(importlib.abc.MetaPathFinder):
    """Claims the modules that `selector` wants and hands them to RaceLoader."""

    def __init__(self, selector: Selector, cache: CodeCache) -> None:
        self.selector = selector
        self.cache = cache

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname == "ftpy_runtime" or fullname.startswith("ftpy_runtime."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return None
        origin = spec.origin
        if not origin or not origin.endswith(".py") or not self.selector.wants(origin):
            return None
        loader = RaceLoader(fullname, origin)
        loader.cache = self.cache
        spec.loader = loader
        return spec

    def install(self) -> None:
        sys.meta_path.insert(0, self)
        importlib.invalidate_caches()

    def uninstall(self) -> None:
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass
