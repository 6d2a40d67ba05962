"""Where race reports go: stderr, a stream file, and the final JSON and SARIF files.

Reports are written as they are found, so that nothing is lost when the program dies:

* the TSAN-style text goes to the process's *original* stderr (a duplicate of fd 2 taken
  before the program runs), so a program or test runner that redirects ``sys.stderr`` or
  fd 2 (pytest's capture does both) neither swallows the reports nor sees them;
* each report is appended to the stream file (``--stream``, JSON Lines) with one
  ``write`` on an ``O_APPEND`` descriptor, so fork children that report too never tear a
  line;
* at the end of a run that finished, the JSON and SARIF files are written and an ``end``
  line is appended to the stream.  A stream without an ``end`` line means the program died
  (a signal, ``os.kill``, or an error in the detector's own ending); the ``ftpy race`` CLI
  then runs ``python -m ftpy_runtime.race --finalize STREAM`` to make the JSON and SARIF
  from what was streamed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from .report import format_text, to_sarif

Report = dict[str, Any]


class OutputError(Exception):
    """A report file that cannot be written; the message names it and says what to do."""


def check_writable(path: str, what: str) -> None:
    """Fail now, before the program runs, if `path` cannot be written later.

    Opening for append creates nothing new when the file exists and truncates nothing; a
    file created only to find out is removed again.
    """
    existed = os.path.lexists(path)
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as e:
        reason = e.strerror or str(e)
        raise OutputError(f"cannot write the {what} file {path}: {reason}. Nothing was run; "
                          "choose a path in a folder you can write to.") from None
    if not existed:
        try:
            os.unlink(path)
        except OSError:  # pragma: no cover - we just made it
            pass


class ReportSink:
    """Writes each report as it is found: text to the original stderr, JSON to the stream."""

    def __init__(self, stream_path: str | None) -> None:
        self.owner_pid = os.getpid()
        try:
            self.err_fd: int | None = os.dup(2)
            os.set_inheritable(self.err_fd, False)
        except OSError:  # no stderr at all: reports go nowhere, files still get them
            self.err_fd = None
        self.stream_fd: int | None = None
        if stream_path:
            self.stream_fd = os.open(stream_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def __call__(self, report: Report) -> None:
        if self.err_fd is not None:
            _write_all(self.err_fd, format_text(report).encode("utf-8", "backslashreplace"))
        if self.stream_fd is not None:
            line = json.dumps(report, separators=(",", ":")) + "\n"
            _write_all(self.stream_fd, line.encode("utf-8", "backslashreplace"))

    def say(self, text: str) -> None:
        """A line of the detector's own (a summary) on the original stderr."""
        if self.err_fd is not None:
            _write_all(self.err_fd, text.encode("utf-8", "backslashreplace"))

    def end(self, status: int, count: int) -> None:
        """Mark the stream complete: the final files were written by the run itself."""
        if self.stream_fd is not None:
            _write_all(self.stream_fd, (json.dumps({"end": {"status": status, "races": count}}) + "\n").encode())


def _write_all(fd: int, data: bytes) -> None:
    try:
        while data:
            n = os.write(fd, data)
            data = data[n:]
    except OSError:
        pass  # a closed or full descriptor must not break the program


def pair_key(report: Report) -> frozenset[tuple[str, int]]:
    """The pair of source locations a report is about (one report per pair)."""
    tops: list[tuple[str, int]] = []
    for side in ("current", "previous"):
        stack = report[side]["stack"]
        tops.append((str(stack[0]["file"]), int(stack[0]["line"])) if stack else ("?", 0))
    return frozenset(tops)


def dedupe(reports: Iterable[Report]) -> list[Report]:
    """One report per pair of source locations, the first of each kept."""
    out: list[Report] = []
    seen: set[frozenset[tuple[str, int]]] = set()
    for r in reports:
        k = pair_key(r)
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out


def read_stream(path: str) -> tuple[list[Report], bool]:
    """The reports in a stream file, and whether the run that wrote it finished."""
    reports: list[Report] = []
    ended = False
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return reports, ended
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            obj: Any = json.loads(raw)
        except ValueError:
            continue  # a line cut short by the crash
        if not isinstance(obj, dict):
            continue
        line: Report = obj  # pyright: ignore[reportUnknownVariableType]
        if "end" in line:
            ended = True
        elif line.get("kind") == "data-race":
            reports.append(line)
    return dedupe(reports), ended


def write_outputs(json_path: str | None, sarif_path: str | None, reports: list[Report]) -> None:
    """The final files, each written whole to a temporary name and renamed into place."""
    from .importhook import DETECTOR_VERSION
    if json_path:
        _write_json(json_path, {"races": reports})
    if sarif_path:
        _write_json(sarif_path, to_sarif(reports, DETECTOR_VERSION))


def _write_json(path: str, data: Any) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise OutputError(f"cannot write the report file {path}: {e.strerror or e}") from None


def finalize(stream_path: str, json_path: str | None, sarif_path: str | None, reason: str) -> int:
    """Make the final files from a stream the run could not finish; returns 0, or 2 on error."""
    reports, _ended = read_stream(stream_path)
    try:
        write_outputs(json_path, sarif_path, reports)
    except OutputError as e:
        os.write(2, f"ftpy race: {e}\n".encode())
        return 2
    n = len(reports)
    where = " and ".join(p for p in (json_path, sarif_path) if p)
    text = f"ftpy race: the program {reason or 'ended before the detector finished'}; "
    text += f"{n} data race{'' if n == 1 else 's'} had been reported"
    text += f" (written to {where}).\n" if where else ".\n"
    os.write(2, text.encode("utf-8", "backslashreplace"))
    return 0
