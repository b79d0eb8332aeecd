"""Watch one runner: read its result channel, stdout and stderr under caps, and end it in time.

Shared by both backends: the process worker imports it, and the Docker backend sends this file into
each container with the test runner, where the container's server loads it. So: the standard library
only, and nothing that assumes which backend it runs in.
"""

from __future__ import annotations

import fcntl
import os
import select
import time
from collections.abc import Callable
from typing import Any

MAX_CHANNEL = 8 << 20  # more than the runner ever writes: a flood, not a report
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
CHANNEL_POLL_S = 0.05  # how often a running runner's channel is read
CHANNEL_PIPE = 1 << 20  # the channel pipe's size, where the kernel allows it


def _enlarge(fd: int) -> None:
    """A channel pipe that holds a whole run's messages (a typical run writes ~2 KB, a run of a
    thousand failing tests ~4 MB), where the kernel allows it (fs.pipe-max-size)."""
    try:
        fcntl.fcntl(fd, F_SETPIPE_SZ, CHANNEL_PIPE)
    except OSError:
        pass


def watch(
    pid: int,
    res_r: int,
    out_r: int,
    err_r: int,
    limits: dict[str, Any],
    end: Callable[[], tuple[int | None, Any]],
    reaper: tuple[int | None, Callable[[], tuple[int, int, Any]]] | None = None,
) -> dict[str, Any]:
    """Read until the runner is reaped and its streams close, the wall clock runs out, or a stream
    is over its cap. `end()` kills and reaps everything the run left, returning the runner's
    status and rusage if it reaps the runner itself; it is called once the runner exits (so that
    daemons holding the pipes die and the pipes close) or when the run is stopped. Closes the
    three descriptors. Returns the raw facts: the judging is the caller's.

    The result channel is not watched while the runner lives: its messages wait in the pipe
    (made large), and are read when the runner has exited, or every `CHANNEL_POLL_S` while it
    runs, so that a runner that fills the pipe waits a moment, not until its timeout. The runner
    writes to it several times a run, and a server woken for each write costs each time.

    A runner that is not the caller's child (forked by a zygote) comes with a `reaper`: a
    descriptor that is readable when it may have been reaped (None: poll), and the call that says
    (as `os.wait4(pid, WNOHANG)` would); the descriptor stays open."""
    reap: Callable[[], tuple[int, int, Any]] = lambda: os.wait4(pid, os.WNOHANG)  # noqa: E731
    pidfd: int | None = None
    if reaper is not None:
        pidfd, reap = reaper
    else:
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pass  # an old kernel or Python, or a seccomp profile: poll the runner instead
    _enlarge(res_r)
    os.set_blocking(res_r, False)
    streams = {out_r: bytearray(), err_r: bytearray(), res_r: bytearray()}
    totals = {out_r: 0, err_r: 0, res_r: 0}
    open_fds = {out_r, err_r}
    channel_open = True
    started = time.monotonic()
    deadline = started + limits["timeout_s"]
    timed_out = output_exceeded = channel_exceeded = False
    status: int | None = None
    usage: Any = None

    def take(fd: int, chunk: bytes) -> None:
        nonlocal output_exceeded, channel_exceeded
        totals[fd] += len(chunk)
        keep = MAX_CHANNEL if fd == res_r else limits["keep_output_bytes"]
        room = keep - len(streams[fd])
        if room > 0:
            streams[fd] += chunk[:room]
        if fd == res_r and totals[fd] > MAX_CHANNEL:
            channel_exceeded = True
        elif fd != res_r and totals[fd] > limits["output_bytes"]:
            output_exceeded = True

    def drain_channel() -> bool:
        """Read what waits in the channel; False once it is closed."""
        while not channel_exceeded:
            try:
                chunk = os.read(res_r, 1 << 20)
            except BlockingIOError:
                return True
            if not chunk:
                return False
            take(res_r, chunk)
        return True

    try:
        while open_fds or channel_open or status is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            watched = list(open_fds)
            if status is None and pidfd is not None:
                watched.append(pidfd)
            elif status is not None and channel_open:
                watched.append(res_r)  # the runner is gone: read the channel to its end
            if status is None:
                wait = CHANNEL_POLL_S if pidfd is not None else 0.005
            else:
                wait = remaining
            ready, _, _ = select.select(watched, [], [], min(remaining, wait))
            if status is None and (pidfd is None or pidfd in ready):
                got, code, rusage = reap()
                if got == pid:
                    # The runner is done: end whatever it left running. The pipes then close.
                    status, usage = code, rusage
                    end()
            if channel_open and (status is not None or not ready or pidfd is None):
                channel_open = drain_channel()
            for fd in ready:
                if fd in (pidfd, res_r):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    open_fds.discard(fd)
                    continue
                take(fd, chunk)
            if output_exceeded or channel_exceeded:
                break
    finally:
        duration = time.monotonic() - started
        if status is None or open_fds or channel_open:  # stopped early, or an exception
            late_status, late_usage = end()
            if status is None:
                status, usage = late_status, late_usage
            if channel_open:  # what the runner reported before it was stopped
                drain_channel()
        for fd in (out_r, err_r, res_r, *(() if pidfd is None or reaper else (pidfd,))):
            os.close(fd)
    report: dict[str, Any] = {}
    if status is not None:
        report = {"status": status, "maxrss_kb": 0, "cpu_s": 0.0}
        if usage is not None:
            report["maxrss_kb"] = usage.ru_maxrss
            report["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 4)
    return {
        "duration_s": round(duration, 4),
        "timed_out": timed_out,
        "output_exceeded": output_exceeded,
        "channel_exceeded": channel_exceeded,
        "stdout": bytes(streams[out_r]).decode("utf-8", "replace"),
        "stderr": bytes(streams[err_r]).decode("utf-8", "replace"),
        "stdout_bytes": totals[out_r],
        "stderr_bytes": totals[err_r],
        "channel": bytes(streams[res_r]),
        "runner": report,
    }
