"""RaceSession: one run of a program under the race detector.

Used by the CLI (``python -m ftpy_runtime.race``) and by the debugger when a launch asks
for ``races: true``::

    s = RaceSession(root_dirs=[program_dir], suppressions_path=None, on_report=callback)
    s.install()
    code = s.compile_main(path)       # the main script, instrumented, same filename/lines
    exec(code, main_namespace)
    reports = s.finish()              # flush what is left; every report, as JSON dicts

Each report is passed to `on_report` as soon as it is found (from whichever thread
flushed the log that revealed it), then again in the list `finish` returns.

Test attribution (the pytest plugin): ``s.set_label("tests/test_x.py::test_y")`` on the
thread that starts running a test, ``s.set_label(None)`` when it ends.  A label change
starts a new epoch of that thread's clock (a SYNC record in its log, nothing on the
per-access path), and the session remembers at which epoch each label began; an access's
epoch, which the detector keeps for every access anyway, then names the test that thread
was running when it made the access.  Threads started during a test inherit its label.
"""

from __future__ import annotations

import _thread
import bisect
import os
import sys
import threading
from typing import Any, Callable, Optional, Sequence

from . import hooks
from .detector import WHOLE, Detector, RaceFound, _GlobalsToken, field_key_hash
from .importhook import CodeCache, RaceFinder, Selector, default_cache_dir
from .report import describe_key, format_text, frames
from .sites import Site
from .suppressions import Suppressions, line_ignored
from .syncpatch import SyncPatcher
from .threadlog import ThreadState

Report = dict[str, Any]


