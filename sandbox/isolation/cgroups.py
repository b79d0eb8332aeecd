"""Memory and process limits through cgroups (v2, or v1's memory and pids controllers).

A memory cgroup, not RLIMIT_AS, so that runtimes which reserve large address ranges (OpenBLAS thread
start-up, the JVM, Go) still work; the pids controller counts threads too, so it stops thread bombs as
well as fork bombs. With full isolation a worker has one leaf that it joins once (`SlotCgroup`);
otherwise each sample gets its own leaf, removed after the run.
"""

from __future__ import annotations

import os
import signal
import time
from typing import NamedTuple

ROOT = "/sys/fs/cgroup"
SERVER_TASKS = 10  # the front, the pytest server, the PHP zygote, the node zygote (7 threads)


class CgroupError(RuntimeError):
    pass


def _own_path(controller: str | None) -> str:
    """This process's cgroup path for a v1 controller, or the v2 path when `controller` is None."""
    with open("/proc/self/cgroup") as fh:
        for line in fh:
            _, names, path = line.rstrip("\n").split(":", 2)
            if controller is None and names == "":
                return path
            if controller is not None and controller in names.split(","):
                return path
    raise CgroupError(f"no {controller or 'v2'} entry in /proc/self/cgroup")


def _write(path: str, value: str, dir_fd: int | None = None) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _read(path: str, dir_fd: int | None = None) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return ""
    try:
        return os.read(fd, 65536).decode()
    except OSError:
        return ""
    finally:
        os.close(fd)


def _keyed(text: str, key: str) -> int:
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key:
            return int(parts[1])
    return 0


class CgroupStats(NamedTuple):
    peak_mb: float | None
    oom_kills: int


class SampleCgroup:
    """One sample's leaf cgroup(s): write a pid into `procs_fds`, read `stats`, then `destroy`.

    Every path is relative to a directory descriptor of the verifier's subtree, opened before the
    worker chroots into the sandbox skeleton, where /sys is not visible."""

    def __init__(self, bases: dict[str, int], leaf: str, version: int) -> None:
        self.bases = bases  # controller ("memory", "pids", or "" for v2) -> base directory fd
        self.leaf = leaf
        self.version = version
        self._oom_before = self._oom_kills()

    def _file(self, name: str) -> str:
        return f"{self.leaf}/{name}"

    def procs_fds(self) -> list[int]:
        """File descriptors to write a pid into, opened now so they work after pivot_root."""
        return [
            os.open(self._file("cgroup.procs"), os.O_WRONLY | os.O_CLOEXEC, dir_fd=fd)
            for fd in self.bases.values()
        ]

    def _mem_fd(self) -> int:
        return self.bases["" if self.version == 2 else "memory"]

    def _events_file(self) -> str:
        return self._file("memory.events" if self.version == 2 else "memory.oom_control")

    def _peak_file(self) -> str:
        return self._file("memory.peak" if self.version == 2 else "memory.max_usage_in_bytes")

    def _events(self) -> str:
        return _read(self._events_file(), self._mem_fd())

    def _peak(self) -> str:
        return _read(self._peak_file(), self._mem_fd()).strip()

    def _oom_kills(self) -> int:
        return _keyed(self._events(), "oom_kill")

    def stats(self) -> CgroupStats:
        events = self._events()
        oom = _keyed(events, "oom_kill") - self._oom_before
        if self.version == 1 and oom == 0 and "oom_kill " not in events:
            # Kernels before 4.13 lack the counter: a hit limit is the best evidence there is.
            oom = int(_read(self._file("memory.failcnt"), self._mem_fd()).strip() or 0) > 0
        raw = self._peak()
        peak = round(int(raw) / 2**20, 1) if raw.isdigit() else None
        return CgroupStats(peak_mb=peak, oom_kills=int(oom))

    def pids(self) -> set[int]:
        found: set[int] = set()
        for fd in self.bases.values():
            found.update(int(p) for p in _read(self._file("cgroup.procs"), fd).split())
        return found

    def kill_all(self, deadline_s: float = 5.0) -> None:
        """SIGKILL every process left in the cgroup, until it is empty."""
        if self.version == 2:
            try:
                _write(self._file("cgroup.kill"), "1", self.bases[""])
            except OSError:
                pass
        end = time.monotonic() + deadline_s
        while (pids := self.pids()) and time.monotonic() < end:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.002)

    def destroy(self) -> None:
        self.kill_all()
        for fd in self.bases.values():
            for _ in range(200):
                try:
                    os.rmdir(self.leaf, dir_fd=fd)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.005)


