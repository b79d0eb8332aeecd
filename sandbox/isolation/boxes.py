"""Where a fork server's runs happen: a box, one class per kind of isolation.

A run, whatever its language and backend, is the same sequence (`forkserver.ForkServer`):

    box.prepare(files)          a fresh work dir holding the run's files
    fork ─► box.enter()         in the runner: its cgroup, first in line for the OOM killer
            box.drop()          no uid, capability or privilege of the server's left
            ... the sample (Python in-process, or a program executed)
    box.end(runner)             every process the run started killed, and reaped
    box.clean()                 the work dir gone, and whatever the run left beside it

`NamespaceBox` (full isolation, the process backend): a tmpfs per worker inside the worker's
mount, pid and network namespaces, an unprivileged uid. `HostBox` (weak isolation): a directory
on the host's file system, an unprivileged uid, the process group. `ContainerBox`
(`container_box.py`, the Docker backend): the container's own /sandbox, same uid as its server.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
from typing import Any

from sandbox.isolation import linux, skeleton
from sandbox.isolation.skeleton import SANDBOX, WORK

EMPTY_MAX = 64  # entries a run may leave in its work dir or /tmp before its tmpfs is replaced


class Box:
    """The base: what every box does the same way."""

    isolation = ""
    pid_namespace = False  # the server is pid 1 of its pid namespace: kill(-1) ends a run

    def __init__(self) -> None:
        self.rootless = os.geteuid() != 0
        self.uid = 0 if self.rootless else 1_000_000 + os.getpid() % 1_000_000
        self.gid = self.uid
        self.workdir = WORK  # as the runner sees it
        self.tmpdir = "/tmp"

    def become_server(self) -> None:
        """Before the first run: what every runner inherits from its server."""

    def fresh_network(self) -> None:
        """Before a sample: a network namespace the last sample left no trace in."""

    def prepare(self, files: dict[str, str | bytes], limits: dict[str, Any]) -> None:
        raise NotImplementedError

    def write_files(self, files: dict[str, str | bytes], owner: int | None) -> None:
        """The run's files in its (fresh, empty) work dir, owned by the sample's uid: text, or
        bytes (a program an earlier phase built: executable)."""
        for name, text in files.items():
            if os.path.basename(name) != name or name in ("", ".", ".."):
                raise ValueError(f"bad file name {name!r}")
            path = os.path.join(self.workdir, name)
            if isinstance(text, bytes):
                with open(path, "wb") as fh:
                    fh.write(text)
                os.chmod(path, 0o755)
            else:
                with open(path, "w", encoding="utf-8", errors="surrogatepass") as fh:
                    fh.write(text)
            if owner is not None:
                os.chown(path, owner, owner)

    def enter(self, cg_fds: list[int]) -> None:
        """In a forked runner, first: its run's cgroup (weak isolation: one per run), and first in
        line for the OOM killer, never the server."""
        for fd in cg_fds:
            os.write(fd, b"0")
            os.close(fd)
        try:
            fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
            try:
                os.write(fd, b"1000")
            finally:
                os.close(fd)
        except OSError:
            pass

    def rlimits(self, limits: dict[str, Any]) -> list[tuple[int, tuple[int, int]]]:
        """CPU time, open files, file size, no core dumps, and processes."""
        cpu = int(limits.get("cpu_s") or limits["timeout_s"]) + 1
        file_size = limits["file_size_mb"] << 20
        return [
            (resource.RLIMIT_CPU, (cpu, cpu + 1)),
            (resource.RLIMIT_NOFILE, (limits["open_files"], limits["open_files"])),
            (resource.RLIMIT_FSIZE, (file_size, file_size)),
            (resource.RLIMIT_CORE, (0, 0)),
            (resource.RLIMIT_NPROC, (limits["processes"], limits["processes"])),
        ]

    def drop(self) -> None:
        raise NotImplementedError

    def end(self, runner: int, cg: Any) -> tuple[int | None, Any]:
        """Kill everything the run left and reap it; the runner's status if reaped here.

        As pid 1 of a pid namespace (full isolation, a container), kill(-1) reaches every other
        process in it and nothing else; it walks the task list under the lock fork takes, and a
        fork with SIGKILL pending fails, so nothing escapes it."""
        status = usage = None
        while True:
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                return status, usage
            while True:
                try:
                    pid, code, rusage = os.wait4(-1, 0)
                except ChildProcessError:
                    break
                if pid == runner:
                    status, usage = code, rusage

    def ended(self, watched: dict[str, Any]) -> None:
        """How the run ended (`streams.watch`'s facts), for a box that keeps count."""

    def clean(self) -> list[str]:
        """After a run whose processes are all gone; what could not be undone, if anything."""
        raise NotImplementedError


class NamespaceBox(Box):
    """Full isolation: the worker's mount, pid, network, IPC and UTS namespaces around a
    read-only skeleton root, a size- and inode-capped tmpfs at /sandbox for the runs (its `tmp`
    bound on /tmp, where the skeleton's /dev/shm leads), an unprivileged uid (without root, an
    ordinary user of a nested user namespace)."""

    isolation = "full"
    pid_namespace = True
    inner_uid = 1000  # the runner's uid inside its own user namespace (rootless)

    def __init__(self) -> None:
        super().__init__()
        self.under_tmp: list[str] = []  # interpreter paths under /tmp, bound into the sample's /tmp
        self.mounted: tuple[int, int] | None = None  # (size, inodes) of the tmpfs at /sandbox
        self.kept_in_tmp: set[str] | None = None
        self.no_new_privs = False  # set on the server itself: every runner inherits it
        self.setuid_clears_caps = False  # the uid change alone empties every capability set
        self.network_clean = b""  # the fingerprint of a fresh network namespace

    def become_server(self) -> None:
        """Before the first run: a fresh IPC namespace (the server moves to another after each
        run); no_new_privs, for good; whether the uid change alone clears a runner's
        capabilities (root, with no inheritable or ambient ones)."""
        linux.unshare(linux.CLONE_NEWIPC)
        linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
        self.no_new_privs = True
        caps = linux.capabilities()
        self.setuid_clears_caps = (
            not self.rootless and caps.get("CapInh", 1) == 0 and caps.get("CapAmb", 1) == 0
        )

    def fresh_network(self) -> None:
        """Before a sample: a fresh network namespace (loopback only) unless the current one has
        no trace of use (its counters and socket table as new: a socket that never carried a
        packet went with its process). Runners forked from now on start in it."""
        if linux.network_fingerprint() != self.network_clean:
            linux.unshare(linux.CLONE_NEWNET)
            linux.loopback_up()
            self.network_clean = linux.network_fingerprint()

    def prepare(self, files: dict[str, str | bytes], limits: dict[str, Any]) -> None:
        self._mount(limits["disk_mb"], limits["inodes"])
        os.mkdir(WORK, 0o755)
        if not self.rootless:
            os.chown(WORK, self.uid, self.gid)
        self.write_files(files, None if self.rootless else self.uid)

    def _mount(self, size_mb: int, inodes: int) -> None:
        """A tmpfs at /sandbox of this size, with its `tmp` (sticky, root's) bound on /tmp; kept
        from the last run if it has the same size. Its root is root's too: a sample can write only
        in the run's work dir (its own, made afresh each run) and in tmp."""
        if self.mounted == (size_mb, inodes):
            return
        if self.mounted is not None:
            self._unmount()
        linux.mount(
            "tmpfs",
            SANDBOX,
            "tmpfs",
            linux.MS_NOSUID | linux.MS_NODEV,
            f"size={size_mb}m,nr_inodes={inodes},mode=0755",
        )
        self.mounted = (size_mb, inodes)
        tmp = os.path.join(SANDBOX, "tmp")
        os.mkdir(tmp)
        os.chmod(tmp, 0o1777)
        # An interpreter that lives under /tmp (a checkout there): its read-only binds go inside
        # the tmpfs's tmp, at the same paths, before that covers /tmp.
        for path in self.under_tmp:
            target = os.path.join(tmp, os.path.relpath(path, "/tmp"))
            os.makedirs(target, exist_ok=True)
            linux.mount(path, target, None, linux.MS_BIND | linux.MS_REC)
        linux.mount(tmp, "/tmp", None, linux.MS_BIND | linux.MS_REC)

    def _unmount(self) -> None:
        linux.umount2("/tmp", linux.MNT_DETACH)
        linux.umount2(SANDBOX, linux.MNT_DETACH)
        self.mounted = None

    def drop(self) -> None:
        if self.rootless:
            # A nested user namespace in which the runner is an ordinary user: no capability over
            # the sample's mount, pid and network namespaces, which belong to the outer one.
            linux.unshare(linux.CLONE_NEWUSER)
            linux.write_id_maps("self", f"{self.inner_uid} 0 1", f"{self.inner_uid} 0 1")
            os.setresgid(self.inner_uid, self.inner_uid, self.inner_uid)
            os.setresuid(self.inner_uid, self.inner_uid, self.inner_uid)
        else:
            os.setgroups([])
            os.setresgid(self.gid, self.gid, self.gid)
            os.setresuid(self.uid, self.uid, self.uid)
        if not self.setuid_clears_caps:
            linux.drop_capabilities()
        if not self.no_new_privs:
            linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)

    def clean(self, keep: bool = True) -> list[str]:
        """The work dir goes and what the run left in /tmp is deleted; where it left anything but
        files there (a directory, say), too many of them, or anything beside them, the whole
        tmpfs goes, for a fresh one. Without root the sample had the server's uid and owned the
        tmpfs: always a fresh one. Then a fresh IPC namespace: the run's, and the System V
        objects in it, go with its last process."""
        if not (keep and not self.rootless and self._empty()):
            self._unmount()
        linux.unshare(linux.CLONE_NEWIPC)
        return []

    def _empty(self) -> bool:
        if self.kept_in_tmp is None:  # the interpreter's binds, where it lives under /tmp
            self.kept_in_tmp = {os.path.relpath(p, "/tmp").split(os.sep)[0] for p in self.under_tmp}
        try:
            if sorted(os.listdir(SANDBOX)) != ["tmp", "work"]:
                return False
            for directory, keep in ((WORK, ()), ("/tmp", self.kept_in_tmp)):
                with os.scandir(directory) as entries:
                    left = [e for e in entries if e.name not in keep]
                if len(left) > EMPTY_MAX or any(e.is_dir(follow_symlinks=False) for e in left):
                    return False
                for entry in left:
                    os.unlink(entry.path)
            os.rmdir(WORK)
        except OSError:
            return False
        return True


