"""A warm sandbox worker (a fork server): `python -m sandbox.isolation.worker`.

The worker is trusted code that never runs a sample itself. It imports pytest and runs one throwaway
session before any sample arrives, builds a read-only skeleton root (the interpreter, the installed
libraries, a minimal /etc and /dev, nothing else of the host), and then, per sample, forks:

    worker ──fork──► supervisor A: new mount ns; a size- and inode-capped tmpfs work dir with the
                     │             sample's files; new pid, net, ipc, uts namespaces; reads the pipes,
                     │             enforces the wall clock and the output cap, checks the results
                     └─fork──► init B (pid 1 of the new pid ns, root, trusted): joins the cgroup,
                               mounts /proc, pivot_root into the skeleton, brings up lo
                               └─fork──► runner C: rlimits, drops to an unprivileged uid with no
                                         privileges left, empty environment, runs pytest on the sample

When C ends, B exits, and the kernel kills everything left in the pid namespace: daemons that
double-forked and called setsid too. The tmpfs dies with the mount namespace, so nothing a sample
writes outlives it. The cgroup is emptied and removed by the worker afterwards, as a second line.
"""

from __future__ import annotations

import gc
import json
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
        # As root the worker supervises each sample itself: it enters the sample's namespaces,
        # forks the sample's init, and returns to its own namespaces through these descriptors
        # (one fork less per run). Without root it cannot return, so a supervisor process does it.
        self.inline = not self.rootless
        self.home_ns: list[int] = []

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
            if self.inline:
                self.home_ns = [
                    os.open(f"/proc/self/ns/{name}", os.O_RDONLY | os.O_CLOEXEC)
                    for name in ("mnt", "pid", "net", "ipc", "uts")
                ]
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
        cg_fds: list[int] = []
        if self.slot is not None:
            if not self.slot.joined:  # joined late: the warm-up's pages stay charged elsewhere
                self.slot.join()
            self.slot.arm(limits["memory_mb"], limits["processes"])
            cg = self.slot
        elif self.cgroups is not None:
            cg = self.cgroups.create(limits["memory_mb"], limits["processes"])
            cg_fds = cg.procs_fds()
        if self.inline:
            return self._run_inline(request, cg, cg_fds)
        report_r, report_w = os.pipe()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(report_r)
                linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
                data, code = json.dumps(self._supervise(request, cg_fds)).encode(), 0
            except BecomeRunner:
                raise
            except BaseException:
                data, code = json.dumps({"error": traceback.format_exc(limit=8)}).encode(), 1
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(report_w, view) :]
            finally:
                os._exit(code)
        os.close(report_w)
        for fd in cg_fds:
            os.close(fd)
        raw = self._read_all(report_r, deadline=started + limits["timeout_s"] + 30)
        os.close(report_r)
        if raw is None:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        stats = self._cgroup_done(cg)
        if raw is None:
            return {"error": "the sandbox supervisor did not answer in time"}
        try:
            result = json.loads(raw)
        except ValueError:
            return {"error": "the sandbox supervisor ended without a report"}
        return self._finish(result, stats)

    def _cgroup_done(self, cg: SampleCgroup | None) -> CgroupStats | None:
        if cg is None:
            return None
        stats = cg.stats()
        if cg is not self.slot:
            cg.destroy()
        return stats

    def _finish(self, result: dict[str, Any], stats: CgroupStats | None) -> dict[str, Any]:
        if stats is not None and "error" not in result:
            result["oom_kills"] = stats.oom_kills
            peak = stats.peak_mb
            if peak is None:  # a kernel that cannot reset the cgroup's peak: the runner's own
                peak = round(result.get("runner", {}).get("maxrss_kb", 0) / 1024, 1) or None
            result["peak_mb"] = peak
        result["isolation"] = self.mode
        return result

    def _run_inline(
        self, request: dict[str, Any], cg: SampleCgroup | None, cg_fds: list[int]
    ) -> dict[str, Any]:
        try:
            result = self._supervise(request, cg_fds)
        except Exception:
            result = {"error": traceback.format_exc(limit=8)}
        finally:
            for fd in cg_fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
        return self._finish(result, self._cgroup_done(cg))

    def _go_home(self) -> None:
        """Back to the worker's own namespaces after starting a sample (inline mode)."""
        for fd in self.home_ns:
            linux.setns(fd, 0)
        if self.home_ns:
            os.chdir(WORK)

    @staticmethod
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

    def _supervise(self, request: dict[str, Any], cg_fds: list[int]) -> dict[str, Any]:
        """The supervisor (the worker itself as root, else a process A): prepare the sample's
        namespaces and files, start its init, watch each run, judge the streams.

        In full mode one sandbox instance serves up to four runs, each a fresh runner on a fresh
        tmpfs after everything of the run before is dead. A phase is the sample's run, then, if it
        passed cleanly, the request's `then` (the strength check's stubbed solution). With `fast`,
        each phase first runs on the fast path (`sandbox/fastpath.py`); when that is undecided,
        the phase runs again under pytest. Run `2 * phase + 1` is a phase under pytest."""
        limits = request["limits"]
        phases = [request]
        fast = self.mode == "full" and self.session_ready and bool(request.get("fast"))
        if self.mode == "full" and request.get("then"):
            phases.append({**request, **request["then"]})
        try:
            if self.mode == "full":
                linux.unshare(linux.CLONE_NEWNS)
            sandbox_dir = self._prepare_sandbox(request["files"], limits)
            if self.mode == "full":
                inner_workdir = WORK
                linux.unshare(
                    linux.CLONE_NEWPID
                    | linux.CLONE_NEWNET
                    | linux.CLONE_NEWIPC
                    | linux.CLONE_NEWUTS
                )
            else:
                inner_workdir = os.path.join(sandbox_dir, "work")
            key = os.urandom(32)
            # Per run: result, stdout, stderr.
            streams = [(os.pipe(), os.pipe(), os.pipe()) for _ in range(2 * len(phases))]
            status_r, status_w = os.pipe()
            go_r, go_w = os.pipe()
            ctl_r, ctl_w = os.pipe()
            init_pid = os.fork()
        except BaseException:
            if self.inline:
                self._go_home()
            raise
        first = 0 if fast else 1
        if init_pid == 0:
            readers = [pipe[0] for run in streams for pipe in run]
            for fd in (*readers, status_r, go_w, ctl_w, *cg_fds, *self.home_ns):
                os.close(fd)
            writers = [(res[1], out[1], err[1]) for res, out, err in streams]
            runs = [{**phase, "fast": not pytest} for phase in phases for pytest in (0, 1)]
            self._init(go_r, ctl_r, status_w, writers, key, limits, inner_workdir, runs, first)
        if self.inline:
            self._go_home()
        for fd in (*(pipe[1] for run in streams for pipe in run), status_w, go_r, ctl_r):
            os.close(fd)
        for fd in cg_fds:
            os.write(fd, str(init_pid).encode())
            os.close(fd)
        os.write(go_w, b"g")
        os.close(go_w)

        status = _StatusReader(status_r)
        results: list[dict[str, Any]] = []
        watched: set[int] = set()
        number = first
        fast_failed = False
        try:
            while True:
                res, out, err = streams[number]
                watched.add(number)
                result = self._watch(number, res[0], out[0], err[0], status, key, limits)
                if result.pop("stopped"):  # timed out or over a cap: end the whole sample
                    results.append(result)
                    os.kill(init_pid, signal.SIGKILL)
                    if self.mode == "weak" and result["runner_pid"]:
                        _killpg(result["runner_pid"])
                    break
                phase, under_pytest = divmod(number, 2)
                undecided = next((m for m in result["messages"] if m.get("t") == "undecided"), None)
                if undecided is not None and not under_pytest and not result["channel_problem"]:
                    fast_failed = bool(undecided.get("failed"))
                    number += 1  # the same phase again, under pytest
                else:
                    if fast_failed and phase == 0:
                        result["fast_failed"] = True
                    results.append(result)
                    clean = not result["channel_problem"] and runner.clean_pass(
                        result["messages"], result["runner"].get("status")
                    )
                    if phase + 1 == len(phases) or not clean:
                        break
                    number = 2 * (phase + 1) + (0 if fast else 1)
                os.write(ctl_w, bytes([number]))
        except BaseException:
            os.kill(init_pid, signal.SIGKILL)
            raise
        finally:
            os.close(ctl_w)
            _, init_status = os.waitpid(init_pid, 0)
            status.close()
            for index, run in enumerate(streams):
                if index not in watched:
                    for pipe in run:
                        os.close(pipe[0])
            if self.mode == "weak":
                shutil.rmtree(sandbox_dir, ignore_errors=True)
        for result in results:
            result["init_status"] = init_status
        if len(results) > 1:
            results[0]["next"] = results[1]
        return results[0]

    def _watch(
        self,
        number: int,
        res_r: int,
        out_r: int,
        err_r: int,
        status: _StatusReader,
        key: bytes,
        limits: dict[str, Any],
    ) -> dict[str, Any]:
        """Read one phase's streams until its runner and everything it started are gone."""
        streams = {out_r: bytearray(), err_r: bytearray(), res_r: bytearray()}
        totals = {out_r: 0, err_r: 0, res_r: 0}
        open_fds = {out_r, err_r, res_r}
        started = time.monotonic()
        deadline = started + limits["timeout_s"]
        timed_out = output_exceeded = channel_exceeded = False
        while open_fds or not status.finished(number):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            watched = list(open_fds) if status.closed else [*open_fds, status.fd]
            if not watched:
                break  # the init died before it reported: judged from what arrived
            ready, _, _ = select.select(watched, [], [], remaining)
            for fd in ready:
                if fd == status.fd:
                    status.read()
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
        duration = time.monotonic() - started
        for fd in (out_r, err_r, res_r):
            os.close(fd)
        messages, problem = runner.read_channel(bytes(streams[res_r]), key)
        if channel_exceeded:
            problem = "the result channel carried more than the runner ever writes"
        report = status.report(number)
        return {
            "stopped": timed_out or output_exceeded or channel_exceeded,
            "runner_pid": status.pid(number),
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

    def _init(
        self,
        go_r: int,
        ctl_r: int,
        status_w: int,
        run_fds: list[tuple[int, int, int]],
        key: bytes,
        limits: dict[str, Any],
        workdir: str,
        runs: list[dict[str, Any]],
        number: int,
    ) -> None:
        """Process B: pid 1 of the sample's pid namespace. Starts run `number`, then whichever run
        the supervisor names next, and reports on each; between runs it kills every process left,
        and gives the next run a fresh tmpfs and a fresh IPC namespace. Never returns."""
        try:
            os.read(go_r, 1)  # wait until A has put us in the cgroup
            os.close(go_r)
            if self.mode == "full":
                flags = linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC
                linux.mount("proc", "/proc", "proc", flags)
                os.chdir("/")
                linux.sethostname("sandbox")
                linux.loopback_up()
                try:
                    with open("/proc/self/oom_score_adj", "w") as fh:
                        fh.write("-1000")
                except OSError:
                    pass
            # The sample dies with its supervisor.
            linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
            while True:
                fds = run_fds[number]
                runner_pid = os.fork()
                if runner_pid == 0:
                    for fd in (status_w, ctl_r):
                        os.close(fd)
                    self._runner(fds, key, limits, workdir, runs[number])
                _write_line(status_w, {"run": number, "pid": runner_pid})
                for fd in fds:
                    os.close(fd)
                report = self._reap(runner_pid)
                _write_line(status_w, {"run": number, **report})
                command = os.read(ctl_r, 1)
                if not command or command[0] >= len(runs) or command[0] <= number:
                    break
                number = command[0]
                self._next_sandbox(runs[number]["files"], limits)
            os._exit(0)
        except BecomeRunner:
            raise
        except BaseException:
            traceback.print_exc()
            os._exit(71)

    def _reap(self, runner_pid: int) -> dict[str, Any]:
        """Wait for the runner, then end everything else it left (B is pid 1: kill(-1) reaches all
        of the namespace but itself)."""
        report: dict[str, Any] = {}
        while not report:
            pid, status, usage = os.wait4(-1, 0)
            if pid == runner_pid:
                report = {
                    "status": status,
                    "maxrss_kb": usage.ru_maxrss,
                    "cpu_s": round(usage.ru_utime + usage.ru_stime, 4),
                }
        if self.mode == "weak":
            _killpg(runner_pid)
            return report
        while True:
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                return report
            try:
                while True:
                    os.wait()
            except ChildProcessError:
                pass

    def _next_sandbox(self, files: dict[str, str], limits: dict[str, Any]) -> None:
        """Between phases (process B, full mode): drop the last phase's tmpfs and IPC objects."""
        for target in ("/dev/shm", "/tmp", "/sandbox"):
            linux.umount2(target, linux.MNT_DETACH)
        linux.unshare(linux.CLONE_NEWIPC)
        self._prepare_sandbox(files, limits)

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
        raw = self.worker._read_all(r, deadline=time.monotonic() + 60) or b""
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


class _StatusReader:
    """The init's reports, one JSON line each: a run's runner pid, then how that runner ended."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.closed = False
        self.buffer = b""
        self.lines: list[dict[str, Any]] = []

    def read(self) -> None:
        chunk = os.read(self.fd, 65536)
        if not chunk:
            self.closed = True
            return
        self.buffer += chunk
        *complete, self.buffer = self.buffer.split(b"\n")
        for line in complete:
            try:
                self.lines.append(json.loads(line))
            except ValueError:
                pass

    def _find(self, number: int, field: str) -> dict[str, Any] | None:
        return next((m for m in self.lines if m.get("run") == number and field in m), None)

    def finished(self, number: int) -> bool:
        return self.closed or self._find(number, "status") is not None

    def pid(self, number: int) -> int | None:
        found = self._find(number, "pid")
        return found["pid"] if found else None

    def report(self, number: int) -> dict[str, Any]:
        found = self._find(number, "status")
        return {k: v for k, v in found.items() if k != "run"} if found else {}

    def close(self) -> None:
        os.close(self.fd)


def _write_line(fd: int, message: dict[str, Any]) -> None:
    data = json.dumps(message).encode() + b"\n"
    while data:
        data = data[os.write(fd, data) :]


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
