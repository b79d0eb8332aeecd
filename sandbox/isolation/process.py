"""The process backend: one warm worker process per job slot (see `worker.py`)."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
from typing import Any

from sandbox.isolation.base import BackendError, SetupRefused
from sandbox.isolation.protocol import ProtocolError, read_frame, write_frame

_counter = 0
_counter_lock = threading.Lock()


def _worker_env() -> dict[str, str]:
    """The worker starts from an empty environment: no keys or tokens of the caller reach it."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # CPU quirks, not secrets
        if name in os.environ:
            env[name] = os.environ[name]
    return env


class ProcessBackend:
    def __init__(
        self, isolation: str = "full", slot: int = 0, start_timeout_s: float = 120
    ) -> None:
        global _counter
        with _counter_lock:
            _counter += 1
            name = f"assay-{os.getpid()}-{_counter}"
        self.isolation = isolation
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "sandbox.isolation.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,
            env=_worker_env(),
            cwd="/",
        )
        self._in = self.proc.stdin.fileno()
        self._out = self.proc.stdout.fileno()
        write_frame(self._in, {"isolation": isolation, "slot": slot, "cgroup_name": name})
        ready = self._receive(start_timeout_s)
        if not ready.get("ready"):
            self.close()
            raise SetupRefused(ready.get("error", "the sandbox worker failed to start"))

    def _receive(self, timeout_s: float) -> dict[str, Any]:
        ready, _, _ = select.select([self._out], [], [], timeout_s)
        if not ready:
            raise BackendError(f"the sandbox worker did not answer within {timeout_s:.0f} s")
        try:
            return read_frame(self._out)
        except (EOFError, ProtocolError, ValueError) as exc:
            raise BackendError(f"the sandbox worker died: {exc}") from exc

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            write_frame(self._in, request)
        except OSError as exc:
            raise BackendError(f"the sandbox worker is gone: {exc}") from exc
        result = self._receive(request["limits"]["timeout_s"] + 60)
        if "error" in result:
            raise BackendError(result["error"])
        return result

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                write_frame(self._in, {"op": "stop"})
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
