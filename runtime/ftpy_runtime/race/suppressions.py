"""Race suppressions, in the manner of ThreadSanitizer's suppressions files.

A suppressions file holds one rule a line::

    # comments and blank lines are ignored
    race:legacy_*          # any frame of either access whose function or file matches
    race:*/vendor/*.py
    race_top:Cache.get     # only the innermost frame of either access

A pattern is a shell glob (``fnmatch``, case-sensitive) matched against a frame's function
name, its qualified name when known, its absolute file path and the file's base name.  A
race is suppressed when a rule matches a frame of *either* of its two stacks.

Independently of any file, a race is ignored when the source line of either access carries
the comment ``# ftpy: ignore-race``.
"""

from __future__ import annotations

import fnmatch
import linecache
import os
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

IGNORE_COMMENT = re.compile(r"#\s*ftpy:\s*ignore-race\b")

Frame = Mapping[str, object]


class SuppressionError(ValueError):
    """A suppressions file that cannot be used; the message says where and why."""


@dataclass
class Suppressions:
    """The rules of one suppressions file."""

    anywhere: list[str] = field(default_factory=list)
    top_only: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str, origin: str = "<suppressions>") -> "Suppressions":
        rules = cls()
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            kind, sep, pattern = line.partition(":")
            kind, pattern = kind.strip(), pattern.strip()
            if not sep or not pattern or kind not in ("race", "race_top"):
                raise SuppressionError(
                    f"{origin}:{lineno}: cannot read {raw.strip()!r}; "
                    "each rule is `race:PATTERN` or `race_top:PATTERN`."
                )
            (rules.anywhere if kind == "race" else rules.top_only).append(pattern)
        return rules

    @classmethod
    def load(cls, path: str) -> "Suppressions":
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as exc:
            raise SuppressionError(
                f"cannot read the suppressions file {path}: {exc.strerror or exc}. "
                "Check the path given to --suppressions."
            ) from None
        return cls.parse(text, path)

    def matches_frame(self, frame: Frame, patterns: Iterable[str]) -> bool:
        names = _frame_names(frame)
        return any(fnmatch.fnmatchcase(n, p) for p in patterns for n in names)

    def suppresses(self, stacks: Sequence[Sequence[Frame]]) -> bool:
        """True when a rule matches the stacks of a race (one stack per access)."""
        for stack in stacks:
            if not stack:
                continue
            if self.top_only and self.matches_frame(stack[0], self.top_only):
                return True
            if self.anywhere and any(self.matches_frame(f, self.anywhere) for f in stack):
                return True
        return False


def _frame_names(frame: Frame) -> list[str]:
    names = []
    for key in ("function", "qualname"):
        v = frame.get(key)
        if isinstance(v, str) and v:
            names.append(v)
    f = frame.get("file")
    if isinstance(f, str) and f:
        names.append(f)
        names.append(os.path.basename(f))
    return names


def line_ignored(path: str, line: int) -> bool:
    """True when source line `line` of `path` carries ``# ftpy: ignore-race``."""
    text = linecache.getline(path, line)
    return bool(text) and IGNORE_COMMENT.search(text) is not None