class SlotCgroup(SampleCgroup):
    """A worker's own leaf, for full isolation: the worker joins it once, after its warm-up, so
    every sample it forks starts inside and nothing migrates per sample (moving a process between
    cgroups waits for an RCU grace period, which costs ~10 ms on some kernels, twice on cgroup v1).

    The sample's pid namespace, not the cgroup, ends its processes; the worker and the sample's
    init are exempt from the OOM killer, so the sample is what it kills. The worker's own pages
    were charged where it allocated them, before it joined."""

    LEAF = "slot"
    events_fd: int | None = None  # the OOM counter's file, kept open (`__init__`)

    def __init__(self, cgroups: Cgroups, home_fds: dict[str, int]) -> None:
        super().__init__(cgroups.fds, self.LEAF, cgroups.version)
        self.cgroups = cgroups
        self.home_fds = home_fds
        self.limits: tuple[int, int] | None = None
        self.peak_fd = os.open(self._peak_file(), os.O_RDWR | os.O_CLOEXEC, dir_fd=self._mem_fd())
        self.peak_resets = True
        # Read before and after every sample: kept open (a worker reads it twice a sample).
        self.events_fd = os.open(
            self._events_file(), os.O_RDONLY | os.O_CLOEXEC, dir_fd=self._mem_fd()
        )
        self._oom_before = self._oom_kills()
        self.joined = False

    def join(self, pid: int = 0) -> None:
        """Move the calling process (or `pid`, as the caller's pid namespace numbers it) into
        the slot; the calling process is then exempt from the OOM killer."""
        for fd in self.procs_fds():
            try:
                os.write(fd, str(pid).encode())  # 0: the writer
            finally:
                os.close(fd)
        if pid == 0:
            self.joined = True
            self.exempt_from_oom()

    @staticmethod
    def exempt_from_oom() -> None:
        try:
            with open("/proc/self/oom_score_adj", "w") as fh:
                fh.write("-1000")
        except OSError:
            pass

    def arm(self, memory_mb: int, processes: int) -> None:
        """Before a sample: its limits (counting the tasks of the worker's servers that live in
        its slot as more: the front, the pytest server, PHP's zygote and node's with its seven
        threads; without root no zygote, but a per-sample supervisor), a fresh peak and OOM
        count."""
        if self.limits != (memory_mb, processes):
            self.cgroups.set_limits(self.leaf, memory_mb, processes + SERVER_TASKS)
            self.limits = (memory_mb, processes)
        try:
            # v2 (Linux 6.12+): a write resets the peak seen through this descriptor; v1: zero it.
            os.pwrite(self.peak_fd, b"0" if self.version == 1 else b"reset", 0)
        except OSError:
            self.peak_resets = False
        self._oom_before = self._oom_kills()

    def _events(self) -> str:
        if self.events_fd is None:  # the base class's first read, before it is open
            return super()._events()
        return os.pread(self.events_fd, 4096, 0).decode()

    def _peak(self) -> str:
        # A kernel that cannot reset the peak: none (the worker then takes the runner's own).
        return os.pread(self.peak_fd, 64, 0).decode().strip() if self.peak_resets else ""

    def leave(self) -> None:
        """Back to the worker's original cgroup, so that the subtree can be removed."""
        for fd in self.home_fds.values():
            try:
                os.write(fd, b"0")
            except OSError:
                pass
            os.close(fd)
        os.close(self.peak_fd)
        os.close(self.events_fd)
        self.home_fds = {}


# An `assay-PID-N` cgroup younger than this is never taken for a killed verifier's.
STALE_AFTER_S = 60.0


