"""Breakpoints: what the user asked for, and where in the code objects it landed.

Line breakpoints are kept per file.  When a file's breakpoints change, or a new module is
compiled, the table works out which code objects own the requested lines and tells the
tracing backend to watch exactly those (``watch_lines``).  Function breakpoints do the same
with ``watch_starts``.

The maps the tracing callbacks read (``line_map`` and ``start_map``) are replaced, never
mutated: a callback on another thread sees the old map or the new one, never half of each.

"""

from __future__ import annotations

import _thread
import re
import types
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any, Protocol

from ..user_code import canonical
from .code_registry import CodeRegistry, own_lines, walk

_HIT_RE = re.compile(r"^\s*(==|>=|<=|>|<|%)?\s*(\d+)\s*$")


class HitCondition:
    """A DAP ``hitCondition``: ``"5"`` (the 5th hit), ``">= 5"``, ``"% 3"`` (every 3rd), …"""

    def __init__(self, text: str) -> None:
        m = _HIT_RE.match(text)
        if not m:
            raise ValueError(f"hit condition {text!r} is not understood: use N, == N, >= N, > N, <= N, < N or % N")
        self.op = m.group(1) or "=="
        self.n = int(m.group(2))
        if self.op == "%" and self.n == 0:
            raise ValueError("hit condition '% 0' divides by zero")

    def matches(self, hits: int) -> bool:
        op, n = self.op, self.n
        if op == "==":
            return hits == n
        if op == ">=":
            return hits >= n
        if op == ">":
            return hits > n
        if op == "<=":
            return hits <= n
        if op == "<":
            return hits < n
        return hits % n == 0


@dataclass(eq=False)
class Breakpoint:
    """A line breakpoint, conditional breakpoint, hit-count breakpoint or logpoint."""

    id: int
    path: str
    requested_line: int
    line: int
    condition: str | None = None
    hit_condition: HitCondition | None = None
    log_message: str | None = None
    #: ``condition`` compiled once (each hit evaluates it; compiling it there was most of a hit's cost).
    compiled: types.CodeType | None = None
    verified: bool = False
    message: str | None = None
    error: str | None = None
    hits: int = 0
    lock: Any = field(default_factory=_thread.allocate_lock)

    def count_hit(self) -> int:
        with self.lock:
            self.hits += 1
            return self.hits

    def to_dap(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "verified": self.verified, "line": self.line, "source": {"path": self.path}}
        if self.message:
            d["message"] = self.message
        return d


@dataclass(eq=False)
class FunctionBreakpoint:
    id: int
    name: str
    condition: str | None = None
    hit_condition: HitCondition | None = None
    compiled: types.CodeType | None = None
    verified: bool = False
    hits: int = 0
    lock: Any = field(default_factory=_thread.allocate_lock)

    def count_hit(self) -> int:
        with self.lock:
            self.hits += 1
            return self.hits

    def matches(self, code: types.CodeType) -> bool:
        name = self.name.strip()
        qual = code.co_qualname
        return name == qual or name.endswith("." + qual) or name.endswith(":" + qual)

    def to_dap(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "verified": self.verified}
        if not self.verified:
            d["message"] = f"no function named {self.name!r} has been loaded yet"
        return d


class Watcher(Protocol):
    """The part of a tracing backend the table drives."""

    def watch_lines(self, code: types.CodeType, enabled: bool) -> None: ...
    def watch_starts(self, code: types.CodeType, enabled: bool) -> None: ...


