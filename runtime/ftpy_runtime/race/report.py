"""Race reports: the JSON form (docs/architecture.md, "Race report JSON"), TSAN-style text, and SARIF 2.1.0.

The JSON dict is the one truth; text and SARIF are made from it.  A report looks like::

    {"kind": "data-race",
     "location": {"object": "Counter", "field": "value", "address": "0x7f..."},
     "current":  {"access": "write", "thread": {"id": 2, "name": "worker-1"},
                  "stack": [{"function": "bump", "file": "/abs/prog.py", "line": 12}, ...]},
     "previous": {"access": "read", ...},
     "threads":  [{"id": 2, "name": "worker-1", "createdAt": [frames...]}, ...]}

``stack[0]`` is the innermost frame; paths are absolute.
"""

from __future__ import annotations

import collections
import pathlib
from typing import Any, Iterable, Optional

Report = dict[str, Any]
Frame = dict[str, Any]

SEPARATOR = "=================="
_SIMPLE_KEYS = (str, int, float, bool, bytes, type(None))


def frames(stack: Optional[Iterable[tuple]], top: Optional[Frame] = None) -> list[Frame]:
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
            for k in list(container):
                simple = isinstance(k, _SIMPLE_KEYS) or (
                    isinstance(k, tuple) and all(isinstance(e, _SIMPLE_KEYS) for e in k))
                if simple and hash(k) == key_hash:
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

    t = cur["thread"]
    lines.append(f"{cur['access'].capitalize()} by thread T{t['id']} ({t['name']}):")
    stack_lines(cur["stack"])
    lines.append("")
    t = prev["thread"]
    lines.append(f"Previous {prev['access']} by thread T{t['id']} ({t['name']}):")
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
    try:
        return pathlib.Path(path).as_uri()
    except ValueError:
        return path


def _sarif_location(frame: Frame, message: Optional[str] = None) -> dict[str, Any]:
    loc: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": _uri(frame["file"])},
            "region": {"startLine": max(1, int(frame["line"]))},
        }
    }
    if message:
        loc["message"] = {"text": message}
    return loc


def to_sarif(reports: list[Report], tool_version: str) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one result per race, both stacks as thread flows."""
    results = []
    for r in reports:
        cur, prev, loc = r["current"], r["previous"], r["location"]
        if not cur["stack"]:
            continue
        text = (f"Data race on {loc.get('description') or loc['field']}: {cur['access']} by thread "
                f"T{cur['thread']['id']} ({cur['thread']['name']}) and previous {prev['access']} by "
                f"thread T{prev['thread']['id']} ({prev['thread']['name']}) are not ordered by "
                "any synchronisation.")
        flows = []
        for part in (cur, prev):
            flows.append({
                "message": {"text": f"{part['access']} by thread T{part['thread']['id']} ({part['thread']['name']})"},
                "locations": [{"location": _sarif_location(f), "nestingLevel": i}
                              for i, f in enumerate(part["stack"])],
            })
        result: dict[str, Any] = {
            "ruleId": "data-race",
            "level": "error",
            "message": {"text": text},
            "locations": [_sarif_location(cur["stack"][0])],
            "codeFlows": [{"threadFlows": flows}],
        }
        if prev["stack"]:
            result["relatedLocations"] = [dict(_sarif_location(prev["stack"][0], f"previous {prev['access']}"), id=1)]
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "ftpy race",
                "version": tool_version,
                "informationUri": "https://example.invalid/ftpython-debugger",
                "rules": [{
                    "id": "data-race",
                    "name": "DataRace",
                    "shortDescription": {"text": "Two threads access the same data without synchronisation, and at least one writes."},
                    "helpUri": "https://example.invalid/ftpython-debugger/docs/races.md",
                    "defaultConfiguration": {"level": "error"},
                }],
            }},
            "results": results,
        }],
    }
