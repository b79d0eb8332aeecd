"""A warm sandbox worker (a fork server): `python -m sandbox.isolation.worker`.

The worker is trusted code that never runs a sample itself. It imports pytest and runs one throwaway
session before any sample arrives, builds a read-only skeleton root (the interpreter, the installed
libraries, a minimal /etc and /dev, nothing else of the host), pivots into it, and continues as pid 1
of its own pid namespace (in empty network and UTS namespaces), inside its own cgroup, with a pytest
session configured for the paths samples see and parked at collection. Per run it forks:

    worker (pid 1, root) ──fork──► runner: its own mount namespace with a fresh size- and
                                   inode-capped tmpfs holding the run's files (also /tmp and
                                   /dev/shm), its own IPC and network (loopback only) namespaces;
                                   rlimits, an unprivileged uid with no privileges left, an empty
                                   environment; then back into the parked session, which collects
                                   and runs the sample's tests (or the fast path does)

When the runner ends, times out or floods its output, the worker's kill(-1, SIGKILL) ends every
other process of its pid namespace, daemons that double-forked and called setsid too, and reaps
them; the tmpfs and the IPC objects go with the last process of their namespaces. A sample's runs
(the fast path, pytest, the strength check) are separate runners, one after the other.
"""

from __future__ import annotations

import gc
import os
import resource
import select
import shutil
import signal
import sys
import tempfile
import time
import traceback
from typing import Any

import pytest
from _pytest.assertion.rewrite import AssertionRewritingHook as RewritingHook

from sandbox import fastpath, runner
from sandbox.isolation import linux
from sandbox.isolation.cgroups import (
    CgroupError,
    Cgroups,
    CgroupStats,
    SampleCgroup,
    SlotCgroup,
)
from sandbox.isolation.protocol import read_frame, write_frame
from sandbox.isolation.skeleton import (
    SANDBOX_USER,
    WORK,
    SetupError,
    build_skeleton,
    enter_namespaces,
    interpreter_paths,
)

RESULT_FD = 3
MAX_CHANNEL = 8 << 20


class BecomeRunner(BaseException):  # noqa: N818 - a control-flow signal, not an error
    """Raised in the runner process C to unwind, through the forks' frames, back into the warm
    pytest session, which then collects and runs the sample's tests."""

    def __init__(
        self, channel: runner.Channel, outcomes_only: bool = False, fast: bool = False
    ) -> None:
        self.channel = channel
        self.outcomes_only = outcomes_only
        self.fast = fast


