"""The fork server: one run at a time, the same way in every box and for every language.

Shared by the process backend's worker (its front and its pytest server) and by the Docker
backend's container server. Per run:

    box.prepare(files) ─► fork ─► runner: box.enter, streams attached, rlimits, box.drop, then
                                  the sample: Python in-process (`run_python`) or a program
                                  executed (`steps.py`)
                       ◄─ watch (streams under caps, the wall clock) ─► box.end ─► box.clean

A runner is trusted until it becomes the sample. A forked runner pays for every page it writes to,
so what does not change from run to run is made once, in the server, and what a run needs is made
before the fork.
"""

from __future__ import annotations

import os
import resource
import sys
import traceback
from collections.abc import Callable
from typing import Any, NamedTuple

from sandbox.isolation import linux, runner_setup, streams
from sandbox.isolation.boxes import Box
from sandbox.isolation.skeleton import SANDBOX_USER
from sandbox.languages.python import phases
from sandbox.languages.python.box import fastimport, fastpath, fastreset
from sandbox.languages.python.box.report import RESULT_FD, TESTS_FILE, Channel, run_pytest


class BecomeRunner(BaseException):  # noqa: N818 - a control-flow signal, not an error
    """Raised in a forked runner to unwind, through the server's frames, back into the warm
    pytest session, which then collects and runs the sample's tests."""

    def __init__(self, channel: Channel, spec: dict[str, Any] | None = None) -> None:
        spec = spec or {}
        self.channel = channel
        self.outcomes_only = bool(spec.get("outcomes_only"))
        self.fast = bool(spec.get("fast"))
        self.chain: dict[str, str] | None = spec.get("chain")  # the next phase's files


class _PythonRun(NamedTuple):
    channel: Channel  # the run's result channel (the fast path's first message in it)
    fast: bool  # the runner runs the fast path from this server
    test_file: str


