"""One sandbox container: how it is hardened, the attach stream to its server, and its removal.

The container's pid 1 is the trusted fork server (`container_main.py`), sent over stdin when the
container starts, with the sandbox modules it imports. The host speaks to it over the attach stream (stdin and
stdout of pid 1, multiplexed by Docker); nothing else connects the container to the host: no
network, no mounts but tmpfs, no Docker socket.

Hardening: `--network none`, a read-only root, /sandbox (the work dir; /tmp points into it) a tmpfs
capped in size and inodes, memory equal to memory+swap, a pids limit, one CPU, `cap-drop ALL`,
no-new-privileges, a non-root user, Docker's default seccomp profile, no log driver, AutoRemove.

Containers carry the label `assay=1` and their owner's pid. They are removed by `remove()`, by the
exit-time sweep, and by the daemon itself when the owner dies (its attach stream closes, so pid 1
reads EOF on stdin and exits, and AutoRemove does the rest); `remove_stale()` removes any that a
crashed daemon kept.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import socket
import struct
import threading
import time
from pathlib import Path
from typing import Any

from sandbox.isolation.base import BackendError
from sandbox.isolation.docker_image import image
from sandbox.isolation.skeleton import BOX_CACHE
from sandbox.languages import box_cache_dir
from sandbox.options import Limits

LABEL = "assay"
SANDBOX_UID = 10001
SERVER_MB = 64  # memory for the server itself on top of the sample's limit
SERVER_PIDS = 4
START_TIMEOUT_S = 60.0
MAX_FRAME = 64 << 20
SERVER_SOURCE = Path(__file__).with_name("container_main.py")
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


def _module_sources() -> dict[str, str]:
    """The sandbox modules the container's server imports, by path (`container_main.MODULES`)."""
    from sandbox.isolation.container_main import MODULES

    root = Path(__file__).resolve().parents[2]
    return {path: (root / path).read_text() for path in MODULES}


_live: dict[str, Any] = {}  # container id -> client, for the exit-time sweep
_live_lock = threading.Lock()


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
            # What languages build once for every sample (`box_cache_dir`), read-only, where the
            # process backend's samples see it too.
            binds={box_cache_dir(): {"bind": BOX_CACHE, "mode": "ro"}},
            tmpfs={
                "/sandbox": (
                    f"rw,exec,nosuid,nodev,size={limits.disk_mb}m,nr_inodes={limits.inodes + 16},"
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
            image(),
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
            self.send({"modules": _module_sources()})
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


# Removal ----------------------------------------------------------------------------------------
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
        # The daemon is removing it already (AutoRemove, after pid 1 exited): wait for that, so
        # that a container is gone when close() returns.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.api.inspect_container(container_id)
            except docker.errors.NotFound:
                break
            time.sleep(0.05)
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
