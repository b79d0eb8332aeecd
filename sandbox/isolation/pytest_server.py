"""The pytest fork server of a full-isolation worker: runs the sample runs that need pytest.

A worker (`worker.py`) is two fork servers. Its front serves the verifier and runs fast-path runs
(`sandbox/fastpath.py`) from a small interpreter that never imports pytest, because a fork, and
the exit of what it forks, cost by the page: a runner forked from an interpreter with pytest
loaded costs ~1 ms more. This one has pytest imported, one throwaway session run, and a session
configured for the paths samples see and parked at collection; the front sends it the runs that
need pytest (a sample that fails, or whose tests use pytest's features) over a pipe, and it forks
a runner for each, which returns from the parked session's collection hook and collects that
sample's tests. A sample whose files name pytest has all its runs here, the fast path's too:
importing pytest in a runner forked from the front would cost far more than the fork saves. It is
pid 1 of its own pid namespace, beside the front's, so each fork server ends what its runs left
with one kill(-1) without touching the other.
"""

from __future__ import annotations

import gc
import os
import select
import sys
import time
import traceback
from typing import Any

import pytest
from _pytest.assertion.rewrite import AssertionRewritingHook as RewritingHook

from sandbox import fastpath, runner
from sandbox.isolation import linux
from sandbox.isolation.protocol import read_frame, write_frame
from sandbox.isolation.runs import BecomeRunner, Runs
from sandbox.isolation.skeleton import SANDBOX, SANDBOX_USER, WORK

WARM_SOLUTION = "def f(x):\n    return x\n"
WARM_TESTS = (
    "import pytest\nfrom solution import f\n\n"
    "@pytest.mark.parametrize('x', [1, 2])\ndef test_f(x, tmp_path):\n"
    "    assert f(x) == x\n\n"
    "def test_raises():\n    with pytest.raises(ZeroDivisionError):\n"
    "        1 / 0\n"
)


def warm_up(directory: str) -> None:
    """Run one trusted session in `directory` (writable, empty), so each later fork starts warm:
    pytest's lazy imports and caches are done once, in the fork server."""
    with open(os.path.join(directory, "solution.py"), "w") as fh:
        fh.write(WARM_SOLUTION)
    with open(os.path.join(directory, runner.TESTS_FILE), "w") as fh:
        fh.write(WARM_TESTS)
    r, w = os.pipe()
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1)
    os.dup2(devnull, 1)
    try:
        runner.run_pytest(
            os.path.join(directory, runner.TESTS_FILE),
            directory,
            runner.Channel(w, b"warm"),
            exit_when_done=False,
        )
    finally:
        os.dup2(saved, 1)
        for fd in (saved, devnull, r, w):
            os.close(fd)
    for name in ("solution", "test_solution"):
        sys.modules.pop(name, None)


class PytestServer:
    """The parked session's plugin and the request loop: `runs` forks the runners; each returns
    from `pytest_collection` here, and pytest goes on to collect its sample's tests."""

    def __init__(self, runs: Runs, reporter: runner.Reporter, fds: tuple[int, int]) -> None:
        self.runs = runs
        self.reporter = reporter
        self.requests, self.replies = fds

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: Any) -> None:
        try:
            depth = self._measure_depth()
            # The fast path runs here too, for samples that import pytest (`worker.py`), called
            # from this frame: calibrate it here.
            fastpath.calibrate(depth)
            runner.settle_state(WORK, "/tmp", SANDBOX_USER)  # runners inherit it
            fastpath.prepare()
            self.runs.become_fork_server()
            gc.collect()
            gc.freeze()
            write_frame(self.replies, {"ready": True, "depth": depth})
            self._serve()
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
                test_file = os.path.join(WORK, runner.TESTS_FILE)
                fastpath.run(test_file, turn.channel, turn.outcomes_only, turn.chain)
            return None  # pytest goes on to collect /sandbox/work/test_solution.py
        os._exit(0)

    def _serve(self) -> None:
        """Run the front's requests ({spec, limits}) until it goes away."""
        while True:
            try:
                request = read_frame(self.requests)
            except EOFError:
                return
            try:
                reply = self.runs.run_spec(request["spec"], request["limits"])
            except BecomeRunner:
                raise
            except Exception:
                reply = {"error": traceback.format_exc(limit=8)}
            try:
                write_frame(self.replies, reply)
            except BrokenPipeError:
                return

    def _measure_depth(self) -> int | None:
        """The recursion depth a test function has under this session (the front offsets the
        fast path's by the difference): a child runs a trusted probe test through the session,
        exactly as a sample's tests run."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                linux.unshare(linux.CLONE_NEWNS)
                linux.mount("tmpfs", SANDBOX, "tmpfs", linux.MS_NOSUID, "size=1m")
                os.mkdir(WORK)
                quiet = fastpath.enter_probe(WORK, w)
            except BaseException:
                os._exit(1)
            raise BecomeRunner(runner.Channel(quiet, b"probe"))
        os.close(w)
        raw = read_all(r, deadline=time.monotonic() + 60) or b""
        os.close(r)
        os.waitpid(pid, 0)
        return int(raw) if raw.isdigit() else None


def read_all(fd: int, deadline: float) -> bytes | None:
    """Everything until EOF, or None if the deadline passes first."""
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


def main(runs: Runs, fds: tuple[int, int], root: str) -> None:
    """In the pytest fork server's own process (pid 1 of its pid namespace, in its own mount
    namespace): build the skeleton, warm up, park a session, serve. Never returns."""
    requests, replies = fds
    try:
        runs.role = "session"
        runs.build_skeleton(root)
        # The warm-up's session runs where samples will, in a run's sandbox (an interpreter that
        # lives under /tmp, as a checkout there has it, stays in view).
        sandbox_dir = runs._prepare_sandbox({}, {"disk_mb": 16, "inodes": 1000})
        try:
            warm_up(WORK)
        finally:
            os.chdir("/")
            runs._remove_sandbox(sandbox_dir, keep=False)  # the session parks in the skeleton
        os.chdir(WORK)  # the skeleton's (read-only) work dir, under each run's tmpfs
        if runs.slot is not None:
            runs.slot.join()
        reporter = runner.Reporter(None)
        args = runner.pytest_args(os.path.join(WORK, runner.TESTS_FILE), WORK)
        pytest.main(args, plugins=[reporter, PytestServer(runs, reporter, fds)])
    except BecomeRunner:
        raise
    except BaseException:
        try:
            write_frame(replies, {"ready": False, "error": traceback.format_exc(limit=8)})
        except OSError:
            pass
    os._exit(0)
