"""The suppressions matcher and the inline ignore comment."""

import os
import tempfile
import unittest

from ftpy_runtime.race.suppressions import SuppressionError, Suppressions, line_ignored

WORKER = {"function": "worker", "file": "/srv/app/jobs.py", "line": 10}
BUMP = {"function": "Counter.bump", "file": "/srv/app/model.py", "line": 3}
VENDOR = {"function": "helper", "file": "/srv/app/vendor/lib.py", "line": 8}


class SuppressionsTest(unittest.TestCase):
    def test_parse_rules_and_comments(self):
        s = Suppressions.parse("# c\n\nrace:Counter.*\nrace_top: worker  # trailing\n")
        self.assertEqual(s.anywhere, ["Counter.*"])
        self.assertEqual(s.top_only, ["worker"])

    def test_bad_line_names_file_and_line(self):
        with self.assertRaises(SuppressionError) as cm:
            Suppressions.parse("race:x\nrace\n", "my.supp")
        self.assertIn("my.supp:2", str(cm.exception))
        with self.assertRaises(SuppressionError):
            Suppressions.parse("called_from_lib:foo\n")

    def test_race_matches_any_frame_of_either_stack(self):
        s = Suppressions.parse("race:worker\n")
        self.assertTrue(s.suppresses([[BUMP, WORKER], [BUMP]]))
        self.assertTrue(s.suppresses([[BUMP], [WORKER]]))
        self.assertFalse(s.suppresses([[BUMP], [BUMP]]))

    def test_race_top_matches_only_the_innermost_frame(self):
        s = Suppressions.parse("race_top:worker\n")
        self.assertFalse(s.suppresses([[BUMP, WORKER], [BUMP]]))
        self.assertTrue(s.suppresses([[WORKER, BUMP], [BUMP]]))

    def test_file_globs(self):
        self.assertTrue(Suppressions.parse("race:*/vendor/*\n").suppresses([[BUMP, VENDOR]]))
        self.assertTrue(Suppressions.parse("race:model.py\n").suppresses([[BUMP]]))
        self.assertFalse(Suppressions.parse("race:other.py\n").suppresses([[BUMP]]))

    def test_missing_file_is_a_clear_error(self):
        with self.assertRaises(SuppressionError) as cm:
            Suppressions.load("/nonexistent/x.supp")
        self.assertIn("cannot read the suppressions file", str(cm.exception))

    def test_inline_ignore_comment(self):
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write("a = 1\nb = 2  # ftpy: ignore-race\nc = 3  # ftpy:ignore-race because\n")
        try:
            self.assertFalse(line_ignored(f.name, 1))
            self.assertTrue(line_ignored(f.name, 2))
            self.assertTrue(line_ignored(f.name, 3))
            self.assertFalse(line_ignored(f.name, 99))
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main()
