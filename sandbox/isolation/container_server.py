"""The trusted server inside each sandbox container: pid 1, and a fork server for one sample at a time.

`docker.py` sends this file over the container's stdin when the container starts, with the test
runner (`sandbox/runner.py`), so the image holds no assay code that could go stale. It runs on the
image's python3 with the standard library only.

The sample runs with the server's uid, so the server relies on two kernel rules instead of a
uid boundary: signals from inside a pid namespace reach its pid 1 only for the signals it handles
(none, here), and a process that is not dumpable cannot be ptraced, nor its memory or descriptors
read through /proc, by an unprivileged process of the same uid. Per sample:

    server (pid 1) ──fork──► runner: a fresh /sandbox/work, rlimits, first in line for the OOM
                             killer, an empty environment, pytest in-process (warm)
    when the runner ends, times out or floods: kill(-1, SIGKILL) ends every process but pid 1
    (double-forked daemons included), then the work dir, /tmp, /dev/shm and /dev/mqueue are wiped
    and the sample's SysV IPC objects removed.

A sample's runs (the fast path, pytest, the strength check: `runner.run_phases`) follow one another
this way, except that a fast-path run that passes goes on to the strength check itself. What a wipe cannot undo (anything it failed to remove, the container's OOM or process-limit
counters moving, a timeout) is reported as `dirty`, and the host replaces the container after the
sample; a wipe that failed also ends the sample's runs in this container.

Frames on stdin/stdout: a 4-byte big-endian length, then JSON.
"""

from __future__ import annotations

import base64
import ctypes
import gc
import inspect
import json
import os
import resource
import select
import signal
import stat
import struct
import sys
import time
import traceback
import types

import pytest

SANDBOX = "/sandbox"  # a size-capped tmpfs; /tmp is a symlink to /sandbox/tmp in the image
WORK = "/sandbox/work"  # the sample's directory, the same path as in the process backend
TMP = "/sandbox/tmp"
SCRATCH = ("/dev/shm", "/dev/mqueue")  # other places a sample can write to
PR_SET_DUMPABLE = 4
USER = "sandbox"

runner: types.ModuleType | None = None  # the test runner module, sent by the host
streams: types.ModuleType | None = None  # the stream watcher, sent by the host
fastpath: types.ModuleType | None = None  # the fast path, sent by the host
session_ready = False  # a warm pytest session waits at collection


