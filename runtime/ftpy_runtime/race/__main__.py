"""Run a program under the race detector.

    python3.13t -m ftpy_runtime.race [options] [--] script.py [args...]
    python3.13t -m ftpy_runtime.race [options] -m module [args...]
    python3.13t -m ftpy_runtime.race [options] -c code [args...]
    python3.13t -m ftpy_runtime.race --finalize STREAM [--json F] [--sarif F] [--reason TEXT]

options: --json F, --sarif F, --suppressions F, --include GLOB|PACKAGE, --exclude GLOB,
--threads N (with ``-m pytest``: stress mode), --stream F (JSON Lines, one report a line,
written as each is found; the ``ftpy race`` CLI passes one and finalizes it if the
program dies).

Reports are written to stderr as they are found.  The exit status is 66 when races were
reported (like ThreadSanitizer, whatever the program's own status was), else the
program's own.  The program's output, exceptions and tracebacks are what a plain run
would print.  ``-m pytest`` loads the race detector's pytest plugin
(``ftpy_runtime.race.pytest_plugin``): per-test attribution, a per-test summary, and
``--threads N`` stress mode.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from .launch import Target

RACE_EXIT = 66
PYTEST_PLUGIN = "ftpy_runtime.race.pytest_plugin"
USAGE = ("usage: python -m ftpy_runtime.race [--json FILE] [--sarif FILE] [--suppressions FILE] "
         "[--include GLOB|PACKAGE]... [--exclude GLOB]... [--threads N] "
         "(-m MODULE | -c CODE | [--] script.py) [args...]")
_VALUED = ("--json", "--sarif", "--suppressions", "--include", "--exclude", "--threads", "--stream",
           "--finalize", "--reason")


class UsageError(Exception):
    pass


@dataclass
class Options:
    json: str | None = None
    sarif: str | None = None
    suppressions: str | None = None
    include: list[str] = field(default_factory=list[str])
    exclude: list[str] = field(default_factory=list[str])
    threads: int | None = None
    stream: str | None = None
    finalize: str | None = None
    reason: str = ""
    target: Target = field(default_factory=Target)
    args: list[str] = field(default_factory=list[str])


def parse_args(argv: list[str]) -> Options:
    opts = Options()
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if a in ("-h", "--help"):
            raise UsageError("")
        if a in ("-m", "-c") or (a[:2] in ("-m", "-c") and not a.startswith("--")):
            # Like python: -m/-c end the options; the value may be attached (-mpkg.mod).
            value = a[2:]
            if not value:
                if i + 1 >= len(argv):
                    raise UsageError(f"option {a} needs a value")
                i += 1
                value = argv[i]
            if a[:2] == "-m":
                opts.target = Target(module=value)
            else:
                opts.target = Target(code=value)
            opts.args = argv[i + 1:]
            return _checked(opts)
        name, eq, val = a.partition("=")
        if name in _VALUED:
            if not eq:
                if i + 1 >= len(argv):
                    raise UsageError(f"option {name} needs a value")
                i += 1
                val = argv[i]
            key = name[2:]
            if key in ("include", "exclude"):
                getattr(opts, key).append(val)
            elif key == "threads":
                try:
                    opts.threads = int(val)
                except ValueError:
                    raise UsageError(f"--threads needs a whole number, not {val!r}") from None
                if opts.threads < 1:
                    raise UsageError("--threads needs a number of at least 1")
            else:
                setattr(opts, key, val)
            i += 1
            continue
        if a.startswith("-"):
            raise UsageError(f"unknown option {a}")
        break
    if opts.finalize is not None:
        return opts
    rest = argv[i:]
    if not rest:
        raise UsageError("no program given: a script, -m MODULE or -c CODE")
    opts.target = Target(script=rest[0])
    opts.args = rest[1:]
    return _checked(opts)


def _checked(opts: Options) -> Options:
    if opts.threads is not None and opts.target.module not in ("pytest", "py.test"):
        raise UsageError("--threads N runs every test in N threads at once; it works with -m pytest")
    return opts


def _exit_status(exc: SystemExit) -> int:
    """What Python's own exit would make of SystemExit (printing a message if it has one)."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
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


def _pytest_args(opts: Options) -> list[str]:
    """pytest's arguments with the race plugin loaded (and stress mode, if asked for)."""
    args = list(opts.args)
    extra: list[str] = []
    loaded = any(a == PYTEST_PLUGIN or a == f"-p{PYTEST_PLUGIN}" for a in args)
    if not loaded:
        extra += ["-p", PYTEST_PLUGIN]
    if opts.threads is not None:
        extra.append(f"--ftpy-threads={opts.threads}")
    return extra + args


