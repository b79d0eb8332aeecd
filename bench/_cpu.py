"""CPU time of every process a benchmark starts, however deep its tree.

`RUSAGE_CHILDREN` counts a process only once its parent has waited for it, and its parent's
parent for that one, up to the bench. A process whose parent ends first is reparented to init
and its time is lost: `assay verify` starts its workers from one interpreter (the first forks
the others apart), so the other workers, their zygotes and every run forked from those would be
left out (on two cores, HumanEval-X JavaScript x3 showed 29 ms a sample, the machine busy for
43). `count_orphans` makes the bench its processes' subreaper (orphans come to it instead of
init); `reap_orphans`, after each command, waits for them, so that `children_cpu` counts them.
"""

from __future__ import annotations

import ctypes
import os
import resource
import time

PR_SET_CHILD_SUBREAPER = 36


def count_orphans() -> None:
    """From now on, an orphan among this process's descendants becomes its child."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def reap_orphans(settle_s: float = 5.0) -> None:
    """Wait for the children nobody else waits for: call it when every child the bench started
    itself has been waited for (a command's orphans end just after it, as its workers close)."""
    deadline = time.monotonic() + settle_s
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # no child left
        if pid == 0:
            if time.monotonic() > deadline:
                return  # a child still running: counted when it ends, if ever reaped
            time.sleep(0.005)


def children_cpu() -> float:
    """User + system seconds of every ended descendant that was waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
