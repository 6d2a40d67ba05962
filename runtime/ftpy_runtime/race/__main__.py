"""Run a program under the race detector.

    python3.13t -m ftpy_runtime.race [--json F] [--sarif F] [--suppressions F]
                                     [--include GLOB]... [--exclude GLOB]... -- script.py args...

Reports are written to stderr as they are found.  The exit status is 66 when races were
reported (like ThreadSanitizer), else the program's own.  The program's output, exceptions
and tracebacks are what a plain run would print.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import traceback
import types
from typing import Any, Optional

RACE_EXIT = 66
USAGE = ("usage: python -m ftpy_runtime.race [--json FILE] [--sarif FILE] [--suppressions FILE] "
         "[--include GLOB]... [--exclude GLOB]... -- script.py [args...]")


class UsageError(Exception):
    pass


def parse_args(argv: list[str]) -> dict[str, Any]:
    opts: dict[str, Any] = {"json": None, "sarif": None, "suppressions": None,
                            "include": [], "exclude": [], "script": None, "args": []}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if a in ("-h", "--help"):
            raise UsageError("")
        name, eq, val = a.partition("=")
        if name in ("--json", "--sarif", "--suppressions", "--include", "--exclude"):
            if not eq:
                if i + 1 >= len(argv):
                    raise UsageError(f"option {name} needs a value")
                i += 1
                val = argv[i]
            key = name[2:]
            if key in ("include", "exclude"):
                opts[key].append(val)
            else:
                opts[key] = val
            i += 1
            continue
        if a.startswith("-"):
            raise UsageError(f"unknown option {a}")
        break
    rest = argv[i:]
    if not rest:
        raise UsageError("no script given")
    opts["script"] = rest[0]
    opts["args"] = rest[1:]
    return opts


def _exit_status(exc: SystemExit) -> int:
    """What Python's own exit would make of SystemExit (printing a message if it has one)."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if code >= 0 else code & 0xFF
    try:
        sys.stderr.write(f"{code}\n")
    except Exception:  # pragma: no cover
        pass
    return 1


def _print_user_exception(exc: BaseException) -> None:
    """Print an uncaught exception as Python would, without this runner's frames."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(here):
        tb = tb.tb_next
    exc.__traceback__ = tb
    sys.excepthook(type(exc), exc, tb)


def _write_outputs(opts: dict[str, Any], reports: list[dict[str, Any]]) -> None:
    from .importhook import DETECTOR_VERSION
    from .report import to_sarif
    if opts["json"]:
        with open(opts["json"], "w", encoding="utf-8") as f:
            json.dump({"races": reports}, f, indent=2)
            f.write("\n")
    if opts["sarif"]:
        with open(opts["sarif"], "w", encoding="utf-8") as f:
            json.dump(to_sarif(reports, DETECTOR_VERSION), f, indent=2)
            f.write("\n")


def main(argv: Optional[list[str]] = None) -> int:
    try:
        opts = parse_args(sys.argv[1:] if argv is None else argv)
    except UsageError as e:
        if str(e):
            sys.stderr.write(f"ftpy race: {e}\n")
        sys.stderr.write(USAGE + "\n")
        return 2
    script = os.path.abspath(opts["script"])
    if not os.path.isfile(script):
        sys.stderr.write(f"ftpy race: cannot open the script {opts['script']}: no such file. "
                         "Give the path of a Python file after `--`.\n")
        return 2

    from .report import format_text
    from .session import RaceSession
    from .suppressions import SuppressionError

    def on_report(report: dict[str, Any]) -> None:
        sys.stderr.write(format_text(report))
        sys.stderr.flush()

    try:
        session = RaceSession(root_dirs=[os.path.dirname(script)],
                              suppressions_path=opts["suppressions"], on_report=on_report,
                              include=opts["include"], exclude=opts["exclude"])
    except SuppressionError as e:
        sys.stderr.write(f"ftpy race: {e}\n")
        return 2
    session.exit_code_on_race = RACE_EXIT  # type: ignore[attr-defined]
    session.exit_hooks.append(lambda: _write_outputs(opts, session.reports))

    main_mod = types.ModuleType("__main__")
    main_mod.__file__ = script
    main_mod.__cached__ = None  # type: ignore[attr-defined]
    main_mod.__builtins__ = __builtins__  # type: ignore[attr-defined]
    sys.argv = [script] + opts["args"]
    sys.path[0] = os.path.dirname(script)

    session.install()
    status = 0
    try:
        code = session.compile_main(script)
        if code is None:
            with open(script, "rb") as f:
                code = compile(f.read(), script, "exec", dont_inherit=True)
        sys.modules["__main__"] = main_mod
        exec(code, main_mod.__dict__)
    except SystemExit as e:
        status = _exit_status(e)
    except KeyboardInterrupt as e:
        _print_user_exception(e)
        status = 130
    except BaseException as e:
        _print_user_exception(e)
        status = 1
    try:
        threading._shutdown()  # type: ignore[attr-defined]  # wait for non-daemon threads, as Python does
    except BaseException as e:  # pragma: no cover
        _print_user_exception(e)
    reports = session.finish()
    try:
        _write_outputs(opts, reports)
    except OSError as e:
        sys.stderr.write(f"ftpy race: cannot write the report file: {e}\n")
        return 2
    if reports:
        sys.stderr.write(f"ftpy race: reported {len(reports)} data race{'s' if len(reports) != 1 else ''}.\n")
    try:
        sys.stdout.flush()
    except Exception:  # pragma: no cover
        pass
    return RACE_EXIT if reports else status


if __name__ == "__main__":
    sys.exit(main())
