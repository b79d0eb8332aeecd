"""The per-run half of a fork server (`worker.py`'s front, `pytest_server.py`, or a weak-isolation
worker): prepare a run's files, fork a runner, read its streams, end it.

In full isolation the server, before it forks, writes the run's files into a fresh work dir on its
size- and inode-capped tmpfs at /sandbox (whose tmp is bound on /tmp, where /dev/shm leads), in its
own mount namespace, where nothing else is writable; when the run has ended it empties the tmpfs, or
replaces it where the run left more than files (`_remove_sandbox`), and moves to a fresh IPC
namespace, which the next runner is forked into. The runner,
while still trusted, sets rlimits and drops to an unprivileged uid with no privileges left; then,
by the server's `role`, it runs the fast path (the front), raises `BecomeRunner` to unwind into the
parked pytest session (the pytest server), or runs a pytest session (weak isolation). What a runner
needs that does not change from run to run (its environment, `sys.path`, no_new_privs, the fast
path's picture of a clean runner) the server set up once, before the first run: a forked runner
pays for each page it writes (a copy of the server's), so it does as little as it can.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import traceback
from typing import Any, NamedTuple

from sandbox import fastpath, runner
from sandbox.isolation import linux, skeleton, streams
from sandbox.isolation.cgroups import Cgroups, SampleCgroup, SlotCgroup
from sandbox.isolation.skeleton import SANDBOX, SANDBOX_USER, WORK


class BecomeRunner(BaseException):  # noqa: N818 - a control-flow signal, not an error
    """Raised in a forked runner to unwind, through the worker's frames, back into the warm
    pytest session, which then collects and runs the sample's tests."""

    def __init__(self, channel: runner.Channel, request: dict[str, Any] | None = None) -> None:
        request = request or {}
        self.channel = channel
        self.outcomes_only = bool(request.get("outcomes_only"))
        self.fast = bool(request.get("fast"))
        self.chain: dict[str, str] | None = request.get("chain")  # the next phase's files


EMPTY_MAX = 64  # entries a run may leave in its work dir or /tmp before its tmpfs is replaced


class _RunnerState(NamedTuple):
    channel: runner.Channel  # the run's result channel (the fast path's first message in it)
    fast: bool  # the runner runs the fast path
    rlimits: list[tuple[int, tuple[int, int]]]
    workdir: str  # as the runner sees it
    test_file: str


