"""A warm sandbox worker of the process backend, one per job slot (`process.py` starts it: its
`main`). Workers started together share one interpreter's start-up: the process loads this module
and its imports, then forks a process of its own (not its child) for each further slot.

The worker is trusted code that never runs a sample itself. With full isolation it is two fork
servers (`forkserver.ForkServer` in a `boxes.NamespaceBox`), each pid 1 of its own pid namespace,
in the worker's network and UTS namespaces and its cgroup, each with its own read-only skeleton
root (the interpreter, the installed libraries, a minimal /etc and /dev, nothing else of the host):

    starter ──┬─► front (pid 1): serves the verifier; runs Python's fast path and every program
              │                  step (a compiler, node, a test binary) itself
              ├─► waiter ──► pytest server (pid 1, `pytest_server.py`): pytest imported, a
              │              session parked at collection; runs the Python runs that need pytest
              └─► zygote waiters ─exec─► PHP's and node's zygotes (as root; `zygote.py`): fork
                             the front's PHP and JavaScript runs, born in the front's pid namespace

The front never imports pytest: a runner is a fork, and a fork and its exit cost by the page, so
the fast path (`languages/python/box/fastpath.py`), which runs most Python samples, forks from the smallest
interpreter that can run it. The waiter starts the pytest server when the front first needs it.
The starter waits; when either server ends it ends the other and removes the worker's cgroups.
With weak isolation the worker is one fork server in a `boxes.HostBox`.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import traceback
from typing import Any

from sandbox.isolation import linux, pytest_server, runner_setup, steps, zygote
from sandbox.isolation.boxes import HostBox, NamespaceBox, build_skeleton
from sandbox.isolation.cgroups import CgroupError, Cgroups, CgroupStats
from sandbox.isolation.forkserver import ForkServer
from sandbox.isolation.protocol import let_go, read_frame, write_frame
from sandbox.isolation.skeleton import (
    WORK,
    SetupError,
    enter_namespaces,
    interpreter_paths,
    mountpoint,
)
from sandbox.languages.javascript import zygote as node_zygote
from sandbox.languages.php import zygote as php_zygote
from sandbox.languages.python import phases
from sandbox.languages.python.box import depth, fastreset
from sandbox.requests import RunRequest, RunResult

# Modules generated code often imports, small enough to load in the front for every runner. Not
# `random`: loaded, it would be reseeded in every runner (`linux.fork_single_threaded`); a sample
# that imports it gets a fresh seed anyway.
PRELOAD = ("bisect", "collections", "copy", "functools", "heapq", "itertools", "math",
           "re", "string", "typing")  # fmt: skip
ZYGOTES = (php_zygote.SPEC, node_zygote.SPEC)
STEPS = "steps"  # a request whose steps execute programs (`sandbox.requests.RunRequest`)


class Worker(ForkServer):
    def __init__(self, config: dict[str, Any]) -> None:
        self.mode = config["isolation"]
        box = NamespaceBox() if self.mode == "full" else HostBox("", memory_rlimit=False)
        super().__init__(box)
        self.cgroup_name = config["cgroup_name"]
        self.box_cache = config.get("box_cache")
        self.pytest_server: pytest_server.PytestClient | None = None
        self.starter = os.getpid()  # the worker's process as the verifier sees it
        # The front: where the starter says it moved it into its slot's cgroup (`_join_slot`).
        self.moved: int | None = None

    # Start-up -----------------------------------------------------------------------------------
    def setup(self, proto: tuple[int, int]) -> None:
        """Returns in the process that serves the verifier: the front, in full mode."""
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
        if self.mode == "full":
            if self.cgroups is not None:
                self.slot = self.cgroups.slot()
            self.box.under_tmp = [p for p in interpreter_paths() if p.startswith("/tmp/")]
            root = mountpoint()
            enter_namespaces(self.box.rootless)
            self._start_servers(proto, root)
            build_skeleton(self.box, root, self.box_cache)
            self.role = "fast"
            runner_setup.settle_state(WORK, "/tmp", "sandbox")
            depth.install()
            fastreset.prepare(WORK)
            self.box.become_server()
            self.single_threaded = linux.is_single_threaded()
            gc.collect()
            gc.freeze()
        else:
            self._setup_weak()

    def _setup_weak(self) -> None:
        import shutil
        import tempfile

        from sandbox.languages.python.box.session import warm_up

        tmp = tempfile.mkdtemp(prefix="assay-warm-")
        try:
            warm_up(tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        base = tempfile.mkdtemp(prefix="assay-weak-")
        self.box = HostBox(base, memory_rlimit=self.cgroups is None)
        if not self.box.rootless:
            os.chmod(base, 0o755)
        self.box.reach_paths()
        gc.collect()
        gc.freeze()

    def _start_servers(self, proto: tuple[int, int], root: str) -> None:
        """Fork the two servers, each pid 1 of a new pid namespace, and return in the front. This
        process, the starter, stays behind (`_wait_for_servers`)."""
        try:
            linux.unshare(linux.CLONE_NEWNET | linux.CLONE_NEWUTS)
            linux.sethostname("sandbox")
        except OSError as exc:
            raise _refused(exc) from exc
        waiter, pytest_client = pytest_server.fork_waiter(self, proto, root)
        if not self.box.rootless:  # a zygote needs root to give each runner its uid
            for spec in ZYGOTES:
                self.zygotes[spec.name] = zygote.fork_waiter(spec, self.box.uid, self.box.gid)
        try:
            linux.unshare(linux.CLONE_NEWNS | linux.CLONE_NEWPID)  # the front's own mounts
        except OSError as exc:
            raise _refused(exc) from exc
        moved_r, moved_w = os.pipe()  # starter -> front: the front is in its slot's cgroup
        front = os.fork()
        if front == 0:
            linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
            os.close(moved_w)
            self.moved = moved_r
            self.pytest_server = pytest_client
            return
        os.close(moved_r)
        # The starter keeps the pipe to the verifier (it never writes to it) until it has cleaned
        # up: the verifier sees the worker end when all of it has ended.
        let_go(proto[:1], *pytest_client.pipes)
        # The front into its slot's cgroup, from here, while the front sets itself up: a move
        # waits for an RCU grace period or two (~10 ms), which its first run would wait for else.
        try:
            if self.slot is not None:
                self.slot.join(front)
                os.write(moved_w, b"1")
        except OSError:
            pass  # the front joins it itself
        os.close(moved_w)
        waiters = tuple(end.waiter for end in self.zygotes.values())
        for end in self.zygotes.values():
            try:
                if self.slot is not None:
                    self.slot.join(end.waiter)  # the zygote's runners are born in the slot
                joined = True
            except OSError:
                joined = False  # no zygote: the front sees it end, and starts afresh
            end.tell_front(front if joined else 0)
            end.forget()
        self.zygotes = {}
        self._wait_for_servers(front, waiter, waiters)

    def _wait_for_servers(self, front: int, waiter: int, zygotes: tuple[int, ...]) -> None:
        """The starter: when either server ends, end the other and the zygotes (whose own end
        the front notices); then remove the cgroups."""
        while True:
            pid, status = os.wait()
            if pid in (front, waiter):
                break
        for other in (waiter if pid == front else front, *zygotes):
            if other and other != pid:
                try:
                    os.kill(other, signal.SIGKILL)
                    os.waitpid(other, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
        if self.slot is not None:
            self.slot.destroy()  # waits until the servers' last runners are gone
        self.close()
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF if pid == front else 70)

    def ready(self) -> dict[str, Any]:
        """The frame that tells the verifier this worker is ready, and its process."""
        return {"ready": True, "isolation": self.mode, "pid": self.starter}

    def _join_slot(self) -> None:
        """Before the front's first run: in its slot's cgroup, moved there by the starter (once
        it says so) or by itself."""
        moved = self.moved is not None and os.read(self.moved, 1) == b"1"
        if self.moved is not None:
            os.close(self.moved)
            self.moved = None
        if moved:
            self.slot.joined = True
            self.slot.exempt_from_oom()
        else:
            self.slot.join()

    # One sample ---------------------------------------------------------------------------------
    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("op") == STEPS:
            return self.run_steps(request["request"])
        limits = request["limits"]
        cg = self._sample_cgroup(limits["memory_mb"], limits["processes"])
        try:
            result = self._python(request, cg)
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

    def run_steps(self, wire: dict[str, Any]) -> dict[str, Any]:
        """A request whose steps execute programs (`steps.py`)."""
        request = RunRequest.from_wire(wire)
        limits = request.limits
        cg = self._sample_cgroup(limits.memory_mb, limits.processes)
        try:
            if self.mode == "full":
                self.box.fresh_network()
            result = steps.run_request(self, request, cg)
        except Exception:
            result = RunResult(error=traceback.format_exc(limit=8), isolation=self.mode)
        stats = self._cgroup_done(cg)
        if stats is not None and result.error is None:
            peak = stats.peak_mb
            if peak is None:  # a kernel that cannot reset the cgroup's peak: the runners' own
                rss = max((s.maxrss_kb for p in result.phases for s in p.steps), default=0)
                peak = round(rss / 1024, 1) or None
            result = result._replace(oom_kills=stats.oom_kills, peak_mb=peak)
        return {"result": result.to_wire()}

    def _sample_cgroup(self, memory_mb: int, processes: int) -> Any:
        """The cgroup a sample's runs go in: the worker's slot, armed with the sample's limits
        (full isolation), or one made for the sample (weak, where cgroups are usable)."""
        if self.slot is not None:
            if not self.slot.joined:
                self._join_slot()
            self.slot.arm(memory_mb, processes)
            return self.slot
        if self.cgroups is not None:
            return self.cgroups.create(memory_mb, processes)
        return None

    def _cgroup_done(self, cg: Any) -> CgroupStats | None:
        if cg is None:
            return None
        stats = cg.stats()
        if cg is not self.slot:
            cg.destroy()
        return stats

    def _python(self, request: dict[str, Any], cg: Any) -> dict[str, Any]:
        """A Python sample's runs (`phases.run_phases`): the front runs the fast path; runs under
        pytest go to the pytest server. A sample that names pytest runs there entirely: importing
        pytest in a runner of the front would cost more than the fork saves (where, not how: the
        fast path decides the same in either server)."""
        if self.mode != "full":
            request = {k: v for k, v in request.items() if k != "then"}
        full = self.mode == "full"
        fast = full and bool(request.get("fast"))
        files = [request["files"], request.get("then", {}).get("files", {})]
        with_pytest = full and any("pytest" in text for f in files for text in f.values())
        if full:
            self.box.fresh_network()

        def run_one(spec: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
            if full and (with_pytest or not spec.get("fast")):
                result = self.pytest_server.run(spec, request["limits"])
            else:
                result = self.run_python(spec, request["limits"], cg)
            return result, None if result["channel_problem"] else result["messages"]

        return phases.run_phases(request, run_one, fast)

    def close(self) -> None:
        if self.slot is not None:
            if self.slot.joined:
                self.slot.leave()
            self.slot = None
        if self.cgroups is not None:
            self.cgroups.destroy()
            self.cgroups = None
        if isinstance(self.box, HostBox) and self.box.base:
            import shutil

            shutil.rmtree(self.box.base, ignore_errors=True)


def _refused(exc: OSError) -> SetupError:
    return SetupError(
        f"cannot isolate samples: {exc}. Fix: run assay as root or with user namespaces "
        "enabled; or --isolation weak"
    )


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
        except Exception:
            response = {"error": traceback.format_exc(limit=6)}
        try:
            write_frame(proto_out, response)
        except BrokenPipeError:
            return


def main() -> None:
    # Frames travel on the original stdin/stdout; anything printed goes to stderr instead.
    proto = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.close(devnull)
    # Other slots started with this one (`process.ProcessBackend.spawn`), each on a pair of
    # descriptors named on the command line: a process of their own, forked now that the
    # interpreter is up and the worker's modules are loaded.
    others = [tuple(int(fd) for fd in arg.split(",")) for arg in sys.argv[1:]]
    for name in PRELOAD:  # imports a sample is likely to make cost a runner no pages then
        __import__(name)
    for i, pair in enumerate(others):
        if _fork_apart():
            for fd in (*proto, *(fd for j, p in enumerate(others) if j != i for fd in p)):
                os.close(fd)
            proto = pair
            break
    else:
        for fd in (fd for pair in others for fd in pair):
            os.close(fd)
    _serve_slot(*proto)


def _fork_apart() -> bool:
    """fork(2) twice: True in a new process that is not this one's child (this one waits for its
    own servers only, `_wait_for_servers`), False here. Its parent is gone at once."""
    child = os.fork()
    if child == 0:
        if os.fork() != 0:
            os._exit(0)
        return True
    os.waitpid(child, 0)
    return False


def _serve_slot(proto_in: int, proto_out: int) -> None:
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
    try:
        write_frame(proto_out, worker.ready())
        serve(worker, proto_in, proto_out)
    finally:
        if worker.mode != "full":
            worker.close()
    if worker.mode == "full":
        os._exit(0)  # the front: the starter removes the cgroups once both servers are gone


if __name__ == "__main__":
    main()
