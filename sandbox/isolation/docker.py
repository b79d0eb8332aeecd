"""The Docker backend (`--sandbox docker`): warm, hardened containers driven through the Docker SDK.

Each job slot keeps one container running for many samples. The container's pid 1 is a trusted
fork server (`container_server.py`, sent over stdin at start with the test runner) that forks a
fresh runner per sample into an empty work dir and, afterwards, kills every other process in the
container and wipes what the sample could write. The host speaks to it over the attach stream
(stdin/stdout of pid 1); nothing else connects the container to the host: no network, no mounts
but tmpfs, no Docker socket.

Hardening of every container: `--network none`, a read-only root, /sandbox (work dir and /tmp) a
tmpfs capped in size and inodes, memory (+swap) equal limits, a pids limit, one CPU, `cap-drop ALL`,
no-new-privileges, a non-root user, the default seccomp profile, no log driver, AutoRemove. A
container whose sample timed out, flooded its output, hit the memory or process limit, or left
something the wipe could not remove is replaced by a fresh one.

Containers carry the label `assay=1`. They are removed on `close()`, at interpreter exit, and by
the daemon on their own when the host process dies (stdin closes, pid 1 exits, AutoRemove);
`remove_stale()` removes any left by a crashed daemon.
"""

from __future__ import annotations

import atexit
import base64
import functools
import json
import os
import select
import socket
import struct
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from sandbox import runner
from sandbox.isolation.base import BackendError, SetupRefused
from sandbox.isolation.docker_image import IMAGE, ImageError, dockerfile, ensure_image
from sandbox.options import Limits, VerifyOptions

LABEL = "assay"
SANDBOX_UID = 10001
SERVER_MB = 64  # memory for the server itself on top of the sample's limit
SERVER_PIDS = 4
START_TIMEOUT_S = 60.0
MAX_FRAME = 64 << 20
SERVER_SOURCE = Path(__file__).with_name("container_server.py")
# pid 1's first act: read the server's source from stdin (length-prefixed) and run it.
BOOT = (
    "import os,struct\n"
    "def r(n):\n"
    " b=b''\n"
    " while len(b)<n:\n"
    "  c=os.read(0,n-len(b))\n"
    "  if not c:raise SystemExit(3)\n"
    "  b+=c\n"
    " return b\n"
    "g={'__name__':'assay_server'}\n"
    "exec(compile(r(struct.unpack('>I',r(4))[0]),'/assay/server.py','exec'),g)\n"
    "g['main']()\n"
)

_live: dict[str, Any] = {}  # container id -> client, for the exit-time sweep
_live_lock = threading.Lock()


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
        return f"building {IMAGE} failed: {exc}"
    return None