class Worker:
    def __init__(self, config: dict[str, Any]) -> None:
        self.mode = config["isolation"]  # full | weak
        self.rootless = os.geteuid() != 0
        self.uid = 0 if self.rootless else 1_000_000 + os.getpid() % 1_000_000
        self.gid = self.uid
        self.inner_uid = 1000  # the runner's uid inside its own user namespace (rootless mode)
        self.cgroups: Cgroups | None = None
        self.slot: SlotCgroup | None = None  # full mode: the worker's own cgroup, joined once
        self.weak_base = ""
        self.cgroup_name = config["cgroup_name"]
        self.under_tmp: list[str] = []
        self.session_ready = False  # a warm pytest session waits at collection (full mode)

    # Start-up -----------------------------------------------------------------------------------
    def setup(self) -> None:
        try:
            self.cgroups = Cgroups(self.cgroup_name)
        except (CgroupError, OSError) as exc:
            if self.mode == "full":
                raise SetupError(
                    f"cgroups are needed for memory and process limits and are not usable: {exc}. "
                    "Fix: run assay as root, or inside a delegated cgroup "
                    "(systemd-run --user --scope -p Delegate=yes assay ...); "
                    "or accept weaker limits with --isolation weak"
                ) from exc
        if self.mode == "full" and self.cgroups is not None:
            self.slot = self.cgroups.slot()
        self._warm_up()
        if self.mode == "full":
            self.under_tmp = [p for p in interpreter_paths() if p.startswith("/tmp/")]
            enter_namespaces(self.rootless)
            build_skeleton(self.inner_uid if self.rootless else self.uid)
        else:
            self.weak_base = tempfile.mkdtemp(prefix="assay-weak-")
            if not self.rootless:
                os.chmod(self.weak_base, 0o755)

    def _warm_up(self) -> None:
        """Import pytest and run one trusted session, so each sample's fork starts warm."""
        import pytest  # noqa: F401

        tmp = tempfile.mkdtemp(prefix="assay-warm-")
        try:
            with open(os.path.join(tmp, "solution.py"), "w") as fh:
                fh.write("def f(x):\n    return x\n")
            with open(os.path.join(tmp, "test_solution.py"), "w") as fh:
                fh.write(
                    "import pytest\nfrom solution import f\n\n"
                    "@pytest.mark.parametrize('x', [1, 2])\ndef test_f(x, tmp_path):\n"
                    "    assert f(x) == x\n\n"
                    "def test_raises():\n    with pytest.raises(ZeroDivisionError):\n"
                    "        1 / 0\n"
                )
            r, w = os.pipe()
            devnull = os.open(os.devnull, os.O_WRONLY)
            saved = os.dup(1)
            os.dup2(devnull, 1)
            try:
                runner.run_pytest(
                    os.path.join(tmp, "test_solution.py"),
                    tmp,
                    runner.Channel(w, b"warm"),
                    exit_when_done=False,
                )
            finally:
                os.dup2(saved, 1)
                for fd in (saved, devnull, r, w):
                    os.close(fd)
            for name in ("solution", "test_solution"):
                sys.modules.pop(name, None)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        # Move everything alive now out of the collector's sight: children then neither scan these
        # objects nor copy their pages when a collection touches them.
        gc.collect()
        gc.freeze()

    # One sample ---------------------------------------------------------------------------------
    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        limits = request["limits"]
        cg: SampleCgroup | None = None
        if self.slot is not None:
            if not self.slot.joined:  # joined late: the warm-up's pages stay charged elsewhere
                self.slot.join()
            self.slot.arm(limits["memory_mb"], limits["processes"])
            cg = self.slot
        elif self.cgroups is not None:
            cg = self.cgroups.create(limits["memory_mb"], limits["processes"])
        try:
            result = self._runs(request, cg)
        except Exception:
            result = {"error": traceback.format_exc(limit=8)}
        stats = self._cgroup_done(cg)
        if stats is not None and "error" not in result:
            result["oom_kills"] = stats.oom_kills
            peak = stats.peak_mb
            if peak is None:  # a kernel that cannot reset the cgroup's peak: the runner's own
                peak = round(result.get("runner", {}).get("maxrss_kb", 0) / 1024, 1) or None
            result["peak_mb"] = peak
        result["isolation"] = self.mode
        return result

    def _cgroup_done(self, cg: SampleCgroup | None) -> CgroupStats | None:
        if cg is None:
            return None
        stats = cg.stats()
        if cg is not self.slot:
            cg.destroy()
        return stats

    def _runs(self, request: dict[str, Any], cg: SampleCgroup | None) -> dict[str, Any]:
        """A sample's runs, each a fresh runner on a fresh work dir, one after the other.

        A phase is the sample's run, then, if it passed cleanly, the request's `then` (the strength
        check's stubbed solution). With `fast`, each phase first runs on the fast path
        (`sandbox/fastpath.py`); when that is undecided, the phase runs again under pytest."""
        phases = [request]
        if self.mode == "full" and request.get("then"):
            phases.append({**request, **request["then"]})
        fast = (
            self.mode == "full"
            and self.session_ready
            and bool(request.get("fast"))
            and fastpath.pytest_depth is not None
        )
        results: list[dict[str, Any]] = []
        phase, under_pytest = 0, not fast
        fast_failed = False
        while True:
            spec = {**phases[phase], "fast": not under_pytest}
            result = self._run_one(spec, request["limits"], cg)
            undecided = next((m for m in result["messages"] if m.get("t") == "undecided"), None)
            if undecided is not None and not under_pytest and not result["channel_problem"]:
                if not result["stopped"]:
                    fast_failed = bool(undecided.get("failed"))
                    under_pytest = True  # the same phase again, under pytest
                    continue
            if fast_failed and phase == 0:
                result["fast_failed"] = True
            results.append(result)
            clean = not result["channel_problem"] and runner.clean_pass(
                result["messages"], result["runner"].get("status")
            )
            if result.pop("stopped") or phase + 1 == len(phases) or not clean:
                break
            phase, under_pytest = phase + 1, not fast
        if len(results) > 1:
            results[0]["next"] = results[1]
        return results[0]

    def _run_one(
        self, spec: dict[str, Any], limits: dict[str, Any], cg: SampleCgroup | None
    ) -> dict[str, Any]:
        """Fork a runner for one run, read its streams, end everything it started."""
        key = os.urandom(32)
        sandbox_dir = workdir = ""
        if self.mode == "weak":
            sandbox_dir = self._prepare_sandbox(spec["files"], limits)
            workdir = os.path.join(sandbox_dir, "work")
        cg_fds = cg.procs_fds() if cg is not None and cg is not self.slot else []
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            for fd in (res_r, out_r, err_r):
                os.close(fd)
            self._child(spec, limits, (res_w, out_w, err_w), key, cg_fds, workdir)
        for fd in (res_w, out_w, err_w, *cg_fds):
            os.close(fd)
        try:
            pidfd: int | None = os.pidfd_open(pid)
        except OSError:
            pidfd = None  # an old kernel: poll the runner instead

        streams = {out_r: bytearray(), err_r: bytearray(), res_r: bytearray()}
        totals = {out_r: 0, err_r: 0, res_r: 0}
        open_fds = {out_r, err_r, res_r}
        deadline = started + limits["timeout_s"]
        timed_out = output_exceeded = channel_exceeded = False
        status: int | None = None
        usage: Any = None
        try:
            while open_fds or status is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                watched = list(open_fds)
                if status is None and pidfd is not None:
                    watched.append(pidfd)
                wait = remaining if status is not None or pidfd is not None else 0.005
                ready, _, _ = select.select(watched, [], [], min(remaining, wait))
                if status is None and (pidfd is None or pidfd in ready):
                    got, code, rusage = os.wait4(pid, os.WNOHANG)
                    if got == pid:
                        # The runner is done: end whatever it left running. The pipes then close.
                        status, usage = code, rusage
                        self._end_run(pid, cg)
                for fd in ready:
                    if fd == pidfd:
                        continue
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        open_fds.discard(fd)
                        continue
                    totals[fd] += len(chunk)
                    keep = MAX_CHANNEL if fd == res_r else limits["keep_output_bytes"]
                    room = keep - len(streams[fd])
                    if room > 0:
                        streams[fd] += chunk[:room]
                    if fd == res_r and totals[fd] > MAX_CHANNEL:
                        channel_exceeded = True
                    elif fd != res_r and totals[fd] > limits["output_bytes"]:
                        output_exceeded = True
                if output_exceeded or channel_exceeded:
                    break
        finally:
            duration = time.monotonic() - started
            if status is None or open_fds:  # stopped early, or an exception: end it all now
                late = self._end_run(pid, cg)
                if status is None:
                    status, usage = late
            for fd in (out_r, err_r, res_r, *(() if pidfd is None else (pidfd,))):
                os.close(fd)
            if sandbox_dir:
                shutil.rmtree(sandbox_dir, ignore_errors=True)
        messages, problem = runner.read_channel(bytes(streams[res_r]), key)
        if channel_exceeded:
            problem = "the result channel carried more than the runner ever writes"
        report: dict[str, Any] = {}
        if status is not None:
            report = {"status": status, "maxrss_kb": 0, "cpu_s": 0.0}
            if usage is not None:
                report["maxrss_kb"] = usage.ru_maxrss
                report["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 4)
        return {
            "stopped": timed_out or output_exceeded or channel_exceeded,
            "duration_s": round(duration, 4),
            "timed_out": timed_out,
            "output_exceeded": output_exceeded,
            "stdout": bytes(streams[out_r]).decode("utf-8", "replace"),
            "stderr": bytes(streams[err_r]).decode("utf-8", "replace"),
            "stdout_bytes": totals[out_r],
            "stderr_bytes": totals[err_r],
            "messages": messages,
            "channel_problem": problem,
            "runner": report,
        }

    def _end_run(self, runner_pid: int, cg: SampleCgroup | None) -> tuple[int | None, Any]:
        """Kill everything a run left and reap it; the runner's status if it is reaped here.

        Full isolation: the worker is pid 1 of its pid namespace, so kill(-1) reaches every other
        process in it, and nothing else; kill(-1) walks the task list under the lock fork takes,
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

    def _child(
        self,
        spec: dict[str, Any],
        limits: dict[str, Any],
        fds: tuple[int, int, int],
        key: bytes,
        cg_fds: list[int],
        workdir: str,
    ) -> None:
        """The forked runner, still trusted: its own mount (a fresh tmpfs with the run's files),
        IPC and network namespaces, then `_runner` drops every privilege. Never returns."""
        try:
            linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)  # the sample dies with the worker
            for fd in cg_fds:  # weak isolation: a cgroup per run
                os.write(fd, b"0")
                os.close(fd)
            try:
                with open("/proc/self/oom_score_adj", "w") as fh:
                    fh.write("1000")  # the OOM killer takes the sample, never the worker
            except OSError:
                pass
            if self.mode == "full":
                linux.unshare(linux.CLONE_NEWNS | linux.CLONE_NEWIPC | linux.CLONE_NEWNET)
                self._prepare_sandbox(spec["files"], limits)
                linux.loopback_up()
                workdir = WORK
            self._runner(fds, key, limits, workdir, spec)
        except BecomeRunner:
            raise
        except BaseException:
            try:
                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(71)

    def _prepare_sandbox(self, files: dict[str, str], limits: dict[str, Any]) -> str:
        """The sample's writable directories with its files; returns the sandbox directory. In full
        mode: a size- and inode-capped tmpfs at /sandbox, also seen as /tmp and /dev/shm."""
        if self.mode == "full":
            sandbox_dir = "/sandbox"
            owner = "" if self.rootless else f",uid={self.uid},gid={self.gid}"
            linux.mount(
                "tmpfs",
                sandbox_dir,
                "tmpfs",
                linux.MS_NOSUID | linux.MS_NODEV,
                f"size={limits['disk_mb']}m,nr_inodes={limits['inodes']},mode=0755{owner}",
            )
        else:
            sandbox_dir = tempfile.mkdtemp(dir=self.weak_base)
            os.chmod(sandbox_dir, 0o755)
        workdir = os.path.join(sandbox_dir, "work")
        os.mkdir(workdir, 0o755)
        for name, text in files.items():
            with open(
                os.path.join(workdir, name), "w", encoding="utf-8", errors="surrogatepass"
            ) as fh:
                fh.write(text)
        tmp = os.path.join(sandbox_dir, "tmp")
        os.mkdir(tmp)
        os.chmod(tmp, 0o1777)
        if not self.rootless:
            for path in [workdir, *(os.path.join(workdir, n) for n in files)]:
                os.chown(path, self.uid, self.gid)
        if self.mode == "full":
            # The interpreter may live under /tmp (a checkout there): its read-only binds go
            # inside the sample's /tmp, at the same paths, before that /tmp covers them.
            for path in self.under_tmp:
                target = os.path.join(tmp, os.path.relpath(path, "/tmp"))
                os.makedirs(target, exist_ok=True)
                linux.mount(path, target, None, linux.MS_BIND | linux.MS_REC)
            linux.mount(tmp, "/tmp", None, linux.MS_BIND | linux.MS_REC)
            linux.mount(tmp, "/dev/shm", None, linux.MS_BIND)
        return sandbox_dir

    def _runner(
        self,
        fds: tuple[int, int, int],
        key: bytes,
        limits: dict[str, Any],
        workdir: str,
        request: dict[str, Any],
    ) -> None:
        """Process C: becomes the sample. Never returns."""
        try:
            res_w, out_w, err_w = fds
            os.setsid()
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            os.dup2(res_w, RESULT_FD)
            os.closerange(RESULT_FD + 1, 65536)
            cpu = int(limits.get("cpu_s") or limits["timeout_s"]) + 1
            file_size = limits["file_size_mb"] << 20
            rlimits = [
                (resource.RLIMIT_CPU, (cpu, cpu + 1)),
                (resource.RLIMIT_NOFILE, (limits["open_files"], limits["open_files"])),
                (resource.RLIMIT_FSIZE, (file_size, file_size)),
                (resource.RLIMIT_CORE, (0, 0)),
                (resource.RLIMIT_NPROC, (limits["processes"], limits["processes"])),
            ]
            if self.mode == "weak" and self.cgroups is None:
                memory = limits["memory_mb"] << 20
                rlimits.append((resource.RLIMIT_AS, (memory, memory)))
            for which, value in rlimits:
                resource.setrlimit(which, value)
            self._drop_privileges()
            os.chdir(workdir)
            os.environ.clear()
            os.environ.update(
                {
                    "PATH": "/usr/local/bin:/usr/bin:/bin",
                    "HOME": workdir,
                    "TMPDIR": "/tmp" if self.mode == "full" else os.path.join(workdir, "..", "tmp"),
                    "LANG": "C.UTF-8",
                    "USER": SANDBOX_USER,
                    "PYTHONDONTWRITEBYTECODE": "1",
                    # Plugins are the verifier's choice, not whatever happens to be installed.
                    "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
                }
            )
            tempfile.tempdir = None
            sys.dont_write_bytecode = True
            sys.path[:] = [p for p in sys.path if p and os.path.isabs(p) and os.path.isdir(p)]
            channel = runner.Channel(RESULT_FD, key)
            if self.session_ready and request["test_file"] == runner.TESTS_FILE:
                raise BecomeRunner(
                    channel, bool(request.get("outcomes_only")), bool(request.get("fast"))
                )
            runner.run_pytest(os.path.join(workdir, request["test_file"]), workdir, channel)
            os._exit(0)  # not reached: the reporter exits when the session finishes
        except BecomeRunner:
            raise
        except BaseException:
            try:
                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(70)

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
        linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)

    def close(self) -> None:
        if self.slot is not None:
            self.slot.leave()
            self.slot = None
        if self.cgroups is not None:
            self.cgroups.destroy()
        if self.weak_base:
            shutil.rmtree(self.weak_base, ignore_errors=True)


class ForkServer:
    """The zygote's pytest plugin: the session is configured once, then waits at collection; each
    sample's runner process returns from here and collects that sample's tests."""

    def __init__(self, worker: Worker, reporter: runner.Reporter, proto: tuple[int, int]) -> None:
        self.worker = worker
        self.reporter = reporter
        self.proto = proto

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: Any) -> None:
        try:
            self.worker.session_ready = True
            fastpath.pytest_depth = self._measure_depth()
            gc.collect()
            gc.freeze()
            serve(self.worker, *self.proto)
        except BecomeRunner as turn:
            self.reporter.channel = turn.channel
            if turn.outcomes_only or turn.fast:
                # Plain asserts: rewriting them for introspection costs more than running a typical
                # test module, and neither the pass-or-fail of the strength check nor the fast path
                # (which leaves every failure to a pytest run) reports it.
                sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, RewritingHook)]
            if turn.outcomes_only:
                session.config.option.tbstyle = "no"
            turn.channel.send({"t": "start"})
            if turn.fast:
                fastpath.run(
                    os.path.join(WORK, runner.TESTS_FILE), turn.channel, turn.outcomes_only
                )
            return None  # pytest goes on to collect /sandbox/work/test_solution.py
        self.worker.close()
        os._exit(0)

    def _measure_depth(self) -> int | None:
        """The recursion depth a test function has under this session (for the fast path): a
        child runs a trusted probe test through the session, exactly as a sample's tests run."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                linux.unshare(linux.CLONE_NEWNS)
                linux.mount("tmpfs", "/sandbox", "tmpfs", linux.MS_NOSUID, "size=1m")
                os.mkdir(WORK)
                os.chdir(WORK)
                with open(runner.TESTS_FILE, "w") as fh:
                    fh.write(fastpath.probe_module(w))
                quiet = os.open(os.devnull, os.O_WRONLY)
                os.dup2(quiet, 1)
            except BaseException:
                os._exit(1)
            raise BecomeRunner(runner.Channel(quiet, b"probe"))
        os.close(w)
        raw = _read_all(r, deadline=time.monotonic() + 60) or b""
        os.close(r)
        os.waitpid(pid, 0)
        return int(raw) if raw.isdigit() else None


def serve(worker: Worker, proto_in: int, proto_out: int) -> None:
    """Answer requests until told to stop or the verifier goes away."""
    while True:
        try:
            request = read_frame(proto_in)
        except EOFError:
            return
        if request.get("op") == "stop":
            return
        try:
            response = worker.run(request)
        except BecomeRunner:
            raise
        except Exception:
            response = {"error": traceback.format_exc(limit=6)}
        response["id"] = request.get("id")
        try:
            write_frame(proto_out, response)
        except BrokenPipeError:
            return


def _read_all(fd: int, deadline: float) -> bytes | None:
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def become_init(proto: tuple[int, int]) -> None:
    """Full isolation: continue as pid 1 of a new pid namespace (and in empty network and UTS
    namespaces). As pid 1 the worker ends everything a run left with one kill(-1), and nothing a
    sample starts can outlive its run. The original process only waits, and exits with it."""
    linux.unshare(linux.CLONE_NEWPID | linux.CLONE_NEWNET | linux.CLONE_NEWUTS)
    pid = os.fork()
    if pid:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in proto:  # the verifier sees the worker end when pid 1 ends, not later
            os.dup2(devnull, fd)
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    linux.mount("proc", "/proc", "proc", linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC)
    linux.sethostname("sandbox")


def _killpg(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


def main() -> None:
    # Frames travel on the original stdin/stdout; anything printed goes to stderr instead.
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    # No PR_SET_PDEATHSIG here: it fires when the *thread* that started us exits, and the verifier
    # starts workers from pool threads. A dead verifier closes our stdin instead, and we clean up.
    config = read_frame(proto_in)
    worker = Worker(config)
    try:
        worker.setup()
    except SetupError as exc:
        write_frame(proto_out, {"ready": False, "error": str(exc)})
        return
    except Exception:
        write_frame(proto_out, {"ready": False, "error": traceback.format_exc(limit=6)})
        return
    if worker.mode == "full":
        try:
            become_init((proto_in, proto_out))
        except OSError as exc:
            write_frame(proto_out, {"ready": False, "error": f"cannot isolate samples: {exc}"})
            return
    write_frame(proto_out, {"ready": True, "isolation": worker.mode})
    try:
        if worker.mode == "full":
            reporter = runner.Reporter(None)
            args = runner.pytest_args(os.path.join(WORK, runner.TESTS_FILE), WORK)
            pytest.main(
                args, plugins=[reporter, ForkServer(worker, reporter, (proto_in, proto_out))]
            )
        else:
            serve(worker, proto_in, proto_out)
    finally:
        worker.close()


if __name__ == "__main__":
    main()