# Frames -----------------------------------------------------------------------------------------
def _read_exact(size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(0, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame() -> dict:
    (size,) = struct.unpack(">I", _read_exact(4))
    return json.loads(_read_exact(size))


def write_frame(message: dict) -> None:
    body = json.dumps(message).encode()
    view = memoryview(struct.pack(">I", len(body)) + body)
    while view:
        view = view[os.write(1, view) :]


# Kernel helpers ---------------------------------------------------------------------------------
def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl({option}): {os.strerror(errno)}")


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


def oom_kills() -> int | None:
    return _counter(
        ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"), "oom_kill"
    )


def pids_max_hits() -> int | None:
    return _counter(("/sys/fs/cgroup/pids.events", "/sys/fs/cgroup/pids/pids.events"), "max")


def end_all(runner_pid: int) -> tuple[int | None, object | None]:
    """Kill every process but ourselves and reap them all; the runner's status if reaped here.

    kill(-1) walks the task list under the lock that fork takes, and a fork with SIGKILL pending
    fails, so nothing started before the call survives it; the loop is a second line."""
    status = usage = None
    for _ in range(100):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        reaped = False
        while True:
            try:
                pid, st, ru = os.wait4(-1, 0)
            except ChildProcessError:
                break
            reaped = True
            if pid == runner_pid:
                status, usage = st, ru
        if not reaped and not _others_alive():
            break
    return status, usage


def _others_alive() -> bool:
    return any(name.isdigit() and name != "1" for name in os.listdir("/proc"))


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


# One sample -------------------------------------------------------------------------------------
def _prepare(files: dict[str, str]) -> None:
    os.mkdir(WORK, 0o755)
    os.mkdir(TMP, 0o1777)
    os.chmod(TMP, 0o1777)
    for name, text in files.items():
        if os.path.basename(name) != name or name in ("", ".", ".."):
            raise ValueError(f"bad file name {name!r}")
        with open(os.path.join(WORK, name), "w", encoding="utf-8", errors="surrogatepass") as fh:
            fh.write(text)


def run_sample(request: dict) -> dict:
    """One sample's runs, each a fresh runner on a wiped work dir (`runner.run_phases`: the fast
    path, pytest, the strength check). What made any run dirty is the sample's."""
    key = bytes.fromhex(request["key"])
    fast = bool(request.get("fast")) and fastpath is not None and fastpath.offset is not None
    dirty: list[str] = []

    def run_one(spec: dict) -> tuple[dict, object]:
        result = _run_phase(spec, key)
        if result["dirty"]:
            dirty.append(result["dirty"])
        result["stopped"] = (
            result["timed_out"] or result["output_exceeded"] or result["channel_exceeded"]
        )
        result["final"] = not result.pop("reusable")  # a wipe failed: no more runs in here
        messages, problem = runner.read_channel(base64.b64decode(result["channel"]), key)
        return result, None if problem or result["channel_exceeded"] else messages

    result = runner.run_phases(request, run_one, fast)
    result["dirty"] = "; ".join(dirty)
    return result


def _run_phase(request: dict, key: bytes) -> dict:
    limits = request["limits"]
    dirty = wipe()
    _prepare(request["files"])
    oom_before, pids_before = oom_kills(), pids_max_hits()
    res_r, res_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        for fd in (res_r, out_r, err_r):
            os.close(fd)
        _runner((res_w, out_w, err_w), key, limits, request)
    for fd in (res_w, out_w, err_w):
        os.close(fd)
    # Reads the streams under their caps; when the runner ends, times out or floods,
    # end_all ends every other process, as the process backend's worker does.
    result = streams.watch(pid, res_r, out_r, err_r, limits, lambda: end_all(pid))
    oom_after, pids_after = oom_kills(), pids_max_hits()
    oom = None if oom_before is None or oom_after is None else oom_after - oom_before
    if result["timed_out"]:
        dirty.append("timed out")
    if result["output_exceeded"] or result["channel_exceeded"]:
        dirty.append("flooded its output")
    if oom:
        dirty.append("hit the memory limit")
    if pids_before is not None and pids_after is not None and pids_after > pids_before:
        dirty.append("hit the process limit")
    problems = wipe()
    if _others_alive():
        problems.append("processes survived the sample")
    dirty += problems
    return {
        **result,
        "reusable": not problems,  # another run of the sample may follow in this container
        "channel": base64.b64encode(result["channel"]).decode(),
        "init_status": 0,
        "oom_kills": oom,
        "dirty": "; ".join(dirty),
    }


class BecomeRunner(BaseException):  # noqa: N818 - a control-flow signal, not an error
    """Raised in the forked runner to unwind, through the server's frames, back into the warm
    pytest session waiting at collection, which then collects and runs the sample's tests."""

    def __init__(self, channel: object, request: dict | None = None) -> None:
        request = request or {}
        self.channel = channel
        self.outcomes_only = bool(request.get("outcomes_only"))
        self.fast = bool(request.get("fast"))
        self.chain = request.get("chain")  # the next phase's files (fastpath.run)


def _runner(fds: tuple[int, int, int], key: bytes, limits: dict, request: dict) -> None:
    """The forked child that becomes the sample. Never returns, except by BecomeRunner."""
    try:
        runner.attach_streams(*fds)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _prctl(PR_SET_DUMPABLE, 1)  # its own /proc entries are its own; the server stays hidden
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")  # the OOM killer takes the sample, never the server
        for which, value in runner.sample_rlimits(limits):
            resource.setrlimit(which, value)
        runner.settle_in(WORK, "/tmp", USER)
        channel = runner.Channel(runner.RESULT_FD, key)
        if session_ready and request["test_file"] == getattr(runner, "TESTS_FILE", None):
            raise BecomeRunner(channel, request)
        runner.run_pytest(os.path.join(WORK, request["test_file"]), WORK, channel)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    except BecomeRunner:
        raise
    except BaseException:
        try:
            traceback.print_exc()
            sys.stderr.flush()
        finally:
            os._exit(70)


# Start-up ---------------------------------------------------------------------------------------
def _load(name: str, source: str) -> types.ModuleType:
    """A module sent by the host, importable as `sandbox.<name>` (the fast path and its probe
    import the runner and the fast path under those names)."""
    if "sandbox" not in sys.modules:
        package = types.ModuleType("sandbox")
        package.__path__ = []
        sys.modules["sandbox"] = package
    module = types.ModuleType(f"sandbox.{name}")
    module.__file__ = f"/assay/{name}.py"
    sys.modules[module.__name__] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    setattr(sys.modules["sandbox"], name, module)
    return module


def _pytest_compat() -> None:
    """pytest before 8 (Debian bookworm has 7.2) defines --verbose in its terminal plugin, which
    the runner turns off, and its assertion messages read that option: define it beside the
    runner's plugin so failures read the same as on the host's pytest."""
    if int(pytest.__version__.split(".")[0]) >= 8:
        return

    class Compat:
        def pytest_addoption(self, parser: object) -> None:
            parser.addoption("--verbose", action="count", default=0, dest="verbose")

    real_main = pytest.main

    def main(args: object = None, plugins: object = None) -> object:
        return real_main(args, plugins=[*(plugins or ()), Compat()])

    pytest.main = main


def _warm_up() -> None:
    """Run one trusted session, so that what pytest imports lazily is imported before forks."""
    _prepare(
        {
            "solution.py": "def f(x):\n    return x\n",
            "test_solution.py": "import pytest\nfrom solution import f\n\n"
            "@pytest.mark.parametrize('x', [1, 2])\ndef test_f(x, tmp_path):\n"
            "    assert f(x) == x\n\n"
            "def test_raises():\n    with pytest.raises(ZeroDivisionError):\n"
            "        1 / 0\n",
        }
    )
    r, w = os.pipe()
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1)
    os.dup2(devnull, 1)
    cwd = os.getcwd()
    try:
        os.chdir(WORK)
        # The runner ends the process once the report is complete; not this time.
        quiet = {"exit_when_done": False}
        if "exit_when_done" not in inspect.signature(runner.run_pytest).parameters:
            quiet = {}
        channel = runner.Channel(w, b"warm")
        runner.run_pytest(os.path.join(WORK, "test_solution.py"), WORK, channel, **quiet)
    finally:
        os.chdir(cwd)
        os.dup2(saved, 1)
        for fd in (saved, devnull, r, w):
            os.close(fd)
    for name in ("solution", "test_solution"):
        sys.modules.pop(name, None)
    sys.path[:] = [p for p in sys.path if p != WORK]
    problems = wipe()
    if problems:
        raise RuntimeError("; ".join(problems))
    gc.collect()
    gc.freeze()


class ForkServer:
    """A pytest plugin: the session is configured once, then waits at collection, serving
    requests; each sample's runner returns from here and collects that sample's tests."""

    def __init__(self, reporter: object) -> None:
        self.reporter = reporter

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: object) -> None:
        global session_ready
        try:
            session_ready = True
            if fastpath is not None:
                fastpath.calibrate(_measure_depth())
            gc.collect()
            gc.freeze()
            serve()
        except BecomeRunner as turn:
            self.reporter.channel = turn.channel
            if turn.outcomes_only or turn.fast:
                # Plain asserts: neither the strength check's pass-or-fail nor the fast path
                # (which leaves every failure to a pytest run) reports their introspection.
                from _pytest.assertion.rewrite import AssertionRewritingHook

                sys.meta_path[:] = [
                    f for f in sys.meta_path if not isinstance(f, AssertionRewritingHook)
                ]
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
        os._exit(0)


