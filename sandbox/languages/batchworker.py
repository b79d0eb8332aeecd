"""A sandbox worker of a language's own, for the work its prechecks do in the box for a whole chunk
at once (Java's javac, TypeScript's type check): beside the verifier's workers, in a box like
theirs (the same backend, isolation and limits), started when first needed, and replaced when it
fails. The chunk's requests never share a worker with samples' runs, so a chunk waits behind no
sample and no sample behind a chunk."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from sandbox.isolation.base import BackendError, SetupRefused
from sandbox.requests import RunRequest, RunResult

if TYPE_CHECKING:
    from sandbox.options import VerifyOptions

# Each language's worker has a slot of its own, beside the verifier's job slots (0 to jobs - 1).
SLOTS = {"java": 1000, "typescript": 1001}
_FAILURES = (BackendError, SetupRefused, OSError)


class BatchWorker:
    """`run` a request on this language's own worker; `close` it with the verifier."""

    def __init__(self, options: VerifyOptions, language: str) -> None:
        self.options = options
        self.slot = SLOTS[language]
        self._backend: Any = None
        self._lock = threading.Lock()

    def run(self, request: RunRequest) -> RunResult:
        """The request's result; a worker that cannot start or failed is a result with `error`."""
        with self._lock:
            try:
                return self._started().run(request)
            except _FAILURES as exc:
                return RunResult(error=str(exc) or type(exc).__name__)

    def replace(self) -> None:
        """Drop the worker (after it failed): the next `run` starts a fresh one."""
        with self._lock:
            backend, self._backend = self._backend, None
        if backend is not None:
            backend.close()

    close = replace

    def _started(self) -> Any:
        if self._backend is None:
            from sandbox.workers import make_backend

            self._backend = make_backend(self.options, self.slot)
        return self._backend
