"""The Docker backend (`--sandbox docker`): warm, hardened containers driven through the Docker SDK.

Each job slot keeps one container (`docker_container.py`) running for many samples. Its pid 1 is
the same fork server as the process backend's (`container_main.py`), in a container box: it forks
a fresh runner per run into an empty work dir and afterwards kills every other process in the
container and wipes what the sample could write.
A container whose sample timed out, flooded its output, hit the memory or process limit, or left
something the wipe could not remove is replaced by a fresh one, started in the background.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from concurrent.futures import Future
from typing import Any

from sandbox.isolation.base import BackendError, SetupRefused, legacy_request, typed_result
from sandbox.isolation.docker_container import (
    SANDBOX_UID,
    START_TIMEOUT_S,
    Container,
    remove_stale,
)
from sandbox.isolation.docker_image import IMAGE, ImageError, ensure_image, image
from sandbox.options import VerifyOptions
from sandbox.requests import RunRequest, RunResult


# Connecting -------------------------------------------------------------------------------------
def _where() -> str:
    try:
        from docker.utils import kwargs_from_env

        host = kwargs_from_env().get("base_url") or "unix:///var/run/docker.sock"
    except Exception:
        host = "unix:///var/run/docker.sock"
    return host.removeprefix("unix://")


_client: Any = None
_client_lock = threading.Lock()


def connect() -> Any:
    """The process's Docker client (shared by every slot), or SetupRefused naming the cause
    and the fix."""
    global _client
    with _client_lock:
        if _client is None:
            _client = _connect()
        return _client


def _connect() -> Any:
    try:
        import docker
    except ImportError:
        raise SetupRefused(
            "the docker Python package is not installed: pip install 'assay[docker]', "
            "or use --sandbox process"
        ) from None
    try:
        client = docker.from_env(version="auto", timeout=120)
        client.ping()
    except Exception as exc:
        where = _where()
        if "ermission denied" in str(exc):
            raise SetupRefused(
                f"permission denied on the Docker socket {where}: run as root or add your user to "
                "the docker group; or use --sandbox process"
            ) from None
        raise SetupRefused(
            f"Docker daemon not reachable at {where}: start it with `dockerd &` "
            "or use --sandbox process"
        ) from None
    return client


@functools.lru_cache(maxsize=1)
def unavailable_reason() -> str | None:
    """Why `--sandbox docker` cannot run here, or None when it can.

    A daemon must answer, and the image must exist or be buildable; "buildable" is known only by
    trying, so a missing image is built here (once, a few minutes)."""
    try:
        client = connect()
    except SetupRefused as exc:
        return str(exc)
    try:
        ensure_image(client)
    except ImageError as exc:
        return str(exc)
    except Exception as exc:
        return f"building {image()} failed: {exc}"
    return None


# The backend ------------------------------------------------------------------------------------
_counter = 0
_counter_lock = threading.Lock()


class DockerBackend:
    """One job slot: one warm container at a time; a misbehaving one is replaced in the background."""

    isolation = "docker"

    def __init__(self, slot: int = 0, options: VerifyOptions | None = None) -> None:
        self.options = options or VerifyOptions(sandbox="docker")
        self.limits = self.options.limits
        self.slot = slot
        self.client = connect()
        try:
            ensure_image(self.client)
        except ImageError as exc:
            raise SetupRefused(str(exc)) from None
        try:
            remove_stale(self.client)
        except Exception:
            pass
        self._next: Future[Container] | None = None
        self._removing: list[threading.Thread] = []
        try:
            self._container: Container | None = self._start()
        except BackendError as exc:
            raise SetupRefused(f"the sandbox container does not start: {exc}") from None

    def _start(self) -> Container:
        global _counter
        with _counter_lock:
            _counter += 1
            name = f"assay-{os.getpid()}-{self.slot}-{_counter}"
        return Container(self.client, self.limits, name)

    def _prepare_next(self) -> None:
        """Start a replacement container in the background, so the next sample does not wait."""
        future: Future[Container] = Future()

        def start() -> None:
            try:
                future.set_result(self._start())
            except BaseException as exc:
                future.set_exception(exc)

        threading.Thread(target=start, name="assay-docker-start", daemon=True).start()
        self._next = future

    def _current(self) -> Container:
        if self._container is None:
            future, self._next = self._next, None
            self._container = future.result() if future is not None else self._start()
        return self._container

    def _discard(self, container: Container, replace: bool = True) -> None:
        """Drop a used-up container (removed in the background) and start its replacement. After
        a sandbox failure the pool closes this backend and starts another: no replacement then."""
        self._container = None
        remover = threading.Thread(target=container.remove, name="assay-docker-rm", daemon=True)
        remover.start()
        self._removing = [t for t in self._removing if t.is_alive()] + [remover]
        if replace and self._next is None:
            self._prepare_next()

    def run(self, request: RunRequest) -> RunResult:
        try:
            container = self._current()
        except BackendError:
            raise
        except Exception as exc:
            raise BackendError(f"cannot start a sandbox container: {exc}") from exc
        if request.in_process:
            frame = {"op": "python", "request": legacy_request(request)}
        else:
            frame = {"op": "steps", "request": request.to_wire()}
        seconds = sum(
            s.timeout_s or request.limits.timeout_s for p in request.phases for s in p.steps
        )
        try:
            container.send(frame)
            reply = container.receive(time.monotonic() + seconds + 30)
        except (OSError, ValueError, BackendError) as exc:
            self._discard(container, replace=False)
            raise BackendError(f"the sandbox container failed: {exc}") from exc
        if "error" in reply:
            self._discard(container, replace=False)
            raise BackendError(reply["error"])
        if reply.get("oom_kills") is None:  # no cgroup counter inside: ask the daemon
            reply["oom_kills"] = int(container.oom_killed())
        if "result" in reply:
            result = RunResult.from_wire(reply["result"])
            result = result._replace(isolation=self.isolation, oom_kills=reply["oom_kills"])
        else:
            result = typed_result({**reply, "isolation": self.isolation})
        if reply.get("dirty") or result.oom_kills:
            self._discard(container)
        return result

    @property
    def container_ids(self) -> list[str]:
        """The containers this backend holds now (for tests)."""
        ids = [self._container.id] if self._container is not None else []
        if self._next is not None and self._next.done() and self._next.exception() is None:
            ids.append(self._next.result().id)
        return ids

    def close(self) -> None:
        containers = [self._container] if self._container is not None else []
        self._container = None
        if self._next is not None:
            try:
                containers.append(self._next.result(timeout=START_TIMEOUT_S))
            except Exception:
                pass
            self._next = None
        for container in containers:
            try:
                container.send({"op": "stop"})
            except Exception:
                pass
            container.remove()
        for remover in self._removing:
            remover.join(timeout=START_TIMEOUT_S)


__all__ = ["IMAGE", "SANDBOX_UID", "DockerBackend", "connect", "unavailable_reason"]
