"""Attaching to a process that was not started under the debugger (Python 3.14+).

The adapter asks the interpreter to run a few lines inside the target with
``sys.remote_exec(pid, script)``; those lines call ``serve``.  It starts the agent listening on
a free loopback port for an adapter that knows the session secret, and writes the port to a
file the adapter is watching.  The program keeps running throughout.

This module is an entry point, named by the adapter (``from ftpy_runtime.remote import serve``):
it stays at the top of the package, next to ``__main__``.
"""

from __future__ import annotations

import os
import socket
import sys


def serve(port_file: str, token: str) -> None:
    from .agent.agent import Agent

    server = socket.create_server(("127.0.0.1", 0))
    agent = Agent(None, server=server, token=token, terminate_on_disconnect=False)
    agent.describe(os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else None)
    agent.start()
    agent.configured.set()  # the program is already running: nothing to wait for
    fd = os.open(port_file + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(str(server.getsockname()[1]))
    os.replace(port_file + ".tmp", port_file)
