"""A warm sandbox worker (a fork server): `python -m sandbox.isolation.worker`.

The worker is trusted code that never runs a sample itself. It imports pytest and runs one throwaway
session before any sample arrives, builds a read-only skeleton root (the interpreter, the installed
libraries, a minimal /etc and /dev, nothing else of the host), pivots into it, and continues as pid 1
of its own pid namespace (in empty network and UTS namespaces), inside its own cgroup, with a pytest
session configured for the paths samples see and parked at collection. Per run it forks:

    worker (pid 1, root): a fresh network namespace (loopback only) per sample
      └─fork──► runner: its own mount namespace with a fresh size- and inode-capped tmpfs
                        holding the run's files (also /tmp and /dev/shm), its own IPC namespace;
                        rlimits, an unprivileged uid with no privileges left, an empty
                        environment; then back into the parked session, which collects and runs
                        the sample's tests (or the fast path does)

When the runner ends, times out or floods its output, the worker's kill(-1, SIGKILL) ends every
other process of its pid namespace, daemons that double-forked and called setsid too, and reaps
them; the tmpfs and the IPC objects go with the last process of their namespaces. A sample's runs
(the fast path, pytest, the strength check) are separate runners, one after the other, except that
a fast-path run that passes goes on to the strength check itself (`fastpath.run`).
"""

from __future__ import annotations

import gc
import os
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
)
from sandbox.isolation.protocol import read_frame, write_frame
from sandbox.isolation.runs import BecomeRunner, Runs
from sandbox.isolation.skeleton import (
    SANDBOX_USER,
    WORK,
    SetupError,
    build_skeleton,
    enter_namespaces,
    interpreter_paths,
    mountpoint,
)


class Worker(Runs):
    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config["isolation"])
        self.cgroup_name = config["cgroup_name"]
        self.network_clean = b""  # the fingerprint of a fresh network namespace (linux.py)

    # Start-up -----------------------------------------------------------------------------------
    def setup(self, proto: tuple[int, int]) -> None:
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
            root = mountpoint()
            enter_namespaces(self.rootless)
            become_init(proto)
            build_skeleton(self.inner_uid if self.rootless else self.uid, root)
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

    def become_fork_server(self) -> None:
        """Full mode, before the first sample: the state every runner inherits from the worker.
        A fresh IPC namespace (the worker moves to another after each run); no_new_privs, for good
        (the worker never executes a program); whether the uid change alone clears a runner's
        capabilities (root, with no inheritable or ambient ones); whether forks may skip Python's
        fork hooks (no other thread)."""
        linux.unshare(linux.CLONE_NEWIPC)
        linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
        caps = linux.capabilities()
        self.setuid_clears_caps = (
            not self.rootless and caps.get("CapInh", 1) == 0 and caps.get("CapAmb", 1) == 0
        )
        self.fork_server = linux.is_single_threaded()

    def _cgroup_done(self, cg: SampleCgroup | None) -> CgroupStats | None:
        if cg is None:
            return None
        stats = cg.stats()
        if cg is not self.slot:
            cg.destroy()
        return stats

    def _runs(self, request: dict[str, Any], cg: SampleCgroup | None) -> dict[str, Any]:
        """A sample's runs (`runner.run_phases`): the fast path and the strength check's run in
        the same worker need full isolation (a fresh tmpfs per run)."""
        if self.mode != "full":
            request = {k: v for k, v in request.items() if k != "then"}
        fast = (
            self.mode == "full"
            and self.session_ready
            and bool(request.get("fast"))
            and fastpath.offset is not None
        )
        if self.mode == "full" and linux.network_fingerprint() != self.network_clean:
            # A fresh network namespace (loopback only) for the sample: the worker moves into it,
            # and runners forked from now on start in it. The previous sample's is kept only if
            # it left no trace there: its runs are all gone, so a socket that never carried a
            # packet has gone with them, and its counters and socket table are as they started.
            linux.unshare(linux.CLONE_NEWNET)
            linux.loopback_up()
            self.network_clean = linux.network_fingerprint()

        def run_one(spec: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
            result = self._run_one(spec, request["limits"], cg)
            return result, None if result["channel_problem"] else result["messages"]

        return runner.run_phases(request, run_one, fast)

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
            fastpath.calibrate(self._measure_depth())
            # What every runner would otherwise do for itself, done once: runners inherit it.
            runner.settle_state(WORK, "/tmp", SANDBOX_USER)
            fastpath.prepare()
            self.worker.become_fork_server()
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
                    os.path.join(WORK, runner.TESTS_FILE),
                    turn.channel,
                    turn.outcomes_only,
                    turn.chain,
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
                quiet = fastpath.enter_probe(WORK, w)
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
    try:
        linux.unshare(linux.CLONE_NEWPID | linux.CLONE_NEWNET | linux.CLONE_NEWUTS)
    except OSError as exc:
        raise SetupError(
            f"cannot isolate samples: {exc}. Fix: run assay as root or with user namespaces "
            "enabled; or --isolation weak"
        ) from exc
    pid = os.fork()
    if pid:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in proto:  # the verifier sees the worker end when pid 1 ends, not later
            os.dup2(devnull, fd)
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    linux.sethostname("sandbox")


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
        worker.setup((proto_in, proto_out))
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