def _measure_depth() -> int | None:
    """How deep a test function sits under the parked session (for the fast path): a child runs a
    trusted probe test through it, exactly as a sample's tests run."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            wipe()
            os.mkdir(WORK, 0o755)
            quiet = fastpath.enter_probe(WORK, w)
        except BaseException:
            os._exit(1)
        raise BecomeRunner(runner.Channel(quiet, b"probe"))
    os.close(w)
    raw = b""
    deadline = time.monotonic() + 60
    while (remaining := deadline - time.monotonic()) > 0:
        if select.select([r], [], [], remaining)[0]:
            chunk = os.read(r, 64)
            if not chunk:
                break
            raw += chunk
    os.close(r)
    if not raw:  # a probe that never answered: no fast path in this container
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    wipe()
    os.mkdir(WORK, 0o755)
    return int(raw) if raw.isdigit() else None


def serve() -> None:
    """Answer requests until told to stop or the host goes away."""
    while True:
        try:
            request = read_frame()
        except EOFError:
            return  # the host is gone: the container stops and Docker removes it
        if request.get("op") == "stop":
            return
        try:
            response = run_sample(request)
        except Exception:
            response = {"error": traceback.format_exc(limit=6)}
        write_frame(response)


def main() -> None:
    # Descriptors 0 and 1 carry frames. The warm-up registered pytest's atexit handlers, which
    # have nothing to do here, and a runner must never come back to serve: leave with os._exit.
    try:
        _start()
    finally:
        os._exit(0)


def _start() -> None:
    global runner, streams, fastpath
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # pid 1: the kernel now drops it from inside
    try:
        if os.getpid() != 1:
            raise RuntimeError("the server must be the container's pid 1 (no --init)")
        _prctl(PR_SET_DUMPABLE, 0)
        init = read_frame()
        runner = _load("runner", init["runner"])
        streams = _load("streams", init["streams"])
        if "fastpath" in init:
            fastpath = _load("fastpath", init["fastpath"])
        _pytest_compat()
        os.chdir(SANDBOX)
        _warm_up()
        os.mkdir(WORK, 0o755)  # the warm session is configured with the path samples see
        os.chdir(WORK)
    except BaseException:
        write_frame({"ready": False, "error": traceback.format_exc()})
        return
    write_frame(
        {
            "ready": True,
            "python": sys.version.split()[0],
            "pytest": pytest.__version__,
            "oom_counter": oom_kills() is not None,
        }
    )
    if not hasattr(runner, "TESTS_FILE"):
        serve()  # a runner without the fork-at-collection protocol: one session per sample
        return
    reporter = runner.Reporter(None)
    args = runner.pytest_args(os.path.join(WORK, runner.TESTS_FILE), WORK)
    pytest.main(args, plugins=[reporter, ForkServer(reporter)])
