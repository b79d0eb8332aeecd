"""Zygotes: warm interpreters that fork a worker's runs of one language instead of starting the
interpreter afresh for each (trusted side; process backend, as root). A language with one gives
a `ZygoteSpec` (PHP: `languages/php/zygote.py`, node: `languages/javascript/zygote.py`); this
module is both ends of it in a worker:

    starter ──┬─► front (pid 1): runs a step through the zygote (`Zygote.fork_and_watch`)
              └─► zygote waiter ─exec─► zygote: root, outside the front's pid namespace, in its
                                        mounts and slot cgroup; its children are born in the
                                        front's pid namespace, as the front's own runners are

The waiter is forked by the starter before the front's pid and mount namespaces exist, and waits
(`_wait_and_exec`) for the front's pid (from the starter) and the interpreter's command line
(from the front, when it first runs the language's harness). A runner the zygote forks sets
itself up as the front's runners do: the front's network and IPC namespaces, the run's pipes
(opened through the front's /proc/1/fd), stdin from /dev/null, its own session, the run's
rlimits, the sample's uid and gid with no capability left, then the harness in the work dir with
the run's token. The front watches its streams and ends what it started with the same kill(-1),
and the zygote reports its wait status. Whatever goes wrong with a zygote (it cannot start, or it
stops answering), the front runs the language's steps as programs again, as it does in every
other box.

Protocol: requests on the zygote's stdin, one JSON object a line (`fds`: the run's result,
stdout and stderr pipes as the front numbers them; `rlimits`; `cwd`; `args` after the harness;
`token`); replies on its stdout, one a line: "R" (ready, after start-up), "A <pid>" (from the
runner: it holds the run's pipes), "X <json: status, maxrss_kb, cpu_s>" (the runner was reaped).
The zygote starts with descriptors 0-2 its requests, replies and stderr, and 3 and 4 on
/dev/null, so that what the interpreter opens itself lies above what a runner sets up (0-4).
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, NamedTuple

from sandbox.isolation import linux, streams
from sandbox.isolation.cgroups import SlotCgroup

START_S = 30.0  # for the zygote to load what a run loads and say it is ready
REPLY_S = 10.0  # for a runner to attach, or the zygote to report a reaped runner


class ZygoteSpec(NamedTuple):
    """A language's zygote: `name` in messages; a step runs through it when its argv holds
    `harness` (the interpreter's command line before it must be the zygote's); `command(prefix,
    front, uid, gid)`, called in the waiter (root, on the host's files), is the zygote's argv."""

    name: str
    harness: str
    command: Callable[[list[str], int, int, int], list[str]]


class ZygoteLost(RuntimeError):
    """The zygote stopped answering: the run is the sandbox's failure, and the interpreter
    starts afresh."""


def fork_waiter(spec: ZygoteSpec, uid: int, gid: int) -> Zygote:
    """In the starter, before the front's namespaces: fork the zygote's waiter. Returns the
    front's end (the waiter's pid its `waiter`). The starter moves the waiter into the slot's
    cgroup, then hands it the front's pid (`Zygote.tell_front`)."""
    requests_r, requests_w = os.pipe()
    replies_r, replies_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
            os.dup2(requests_r, 0)
            os.dup2(replies_w, 1)
            if go_r != 3:
                os.dup2(go_r, 3)
            os.closerange(4, 65536)  # nothing of the starter's: the verifier's or pytest's pipes
            _wait_and_exec(spec, 3, uid, gid)
        except BaseException as exc:
            print(f"assay sandbox: the {spec.name} zygote cannot start: {exc}", file=sys.stderr)
        os._exit(0)
    os.close(requests_r)
    os.close(replies_w)
    os.close(go_r)
    return Zygote(spec, pid, requests_w, replies_r, go_w)


def _wait_and_exec(spec: ZygoteSpec, go: int, uid: int, gid: int) -> None:
    """The waiter: the front's pid and the command line, then exec the zygote, exempt from the
    OOM killer (its runners are first in line). It ends without one if the front never asks."""
    front, start, pending = 0, None, b""
    while not (front and start):
        chunk = os.read(go, 65536)
        if not chunk:
            return
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            kind, _, body = line.partition(b" ")
            if kind == b"F":
                front = int(body)
                if not front:  # the starter could not put it in the slot's cgroup
                    return
            elif kind == b"G":
                start = json.loads(body)
    os.close(go)
    argv = spec.command(list(start["prefix"]), front, uid, gid)
    for fd in (3, 4):  # held, so that the interpreter's own descriptors lie above a run's
        if os.open(os.devnull, os.O_RDWR) != fd:
            raise OSError(f"descriptor {fd} is taken")
        os.set_inheritable(fd, True)
    SlotCgroup.exempt_from_oom()
    linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
    os.execve(argv[0], argv, start["env"])