_LOG_PART = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def format_log_message(template: str, evaluate: Callable[[str], str]) -> str:
    """Expand ``{expression}`` parts of a logpoint message; ``{{`` and ``}}`` are literal braces."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "{{":
            return "{"
        if m.group(0) == "}}":
            return "}"
        return evaluate(m.group(1))

    return _LOG_PART.sub(sub, template)


def _source_lines(path: str) -> set[int] | None:
    """Executable lines of a file not loaded yet, by compiling (not running) its source."""
    try:
        with open(path, "rb") as f:
            source = f.read()
        code = compile(source, path, "exec", dont_inherit=True)
    except (OSError, SyntaxError, ValueError):
        return None
    lines: set[int] = set()
    for c in walk(code):
        lines |= own_lines(c)
    return lines


class BreakpointTable:
    def __init__(self, registry: CodeRegistry, watcher: Watcher, on_changed: Callable[[Breakpoint], None]) -> None:
        self._registry = registry
        self._watcher = watcher
        self._on_changed = on_changed
        self._lock = _thread.RLock()
        self._next_id = 1
        self._by_file: dict[str, list[Breakpoint]] = {}
        self._functions: list[FunctionBreakpoint] = []
        # Read by tracing callbacks on every thread: replaced wholesale, never mutated.
        self.line_map: dict[int, dict[int, Breakpoint]] = {}
        self.start_map: dict[int, FunctionBreakpoint] = {}
        # Strong references keep the ids in the maps above meaningful.
        self._line_codes: dict[int, types.CodeType] = {}
        self._start_codes: dict[int, types.CodeType] = {}
        registry.add_listener(self._on_new_code)

    def _new_id(self) -> int:
        with self._lock:
            n = self._next_id
            self._next_id += 1
            return n

    # Line breakpoints.

    def set_file(self, path: str, specs: list[dict[str, Any]]) -> list[Breakpoint]:
        filename = canonical(path)
        bps: list[Breakpoint] = []
        for spec in specs:
            line = int(spec.get("line", 0))
            bp = Breakpoint(id=self._new_id(), path=path, requested_line=line, line=line)
            cond = spec.get("condition")
            bp.condition = cond if isinstance(cond, str) and cond.strip() else None
            log_message = spec.get("logMessage")
            bp.log_message = log_message if isinstance(log_message, str) and log_message else None
            hit = spec.get("hitCondition")
            if isinstance(hit, str) and hit.strip():
                try:
                    bp.hit_condition = HitCondition(hit)
                except ValueError as exc:
                    bp.error = str(exc)
            if bp.condition:
                try:
                    bp.compiled = compile(bp.condition, "<condition>", "eval")
                except SyntaxError as exc:
                    bp.error = f"condition {bp.condition!r} is not a valid expression: {exc.msg}"
            bps.append(bp)
        with self._lock:
            self._by_file[filename] = bps
            self._bind_file(filename, announce=False)
        return bps

    def _bind_file(self, filename: str, announce: bool) -> None:
        """Recompute which code objects of ``filename`` hold breakpoints.  Caller holds the lock."""
        bps = self._by_file.get(filename, [])
        codes = self._registry.codes_for_file(filename) if bps or self._has_file_codes(filename) else []
        code_lines = [(code, own_lines(code)) for code in codes]
        known: set[int] = (_source_lines(filename) or set()) if bps else set()
        for _, lines in code_lines:
            known |= lines
        line_map = {k: v for k, v in self.line_map.items() if canonical(self._line_codes[k].co_filename) != filename}
        line_codes = {k: v for k, v in self._line_codes.items() if k in line_map}
        for bp in bps:
            was = (bp.verified, bp.line)
            candidates = sorted(n for n in known if n >= bp.requested_line)
            if bp.error:
                bp.verified, bp.message = False, bp.error
            elif candidates:
                bp.line = candidates[0]
                bp.verified, bp.message = True, None
            else:
                bp.verified = False
                bp.message = "no code on or after this line (yet)"
            if announce and (bp.verified, bp.line) != was:
                self._on_changed(bp)
        wanted: dict[int, tuple[types.CodeType, dict[int, Breakpoint]]] = {}
        for code, lines in code_lines:
            for bp in bps:
                if bp.verified and bp.line in lines:
                    wanted.setdefault(id(code), (code, {}))[1][bp.line] = bp
        for key, (code, table) in wanted.items():
            line_map[key] = table
            line_codes[key] = code
        # Publish the map before switching events on: a callback that fires in between must
        # find its breakpoint, or it would DISABLE the very line that holds it.
        old_codes = self._line_codes
        self._line_codes = line_codes
        self.line_map = line_map
        for key, code in line_codes.items():
            if key not in old_codes or key in wanted:
                self._watcher.watch_lines(code, True)
        for key, code in old_codes.items():
            if key not in line_codes:
                self._watcher.watch_lines(code, False)

    def _has_file_codes(self, filename: str) -> bool:
        return any(canonical(c.co_filename) == filename for c in self._line_codes.values())

    # Function breakpoints.

    def set_functions(self, specs: list[dict[str, Any]]) -> list[FunctionBreakpoint]:
        fbps: list[FunctionBreakpoint] = []
        for spec in specs:
            name = spec.get("name")
            if not isinstance(name, str) or not name.strip():
                continue
            fbp = FunctionBreakpoint(id=self._new_id(), name=name.strip())
            cond = spec.get("condition")
            fbp.condition = cond if isinstance(cond, str) and cond.strip() else None
            if fbp.condition:
                try:
                    fbp.compiled = compile(fbp.condition, "<condition>", "eval")
                except SyntaxError:
                    pass  # evaluated as text at each call: it raises, reported, and stops
            hit = spec.get("hitCondition")
            if isinstance(hit, str) and hit.strip():
                try:
                    fbp.hit_condition = HitCondition(hit)
                except ValueError:
                    pass
            fbps.append(fbp)
        with self._lock:
            self._functions = fbps
            for code in self._start_codes.values():
                self._watcher.watch_starts(code, False)
            self._start_codes = {}
            start_map: dict[int, FunctionBreakpoint] = {}
            if fbps:
                for code in self._registry.all_codes(lambda c: any(f.matches(c) for f in fbps)):
                    self._bind_start(code, start_map)
            self.start_map = start_map
        return fbps

    def _bind_start(self, code: types.CodeType, start_map: dict[int, FunctionBreakpoint]) -> None:
        for fbp in self._functions:
            if fbp.matches(code):
                fbp.verified = True
                start_map[id(code)] = fbp
                self._start_codes[id(code)] = code
                self._watcher.watch_starts(code, True)
                return

    # New code.

    def _on_new_code(self, filename: str, code: types.CodeType) -> None:
        with self._lock:
            if self._by_file.get(filename):
                self._bind_file(filename, announce=True)
            if self._functions:
                start_map = dict(self.start_map)
                for c in walk(code):
                    self._bind_start(c, start_map)
                self.start_map = start_map

    def clear(self) -> None:
        with self._lock:
            for code in self._line_codes.values():
                self._watcher.watch_lines(code, False)
            for code in self._start_codes.values():
                self._watcher.watch_starts(code, False)
            self._by_file = {}
            self._functions = []
            self._line_codes = {}
            self._start_codes = {}
            self.line_map = {}
            self.start_map = {}