def _include_dirs(opts: Options) -> tuple[list[str], list[str]]:
    """--include values split into globs and the folders of the packages they name."""
    from .importhook import is_module_name, locate_module
    globs: list[str] = []
    dirs: list[str] = []
    for pattern in opts.include:
        if not is_module_name(pattern):
            globs.append(pattern)
            continue
        where = locate_module(pattern, sys.path)
        if where is None:
            raise UsageError(f"--include {pattern}: no module or package of that name can be imported "
                             "here (looked in sys.path). Give the package's import name, or a glob "
                             "such as 'vendor/*'.")
        dirs.append(where)
    return globs, dirs


def _importable(name: str) -> bool:
    import importlib.util
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def main(argv: list[str] | None = None) -> int:
    try:
        opts = parse_args(sys.argv[1:] if argv is None else argv)
    except UsageError as e:
        if str(e):
            sys.stderr.write(f"ftpy race: {e}\n")
        sys.stderr.write(USAGE + "\n")
        return 2

    from .outputs import OutputError, ReportSink, check_writable, dedupe, finalize, read_stream, write_outputs

    if opts.finalize is not None:
        return finalize(opts.finalize, opts.json, opts.sarif, opts.reason)

    target = opts.target
    if target.script is not None and not os.path.isfile(target.script):
        sys.stderr.write(f"ftpy race: cannot open the script {target.script}: no such file. "
                         "Give the path of a Python file, or -m MODULE, or -c CODE.\n")
        return 2
    try:
        if opts.json:
            check_writable(opts.json, "JSON report")
        if opts.sarif:
            check_writable(opts.sarif, "SARIF report")
    except OutputError as e:
        sys.stderr.write(f"ftpy race: {e}\n")
        return 2
    if target.module in ("pytest", "py.test"):
        opts.args = _pytest_args(opts)

    from .launch import prepare_sys, run
    from .session import RaceSession
    from .suppressions import SuppressionError

    root = target.root()
    prepare_sys(target, opts.args)
    if target.module in ("pytest", "py.test") and not _importable("pytest"):
        sys.stderr.write(f"ftpy race: pytest is not importable by {sys.executable}. Run `ftpy provision "
                         "--with-pytest` (it fetches Debian's pytest for the free-threaded interpreter), "
                         "or install pytest for that interpreter.\n")
        return 2
    try:
        globs, dirs = _include_dirs(opts)
        session = RaceSession(root_dirs=[root], suppressions_path=opts.suppressions,
                              include=globs, exclude=opts.exclude, include_dirs=dirs)
    except (SuppressionError, UsageError) as e:
        sys.stderr.write(f"ftpy race: {e}\n")
        return 2
    # The stream exists from here on: the CLI takes a stream without an end line for a
    # program that died, and one that does not exist for a run that never started.
    try:
        sink = ReportSink(opts.stream)
    except OSError as e:
        sys.stderr.write(f"ftpy race: cannot open the report stream {opts.stream}: {e.strerror or e}\n")
        return 2
    session.on_report = sink
    session.exit_code_on_race = RACE_EXIT

    def final_reports() -> list[dict[str, Any]]:
        # The stream also holds what fork children found; memory what a closed stream missed.
        streamed = read_stream(opts.stream)[0] if opts.stream else []
        return dedupe([*session.reports, *streamed])

    def write_final(status: int) -> None:
        reports = final_reports()
        write_outputs(opts.json, opts.sarif, reports)
        sink.end(status, len(reports))

    # os._exit: the session flushes, then calls this (only in the process that installed it).
    session.exit_hooks.append(lambda: write_final(RACE_EXIT if session.reports else 0))

    session.install()
    status = 0
    try:
        run(target, session)
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
    session.finish()
    if not session.in_owner:
        return status      # a fork child that returned normally: its own status, no files
    reports = final_reports()
    final = RACE_EXIT if reports else status
    try:
        write_final(final)
    except OutputError as e:
        sys.stderr.write(f"ftpy race: {e}\n")
        return 2
    if reports:
        sink.say(f"ftpy race: reported {len(reports)} data race{'s' if len(reports) != 1 else ''}.\n")
    try:
        sys.stdout.flush()
    except Exception:  # pragma: no cover
        pass
    return final


if __name__ == "__main__":
    sys.exit(main())
