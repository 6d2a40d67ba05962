"""Race reports: the JSON form (docs/architecture.md, "Race report JSON"), TSAN-style text, and SARIF 2.1.0.

The JSON dict is the one truth; text and SARIF are made from it.  A report looks like::

    {"kind": "data-race",
     "location": {"object": "Counter", "field": "value", "address": "0x7f..."},
     "current":  {"access": "write", "thread": {"id": 2, "name": "worker-1"},
                  "stack": [{"function": "bump", "file": "/abs/prog.py", "line": 12}, ...],
                  "test": "tests/test_x.py::test_bump"},     # only in runs that know tests
     "previous": {"access": "read", ...},
     "threads":  [{"id": 2, "name": "worker-1", "createdAt": [frames...]}, ...]}

``stack[0]`` is the innermost frame; paths are absolute (``<string>`` for ``-c`` code).
``test`` (pytest runs: the test that thread was running at that access, or None outside
any test) is present on both sides or neither.
"""

from __future__ import annotations

import collections
import pathlib
import urllib.parse
from collections.abc import Iterable
from typing import Any

Report = dict[str, Any]
Frame = dict[str, Any]

SEPARATOR = "=================="
_SIMPLE_KEYS = (str, int, float, bool, bytes, type(None))


def frames(stack: Iterable[tuple[str, str, int]] | None, top: Frame | None = None) -> list[Frame]:
    """JSON frames from a captured stack of (file, function, line); `top` replaces frame 0."""
    out = [{"function": fn, "file": file, "line": line} for (file, fn, line) in (stack or ())]
    if top is not None:
        if out and out[0]["file"] == top["file"] and out[0]["function"] == top["function"]:
            out[0] = top
        else:
            out.insert(0, top)
    return out


def describe_key(container: Any, key_hash: int) -> str:
    """A readable subscript for the key whose hash the log kept, e.g. ``['hits']``."""
    if isinstance(container, (list, bytearray, collections.deque)):
        return f"[{key_hash}]"
    if isinstance(container, (dict, set, frozenset)):
        try:
            keys: list[Any] = list(container)  # pyright: ignore[reportUnknownArgumentType]
            for k in keys:
                items: tuple[Any, ...] = k if isinstance(k, tuple) else ()  # pyright: ignore[reportUnknownVariableType]
                simple = isinstance(k, _SIMPLE_KEYS) or (
                    isinstance(k, tuple) and all(isinstance(e, _SIMPLE_KEYS) for e in items))
                if simple and hash(k) == key_hash:  # pyright: ignore[reportUnknownArgumentType]
                    return f"[{k!r}]"
        except Exception:  # pragma: no cover - changed size while we looked
            pass
        return "[key]"
    return f"[key with hash {key_hash}]"


def access_word(report_part: dict[str, Any]) -> str:
    return str(report_part["access"])


def format_text(report: Report) -> str:
    """One report as a TSAN/Go-style block."""
    cur, prev = report["current"], report["previous"]
    lines = [SEPARATOR, "WARNING: DATA RACE"]

    def stack_lines(stack: list[Frame]) -> None:
        if not stack:
            lines.append("  (no stack recorded)")
        for i, f in enumerate(stack):
            lines.append(f"  #{i} {f['function']} {f['file']}:{f['line']}")

    who = _who(cur)
    lines.append(f"{who[0].upper()}{who[1:]}:")
    stack_lines(cur["stack"])
    lines.append("")
    lines.append(f"Previous {_who(prev)}:")
    stack_lines(prev["stack"])
    lines.append("")
    loc = report["location"]
    lines.append(f"Location is {loc.get('description') or loc['field']} at {loc['address']}")
    for th in report["threads"]:
        lines.append("")
        if th.get("createdAt"):
            lines.append(f"Thread T{th['id']} ({th['name']}) created at:")
            stack_lines(th["createdAt"])
        else:
            lines.append(f"Thread T{th['id']} ({th['name']}) is the main thread." if th["id"] == 1
                         else f"Thread T{th['id']} ({th['name']}) was not started by threading.Thread.start.")
    top = cur["stack"][0] if cur["stack"] else {"file": "?", "line": 0, "function": "?"}
    lines.append("")
    lines.append(f"SUMMARY: DATA RACE {top['file']}:{top['line']} in {top['function']}")
    lines.append(SEPARATOR)
    return "\n".join(lines) + "\n"


