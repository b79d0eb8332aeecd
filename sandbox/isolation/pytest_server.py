"""The pytest fork server of a full-isolation worker: runs the sample runs that need pytest.

A worker (`worker.py`) is two fork servers. Its front serves the verifier and runs fast-path runs
(`sandbox/languages/python/box/fastpath.py`) from a small interpreter that never imports pytest, because a fork, and
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

import os
import signal
import traceback
from typing import Any

from sandbox.isolation import linux
from sandbox.isolation.boxes import build_skeleton
from sandbox.isolation.forkserver import BecomeRunner, ForkServer
from sandbox.isolation.protocol import let_go, read_frame, receive, write_frame
from sandbox.isolation.skeleton import WORK

PYTEST_SERVER_START_S = 120  # importing pytest on a loaded machine can take a while


class PytestServerGone(RuntimeError):
    pass


class PytestClient:
    """The front's end of the pipes to the pytest fork server, which starts when first needed:
    a sample that fails, or needs pytest. Inputs that pass on the fast path (most of a good
    corpus) never pay for pytest's start-up."""

    def __init__(self, requests: int, replies: int, go: int) -> None:
        self.requests = requests
        self.replies = replies
        self.go = go
        self.started = False

    @property
    def pipes(self) -> tuple[int, int, int]:
        return self.requests, self.replies, self.go

    def run(self, spec: dict[str, Any], limits: dict[str, Any]) -> dict[str, Any]:
        if not self.started:
            self.started = True
            try:
                os.write(self.go, b"1")
            except OSError as exc:
                raise PytestServerGone(f"the pytest fork server cannot start: {exc}") from exc
            reply = self._receive(PYTEST_SERVER_START_S)
            if not reply.get("ready"):
                raise PytestServerGone(f"the pytest fork server failed: {reply.get('error')}")
        try:
            write_frame(self.requests, {"spec": spec, "limits": limits})
        except OSError as exc:
            raise PytestServerGone(f"the pytest fork server is gone: {exc}") from exc
        reply = self._receive(limits["timeout_s"] + 60)
        if "error" in reply:
            raise PytestServerGone(reply["error"])
        return reply

    def _receive(self, timeout_s: float) -> dict[str, Any]:
        return receive(self.replies, timeout_s, PytestServerGone, "the pytest fork server")


def fork_waiter(server: ForkServer, proto: tuple[int, int], root: str) -> tuple[int, PytestClient]:
    """In a worker's starter, in the mount namespace the server is to have: fork the pytest
    server's waiter. Returns its pid and the front's end of the pipes to the server (which the
    starter lets go of once the front is forked).

    The waiter is the server's parent, which only waits: a second pid namespace can only be made
    for a process's children, and the starter's next child is the front. It starts the server
    when the front first asks for it, and ends without one if the front never does."""
    requests_r, requests_w = os.pipe()  # front -> pytest server
    replies_r, replies_w = os.pipe()  # pytest server -> front
    go_r, go_w = os.pipe()  # front -> waiter: start the pytest server
    waiter = os.fork()
    if waiter == 0:
        try:
            linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
            let_go(proto, requests_w, replies_r, go_w)
            if not os.read(go_r, 1):
                os._exit(0)  # the front ended without needing it
            os.close(go_r)
            linux.unshare(linux.CLONE_NEWPID)
            pid = os.fork()
            if pid == 0:
                linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
                main(server, (requests_r, replies_w), root)
            let_go((), requests_r, replies_w)
            _, status = os.waitpid(pid, 0)
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
        except BaseException:
            traceback.print_exc()
            os._exit(70)
    os.close(requests_r)
    os.close(replies_w)
    os.close(go_r)
    return waiter, PytestClient(requests_w, replies_r, go_w)


def main(server: ForkServer, fds: tuple[int, int], root: str) -> None:
    """In the pytest fork server's own process (pid 1 of its pid namespace, in its own mount
    namespace): build the skeleton, warm up, park a session, serve the front. Never returns."""
    from sandbox.languages.python.box.session import ParkedSession, warm_up  # imports pytest

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
