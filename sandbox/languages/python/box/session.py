"""Runs in the sandbox: a pytest session parked at collection, which every Python runner forked
from its server unwinds into (`forkserver.BecomeRunner`) to collect and run its sample's tests.

Used by the process backend's pytest server (`sandbox/isolation/pytest_server.py`) and by the
Docker backend's container server (`sandbox/isolation/container_main.py`). `warm_up` runs one
trusted session first, so that what pytest imports lazily is imported before any fork.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from typing import Any

import pytest

from sandbox.isolation.forkserver import BecomeRunner, ForkServer
from sandbox.isolation.skeleton import WORK
from sandbox.languages.python.box import fastpath, fastreset
from sandbox.languages.python.box.report import (
    TESTS_FILE,
    Channel,
    Reporter,
    pytest_args,
    run_pytest,
)

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
    with open(os.path.join(directory, TESTS_FILE), "w") as fh:
        fh.write(WARM_TESTS)
    r, w = os.pipe()
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1)
    os.dup2(devnull, 1)
    try:
        run_pytest(
            os.path.join(directory, TESTS_FILE),
            directory,
            Channel(w, b"warm"),
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
        self.reporter = Reporter(None)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: Any) -> None:
        try:
            self.server.settle_once()  # runners inherit it
            fastreset.prepare()
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
                test_file = os.path.join(WORK, TESTS_FILE)
                fastpath.run(test_file, turn.channel, turn.outcomes_only, turn.chain)
            return None  # pytest goes on to collect /sandbox/work/test_solution.py
        os._exit(0)

    def park(self) -> None:
        """Start the session in the work dir; returns only in a runner (never in the server)."""
        args = pytest_args(os.path.join(WORK, TESTS_FILE), WORK)
        pytest.main(args, plugins=[self.reporter, self])