class ForkServer:
    """Forks and watches one run at a time in its box."""

    def __init__(self, box: Box) -> None:
        self.box = box
        self.slot: Any = None  # full isolation: the worker's own cgroup, joined once
        self.cgroups: Any = None
        self.single_threaded = False  # forks may skip Python's fork hooks
        # What a Python runner becomes: "fast" runs the fast path, "session" returns into the
        # server's parked pytest session (which runs the fast path too, for a fast run), "plain"
        # runs a pytest session.
        self.role = "plain"
        self.zygotes: dict[str, Any] = {}  # the front's ends of its zygotes (`zygote.py`), by name

    # Any run --------------------------------------------------------------------------------
    def fork_and_watch(
        self,
        become: Callable[[], None],
        limits: dict[str, Any],
        cg: Any,
        keep_fds: tuple[int, ...] = (),
    ) -> dict[str, Any]:
        """`fork_runner`, then `watch` it."""
        return self.watch(*self.fork_runner(become, limits, cg, keep_fds), limits, cg)

    def fork_runner(
        self,
        become: Callable[[], None],
        limits: dict[str, Any],
        cg: Any,
        keep_fds: tuple[int, ...] = (),
    ) -> tuple[int, tuple[int, int, int], list[int]]:
        """Fork a runner in the prepared box, which calls `become` once it has set itself up and
        dropped its privileges; `become` never returns, but by raising `BecomeRunner` (a Python
        runner unwinding into its server's parked pytest session), which comes out of here in the
        runner: the caller must not be in a `finally` that cleans up after the run."""
        cg_fds = cg.procs_fds() if cg is not None and cg is not self.slot else []
        rlimits = self.box.rlimits(limits)
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        pid = linux.fork_single_threaded() if self.single_threaded else os.fork()
        if pid == 0:
            for fd in (res_r, out_r, err_r):
                os.close(fd)
            try:
                self.box.enter(cg_fds)
                runner_setup.attach_streams(res_w, out_w, err_w, keep=keep_fds)
                for which, value in rlimits:
                    resource.setrlimit(which, value)
                self.box.drop()
            except BaseException:
                _die(71)
            become()
            os._exit(70)  # not reached
        for fd in (res_w, out_w, err_w):
            os.close(fd)
        return pid, (res_r, out_r, err_r), cg_fds

    def watch(
        self,
        pid: int,
        fds: tuple[int, int, int],
        cg_fds: list[int],
        limits: dict[str, Any],
        cg: Any,
    ) -> dict[str, Any]:
        """Read a runner's streams to its end (`streams.watch`: the raw facts, the channel's bytes
        unread); everything it started is killed when it ends, times out or floods."""
        for fd in cg_fds:
            os.close(fd)
        watched = streams.watch(pid, *fds, limits, lambda: self.box.end(pid, cg))
        self.box.ended(watched)
        return watched

    # A Python run -------------------------------------------------------------------------------
    def run_python(self, spec: dict[str, Any], limits: dict[str, Any], cg: Any) -> dict[str, Any]:
        """One run of a Python sample's tests (the fast path, or pytest), in a fresh work dir."""
        key = os.urandom(32)
        self.box.prepare(spec["files"], limits)
        try:
            run = self._python_run(spec, key)
        except BaseException:
            self.box.clean()
            raise

        def become() -> None:
            try:
                self._settle()
                if run.fast:
                    fastpath.run(
                        run.test_file, run.channel, bool(spec.get("outcomes_only")),
                        spec.get("chain"),
                    )  # fmt: skip
                if self.role == "session" and spec["test_file"] == TESTS_FILE:
                    raise BecomeRunner(run.channel, spec)
                run_pytest(run.test_file, self.box.workdir, run.channel)
            except BecomeRunner:
                raise
            except BaseException:
                _die(70)

        forked = self.fork_runner(become, limits, cg, getattr(self.box, "path_fds", ()))
        try:
            watched = self.watch(*forked, limits, cg)
        finally:
            problems = self.box.clean()
        messages, problem = phases.read_channel(watched.pop("channel"), key)
        flooded = watched.pop("channel_exceeded")
        if flooded:
            problem = "the result channel carried more than the runner ever writes"
        stopped = watched["timed_out"] or watched["output_exceeded"] or flooded
        return {
            **watched,
            "stopped": stopped,
            "final": bool(problems),  # the box could not be cleaned: no further run in it
            "messages": messages,
            "channel_problem": problem,
        }

    def _python_run(self, spec: dict[str, Any], key: bytes) -> _PythonRun:
        """What the runner needs, made before the fork: a forked runner pays for every page it
        writes, and for every Python function it runs for the first time."""
        channel = Channel(RESULT_FD, key)
        fast = self.role == "fast" and bool(spec.get("fast"))
        if fast:
            files = [(spec["files"], spec.get("code") or {})]
            if spec.get("chain"):
                files.append((spec["chain"], spec.get("chain_code") or {}))
            fastimport.prepare_run(self.box.workdir, files)
            fastreset.expect_places(self.box.workdir)
            # Sent with the first flush, just before any of the sample's code runs.
            channel.buffered = True
            channel.send({"t": "start"})
        return _PythonRun(channel, fast, os.path.join(self.box.workdir, spec["test_file"]))

    def _settle(self) -> None:
        """In the runner: its work dir; the rest of its settling (environment, sys.path) the
        server did once for all its runners (`settle_once`), but in weak isolation, where each
        run has a directory of its own."""
        if self.box.isolation == "weak":
            box = self.box
            runner_setup.settle_in(box.workdir, box.tmpdir, SANDBOX_USER, box.import_paths)
        else:
            os.chdir(self.box.workdir)

    def settle_once(self) -> None:
        """In a server whose runs all have the same work dir: what every runner would otherwise
        do for itself (its environment, sys.path), done once; runners inherit it."""
        runner_setup.settle_state(self.box.workdir, self.box.tmpdir, SANDBOX_USER)


def _die(code: int) -> None:
    """A runner that failed before the sample ran: the traceback on its stderr, then exit."""
    try:
        traceback.print_exc()
        sys.stderr.flush()
    finally:
        os._exit(code)