class HostBox(Box):
    """Weak isolation, where the kernel refuses namespaces: each run in a fresh directory on the
    host, as an unprivileged uid (as root), in its own process group (and a cgroup per run where
    cgroups are usable, else an address-space rlimit), killed with the server."""

    isolation = "weak"

    def __init__(self, base: str, memory_rlimit: bool) -> None:
        super().__init__()
        self.base = base
        self.memory_rlimit = memory_rlimit
        self.run_dir = ""
        # sys.path as a sample sees it, and the descriptors behind it (`reach_paths`).
        self.import_paths: list[str] | None = None
        self.path_fds: tuple[int, ...] = ()

    def prepare(self, files: dict[str, str | bytes], limits: dict[str, Any]) -> None:
        import tempfile

        self.run_dir = tempfile.mkdtemp(dir=self.base)
        os.chmod(self.run_dir, 0o755)
        self.tmpdir = os.path.join(self.run_dir, "tmp")
        os.mkdir(self.tmpdir)
        os.chmod(self.tmpdir, 0o1777)
        self.workdir = os.path.join(self.run_dir, "work")
        os.mkdir(self.workdir, 0o755)
        if not self.rootless:
            os.chown(self.workdir, self.uid, self.gid)
        self.write_files(files, None if self.rootless else self.uid)

    def enter(self, cg_fds: list[int]) -> None:
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)  # the sample dies with its server
        super().enter(cg_fds)

    def rlimits(self, limits: dict[str, Any]) -> list[tuple[int, tuple[int, int]]]:
        out = super().rlimits(limits)
        if self.memory_rlimit:
            memory = limits["memory_mb"] << 20
            out.append((resource.RLIMIT_AS, (memory, memory)))
        return out

    def drop(self) -> None:
        if not self.rootless:
            os.setgroups([])
            os.setresgid(self.gid, self.gid, self.gid)
            os.setresuid(self.uid, self.uid, self.uid)
        linux.drop_capabilities()
        linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)

    def end(self, runner: int, cg: Any) -> tuple[int | None, Any]:
        """The runner's process group, then its cgroup."""
        try:
            os.killpg(runner, signal.SIGKILL)
        except OSError:
            pass
        if cg is not None:
            cg.kill_all()
        try:
            _, status, usage = os.wait4(runner, 0)
        except ChildProcessError:
            return None, None
        return status, usage

    def clean(self) -> list[str]:
        import shutil

        shutil.rmtree(self.run_dir, ignore_errors=True)
        return []

    def reach_paths(self) -> None:
        """As root, the sample runs as an unprivileged uid on the host's file system, where the
        Python installation may sit in a private directory (pyenv under /root, mode 700) that uid
        cannot search. Each sys.path entry it cannot reach is kept open as a directory descriptor
        (O_PATH) that the runner inherits, and put on its sys.path as /proc/self/fd/N: the sample
        reads that directory and what lies below it, as full isolation's read-only binds let it,
        and nothing of the private directories above."""
        paths = [p for p in sys.path if p and os.path.isabs(p) and os.path.isdir(p)]
        if self.rootless:  # the sample keeps our uid: it reaches what we reach
            self.import_paths = paths
            return
        reachable = self._reachable_as_sample(paths)
        fds = []
        self.import_paths = []
        for path, ok in zip(paths, reachable, strict=True):
            if not ok:
                fd = os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
                fds.append(fd)
                path = f"/proc/self/fd/{fd}"
            self.import_paths.append(path)
        self.path_fds = tuple(fds)

    def _reachable_as_sample(self, paths: list[str]) -> list[bool]:
        """Which of `paths` the sample's uid can list, asked of a child with that uid."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(r)
                os.setgroups([])
                os.setresgid(self.gid, self.gid, self.gid)
                os.setresuid(self.uid, self.uid, self.uid)
                os.write(w, bytes(os.access(p, os.R_OK | os.X_OK) for p in paths))
            finally:
                os._exit(0)
        os.close(w)
        try:
            answer = os.read(r, len(paths) + 1)
        finally:
            os.close(r)
            os.waitpid(pid, 0)
        return [bool(b) for b in answer.ljust(len(paths), b"\0")]


def build_skeleton(box: NamespaceBox, root: str, box_cache: str | None) -> None:
    uid = box.inner_uid if box.rootless else box.uid
    skeleton.build_skeleton(uid, root, box_cache)
