"""The race detector's pytest plugin: which test raced, a per-test summary, and stress mode.

Loaded by ``ftpy race -m pytest ...`` (which puts ``-p ftpy_runtime.race.pytest_plugin`` in
front of pytest's arguments), or by hand::

    python3.13t -m pytest -p ftpy_runtime.race.pytest_plugin tests/

Without ``ftpy race`` around it, the plugin starts the detector itself (the working
directory's modules are the program's own), prints reports as they are found and ends the
run with status 66 when any was reported; ``ftpy race`` adds ``--json``/``--sarif`` files and
the crash handling.

* **Test attribution.** Each test runs under a label (its node id) on the thread that runs
  it, and threads a test starts inherit it, so every report names the test each of its two
  threads was running (``test`` on each side of the JSON; text and SARIF say it too).
* **Summary.** At the end: the races grouped by test.  Races never change a test's outcome.
* **Test modules keep pytest's assertion rewriting** and are instrumented as well: the
  plugin hands pytest's rewritten AST to the detector's rewriter, and neither reads nor
  writes pytest's bytecode cache for those modules (a later plain run never sees hooks).
* **Stress mode** (``--threads N``, or ``ftpy race --threads N -m pytest``): every test
  function runs in N threads at once, released together by a barrier, so a race inside the
  library under test is reported with both stacks instead of showing up as a flaky
  failure.  As in pytest-run-parallel, ``@pytest.mark.thread_unsafe`` runs a test once,
  ``@pytest.mark.parallel_threads(n)`` sets its own count, and the ``thread_index`` /
  ``num_parallel_threads`` fixtures and per-thread ``tmp_path`` folders behave the same.

This module may import pytest; the rest of the runtime stays standard library only.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import inspect
import os
import sys
import threading
from collections.abc import Callable, Generator
from typing import Any

import pytest

from . import hooks

RACE_EXIT = 66
_HAVE_RUN_PARALLEL = importlib.util.find_spec("pytest_run_parallel") is not None


def _session() -> Any:
    """The active race session, or None."""
    s = hooks.active_session()
    return s if s is not None and not s.finished else None


def _early_sink() -> Any:
    """Without ftpy race: the report writer, made as pytest imports this plugin, before its
    capture redirects fd 2 (a duplicate taken later would write into the capture)."""
    if _session() is not None:
        return None
    from .outputs import ReportSink
    return ReportSink(None)


_STANDALONE_SINK = _early_sink()


# Options and markers ------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ftpy-race", "race detector (ftpy race)")
    group.addoption("--ftpy-threads", "--threads", dest="ftpy_threads", type=int, default=1, metavar="N",
                    help="stress mode: run every test function in N threads at once (behind a barrier) "
                         "with the race detector on; @pytest.mark.thread_unsafe tests run once")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "thread_unsafe: run this test in one thread only (stress mode, pytest-run-parallel)")
    config.addinivalue_line("markers", "parallel_threads(n): run this test in n threads in stress mode")
    threads: int = config.option.ftpy_threads or 1
    if threads < 1:
        raise pytest.UsageError("--threads needs a number of at least 1")
    theirs = getattr(config.option, "parallel_threads", None)
    if threads > 1 and theirs not in (None, 1, "1"):
        raise pytest.UsageError("--threads (ftpy race stress mode) and pytest-run-parallel's --parallel-threads "
                                "both run tests in threads: use one of them")
    config.pluginmanager.register(_RacePlugin(config, threads), "ftpy-race-session")


# Starting the detector when pytest runs without `ftpy race`, and test modules -----------
@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Before conftest files are imported: a detector session, and pytest's assertion
    rewriting composed with the detector's instrumentation."""
    session = _session()
    if session is None:
        session = _start_standalone(str(early_config.invocation_params.dir))
    session.hidden_dirs.extend(_package_dir(m) for m in ("_pytest", "pytest", "pluggy"))
    # Every report of a pytest run has `test` on both sides, those found before the first
    # test (collection, conftest imports) too: null there.
    session.labelled = True
    _compose_with_assertion_rewriting(session)


def _package_dir(name: str) -> str:
    mod = sys.modules.get(name)
    return os.path.dirname(os.path.abspath(getattr(mod, "__file__", None) or os.devnull))


