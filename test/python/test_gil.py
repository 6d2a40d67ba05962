"""Tests for ftpy_runtime.objectmodel.gil: GIL state, and the watcher that names the import that re-enabled it.

The C extension that re-enables the GIL is built here, from a few lines of C
with no Py_mod_gil slot, against the running interpreter's own headers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import unittest

from ftpy_runtime.objectmodel import gil, headers

FREE_THREADED = headers.is_free_threaded_build()
NOT_FT_REASON = f"{sys.executable} is not a free-threaded build; set FTPY_TEST_PYTHON to a python3.13t"
RUNTIME_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "runtime")

EXTENSION_SOURCE = textwrap.dedent(
    """
    #include <Python.h>

    /* Single-phase init and no Py_mod_gil slot: CPython assumes the module
       needs the GIL and turns it back on when it is imported. */
    static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "ftpy_needs_gil", NULL, -1, NULL};

    PyMODINIT_FUNC PyInit_ftpy_needs_gil(void) { return PyModule_Create(&def); }
    """
)


def _compiler() -> str | None:
    for name in (os.environ.get("CC"), "gcc", "cc", "clang"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class GilStateTest(unittest.TestCase):
    def test_state_in_this_process(self) -> None:
        s = gil.state()
        self.assertEqual(s["free_threaded_build"], FREE_THREADED)
        self.assertEqual(s["enabled"], sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True)
        self.assertIsInstance(s["reason"], str)
        self.assertTrue(s["reason"])


@unittest.skipUnless(FREE_THREADED, NOT_FT_REASON)
class GilWatchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cc = _compiler()
        if cc is None:
            raise unittest.SkipTest("no C compiler (gcc, cc or clang) to build the test extension")
        cls.tmp = tempfile.TemporaryDirectory()
        src = os.path.join(cls.tmp.name, "ftpy_needs_gil.c")
        with open(src, "w") as f:
            f.write(EXTENSION_SOURCE)
        out = os.path.join(cls.tmp.name, "ftpy_needs_gil" + sysconfig.get_config_var("EXT_SUFFIX"))
        include = sysconfig.get_paths()["include"]
        r = subprocess.run([cc, "-shared", "-fPIC", f"-I{include}", "-o", out, src], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise AssertionError(f"building the test extension failed:\n{r.stderr}")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def run_program(self, body: str, *args: str, env: dict[str, str] | None = None) -> tuple[dict, str, int]:
        """Run `body` as a script next to the extension; return (its JSON output, path, line of the import)."""
        path = os.path.join(self.tmp.name, "program.py")
        with open(path, "w") as f:
            f.write(textwrap.dedent(body))
        line = next(i for i, s in enumerate(textwrap.dedent(body).splitlines(), 1) if "import ftpy_needs_gil" in s and "#" in s)
        run_env = dict(os.environ, PYTHONPATH=RUNTIME_DIR)
        run_env.pop("PYTHON_GIL", None)
        run_env.update(env or {})
        r = subprocess.run([sys.executable, *args, path], capture_output=True, text=True, timeout=120, env=run_env, cwd=self.tmp.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout.strip().splitlines()[-1]), path, line

    def test_watcher_names_module_and_import_line_even_when_warnings_are_ignored(self) -> None:
        out, path, line = self.run_program(
            """
            import json, sys, warnings
            from ftpy_runtime.objectmodel import gil
            seen = []
            gil.watch(seen.append)
            warnings.simplefilter("ignore")  # the user's own choice; the watcher must not need the warning
            before = gil.state()
            import ftpy_needs_gil  # the import site
            print(json.dumps({"seen": seen, "before": before, "after": gil.state(), "enabled": sys._is_gil_enabled()}))
            """
        )
        self.assertFalse(out["before"]["enabled"])
        self.assertEqual(out["before"]["reason"], "off: the free-threaded default")
        self.assertTrue(out["enabled"])
        self.assertEqual(len(out["seen"]), 1)
        event = out["seen"][0]
        self.assertIs(event["enabled"], True)
        self.assertEqual(event["module"], "ftpy_needs_gil")
        self.assertEqual(event["file"], path)
        self.assertEqual(event["line"], line)
        self.assertIn("Py_mod_gil", event["reason"])
        self.assertEqual(event["thread"]["name"], "MainThread")
        self.assertEqual(event["stack"][0], {"function": "<module>", "file": path, "line": line})
        after = out["after"]
        self.assertTrue(after["enabled"])
        self.assertEqual(after["modules"], ["ftpy_needs_gil"])
        self.assertIn("'ftpy_needs_gil'", after["reason"])

    def test_users_warning_handling_still_sees_the_warning(self) -> None:
        out, path, line = self.run_program(
            """
            import json, warnings, threading
            from ftpy_runtime.objectmodel import gil
            seen = []
            gil.watch(seen.append)
            shown = []
            warnings.showwarning = lambda message, category, *rest: shown.append((str(message), category.__name__))
            with warnings.catch_warnings(record=True) as recorded:
                warnings.simplefilter("always")
                def load():
                    import ftpy_needs_gil  # the import site, in a worker thread
                t = threading.Thread(target=load, name="loader")
                t.start(); t.join()
            warnings.warn("after", RuntimeWarning)
            print(json.dumps({"seen": seen, "recorded": [str(w.message) for w in recorded], "shown": shown}))
            """
        )
        self.assertEqual(len(out["recorded"]), 1)
        self.assertIn("has been enabled to load module 'ftpy_needs_gil'", out["recorded"][0])
        self.assertEqual(out["shown"], [["after", "RuntimeWarning"]])
        self.assertEqual([(e["module"], e["file"], e["line"], e["thread"]["name"]) for e in out["seen"]],
                         [("ftpy_needs_gil", path, line, "loader")])

    def test_watcher_reports_even_when_the_warning_is_an_error(self) -> None:
        out, path, line = self.run_program(
            """
            import json, sys, warnings
            from ftpy_runtime.objectmodel import gil
            seen = []
            gil.watch(seen.append)
            warnings.simplefilter("error")
            try:
                import ftpy_needs_gil  # raises: the user made the warning an error
                failed = None
            except RuntimeWarning as e:
                failed = str(e)
            print(json.dumps({"seen": seen, "failed": failed, "enabled": sys._is_gil_enabled()}))
            """
        )
        self.assertIn("has been enabled to load module 'ftpy_needs_gil'", out["failed"])
        self.assertTrue(out["enabled"])
        self.assertEqual([(e["module"], e["file"], e["line"]) for e in out["seen"]], [("ftpy_needs_gil", path, line)])

    def test_gil_forced_on_by_environment(self) -> None:
        out, _, _ = self.run_program(
            """
            import json
            from ftpy_runtime.objectmodel import gil
            seen = []
            gil.watch(seen.append)
            import ftpy_needs_gil  # already on: nothing re-enables it
            print(json.dumps({"seen": seen, "state": gil.state()}))
            """,
            env={"PYTHON_GIL": "1"},
        )
        self.assertEqual(out["seen"], [])
        self.assertTrue(out["state"]["enabled"])
        self.assertEqual(out["state"]["forced_by"], "PYTHON_GIL=1")
        self.assertEqual(out["state"]["reason"], "forced on by PYTHON_GIL=1")

    def test_gil_kept_off_by_xoption(self) -> None:
        out, _, _ = self.run_program(
            """
            import json, sys
            from ftpy_runtime.objectmodel import gil
            seen = []
            gil.watch(seen.append)
            import ftpy_needs_gil  # -X gil=0 keeps the GIL off anyway
            print(json.dumps({"seen": seen, "state": gil.state(), "enabled": sys._is_gil_enabled()}))
            """,
            "-X",
            "gil=0",
        )
        self.assertEqual(out["seen"], [])
        self.assertFalse(out["enabled"])
        self.assertFalse(out["state"]["enabled"])
        self.assertEqual(out["state"]["forced_by"], "-X gil=0")
        self.assertEqual(out["state"]["reason"], "kept off by -X gil=0")

    def test_import_before_watching_is_found_from_the_warning_registry(self) -> None:
        out, _, _ = self.run_program(
            """
            import json, warnings
            import ftpy_needs_gil  # before the debugger watches (warning shown once, default filters)
            from ftpy_runtime.objectmodel import gil
            print(json.dumps({"state": gil.state(), "events": gil.events()}))
            """
        )
        self.assertTrue(out["state"]["enabled"])
        self.assertEqual(out["state"]["modules"], ["ftpy_needs_gil"])
        self.assertEqual(out["events"], [])


if __name__ == "__main__":
    unittest.main()
