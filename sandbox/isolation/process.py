"""The process backend: one warm worker process per job slot (see `worker.py`)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from sandbox.isolation.base import BackendError, SetupRefused, legacy_request, typed_result
from sandbox.isolation.protocol import receive, write_frame
from sandbox.languages import box_cache_dir
from sandbox.requests import RunRequest, RunResult

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
    """One worker. It takes a request while it still runs the one before (`depth`): requests
    are answered in the order they were sent, and each caller reads its own answer in turn.

    `ProcessBackend(...)` starts a worker and waits until it is ready; `spawn` starts several
    without waiting, so that they boot while their caller does other work, and `wait_ready`
    then waits for each."""

    depth = 2

    def __init__(
        self, isolation: str = "full", slot: int = 0, start_timeout_s: float = 120
    ) -> None:
        self._start([self], isolation, [slot])
        self.wait_ready(start_timeout_s)

    @classmethod
    def spawn(cls, isolation: str = "full", slots: list[int] | None = None) -> list[ProcessBackend]:
        """Start workers for `slots` (default: slot 0) and give them their configuration, without
        waiting for them to be ready (`wait_ready`). They share one interpreter's start-up: it
        starts, loads the worker's modules, and forks a process of its own for each slot but the
        first (~40 ms of CPU less a worker)."""
        backends = [cls.__new__(cls) for _ in slots or [0]]
        cls._start(backends, isolation, slots or [0])
        return backends

    @staticmethod
    def _start(backends: list[ProcessBackend], isolation: str, slots: list[int]) -> None:
        """One worker process for the first slot, which forks one for each other slot; each gets
        its own pair of pipes (the first its stdin and stdout, the others descriptors named on
        its command line) and its configuration on them."""
        global _counter
        pipes = [(os.pipe(), os.pipe()) for _ in slots]  # (to the worker, from the worker)
        others = [f"{to[0]},{back[1]}" for to, back in pipes[1:]]
        # -c, not -m: runpy would cost every worker ~3 ms of start-up
        command = [sys.executable, "-I", "-c", "from sandbox.isolation.worker import main; main()"]
        try:
            proc = subprocess.Popen(
                [*command, *others],
                stdin=pipes[0][0][0],
                stdout=pipes[0][1][1],
                stderr=None,
                pass_fds=[fd for to, back in pipes[1:] for fd in (to[0], back[1])],
                env=_worker_env(),
                cwd="/",
            )
        except BaseException:
            for to, back in pipes:  # ours too: there is no worker
                os.close(to[1])
                os.close(back[0])
            raise
        finally:
            for to, back in pipes:  # the worker's ends
                os.close(to[0])
                os.close(back[1])
        for i, (backend, slot, (to, back)) in enumerate(zip(backends, slots, pipes, strict=True)):
            with _counter_lock:
                _counter += 1
                name = f"assay-{os.getpid()}-{_counter}"
            backend.isolation = isolation
            backend.slot = slot
            backend.proc = proc if i == 0 else None  # the others are not this process's children
            backend.pid = proc.pid if i == 0 else None  # theirs arrives with their readiness
            backend._in, backend._out = to[1], back[0]
            backend._closed = False
            backend._sending = threading.Lock()
            backend._turns = threading.Condition()
            backend._sent = backend._answered = 0  # requests written, and answers read
            backend._broken = None  # why the worker takes no more requests
            backend._reading = False  # a caller is reading its answer
            config = {
                "isolation": isolation,
                "slot": slot,
                "cgroup_name": name,
                "box_cache": box_cache_dir(),
            }
            try:
                write_frame(backend._in, config)
            except OSError as exc:  # it died at once: `wait_ready` reports it
                backend._broken = f"the sandbox worker is gone: {exc}"

    def wait_ready(self, start_timeout_s: float = 120) -> None:
        try:
            ready = self._receive(start_timeout_s)
        except BaseException:
            self.close()
            raise
        if not ready.get("ready"):
            self.close()
            raise SetupRefused(ready.get("error", "the sandbox worker failed to start"))
        if self.pid is None:
            self.pid = ready.get("pid")

    def _receive(self, timeout_s: float) -> dict[str, Any]:
        return receive(self._out, timeout_s, BackendError, "the sandbox worker")

    def run(self, request: RunRequest) -> RunResult:
        if request.in_process:
            return typed_result(self.run_raw(legacy_request(request)))
        frame = {"op": "steps", "request": request.to_wire()}
        steps = [s.timeout_s or request.limits.timeout_s for p in request.phases for s in p.steps]
        reply = self.run_raw(frame, timeout_s=sum(steps))
        return RunResult.from_wire(reply["result"])

    def run_raw(self, request: dict[str, Any], timeout_s: float | None = None) -> dict[str, Any]:
        with self._sending:
            if self._broken is not None:
                raise BackendError(self._broken)
            try:
                write_frame(self._in, request)
            except OSError as exc:
                self._broken = f"the sandbox worker is gone: {exc}"
                raise BackendError(self._broken) from exc
            turn = self._sent
            self._sent += 1
        with self._turns:
            while self._answered != turn and self._broken is None:
                self._turns.wait()
            if self._broken is not None:  # an earlier request found the worker unusable
                self._answered += 1
                self._turns.notify_all()
                raise BackendError(self._broken)
            self._reading = True
        try:
            result = self._receive((timeout_s or request["limits"]["timeout_s"]) + 60)
            if "error" in result:
                raise BackendError(result["error"])
        except BackendError as exc:
            # The verifier replaces a worker that failed a request: those sent after it are
            # answered by the replacement.
            self._broken = self._broken or str(exc)
            raise
        finally:
            with self._turns:
                self._reading = False
                self._answered += 1
                self._turns.notify_all()
        return result

    def close(self) -> None:
        """Stop the worker and wait until it has ended and cleaned up after itself (its end of
        the pipe closes last: `worker._start_servers`)."""
        with self._turns:  # callers still waiting for their answer get an error instead
            self._broken = self._broken or "the sandbox worker was closed"
            self._turns.notify_all()
            while self._reading:  # one reading its answer finishes first
                self._turns.wait()
        if self._closed:
            return
        self._closed = True
        try:
            with self._sending:
                write_frame(self._in, {"op": "stop"})
        except OSError:
            pass
        os.close(self._in)
        if not _wait_for_end(self._out, 10):
            self._kill()
        os.close(self._out)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        elif self.pid is not None:
            _reap_adopted(self.pid)

    def _kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
        elif self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _reap_adopted(pid: int, timeout_s: float = 10) -> None:
    """A worker forked by another one (`spawn`) is not this process's child, and init reaps it;
    but where this process is init (pid 1 of a container) or a subreaper, the worker was
    re-parented to it, and stays a zombie unless it is waited for here. It exits moments after
    its pipe closes."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] or time.monotonic() > deadline:
                return
        except ChildProcessError:  # not this process's to reap
            return
        time.sleep(0.005)


def _wait_for_end(fd: int, timeout_s: float) -> bool:
    """Read `fd` to its end (a worker's answers nobody waits for any more); False on timeout."""
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if ready and not os.read(fd, 1 << 16):
            return True
    return False