def remove_stale(client: Any) -> int:
    """Remove assay containers whose owning process (on this host) is gone."""
    removed = 0
    host = socket.gethostname()
    for container in client.containers.list(all=True, filters={"label": f"{LABEL}=1"}):
        labels = container.labels
        if labels.get("assay.host") != host:
            continue
        try:
            pid = int(labels.get("assay.pid", "0"))
            alive = pid > 0 and (pid == os.getpid() or _pid_alive(pid))
        except ValueError:
            alive = False
        if not alive:
            _remove(client, container.id)
            removed += 1
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _remove(client: Any, container_id: str) -> None:
    import docker.errors

    try:
        client.api.remove_container(container_id, force=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if "already in progress" not in str(exc):
            raise
    with _live_lock:
        _live.pop(container_id, None)


@atexit.register
def _sweep() -> None:
    with _live_lock:
        live = list(_live.items())
    for container_id, client in live:
        try:
            _remove(client, container_id)
        except Exception:
            pass


# One container ----------------------------------------------------------------------------------
class Container:
    """One warm sandbox container and the attach stream to its server."""

    def __init__(self, client: Any, limits: Limits, name: str) -> None:
        self.client = client
        self.id = ""
        self.sock: socket.socket | None = None
        self._raw = b""  # docker's multiplexed stream, not yet split
        self._stdout = b""  # the server's frames, not yet parsed
        self._stderr = b""  # the server's diagnostics (kept tail)
        api = client.api
        host_config = api.create_host_config(
            network_mode="none",
            read_only=True,
            tmpfs={
                "/sandbox": (
                    f"rw,nosuid,nodev,size={limits.disk_mb}m,nr_inodes={limits.inodes + 16},"
                    f"mode=0755,uid={SANDBOX_UID},gid={SANDBOX_UID}"
                )
            },
            shm_size=f"{limits.disk_mb}m",
            mem_limit=f"{limits.memory_mb + SERVER_MB}m",
            memswap_limit=f"{limits.memory_mb + SERVER_MB}m",
            pids_limit=limits.processes + SERVER_PIDS,
            nano_cpus=1_000_000_000,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            ipc_mode="private",
            auto_remove=True,
            init=False,
            log_config={"Type": "none", "Config": {}},
        )
        created = api.create_container(
            IMAGE,
            command=["python3", "-I", "-c", BOOT],
            user=f"{SANDBOX_UID}:{SANDBOX_UID}",
            working_dir="/sandbox",
            hostname="sandbox",
            environment={"LANG": "C.UTF-8"},
            stdin_open=True,
            detach=False,  # with stdin_open: StdinOnce, so stdin closes when our attach does
            tty=False,
            network_disabled=True,
            labels={
                LABEL: "1",
                "assay.pid": str(os.getpid()),
                "assay.host": socket.gethostname(),
            },
            name=name,
            host_config=host_config,
        )
        self.id = created["Id"]
        with _live_lock:
            _live[self.id] = client
        try:
            attached = api.attach_socket(
                self.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
            )
            self.sock = getattr(attached, "_sock", attached)
            self.sock.setblocking(True)
            api.start(self.id)
            server = SERVER_SOURCE.read_bytes()
            self.sock.sendall(struct.pack(">I", len(server)) + server)
            self.send({"runner": Path(runner.__file__).read_text()})
            ready = self.receive(time.monotonic() + START_TIMEOUT_S)
        except BaseException:
            self.remove()
            raise
        if not ready.get("ready"):
            self.remove()
            raise BackendError(f"the sandbox container failed to start: {ready.get('error')}")
        self.info = ready

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        self.sock.sendall(struct.pack(">I", len(body)) + body)

    def receive(self, deadline: float) -> dict[str, Any]:
        while True:
            if len(self._stdout) >= 4:
                (size,) = struct.unpack(">I", self._stdout[:4])
                if size > MAX_FRAME:
                    raise BackendError(f"the sandbox server sent a frame of {size} bytes")
                if len(self._stdout) >= 4 + size:
                    body, self._stdout = self._stdout[4 : 4 + size], self._stdout[4 + size :]
                    return json.loads(body)
            self._fill(deadline)

    def _fill(self, deadline: float) -> None:
        """Read more of the attach stream and split it into stdout and stderr."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BackendError("the sandbox container did not answer in time")
        ready, _, _ = select.select([self.sock], [], [], remaining)
        if not ready:
            raise BackendError("the sandbox container did not answer in time")
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise BackendError(
                "the sandbox container ended"
                + (f": {self._stderr.decode(errors='replace')[-800:]}" if self._stderr else "")
            )
        self._raw += chunk
        while len(self._raw) >= 8:
            stream, size = self._raw[0], struct.unpack(">I", self._raw[4:8])[0]
            if len(self._raw) < 8 + size:
                break
            payload, self._raw = self._raw[8 : 8 + size], self._raw[8 + size :]
            if stream == 1:
                self._stdout += payload
            else:
                self._stderr = (self._stderr + payload)[-8192:]

    def oom_killed(self) -> bool:
        try:
            return bool(self.client.api.inspect_container(self.id)["State"].get("OOMKilled"))
        except Exception:
            return False

    def remove(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None
        if self.id:
            try:
                _remove(self.client, self.id)
            except Exception:
                pass


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
        self._container = None
        threading.Thread(target=container.remove, name="assay-docker-remove", daemon=True).start()
        if replace and self._next is None:
            self._prepare_next()

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            container = self._current()
        except BackendError:
            raise
        except Exception as exc:
            raise BackendError(f"cannot start a sandbox container: {exc}") from exc
        key = os.urandom(32)
        limits = request["limits"]
        try:
            container.send({**request, "key": key.hex()})
            reply = container.receive(time.monotonic() + limits["timeout_s"] + 30)
        except (OSError, ValueError, BackendError) as exc:
            self._discard(container)
            raise BackendError(f"the sandbox container failed: {exc}") from exc
        if "error" in reply:
            self._discard(container)
            raise BackendError(reply["error"])
        raw = base64.b64decode(reply.pop("channel", ""))
        messages, problem = runner.read_channel(raw, key)
        if reply.pop("channel_exceeded", False):
            problem = "the result channel carried more than the runner ever writes"
        oom = reply.pop("oom_kills", None)
        status = reply.get("runner", {}).get("status")
        if oom is None:  # no cgroup counter inside: ask the daemon after an unexplained SIGKILL
            killed = status is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9
            oom = int(killed and not reply["timed_out"] and container.oom_killed())
        dirty = reply.pop("dirty", "")
        if dirty or oom:
            self._discard(container)
        maxrss = reply.get("runner", {}).get("maxrss_kb")
        return {
            **reply,
            "messages": messages,
            "channel_problem": problem,
            "peak_mb": round(maxrss / 1024, 1) if maxrss else None,
            "oom_kills": oom,
            "isolation": self.isolation,
        }

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


__all__ = ["DockerBackend", "connect", "dockerfile", "remove_stale", "unavailable_reason"]