def _start_standalone(root: str) -> Any:
    from .session import RaceSession
    session = RaceSession(root_dirs=[root], on_report=_STANDALONE_SINK)
    session.standalone = True  # type: ignore[attr-defined]
    session.install()
    return session


def _compose_with_assertion_rewriting(session: Any) -> None:
    """Test modules that pytest rewrites get the race hooks too (and pytest's cache is skipped)."""
    try:
        from _pytest.assertion.rewrite import AssertionRewritingHook, rewrite_asserts
    except ImportError:  # pragma: no cover - a pytest without assertion rewriting
        return
    for finder in sys.meta_path:
        if isinstance(finder, AssertionRewritingHook) and "exec_module" not in vars(finder):
            plain_exec = finder.exec_module

            def exec_module(module: Any, _hook: Any = finder, _plain: Callable[[Any], None] = plain_exec) -> None:
                spec = module.__spec__
                fn = spec.origin if spec is not None else None
                s = _session()
                if s is None or not fn or not s.selector.wants(fn):
                    return _plain(module)
                with open(fn, "rb") as f:
                    source = f.read()
                tree = ast.parse(source, filename=fn)
                rewrite_asserts(tree, source, fn, _hook.config)
                code = s.compile_tree(tree, importlib.util.decode_source(source), fn)
                if code is None:      # the detector cannot instrument it: pytest's own way
                    return _plain(module)
                from pathlib import Path
                _hook._rewritten_names[module.__name__] = Path(fn)
                exec(code, module.__dict__)

            finder.exec_module = exec_module  # type: ignore[method-assign]


# Stress mode ----------------------------------------------------------------------------
def _thread_count(item: pytest.Item, default: int) -> tuple[int, str | None]:
    """How many threads `item` runs in, and why it runs in one when it must."""
    if item.get_closest_marker("thread_unsafe") is not None:
        m = item.get_closest_marker("thread_unsafe")
        return 1, (m.kwargs.get("reason") if m is not None else None) or "marked thread_unsafe"
    m = item.get_closest_marker("parallel_threads")
    if m is not None and m.args:
        try:
            n = int(m.args[0])
        except (TypeError, ValueError):
            n = default
        return max(1, n), "marked parallel_threads(1)" if n <= 1 else None
    return default, None


def _in_threads(fn: Callable[..., Any], n: int) -> Callable[..., Any]:
    """`fn` run by n threads at once; the first failure (or skip) is raised afterwards."""

    @functools.wraps(fn)
    def run_in_threads(*args: Any, **kwargs: Any) -> None:
        __tracebackhide__ = True
        barrier = threading.Barrier(n)
        outcomes: list[BaseException | None] = [None] * n

        def worker(i: int) -> None:
            __tracebackhide__ = True
            kw = dict(kwargs)
            if "thread_index" in kw:
                kw["thread_index"] = i
            if "tmp_path" in kw:
                kw["tmp_path"] = kw["tmp_path"] / f"thread_{i}"
                kw["tmp_path"].mkdir(exist_ok=True)
            try:
                barrier.wait()
                fn(*args, **kw)
            except threading.BrokenBarrierError:
                pass
            except BaseException as e:  # Failed and Skipped are BaseExceptions too
                outcomes[i] = e

        workers = [threading.Thread(target=worker, args=(i,), name=f"stress-{i}") for i in range(n)]
        started = 0
        try:
            for w in workers:
                w.start()
                started += 1
        finally:
            if started < n:
                barrier.abort()
            for w in workers[:started]:
                w.join()
        failures = [e for e in outcomes if e is not None and not isinstance(e, pytest.skip.Exception)]
        skips = [e for e in outcomes if isinstance(e, pytest.skip.Exception)]
        if failures:
            raise failures[0]
        if skips:
            raise skips[0]

    return run_in_threads


if not _HAVE_RUN_PARALLEL:
    # pytest-run-parallel's fixtures, for suites written for it (its own win when installed).
    @pytest.fixture
    def num_parallel_threads(request: pytest.FixtureRequest) -> int:
        node: Any = getattr(request, "node", None)
        return int(getattr(node, "_ftpy_threads", 1))

    @pytest.fixture
    def thread_index() -> int:
        return 0       # replaced per thread by stress mode