class RaceSession:
    """The detector, its hooks and its patches, for one program run."""

    def __init__(self, root_dirs: Sequence[str], suppressions_path: Optional[str] = None,
                 on_report: Optional[Callable[[Report], None]] = None,
                 include: Sequence[str] = (), exclude: Sequence[str] = (),
                 cache_dir: Optional[str] = "default", include_dirs: Sequence[str] = ()) -> None:
        self.root_dirs = [os.path.abspath(d) for d in root_dirs]
        self.suppressions = Suppressions.load(suppressions_path) if suppressions_path else Suppressions()
        self.on_report = on_report
        self.selector = Selector(self.root_dirs, include, exclude, include_dirs)
        self.cache = CodeCache(default_cache_dir() if cache_dir == "default" else cache_dir)
        self.finder = RaceFinder(self.selector, self.cache)
        self.patcher = SyncPatcher(self)
        self.detector = Detector(hooks._Active.sites, self._on_race)
        self.reports: list[Report] = []
        self._pairs: set[frozenset] = set()
        self._report_lock = _thread.allocate_lock()
        self._site_pairs: set[str] = set()
        self.threads: dict[int, ThreadState] = {}
        self._starting: dict[int, ThreadState] = {}
        self._next_index = 2
        self._index_lock = _thread.allocate_lock()
        self.finished = False
        self.installed = False
        self.tl: Any = None
        self.lock_types: tuple[type, ...] = ()   # the Lock and RLock wrappers (syncpatch)
        self.exit_hooks: list[Callable[[], None]] = []
        # The exit status os._exit turns into when races were reported (the CLI sets 66);
        # only in the process that installed the session, never in a fork child.
        self.exit_code_on_race: int | None = None
        self.owner_pid = os.getpid()
        # Test attribution: thread index -> (epochs, labels), appended by that thread only.
        self._label_epochs: dict[int, list[int]] = {}
        self._label_names: dict[int, list[str | None]] = {}
        self.labelled = False
        # Folders whose frames reports leave out (the pytest plugin hides pytest's and
        # pluggy's two dozen frames between a test and the thread it started).
        self.hidden_dirs: list[str] = []

    # Lifecycle ------------------------------------------------------------------------
    def install(self) -> None:
        """Start observing: import hook, synchronisation patches, the main thread's log."""
        if hooks._Active.session is not None and not hooks._Active.session.finished:
            raise RuntimeError("another race session is already active in this process")
        hooks._Active.session = self
        self.owner_pid = os.getpid()
        main = threading.current_thread()
        ts = ThreadState(self, 1, main.name, [0, 1], (), None)
        self.threads[1] = ts
        self._starting[_thread.get_ident()] = ts
        self.tl = hooks.HookHolder()     # runs __init__ for this thread now: takes `ts`
        hooks.tl = self.tl
        self.patcher.install()
        self.finder.install()
        self.installed = True

    def compile_main(self, path: str) -> Any:
        """The instrumented code object of the main script (same filename and lines)."""
        path = os.path.abspath(path)
        with open(path, "rb") as f:
            source = f.read()
        return self.cache.code_for(path, source)

    def compile_source(self, source: str, filename: str) -> Any:
        """Instrumented code for source text that has no file (``-c``), or None."""
        return self.cache.code_for(filename, source.encode("utf-8", "surrogateescape"))

    def compile_tree(self, tree: Any, source: str, filename: str) -> Any:
        """Instrument a module's AST that someone else already transformed (pytest's assertion
        rewriting) and compile it; None when that fails, so the caller compiles it plainly."""
        import ast
        from .rewrite import link, rewrite_tree
        # pytest's new nodes carry a start but no end position; the rewriter's
        # fix_missing_locations would give them the module's (line 1), an invalid range.
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) is not None and getattr(node, "end_lineno", None) is None:
                node.end_lineno = node.lineno  # type: ignore[attr-defined]
                node.end_col_offset = node.col_offset  # type: ignore[attr-defined]
        try:
            code = compile(rewrite_tree(tree, source, filename), filename, "exec", dont_inherit=True)
            return link(code, hooks.tl)
        except Exception:
            return None

    def flush_current(self) -> None:
        """Check the calling thread's log now (reports it reveals are made before this returns)."""
        ts = self.current()
        if ts is not None:
            ts.flush()

    @property
    def in_owner(self) -> bool:
        """False in a fork child: it must not write the run's files or change its status."""
        return os.getpid() == self.owner_pid

    def finish(self) -> list[Report]:
        """Flush the calling thread's log (and any finished thread's), stop, return reports."""
        if self.finished:
            return list(self.reports)
        ts = self.current()
        if ts is not None:
            ts.flush()
        self.finished = True
        self.finder.uninstall()
        self.patcher.uninstall()
        return list(self.reports)

    def before_os_exit(self, code: int) -> int:
        """os._exit is about to end the process: report what we have and run exit hooks.

        A fork child (multiprocessing's workers leave by os._exit) reports the races it
        found, but keeps its own status and leaves the parent's files alone.
        """
        self.finish()
        if not self.in_owner:
            return code
        for h in self.exit_hooks:
            try:
                h()
            except Exception:  # pragma: no cover - never block the exit
                pass
        if self.reports and self.exit_code_on_race is not None:
            return self.exit_code_on_race
        return code

    # Threads ---------------------------------------------------------------------------
    def current(self) -> Optional[ThreadState]:
        if self.finished:
            return None
        return self.tl.ts

    def new_thread_index(self) -> int:
        with self._index_lock:
            idx = self._next_index
            self._next_index += 1
            return idx

    def thread_state(self) -> ThreadState:
        """The calling thread's state (made now for threads we did not see start)."""
        ident = _thread.get_ident()
        ts = self._starting.pop(ident, None)
        if ts is None:
            # A thread threading did not start (_thread.start_new_thread, a C extension's):
            # threading.current_thread() would make it a _DummyThread, which the program
            # would then see in threading.enumerate(); use the name it has, if any.
            known = getattr(threading, "_active", {}).get(ident)
            name = known.name if known is not None else f"Dummy-{ident}"
            idx = self.new_thread_index()
            ts = ThreadState(self, idx, name, [], (), None)
            self.threads[idx] = ts
        return ts

    def begin_thread(self, name: str, init: tuple) -> None:
        """The calling thread, just started with `init` (syncpatch: index, the parent's
        released clock, where it was started, the parent's index), gets its state."""
        idx, snap, created_at, parent = init
        ts = ThreadState(self, idx, name, snap, created_at, parent)
        self.threads[idx] = ts
        if parent is not None and parent < len(snap):
            # The test the parent was running when it called start() (its epoch then).
            label = self.label_at(parent, snap[parent])
            if label is not None:
                self._label_epochs[idx] = [0]
                self._label_names[idx] = [label]
        self._starting[_thread.get_ident()] = ts

    def end_thread(self, thread: threading.Thread) -> None:
        ts = self.current()
        if ts is None:
            return
        thread.__dict__["_ftpy_final"] = ts.release()
        ts.name = thread.name
        ts.end()

    # Test attribution -------------------------------------------------------------------
    def set_label(self, label: str | None) -> None:
        """The calling thread starts running `label` (a test id), or nothing (None)."""
        ts = self.current()
        if ts is None:
            return
        epoch = ts.new_epoch()
        self.labelled = True
        self._label_epochs.setdefault(ts.idx, []).append(epoch)
        self._label_names.setdefault(ts.idx, []).append(label)

    def label_at(self, idx: int, epoch: int) -> str | None:
        """The label thread `idx` had at `epoch` of its own clock."""
        epochs = self._label_epochs.get(idx)
        if not epochs:
            return None
        i = bisect.bisect_right(epochs, epoch) - 1
        return self._label_names[idx][i] if i >= 0 else None

    def process_log(self, ts: ThreadState, buf: Any, keep: list[Any]) -> None:
        if not self.finished:
            self.detector.process(ts, buf, keep)

    # Reports ---------------------------------------------------------------------------
    def _stack(self, entry: tuple) -> list[dict[str, Any]]:
        site: Optional[Site] = self.detector.sites.get(entry[2])
        top = None
        if site is not None:
            top = {"function": site.function, "file": site.file, "line": site.line}
        return self._visible(frames(entry[3], top))

    def _visible(self, stack: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`stack` without frames in hidden folders (the innermost frame always stays)."""
        if not self.hidden_dirs or not stack:
            return stack
        hidden = tuple(d.rstrip(os.sep) + os.sep for d in self.hidden_dirs)
        return stack[:1] + [f for f in stack[1:] if not str(f["file"]).startswith(hidden)]

    def _thread_json(self, idx: int) -> dict[str, Any]:
        ts = self.threads.get(idx)
        return {"id": idx, "name": ts.name if ts else f"T{idx}"}

    def _on_race(self, found: RaceFound) -> None:
        # The same pair of sites is found again and again (by every thread pair, on every
        # object); stop those early.  The key is an interned str, immortal on 3.13t, so the
        # set lookup is cheap from any thread (keys owned by another thread are not).
        a, b = found.cur[2], found.prev[2]
        key = sys.intern(f"{a}:{b}" if a <= b else f"{b}:{a}")
        if key in self._site_pairs:
            return
        with self._report_lock:      # shards find races in parallel
            if key in self._site_pairs:
                return
            self._site_pairs.add(key)
            self._report(found)

    def _report(self, found: RaceFound) -> None:
        cur_site = self.detector.sites.get(found.cur[2])
        prev_site = self.detector.sites.get(found.prev[2])
        if cur_site is None or prev_site is None:
            return
        pair = frozenset({(cur_site.file, cur_site.line), (prev_site.file, prev_site.line)})
        if pair in self._pairs:
            return
        self._pairs.add(pair)
        cur_stack = self._stack(found.cur)
        prev_stack = self._stack(found.prev)
        if line_ignored(cur_site.file, cur_site.line) or line_ignored(prev_site.file, prev_site.line):
            return
        if self.suppressions.suppresses([cur_stack, prev_stack]):
            return
        obj, field = found.obj, found.field
        # type(obj), never isinstance(obj, ...): that would call the program's
        # __getattribute__('__class__') from inside the detector.
        is_class = issubclass(type(obj), type)
        if type(obj) is _GlobalsToken:
            obj_name, field_name = f"module {obj.module_name}", str(field)
            desc = f"global {field_name!r} of module {obj.module_name!r}"
        elif type(obj) is object:
            obj_name, field_name = f"closure of {prev_site.function}", str(field)
            desc = f"variable {field_name!r} of the closure of {prev_site.function}"
        else:
            obj_name = f"class {obj.__qualname__}" if is_class else type(obj).__name__
            kind_word = "class" if is_class else "object"
            if field == WHOLE:
                field_name = "[*]"
                desc = f"the contents of {type(obj).__name__} object"
            elif field_key_hash(field) is not None:
                field_name = describe_key(obj, field_key_hash(field))
                desc = f"item {field_name} of {obj_name} {kind_word}"
            else:
                field_name = str(field)
                desc = f"attribute {field_name!r} of {obj_name}" + ("" if is_class else " object")
        cur_t, prev_t = found.cur[4], found.prev[4]
        threads = []
        for idx in sorted({cur_t, prev_t}):
            ts = self.threads.get(idx)
            threads.append({"id": idx, "name": ts.name if ts else f"T{idx}",
                            "createdAt": self._visible(frames(ts.created_at)) if ts else []})
        report: Report = {
            "kind": "data-race",
            "location": {"object": obj_name, "field": field_name, "address": hex(id(obj)),
                         "description": desc},
            "current": {"access": "write" if found.cur_write else "read",
                        "thread": self._thread_json(cur_t), "stack": cur_stack},
            "previous": {"access": "write" if found.prev_write else "read",
                         "thread": self._thread_json(prev_t), "stack": prev_stack},
            "threads": threads,
        }
        if self.labelled:
            # entry = (own epoch, clock snapshot, site, stack, thread index): see detector.py
            report["current"]["test"] = self.label_at(cur_t, found.cur[0])
            report["previous"]["test"] = self.label_at(prev_t, found.prev[0])
        # The one TSAN-style rendering travels with the report (DAP event, --json), so nothing
        # downstream renders it again.
        report["text"] = format_text(report)
        self.reports.append(report)
        if self.on_report is not None:
            try:
                self.on_report(report)
            except Exception:  # pragma: no cover - a callback must not break the program
                pass