class Cgroups:
    """The verifier's own cgroup subtree; makes one leaf per sample."""

    def __init__(self, name: str) -> None:
        try:
            self._make(name)
        except FileNotFoundError:  # removed under us as it was made: once more
            self._make(name)

    def _make(self, name: str) -> None:
        self.version = self._detect()
        self.bases: dict[str, str] = {}
        self._counter = 0
        if self.version == 2:
            parent = ROOT + _own_path(None)
            if os.geteuid() == 0:
                # The root cgroup may hold processes; its children get controllers from it.
                parent = ROOT
            base = os.path.join(parent, name)
            self.remove_stale(parent)
            self._mkdir(base)
            ctrls = _read(os.path.join(base, "cgroup.controllers")).split()
            missing = {"memory", "pids"} - set(ctrls)
            if missing:
                raise CgroupError(
                    f"cgroup {base} lacks the {', '.join(sorted(missing))} controller(s): "
                    f"enable them in {parent}/cgroup.subtree_control"
                )
            _write(os.path.join(base, "cgroup.subtree_control"), "+memory +pids")
            self.bases[""] = base
        else:
            for ctrl in ("memory", "pids"):
                base = os.path.join(ROOT, ctrl + _own_path(ctrl).rstrip("/"), name)
                self.remove_stale(os.path.dirname(base))
                self._mkdir(base)
                self.bases[ctrl] = base
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
        self.fds = {ctrl: os.open(base, flags) for ctrl, base in self.bases.items()}
        self.parent_fds = {
            ctrl: os.open(os.path.dirname(b), flags) for ctrl, b in self.bases.items()
        }

    @staticmethod
    def _detect() -> int:
        if os.path.exists(os.path.join(ROOT, "cgroup.controllers")):
            return 2
        if os.path.isdir(os.path.join(ROOT, "memory")) and os.path.isdir(
            os.path.join(ROOT, "pids")
        ):
            return 1
        raise CgroupError(
            f"no usable cgroup hierarchy at {ROOT} (need cgroup v2, or v1 memory and pids controllers)"
        )

    @staticmethod
    def remove_stale(parent: str) -> None:
        """Remove empty `assay-PID-N` cgroups left by verifiers that were killed."""
        try:
            entries = os.listdir(parent)
        except OSError:
            return
        for entry in entries:
            parts = entry.split("-")
            if len(parts) != 3 or parts[0] != "assay" or not parts[1].isdigit():
                continue
            if os.path.exists(f"/proc/{parts[1]}"):
                continue
            base = os.path.join(parent, entry)
            try:  # a verifier starting now may be one whose pid this process cannot see
                if time.time() - os.stat(base).st_mtime < STALE_AFTER_S:
                    continue
            except OSError:
                continue
            for leaf in os.listdir(base):
                if os.path.isdir(os.path.join(base, leaf)):
                    try:
                        os.rmdir(os.path.join(base, leaf))
                    except OSError:
                        pass
            try:
                os.rmdir(base)
            except OSError:
                pass

    @staticmethod
    def _mkdir(path: str) -> None:
        try:
            os.mkdir(path)
        except FileExistsError:
            pass
        except PermissionError as exc:
            raise CgroupError(f"cannot create cgroup {path}: {exc.strerror}") from exc

    def create(self, memory_mb: int, processes: int) -> SampleCgroup:
        self._counter += 1
        leaf = f"s{self._counter}"
        for fd in self.fds.values():
            os.mkdir(leaf, dir_fd=fd)
        self.set_limits(leaf, memory_mb, processes)
        return SampleCgroup(self.fds, leaf, self.version)

    def slot(self) -> SlotCgroup:
        for fd in self.fds.values():
            os.mkdir(SlotCgroup.LEAF, dir_fd=fd)
        home = {
            ctrl: ROOT + _own_path(None)
            if ctrl == ""
            else os.path.join(ROOT, ctrl + _own_path(ctrl).rstrip("/"))
            for ctrl in self.fds
        }
        home_fds = {
            ctrl: os.open(os.path.join(path, "cgroup.procs"), os.O_WRONLY | os.O_CLOEXEC)
            for ctrl, path in home.items()
        }
        return SlotCgroup(self, home_fds)

    def set_limits(self, leaf: str, memory_mb: int, processes: int) -> None:
        limit = str(memory_mb * 2**20)

        def optional(name: str, value: str, fd: int) -> None:
            try:
                _write(f"{leaf}/{name}", value, fd)
            except OSError:
                pass  # swap accounting is off on this kernel: no swap to limit

        if self.version == 2:
            fd = self.fds[""]
            _write(f"{leaf}/memory.max", limit, fd)
            optional("memory.swap.max", "0", fd)
            _write(f"{leaf}/pids.max", str(processes), fd)
        else:
            memory = self.fds["memory"]
            try:
                _write(f"{leaf}/memory.limit_in_bytes", limit, memory)
                optional("memory.memsw.limit_in_bytes", limit, memory)
            except OSError:
                # v1 keeps memory <= memory+swap: a higher limit raises the latter first.
                optional("memory.memsw.limit_in_bytes", limit, memory)
                _write(f"{leaf}/memory.limit_in_bytes", limit, memory)
            _write(f"{leaf}/pids.max", str(processes), self.fds["pids"])

    def destroy(self) -> None:
        """Remove the subtree, through descriptors: it works after the worker's pivot_root."""
        for ctrl, fd in self.fds.items():
            for entry in os.listdir(fd):
                try:
                    os.rmdir(entry, dir_fd=fd)
                except OSError:
                    pass
            os.close(fd)
            try:
                os.rmdir(os.path.basename(self.bases[ctrl]), dir_fd=self.parent_fds[ctrl])
            except OSError:
                pass
            os.close(self.parent_fds[ctrl])
        self.fds = self.parent_fds = {}
