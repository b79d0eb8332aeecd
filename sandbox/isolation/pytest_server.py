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
import sys
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from sandbox import fastpath, runner
from sandbox.isolation.boxes import build_skeleton
from sandbox.isolation.forkserver import BecomeRunner, ForkServer
from sandbox.isolation.protocol import read_frame, write_frame
from sandbox.isolation.skeleton import WORK

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


class ParkedSession:
    """A pytest plugin: the session is configured once for the paths samples see, then waits at
    collection while `serve` answers requests; each runner forked meanwhile returns from
    `pytest_collection` here, and pytest goes on to collect that sample's tests. The process
    backend's pytest server and the Docker backend's container server both park one."""

    def __init__(self, server: ForkServer, serve: Callable[[], None]) -> None:
        self.server = server
        self.serve = serve
        self.reporter = runner.Reporter(None)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: Any) -> None:
        try:
            self.server.settle_once()  # runners inherit it
            fastpath.prepare()
            self.server.box.become_server()
            gc.collect()
            gc.freeze()
            self.serve()
        except BecomeRunner as turn:
            self.reporter.channel = turn.channel
            if turn.outcomes_only or turn.fast:
                # Plain asserts: rewriting them for introspection costs more than running a typical
                # test module, and neither the pass-or-fail of the strength check nor the fast path
                # (which leaves every failure to a pytest run) reports it.
                from _pytest.assertion.rewrite import AssertionRewritingHook

                sys.meta_path[:] = [
                    f for f in sys.meta_path if not isinstance(f, AssertionRewritingHook)
                ]
            if turn.outcomes_only:
                session.config.option.tbstyle = "no"
            turn.channel.send({"t": "start"})
            if turn.fast:
                test_file = os.path.join(WORK, runner.TESTS_FILE)
                fastpath.run(test_file, turn.channel, turn.outcomes_only, turn.chain)
            return None  # pytest goes on to collect /sandbox/work/test_solution.py
        os._exit(0)

    def park(self) -> None:
        """Start the session in the work dir; returns only in a runner (never in the server)."""
        args = runner.pytest_args(os.path.join(WORK, runner.TESTS_FILE), WORK)
        pytest.main(args, plugins=[self.reporter, self])


def main(server: ForkServer, fds: tuple[int, int], root: str) -> None:
    """In the pytest fork server's own process (pid 1 of its pid namespace, in its own mount
    namespace): build the skeleton, warm up, park a session, serve the front. Never returns."""
    requests, replies = fds

    def serve() -> None:
        write_frame(replies, {"ready": True})
        while True:
            try:
                request = read_frame(requests)
            except EOFError:
                return
            try:
                server.box.fresh_network()
                reply = server.run_python(request["spec"], request["limits"], server.slot)
            except BecomeRunner:
                raise
            except Exception:
                reply = {"error": traceback.format_exc(limit=8)}
            try:
                write_frame(replies, reply)
            except BrokenPipeError:
                return

    try:
        server.role = "session"
        build_skeleton(server.box, root, getattr(server, "box_cache", None))
        # The warm-up's session runs where samples will, in a run's sandbox (an interpreter that
        # lives under /tmp, as a checkout there has it, stays in view).
        server.box.prepare({}, {"disk_mb": 16, "inodes": 1000})
        try:
            warm_up(WORK)
        finally:
            os.chdir("/")
            server.box.clean(keep=False)  # the session parks in the skeleton
        os.chdir(WORK)  # the skeleton's (read-only) work dir, under each run's tmpfs
        if server.slot is not None:
            server.slot.join()
        ParkedSession(server, serve).park()
    except BecomeRunner:
        raise
    except BaseException:
        try:
            write_frame(replies, {"ready": False, "error": traceback.format_exc(limit=8)})
        except OSError:
            pass
    os._exit(0)