class Runs:
    """Forks and watches one run at a time. The worker sets these before the first run."""

    def __init__(self, mode: str) -> None:
        self.mode = mode  # full | weak
        self.rootless = os.geteuid() != 0
        self.uid = 0 if self.rootless else 1_000_000 + os.getpid() % 1_000_000
        self.gid = self.uid
        self.inner_uid = 1000  # the runner's uid inside its own user namespace (rootless mode)
        self.cgroups: Cgroups | None = None
        self.slot: SlotCgroup | None = None  # full mode: the worker's own cgroup, joined once
        self.under_tmp: list[str] = []  # interpreter paths under /tmp, bound into the sample's /tmp
        self.box_cache: str | None = None  # the host's directory samples see at /opt/assay
        self.weak_base = ""
        # Full mode, once serving (`become_fork_server`): the server is single-threaded, so forks
        # skip Python's fork hooks.
        self.fork_server = False
        self.no_new_privs = False  # set on the server itself, so every runner inherits it
        self.setuid_clears_caps = False  # the uid change alone empties every capability set
        # What a runner becomes once it is the sample: "fast" runs the fast path, "session"
        # returns into the fork server's parked pytest session (which runs the fast path too, for
        # a fast run), "plain" runs a pytest session.
        self.role = "plain"
        self.network_clean = b""  # the fingerprint of a fresh network namespace (linux.py)
        # Full mode: the (size, inodes) of the tmpfs mounted at /sandbox, while one is.
        self.mounted: tuple[int, int] | None = None
        self.kept_in_tmp: set[str] | None = None
        # Weak mode: sys.path as a sample sees it, and the descriptors behind it (`reach_paths`).
        self.import_paths: list[str] | None = None
        self.path_fds: tuple[int, ...] = ()

    def reach_paths(self) -> None:
        """Weak mode, as root: the sample runs as an unprivileged uid on the host's file system,
        where the Python installation may sit in a private directory (pyenv under /root, mode
        700) that uid cannot search. Each sys.path entry it cannot reach is kept open as a
        directory descriptor (O_PATH) that the runner inherits, and put on its sys.path as
        /proc/self/fd/N: the sample reads that directory and what lies below it, as full
        isolation's read-only binds let it, and nothing of the private directories above."""
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

    def build_skeleton(self, root: str) -> None:
        uid = self.inner_uid if self.rootless else self.uid
        skeleton.build_skeleton(uid, root, self.box_cache)

    def become_fork_server(self) -> None:
        """Full mode, before the first run: the state every runner inherits from its fork server.
        A fresh IPC namespace (the server moves to another after each run); no_new_privs, for
        good (a fork server never executes a program); whether the uid change alone clears a
        runner's capabilities (root, with no inheritable or ambient ones); whether forks may skip
        Python's fork hooks (no other thread)."""
        linux.unshare(linux.CLONE_NEWIPC)
        linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
        self.no_new_privs = True
        caps = linux.capabilities()
        self.setuid_clears_caps = (
            not self.rootless and caps.get("CapInh", 1) == 0 and caps.get("CapAmb", 1) == 0
        )
        self.fork_server = linux.is_single_threaded()

    def fresh_network_if_used(self) -> None:
        """Full mode, before a sample (or a run): a fresh network namespace (loopback only) unless
        the current one has no trace of use. The server moves into it, and runners forked from
        now on start in it. A namespace is kept only if its runs are all gone and it is as it
        started: a socket that never carried a packet went with its process, and the counters
        and socket table are as new (`linux.network_fingerprint`)."""
        if linux.network_fingerprint() != self.network_clean:
            linux.unshare(linux.CLONE_NEWNET)
            linux.loopback_up()
            self.network_clean = linux.network_fingerprint()

    def run_spec(self, spec: dict[str, Any], limits: dict[str, Any]) -> dict[str, Any]:
        """In the pytest fork server: a run the front asked for."""
        self.fresh_network_if_used()
        return self._run_one(spec, limits, self.slot)

    def _run_one(
        self, spec: dict[str, Any], limits: dict[str, Any], cg: SampleCgroup | None
    ) -> dict[str, Any]:
        """Fork a runner for one run, read its streams, end everything it started."""
        key = os.urandom(32)
        sandbox_dir = self._prepare_sandbox(spec["files"], limits)
        workdir = os.path.join(sandbox_dir, "work")
        if self.mode == "full" and spec.get("fast"):
            phases = [(spec["files"], spec.get("code") or {})]
            if spec.get("chain"):
                phases.append((spec["chain"], spec.get("chain_code") or {}))
            fastpath.prepare_run(WORK, phases)
        cg_fds = cg.procs_fds() if cg is not None and cg is not self.slot else []
        run = self._runner_state(spec, limits, key, workdir)
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        pid = linux.fork_single_threaded() if self.fork_server else os.fork()
        if pid == 0:
            for fd in (res_r, out_r, err_r):
                os.close(fd)
            self._child(spec, run, (res_w, out_w, err_w), cg_fds)
        for fd in (res_w, out_w, err_w, *cg_fds):
            os.close(fd)
        try:
            result = streams.watch(pid, res_r, out_r, err_r, limits, lambda: self._end_run(pid, cg))
        finally:
            self._remove_sandbox(sandbox_dir)
        messages, problem = runner.read_channel(result.pop("channel"), key)
        flooded = result.pop("channel_exceeded")
        if flooded:
            problem = "the result channel carried more than the runner ever writes"
        stopped = result["timed_out"] or result["output_exceeded"] or flooded
        return {**result, "stopped": stopped, "messages": messages, "channel_problem": problem}

    def _end_run(self, runner_pid: int, cg: SampleCgroup | None) -> tuple[int | None, Any]:
        """Kill everything a run left and reap it; the runner's status if it is reaped here.

        Full isolation: the fork server is pid 1 of its pid namespace, so kill(-1) reaches every
        other process in it, and nothing else; kill(-1) walks the task list under the lock fork takes,
        and a fork with SIGKILL pending fails, so nothing escapes it. Weak: the runner's process
        group, then its cgroup."""
        status = usage = None
        if self.mode == "weak":
            _killpg(runner_pid)
            if cg is not None:
                cg.kill_all()
            try:
                _, status, usage = os.wait4(runner_pid, 0)
            except ChildProcessError:
                pass
            return status, usage
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
                if pid == runner_pid:
                    status, usage = code, rusage

    def _runner_state(
        self, spec: dict[str, Any], limits: dict[str, Any], key: bytes, workdir: str
    ) -> _RunnerState:
        """What the runner needs, made before the fork: a forked runner pays for every page it
        writes, and for every Python function it runs for the first time."""
        workdir = WORK if self.mode == "full" else workdir
        channel = runner.Channel(runner.RESULT_FD, key)
        fast = self.role == "fast" and bool(spec.get("fast"))
        if fast:
            # Sent with the first flush, just before any of the sample's code runs.
            channel.buffered = True
            channel.send({"t": "start"})
        rlimits = runner.sample_rlimits(limits)
        rlimits.append((resource.RLIMIT_NPROC, (limits["processes"], limits["processes"])))
        if self.mode == "weak" and self.cgroups is None:
            memory = limits["memory_mb"] << 20
            rlimits.append((resource.RLIMIT_AS, (memory, memory)))
        test_file = os.path.join(workdir, spec["test_file"])
        return _RunnerState(channel, fast, rlimits, workdir, test_file)

    def _child(
        self,
        spec: dict[str, Any],
        run: _RunnerState,
        fds: tuple[int, int, int],
        cg_fds: list[int],
    ) -> None:
        """The forked runner, still trusted: `_runner` drops every privilege. Never returns. In
        full isolation the runner needs no death signal: when its fork server, pid 1 of their pid
        namespace, dies, the kernel kills everything in it."""
        try:
            self.enter_runner(cg_fds)
        except BaseException:
            _die(71)
        self._runner(fds, run, spec)

    def enter_runner(self, cg_fds: list[int]) -> None:
        """In a forked runner, first: it dies with a weak worker (a full one's pid namespace ends
        with its server), joins its run's cgroup (weak isolation: one per run), and is the OOM
        killer's first choice."""
        if self.mode != "full":
            linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
        for fd in cg_fds:
            os.write(fd, b"0")
            os.close(fd)
        try:
            fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
            try:
                os.write(fd, b"1000")  # the OOM killer takes the sample, never the worker
            finally:
                os.close(fd)
        except OSError:
            pass

    def _prepare_sandbox(self, files: dict[str, str], limits: dict[str, Any]) -> str:
        """The run's writable directories with its files, made before the fork; returns the
        sandbox directory. In full mode: a fresh work dir on the worker's size- and inode-capped
        tmpfs at /sandbox (whose `tmp` is bound on /tmp, where the skeleton's /dev/shm leads),
        which `_remove_sandbox` empties after each run, or replaces."""
        if self.mode == "full":
            sandbox_dir = SANDBOX
            self._mount_sandbox(limits["disk_mb"], limits["inodes"])
        else:
            import tempfile  # weak isolation only: the fast path's fork server never needs it

            sandbox_dir = tempfile.mkdtemp(dir=self.weak_base)
            os.chmod(sandbox_dir, 0o755)
            tmp = os.path.join(sandbox_dir, "tmp")
            os.mkdir(tmp)
            os.chmod(tmp, 0o1777)
        workdir = os.path.join(sandbox_dir, "work")
        os.mkdir(workdir, 0o755)
        for name, text in files.items():
            with open(
                os.path.join(workdir, name), "w", encoding="utf-8", errors="surrogatepass"
            ) as fh:
                fh.write(text)
        if not self.rootless:
            for path in [workdir, *(os.path.join(workdir, n) for n in files)]:
                os.chown(path, self.uid, self.gid)
        return sandbox_dir

    def _mount_sandbox(self, size_mb: int, inodes: int) -> None:
        """A tmpfs at /sandbox of this size, with its `tmp` (sticky, root's) bound on /tmp; kept
        from the last run if it has the same size. Its root is root's too: a sample can write only
        in the run's work dir (its own, made afresh each run) and in tmp."""
        if self.mounted == (size_mb, inodes):
            return
        if self.mounted is not None:
            self._unmount_sandbox()
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
        # The interpreter may live under /tmp (a checkout there): its read-only binds go inside
        # the tmpfs's tmp, at the same paths, before that covers /tmp.
        for path in self.under_tmp:
            target = os.path.join(tmp, os.path.relpath(path, "/tmp"))
            os.makedirs(target, exist_ok=True)
            linux.mount(path, target, None, linux.MS_BIND | linux.MS_REC)
        linux.mount(tmp, "/tmp", None, linux.MS_BIND | linux.MS_REC)

    def _unmount_sandbox(self) -> None:
        linux.umount2("/tmp", linux.MNT_DETACH)
        linux.umount2(SANDBOX, linux.MNT_DETACH)
        self.mounted = None

    def _remove_sandbox(self, sandbox_dir: str, keep: bool = True) -> None:
        """After a run, whose processes are all gone: its work dir and what it left in /tmp go
        (the skeleton's /dev/shm leads to /tmp), or, where it left anything but files there (a
        directory, say) or too many of them, the whole tmpfs, for a fresh one; and the worker
        moves on to a fresh IPC namespace, for the next run: the run's, and the System V objects
        and message queues in it, go with its last process. With `keep` false, the tmpfs goes in
        any case."""
        if self.mode == "full":
            # Without root, a sample has its server's uid (in a user namespace of its own) and
            # so owns the tmpfs's root and tmp: what it could change there, a fresh tmpfs resets.
            if not (keep and not self.rootless and self._empty_sandbox()):
                self._unmount_sandbox()
            linux.unshare(linux.CLONE_NEWIPC)
        else:
            import shutil  # weak isolation only (it loads zlib, bz2, lzma: not for the front)

            shutil.rmtree(sandbox_dir, ignore_errors=True)

    def _empty_sandbox(self) -> bool:
        """Empty the tmpfs for the next run, as the server made it; False if it cannot be said
        to be so: an entry where the sample cannot write, a directory or over `EMPTY_MAX` entries
        where it can (removing a tree costs more than a fresh tmpfs), or an error."""
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

    def _runner(
        self, fds: tuple[int, int, int], run: _RunnerState, request: dict[str, Any]
    ) -> None:
        """Drop every privilege and become the sample. Never returns."""
        try:
            runner.attach_streams(*fds, keep=self.path_fds)
            for which, value in run.rlimits:
                resource.setrlimit(which, value)
            self._drop_privileges()
            if self.mode == "full":
                # The rest of `settle_in` the server did once (`settle_state`).
                os.chdir(run.workdir)
            else:
                tmp = os.path.join(run.workdir, "..", "tmp")
                runner.settle_in(run.workdir, tmp, SANDBOX_USER, self.import_paths)
            if run.fast:
                fastpath.run(
                    run.test_file,
                    run.channel,
                    bool(request.get("outcomes_only")),
                    request.get("chain"),
                )
            if self.role == "session" and request["test_file"] == runner.TESTS_FILE:
                raise BecomeRunner(run.channel, request)
            runner.run_pytest(run.test_file, run.workdir, run.channel)
            os._exit(0)  # not reached: the fast path and the reporter end the process
        except BecomeRunner:
            raise
        except BaseException:
            _die(70)

    def _drop_privileges(self) -> None:
        if self.rootless:
            if self.mode == "full":
                # A nested user namespace in which we are an ordinary user: no capability over the
                # sample's mount, pid and network namespaces, which belong to the outer one.
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
        if not self.no_new_privs:  # else inherited from the server, which set it for good
            linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)


def _die(code: int) -> None:
    """A runner that failed before the sample ran: the traceback on its stderr, then exit."""
    try:
        traceback.print_exc()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _killpg(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