def _uri(path: str) -> str:
    """A file URI for an absolute path; other names (``<string>`` for ``-c`` code) percent-encoded."""
    if path.startswith("/"):
        try:
            return pathlib.Path(path).as_uri()
        except ValueError:  # pragma: no cover
            pass
    return urllib.parse.quote(path, safe="/")


def _sarif_location(frame: Frame, message: str | None = None) -> dict[str, Any]:
    loc: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": _uri(frame["file"])},
            "region": {"startLine": max(1, int(frame["line"]))},
        }
    }
    if message:
        loc["message"] = {"text": message}
    return loc


def _who(part: dict[str, Any]) -> str:
    """``write by thread T2 (worker-1)``, plus ``in test X`` when the run knew the test."""
    t = part["thread"]
    text = f"{part['access']} by thread T{t['id']} ({t['name']})"
    if part.get("test"):
        text += f" in test {part['test']}"
    return text


RULE_ID = "data-race"
_DOCS = "https://example.invalid/ftpython-debugger/docs/races.md"
# GitHub code scanning requires fullDescription and help on every rule (validator rule GH2012).
_RULE: dict[str, Any] = {
    "id": RULE_ID,
    "name": "DataRace",
    "shortDescription": {"text": "Two threads access the same data without synchronisation, and at least one writes."},
    "fullDescription": {"text": (
        "A data race: two threads accessed the same attribute, global, closure variable or container "
        "item, at least one access was a write, and no synchronisation (a lock, Thread.start/join, an "
        "Event, a queue, a future) ordered them. On free-threaded Python the outcome then depends on "
        "scheduling: lost updates, torn check-then-act sequences and half-published objects.")},
    "help": {
        "text": (
            "Both accesses and their stacks are in the result's code flow. Protect the data with one "
            "lock held around every access (including reads), hand it between threads through a "
            "queue.Queue or a concurrent.futures.Future, or make it thread-owned. If the race is "
            "intended, mark the line with '# ftpy: ignore-race' or add a 'race:PATTERN' line to a "
            "suppressions file. What counts as a race: " + _DOCS),
        "markdown": (
            "Both accesses and their stacks are in the result's code flow.\n\n"
            "**Fix:** protect the data with one `threading.Lock` held around every access (reads "
            "too), hand it between threads through a `queue.Queue` or a `concurrent.futures.Future`, "
            "or keep it owned by one thread.\n\n"
            "**Intended?** Mark the line with `# ftpy: ignore-race`, or add `race:PATTERN` to a "
            "suppressions file (`ftpy race --suppressions FILE`).\n\n"
            f"[What counts as a race]({_DOCS})"),
    },
    "helpUri": _DOCS,
    "defaultConfiguration": {"level": "error"},
    "properties": {"tags": ["concurrency", "data-race", "free-threading"], "precision": "high",
                   "problem.severity": "error"},
}


def to_sarif(reports: list[Report], tool_version: str) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one result per race, both stacks as thread flows."""
    results: list[dict[str, Any]] = []
    for r in reports:
        cur, prev, loc = r["current"], r["previous"], r["location"]
        if not cur["stack"]:
            continue
        text = (f"Data race on {loc.get('description') or loc['field']}: {_who(cur)} and previous "
                f"{_who(prev)} are not ordered by any synchronisation.")
        flows: list[dict[str, Any]] = []
        for part in (cur, prev):
            flows.append({
                "message": {"text": _who(part)},
                "locations": [{"location": _sarif_location(f), "nestingLevel": i}
                              for i, f in enumerate(part["stack"])],
            })
        result: dict[str, Any] = {
            "ruleId": RULE_ID,
            "ruleIndex": 0,
            "level": "error",
            "message": {"text": text},
            "locations": [_sarif_location(cur["stack"][0])],
            "codeFlows": [{"threadFlows": flows}],
        }
        if prev["stack"]:
            result["relatedLocations"] = [dict(_sarif_location(prev["stack"][0], f"previous {prev['access']}"), id=1)]
        tests = [p["test"] for p in (cur, prev) if p.get("test")]
        if tests:
            result["properties"] = {"tests": sorted(set(tests))}
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "ftpy race",
                "version": tool_version,
                "informationUri": "https://example.invalid/ftpython-debugger",
                "rules": [_RULE],
            }},
            "results": results,
        }],
    }
