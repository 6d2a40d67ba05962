"""Detaching leaves no hook behind: ``Debugger.uninstall`` undoes everything ``install`` did.

These drive the real ``Debugger`` with each real tracing backend in this interpreter: a logpoint
proves the hooks are live while installed (it logs through ``send_event``), and after
``uninstall`` the same code runs untraced: no ``sys.monitoring`` tool id or event, no trace
function on any thread or frame, the import hook and ``threading.excepthook`` put back.  A
second ``install`` (another adapter attaching) works again.
"""

from __future__ import annotations

import os
import sys
import tempfile
import textwrap
import threading
import unittest
from importlib import _bootstrap_external  # type: ignore[attr-defined]
from typing import Any
from unittest import mock

from ftpy_runtime.debugger.core import Debugger
from ftpy_runtime.runner.program import compile_script
from ftpy_runtime.tracing import monitoring

WAIT = 60.0  # generous: the machine may be loaded

#: The traced program.  It is compiled and registered the way the launcher does with a main
#: script (``run_path``), so its breakpoints bind through the code registry.
PROGRAM = textwrap.dedent(
    """\
    def logged(n):
        doubled = n * 2  # LOG_LINE
        return doubled


    def wait_in_watched_code(started, release):
        started.set()
        while not release.wait(0.01):  # WAIT_LINE: a logpoint here reaches a running frame
            pass
    """
)
LOG_LINE = 2
WAIT_LINE = 8


class Recorder:
    """The debugger's ``send_event``: keeps what it was told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def __call__(self, event: str, body: dict[str, Any]) -> None:
        with self.lock:
            self.events.append((event, body))

    def outputs(self) -> list[str]:
        with self.lock:
            return [str(body.get("output", "")) for event, body in self.events if event == "output"]


def no_frame_traced() -> list[str]:
    """Frames on any thread that still carry a trace function."""
    found = []
    for ident, frame in sys._current_frames().items():
        f = frame
        while f is not None:
            if f.f_trace is not None:
                found.append(f"{ident}: {f.f_code.co_qualname}")
            f = f.f_back
    return found


class DetachTest(unittest.TestCase):
    backend_env: dict[str, str] = {}

    def setUp(self) -> None:
        self.original_get_code = _bootstrap_external.SourceLoader.get_code
        self.original_excepthook = threading.excepthook
        self.recorder = Recorder()
        with mock.patch.dict(os.environ, self.backend_env):
            self.debugger = Debugger(self.recorder, lambda: None)
        self.addCleanup(self.debugger.uninstall)
        folder = tempfile.mkdtemp(prefix="ftpy-detach-")
        self.path = os.path.join(folder, "traced.py")
        with open(self.path, "w") as f:
            f.write(PROGRAM)
        code = compile_script(self.path)
        self.debugger.registry.register(code)
        self.program: dict[str, Any] = {"__name__": "traced"}
        exec(code, self.program)

    def assert_logpoint_fires(self, n: int) -> None:
        self.debugger.breakpoints.set_file(self.path, [{"line": LOG_LINE, "logMessage": "n is {n}"}])
        before = len(self.recorder.outputs())
        self.assertEqual(self.program["logged"](n), 2 * n)
        self.assertIn(f"n is {n}\n", self.recorder.outputs()[before:], "the logpoint logged: the hooks are live")

    def assert_no_hooks(self) -> None:
        if hasattr(sys, "monitoring"):
            for tool in monitoring.TOOL_IDS:
                self.assertNotEqual(sys.monitoring.get_tool(tool), "ftpy", f"sys.monitoring tool {tool} is still ftpy's")
        self.assertIsNone(sys.gettrace(), "no trace function on this thread")
        self.assertIsNone(threading.gettrace(), "no trace function for threads started later")
        self.assertEqual(no_frame_traced(), [], "no running frame keeps a line tracer")
        self.assertIs(_bootstrap_external.SourceLoader.get_code, self.original_get_code, "the import hook is gone")
        self.assertIs(threading.excepthook, self.original_excepthook, "threading.excepthook is the program's again")
        before = len(self.recorder.outputs())
        self.assertEqual(self.program["logged"](21), 42)
        self.assertEqual(self.recorder.outputs()[before:], [], "nothing is traced any more")

    def test_uninstall_leaves_no_hook_and_install_works_again(self) -> None:
        debugger = self.debugger
        debugger.install()
        self.assertIsNot(threading.excepthook, self.original_excepthook)
        self.assertIsNot(_bootstrap_external.SourceLoader.get_code, self.original_get_code)
        self.assert_logpoint_fires(3)
        debugger.uninstall()
        self.assert_no_hooks()
        # Another adapter attaches: everything works again, and goes again on the next detach.
        debugger.install()
        self.assert_logpoint_fires(5)
        debugger.uninstall()
        self.assert_no_hooks()

    def test_a_frame_already_running_in_watched_code_is_let_go(self) -> None:
        started, release = threading.Event(), threading.Event()
        worker = threading.Thread(target=self.program["wait_in_watched_code"], args=(started, release), name="watched-loop")
        worker.start()
        self.addCleanup(worker.join, WAIT)
        self.addCleanup(release.set)
        self.assertTrue(started.wait(WAIT))
        self.debugger.install()
        self.debugger.breakpoints.set_file(self.path, [{"line": WAIT_LINE, "logMessage": "looping"}])
        deadline = threading.Event()
        for _ in range(int(WAIT / 0.01)):
            if "looping\n" in self.recorder.outputs():
                break
            deadline.wait(0.01)
        self.assertIn("looping\n", self.recorder.outputs(), "the running loop was reached")
        self.debugger.uninstall()
        self.assert_no_hooks()


@unittest.skipUnless(hasattr(sys, "monitoring"), "no sys.monitoring in this interpreter")
class MonitoringDetachTest(DetachTest):
    backend_env = {"FTPY_BACKEND": ""}

    def test_the_backend_is_sys_monitoring(self) -> None:
        self.assertEqual(self.debugger.backend.name, "sys.monitoring")


class SettraceDetachTest(DetachTest):
    backend_env = {"FTPY_BACKEND": "settrace"}

    def test_the_backend_is_settrace(self) -> None:
        self.assertEqual(self.debugger.backend.name, "settrace")


del DetachTest  # only its two concrete backends run

if __name__ == "__main__":
    unittest.main()
