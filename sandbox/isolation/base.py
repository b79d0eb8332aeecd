"""The interface every isolation backend implements: run one test request, return raw facts.

A backend reports what happened (streams, per-test messages, exit status, limits hit); it never
judges. `sandbox.checks` turns the raw result into a verdict, the same way for every backend.
"""

from __future__ import annotations

from typing import Any, Protocol


class BackendError(RuntimeError):
    """The sandbox itself failed (not the sample): the run is retried once, then `error`."""


class SetupRefused(RuntimeError):
    """The machine cannot give the isolation asked for; the message names the cause and the fix."""


class Backend(Protocol):
    isolation: str

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run `request` ({files, test_file, limits}) and return the raw result."""
        ...

    def close(self) -> None: ...
