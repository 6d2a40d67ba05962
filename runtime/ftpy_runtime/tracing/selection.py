"""Which tracing backend the runtime uses, and why the others were passed over.

``sys.monitoring`` (PEP 669) is the backend of choice: it costs nothing where nothing is watched.
``settrace`` is the fallback: on interpreters without ``sys.monitoring``, when every monitoring
tool id is taken, or when ``FTPY_BACKEND=settrace`` asks for it.  The reasons are kept, so that the
Debug Console (an ``output`` event at start) and ``ftpy doctor`` can say why a backend was not
chosen.  ``python -m ftpy_runtime.tracing.selection`` prints the choice as JSON, without tracing
anything: that is what ``ftpy doctor`` runs.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from . import monitoring, settrace
from .interface import Backend, TracingHooks

#: The environment variable that forces a backend (only "settrace" means anything).
BACKEND_ENV = "FTPY_BACKEND"


@dataclass(frozen=True)
class Choice:
    """The backend to use, by name, and each backend passed over with the reason."""

    name: str
    passed_over: tuple[tuple[str, str], ...]

    def describe(self) -> str:
        """One line for the Debug Console."""
        text = f"ftpy: tracing with {self.name}"
        if self.passed_over:
            text += "; " + "; ".join(f"not {name}: {why}" for name, why in self.passed_over)
        return text + "."

    def as_json(self) -> dict[str, object]:
        return {"backend": self.name, "passedOver": [{"backend": n, "reason": why} for n, why in self.passed_over]}


def choose(env: Mapping[str, str] | None = None) -> Choice:
    """Decide, without installing anything."""
    env = os.environ if env is None else env
    wanted = env.get(BACKEND_ENV, "")
    if wanted == "settrace":
        return Choice(settrace.SettraceBackend.name, ((monitoring.MonitoringBackend.name, f"{BACKEND_ENV}=settrace asks for settrace"),))
    why_not = monitoring.unavailable_reason()
    if why_not is not None:
        return Choice(settrace.SettraceBackend.name, ((monitoring.MonitoringBackend.name, why_not),))
    return Choice(
        monitoring.MonitoringBackend.name,
        ((settrace.SettraceBackend.name, "sys.monitoring is available, and costs nothing where nothing is watched"),),
    )


def make_backend(hooks: TracingHooks, env: Mapping[str, str] | None = None) -> tuple[Backend, Choice]:
    """The chosen backend, built around ``hooks`` (not installed yet), and why it was chosen."""
    choice = choose(env)
    if choice.name == monitoring.MonitoringBackend.name:
        return monitoring.MonitoringBackend(hooks), choice
    return settrace.SettraceBackend(hooks), choice


if __name__ == "__main__":
    sys.stdout.write(json.dumps(choose().as_json()) + "\n")