# The per-session plugin object ----------------------------------------------------------
class _RacePlugin:
    def __init__(self, config: pytest.Config, threads: int) -> None:
        self.config = config
        self.threads = threads
        self.stressed: dict[str, int] = {}
        self.single: dict[str, str] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        if self.threads <= 1:
            return
        for item in items:
            # Plain test functions only: unittest TestCase methods and doctests run their
            # own way, and async tests need their event loop plugin.
            fn = getattr(item, "obj", None)
            if type(item) is not pytest.Function or fn is None or inspect.iscoroutinefunction(fn) \
                    or inspect.isasyncgenfunction(fn):
                self.single[item.nodeid] = "not a plain test function"
                continue
            n, why = _thread_count(item, self.threads)
            item._ftpy_threads = n  # type: ignore[attr-defined]
            if n <= 1:
                self.single[item.nodeid] = why or "runs in one thread"
                continue
            item.obj = _in_threads(fn, n)  # type: ignore[attr-defined]
            self.stressed[item.nodeid] = n

    def pytest_report_collectionfinish(self, config: pytest.Config, start_path: Any, items: Any) -> str | None:
        if self.threads <= 1:
            return None
        return (f"ftpy race stress mode: {len(self.stressed)} tests in {self.threads} threads each, "
                f"{len(self.single)} in one thread")

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, Any, None]:
        s = _session()
        if s is not None:
            s.set_label(item.nodeid)
        try:
            yield
        finally:
            if s is not None:
                s.set_label(None)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        s = _session()
        if s is None:
            return
        s.flush_current()     # what this thread did last is checked before the summary
        if getattr(s, "standalone", False) and s.reports:
            session.exitstatus = RACE_EXIT

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        s = _session()
        if s is not None and getattr(s, "standalone", False):
            s.finish()

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        s = hooks.active_session()
        if s is None:
            return
        tr = terminalreporter
        reports: list[dict[str, Any]] = list(s.reports)
        tr.section("ftpy race: data races by test")
        if self.threads > 1:
            tr.line(f"stress mode: {len(self.stressed)} tests ran in {self.threads} threads at once; "
                    f"{len(self.single)} ran once ({_single_summary(self.single)})")
        if not reports:
            tr.line("no data race found")
            return
        by_test: dict[str, list[dict[str, Any]]] = {}
        for r in reports:
            for t in sorted({r["current"].get("test") or "", r["previous"].get("test") or ""}):
                by_test.setdefault(t, []).append(r)
        root = str(config.rootpath)
        for test in sorted(by_test, key=lambda t: (t == "", t)):
            rs = by_test[test]
            tr.line(f"{test or '(outside any test: collection, imports, fixtures of other scopes)'}: "
                    f"{len(rs)} data race{'s' if len(rs) != 1 else ''}", bold=True)
            for r in rs:
                tr.line(f"  {_one_line(r, root)}")
        tests = [t for t in by_test if t]
        tr.line(f"{len(reports)} data race{'s' if len(reports) != 1 else ''} in {len(tests)} "
                f"test{'s' if len(tests) != 1 else ''}; races do not change test outcomes "
                f"(the run's exit status is {RACE_EXIT})", red=True)


def _single_summary(single: dict[str, str]) -> str:
    reasons: dict[str, int] = {}
    for why in single.values():
        reasons[why] = reasons.get(why, 0) + 1
    return ", ".join(f"{n} {why}" for why, n in sorted(reasons.items())) or "none"


def _one_line(r: dict[str, Any], root: str) -> str:
    def side(part: dict[str, Any]) -> str:
        top = part["stack"][0] if part["stack"] else {"file": "?", "line": 0, "function": "?"}
        file = str(top["file"])
        if file.startswith(root + os.sep):
            file = file[len(root) + 1:]
        where = f"{part['access']} at {file}:{top['line']} in {top['function']} (T{part['thread']['id']})"
        test = part.get("test")
        return where + (f" [{test}]" if test else "")
    loc = r["location"]
    return f"{loc.get('description') or loc['field']}: {side(r['current'])} vs previous {side(r['previous'])}"
