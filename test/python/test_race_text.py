"""The TSAN-style text of a race report: the one rendering, which the CLI prints and the editor shows."""

import unittest

from ftpy_runtime.race.report import format_text

REPORT = {
    "kind": "data-race",
    "location": {"object": "Counter", "field": "value", "address": "0x7f00aa",
                 "description": "attribute 'value' of Counter object"},
    "current": {"access": "write", "thread": {"id": 2, "name": "worker-1"},
                "stack": [{"function": "bump", "file": "/work/x/racy.py", "line": 12},
                          {"function": "run", "file": "/work/x/racy.py", "line": 20}]},
    "previous": {"access": "read", "thread": {"id": 1, "name": "MainThread"},
                 "stack": [{"function": "main", "file": "/work/x/racy.py", "line": 30}]},
    "threads": [{"id": 1, "name": "MainThread", "createdAt": []},
                {"id": 2, "name": "worker-1", "createdAt": [{"function": "main", "file": "/work/x/racy.py", "line": 25}]}],
}


class RaceTextTest(unittest.TestCase):
    def test_a_report_reads_the_way_threadsanitizer_prints_one(self):
        self.assertEqual(format_text(REPORT), "\n".join([
            "==================",
            "WARNING: DATA RACE",
            "Write by thread T2 (worker-1):",
            "  #0 bump /work/x/racy.py:12",
            "  #1 run /work/x/racy.py:20",
            "",
            "Previous read by thread T1 (MainThread):",
            "  #0 main /work/x/racy.py:30",
            "",
            "Location is attribute 'value' of Counter object at 0x7f00aa",
            "",
            "Thread T1 (MainThread) is the main thread.",
            "",
            "Thread T2 (worker-1) created at:",
            "  #0 main /work/x/racy.py:25",
            "",
            "SUMMARY: DATA RACE /work/x/racy.py:12 in bump",
            "==================",
            "",
        ]))

    def test_without_a_description_the_field_names_the_location(self):
        report = {**REPORT, "location": {"object": "list", "field": "[3]", "address": "0x1"}}
        self.assertIn("\nLocation is [3] at 0x1\n", format_text(report))

    def test_a_thread_not_started_by_threading(self):
        report = {**REPORT, "threads": [{"id": 5, "name": "Dummy-5", "createdAt": []}]}
        self.assertIn("Thread T5 (Dummy-5) was not started by threading.Thread.start.", format_text(report))


if __name__ == "__main__":
    unittest.main()
