"""The box of the Docker backend: a run inside the sandbox container, whose pid 1 is the server.

The container is the isolation (`docker_container.py`: no network, a read-only root, a capped tmpfs
at /sandbox, no capabilities, a pids and memory limit, a non-root user, the same uid in every
container: so the process limit is the container's pids limit, not RLIMIT_NPROC). The sample runs
with the server's uid, so the server relies on two kernel rules instead of a uid boundary: signals
from inside a pid namespace reach its pid 1 only for the signals it handles (none), and a process
that is not dumpable cannot be ptraced, nor its memory or descriptors read through /proc, by an
unprivileged process of the same uid. After each run every other process is killed, the work dir,
/tmp, /dev/shm and /dev/mqueue are wiped and the sample's SysV IPC objects removed; what a wipe
cannot undo (anything left, the container's OOM or process-limit counters moved, a timeout) makes
the container dirty, and the host replaces it after the sample.
"""

from __future__ import annotations

import ctypes
import functools
import os
import resource
import stat
from typing import Any

from sandbox.isolation.boxes import Box
from sandbox.isolation.skeleton import SANDBOX, WORK

TMP = "/sandbox/tmp"  # /tmp is a symlink to it in the image
SCRATCH = ("/dev/shm", "/dev/mqueue")  # other places a sample can write to
OOM_EVENTS = ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control")
PIDS_EVENTS = ("/sys/fs/cgroup/pids.events", "/sys/fs/cgroup/pids/pids.events")
PIDS_MAX = ("/sys/fs/cgroup/pids.max", "/sys/fs/cgroup/pids/pids.max")


class ContainerBox(Box):
    isolation = "docker"
    pid_namespace = True

    def __init__(self) -> None:
        super().__init__()
        self.dirty: list[str] = []  # why the container should be replaced after this sample
        self.counters: tuple[int | None, int | None] = (None, None)

    def prepare(self, files: dict[str, str | bytes], limits: dict[str, Any]) -> None:
        self.dirty += wipe()
        os.mkdir(WORK, 0o755)
        os.mkdir(TMP, 0o1777)
        os.chmod(TMP, 0o1777)
        self.write_files(files, None)
        self.counters = (oom_kills(), pids_max_hits())

    def enter(self, cg_fds: list[int]) -> None:
        """The runner's /proc entries are its own (the server stays undumpable, out of reach),
        and Ctrl-C semantics are Python's again (pid 1 ignores SIGINT)."""
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE
        signal.signal(signal.SIGINT, signal.default_int_handler)
        super().enter(cg_fds)

    def rlimits(self, limits: dict[str, Any]) -> list[tuple[int, tuple[int, int]]]:
        """Every box's, but where the container's pids limit holds (the kernel has the pids
        controller), processes are left to it: RLIMIT_NPROC counts every process of the uid on
        the host, which every sandbox container shares, so one sample that filled it (a fork
        bomb) would starve the samples of the other containers, of this run and of any other on
        the host, of processes (their forks failing, honest samples rejected)."""
        out = super().rlimits(limits)
        if pids_limited():
            out = [(which, pair) for which, pair in out if which != resource.RLIMIT_NPROC]
        return out

    def drop(self) -> None:
        """Nothing to drop: the container runs as its unprivileged user with no capabilities and
        no-new-privileges; the server stays out of reach by not being dumpable."""

    def ended(self, watched: dict[str, Any]) -> None:
        if watched["timed_out"]:
            self.dirty.append("timed out")
        if watched["output_exceeded"] or watched["channel_exceeded"]:
            self.dirty.append("flooded its output")

    def clean(self) -> list[str]:
        oom_before, pids_before = self.counters
        oom_after, pids_after = oom_kills(), pids_max_hits()
        if oom_before is not None and oom_after is not None and oom_after > oom_before:
            self.dirty.append("hit the memory limit")
        if pids_before is not None and pids_after is not None and pids_after > pids_before:
            self.dirty.append("hit the process limit")
        problems = wipe()
        if any(name.isdigit() and name != "1" for name in os.listdir("/proc")):
            problems.append("processes survived the sample")
        self.dirty += problems
        return problems

    def oom_killed(self) -> int | None:
        """OOM kills since the run was prepared, where the container's cgroup counts them."""
        before, after = self.counters[0], oom_kills()
        return None if before is None or after is None else after - before


def _counter(paths: tuple[str, ...], key: str) -> int | None:
    """A counter from a cgroup events file of this container (v2 first, then v1)."""
    for path in paths:
        try:
            with open(path) as fh:
                for line in fh:
                    name, _, value = line.partition(" ")
                    if name == key:
                        return int(value)
        except (OSError, ValueError):
            continue
    return None


@functools.cache
def pids_limited() -> bool:
    """Whether the container's cgroup bounds its processes (fixed for its life: read once)."""
    for path in PIDS_MAX:
        try:
            with open(path) as fh:
                return fh.read().strip().isdigit()
        except OSError:
            continue
    return False


def oom_kills() -> int | None:
    return _counter(OOM_EVENTS, "oom_kill")


def pids_max_hits() -> int | None:
    return _counter(PIDS_EVENTS, "max")


def _remove(path: str) -> None:
    """Remove a file or a tree the sample may have locked with chmod (it has our uid)."""
    info = os.lstat(path)
    if stat.S_ISDIR(info.st_mode):
        os.chmod(path, 0o700)
        for name in os.listdir(path):
            _remove(os.path.join(path, name))
        os.rmdir(path)
    else:
        os.unlink(path)


def wipe() -> list[str]:
    """Empty every place a sample could write; what could not be removed, as problems."""
    problems = []
    for top in (SANDBOX, *SCRATCH):
        try:
            names = os.listdir(top)
        except FileNotFoundError:
            continue
        except OSError as exc:
            problems.append(f"cannot list {top}: {exc}")
            continue
        for name in names:
            try:
                _remove(os.path.join(top, name))
            except (OSError, RecursionError) as exc:
                problems.append(f"cannot remove {top}/{name}: {type(exc).__name__}")
    libc = ctypes.CDLL(None, use_errno=True)
    remove = {  # IPC_RMID (0) of each kind; the sample had our uid, so its objects are ours
        "shm": lambda ident: libc.shmctl(ident, 0, None),
        "sem": lambda ident: libc.semctl(ident, 0, 0),
        "msg": lambda ident: libc.msgctl(ident, 0, None),
    }
    for kind, rm in remove.items():
        for ident in _ipc_ids(kind):
            rm(ident)
        if _ipc_ids(kind):
            problems.append(f"SysV IPC {kind} objects left behind")
    return problems


def _ipc_ids(kind: str) -> list[int]:
    try:
        with open(f"/proc/sysvipc/{kind}") as fh:
            rows = [line.split() for line in fh.read().splitlines()[1:]]
    except OSError:
        return []
    return [int(row[1]) for row in rows if len(row) > 1 and row[1].isdigit()]