class Zygote:
    """The front's end of a zygote: starts it on first use, forks runs through it."""

    def __init__(
        self, spec: ZygoteSpec, waiter: int, requests_w: int, replies_r: int, go_w: int
    ) -> None:
        self.spec = spec
        self.waiter = waiter  # the process that becomes the zygote
        self.requests_w = requests_w
        self.replies_r = replies_r
        self.go_w: int | None = go_w
        self.started: tuple[tuple[str, ...], dict[str, str]] | None = None
        self.broken = False
        self._pending = b""

    def tell_front(self, front: int) -> None:
        """In the starter: the front's pid, as the zygote's pid namespace numbers it (0: no
        zygote, the waiter ends)."""
        if self.go_w is not None:
            os.write(self.go_w, b"F %d\n" % front)
            os.close(self.go_w)
            self.go_w = None

    def forget(self) -> None:
        """In the starter, which does not talk to the zygote."""
        for fd in (self.requests_w, self.replies_r):
            os.close(fd)
        self.requests_w = -1
        self.broken = True

    # In the front --------------------------------------------------------------------------------
    def usable(self, argv: tuple[str, ...], env: dict[str, str]) -> bool:
        """Whether this step can be forked from the zygote (started now, on first use): it runs
        the harness with the zygote's interpreter, flags and environment."""
        if self.broken or self.spec.harness not in argv:
            return False
        prefix = tuple(argv[: argv.index(self.spec.harness)])
        if self.started is None:
            self.started = (prefix, env)
            try:
                self._start(prefix, env)
            except (OSError, ValueError, ZygoteLost) as exc:
                self._lose(f"did not start ({exc})")
                return False
        return self.started == (prefix, env)

    def _start(self, prefix: tuple[str, ...], env: dict[str, str]) -> None:
        assert self.go_w is not None
        os.write(self.go_w, b"G " + json.dumps({"prefix": prefix, "env": env}).encode() + b"\n")
        os.close(self.go_w)
        self.go_w = None
        if self._reply(START_S) != b"R":
            raise ZygoteLost("it did not say it was ready")

    def fork_and_watch(
        self, box: Any, argv: tuple[str, ...], token: bytes, limits: dict[str, Any], cg: Any
    ) -> dict[str, Any] | None:
        """One run forked by the zygote in the prepared box, watched as the front watches its own
        runners (`streams.watch`); None if the runner could not set itself up before any of the
        sample's code ran (the caller runs the step as a program)."""
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        request = {
            "fds": [res_w, out_w, err_w],
            "rlimits": [[which, soft, hard] for which, (soft, hard) in box.rlimits(limits)],
            "cwd": box.workdir,
            "args": list(argv[argv.index(self.spec.harness) + 1 :]),
            "token": token.decode(),
        }
        try:
            os.write(self.requests_w, json.dumps(request).encode() + b"\n")
            first = self._reply(REPLY_S)
        except (OSError, ZygoteLost) as exc:  # gone before the run began: a fresh start
            for fd in (res_r, res_w, out_r, out_w, err_r, err_w):
                os.close(fd)
            self._lose(f"is gone ({exc})")
            return None
        for fd in (res_w, out_w, err_w):
            os.close(fd)
        kind, _, body = first.partition(b" ")
        if kind != b"A":
            for fd in (res_r, out_r, err_r):
                os.close(fd)
            if kind != b"X":
                self._lose(f"answered {first[:80]!r}")
            return None
        pid = int(body)
        reaped: list[tuple[int, Any]] = []

        def reap() -> tuple[int, int, Any]:
            line = self._reply(0.0)  # ZygoteLost ends the watch, which ends the run (`end`)
            if not line:
                return 0, 0, None
            reaped.append(_exit_report(line))
            return (pid, *reaped[0])

        def end() -> tuple[int | None, Any]:
            if not reaped:
                try:
                    os.kill(-1, signal.SIGKILL)  # the runner; box.end ends the rest
                except ProcessLookupError:
                    pass
                try:
                    reaped.append(_exit_report(self._reply(REPLY_S)))
                except (ZygoteLost, ValueError) as exc:
                    self._lose(f"did not report its runner ({exc})")
            ended = box.end(pid, cg)  # a runner whose zygote died is the front's to reap
            return reaped[0] if reaped else ended

        # A runner that ended at once: its report came with "A", and the descriptor will not be
        # readable again; the watch then asks at once (it polls when it has no descriptor).
        ready = None if b"\n" in self._pending else self.replies_r
        return streams.watch(pid, res_r, out_r, err_r, limits, end, (ready, reap))

    def _reply(self, timeout: float) -> bytes:
        """The zygote's next line (without its newline); b"" if none came within `timeout`."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._pending:
            remaining = max(deadline - time.monotonic(), 0.0)
            if not select.select([self.replies_r], [], [], remaining)[0]:
                if timeout:
                    self._lose(f"did not answer within {timeout:.0f} s")
                    raise ZygoteLost(f"no answer within {timeout:.0f} s")
                return b""
            chunk = os.read(self.replies_r, 65536)
            if not chunk:
                self._lose("ended")
                raise ZygoteLost("it ended")
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line

    def _lose(self, why: str) -> None:
        """Never again: its requests close (a zygote that was only slow then ends)."""
        if self.broken:
            return
        self.broken = True
        if self.requests_w >= 0:
            os.close(self.requests_w)
            self.requests_w = -1
        name = self.spec.name
        print(
            f"assay sandbox: the {name} zygote {why}; {name} starts afresh for each run",
            file=sys.stderr,
        )


def _exit_report(line: bytes) -> tuple[int, Any]:
    """The runner's wait status and resource use, from the zygote's "X" line."""
    kind, _, body = line.partition(b" ")
    if kind != b"X":
        raise ZygoteLost(f"it answered {line[:80]!r}")
    report = json.loads(body)
    status = report.get("status")
    if status is None:
        raise ZygoteLost(f"it could not reap its runner: {report.get('error')}")
    cpu = float(report.get("cpu_s") or 0.0)
    usage = SimpleNamespace(ru_maxrss=int(report.get("maxrss_kb") or 0), ru_utime=cpu, ru_stime=0.0)
    return int(status), usage
