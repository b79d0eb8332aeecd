"""The trusted server inside each sandbox container: its pid 1, the same fork server as the process
backend's (`forkserver.py`) in a `container_box.ContainerBox`.

`docker_container.py` sends this file over the container's stdin when the container starts, then
the sources of the sandbox modules it needs (`MODULES`), so the image holds no assay code that
could go stale: they are imported from memory here. It runs on the image's python3, with the
standard library and the image's pytest. Frames on stdin and stdout: a 4-byte big-endian length,
then JSON. A Python sample's runs go through a pytest session parked at collection (as the
process backend's pytest server), its fast path included; a sample of another language runs its
steps (`steps.py`). After each sample the reply says whether the container is dirty, and the host
replaces a dirty one.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import json
import os
import signal
import struct
import sys
import traceback
from typing import Any

# The modules the host sends (as `sandbox/...` paths under the package root).
MODULES = (
    "sandbox/__init__.py",
    "sandbox/limits.py",
    "sandbox/requests.py",
    "sandbox/languages/__init__.py",
    "sandbox/languages/python/__init__.py",
    "sandbox/languages/python/phases.py",
    "sandbox/languages/python/box/__init__.py",
    "sandbox/languages/python/box/tamper.py",
    "sandbox/languages/python/box/report.py",
    "sandbox/languages/python/box/depth.py",
    "sandbox/languages/python/box/fastimport.py",
    "sandbox/languages/python/box/fastreset.py",
    "sandbox/languages/python/box/fastpath.py",
    "sandbox/languages/python/box/solution_guard.py",
    "sandbox/languages/python/box/session.py",
    "sandbox/isolation/__init__.py",
    "sandbox/isolation/linux.py",
    "sandbox/isolation/skeleton.py",
    "sandbox/isolation/streams.py",
    "sandbox/isolation/channel.py",
    "sandbox/isolation/protocol.py",
    "sandbox/isolation/boxes.py",
    "sandbox/isolation/container_box.py",
    "sandbox/isolation/forkserver.py",
    "sandbox/isolation/steps.py",
    "sandbox/isolation/runner_setup.py",
)
PR_SET_DUMPABLE = 4


def read_frame() -> dict[str, Any]:
    (size,) = struct.unpack(">I", _read_exact(4))
    return json.loads(_read_exact(size))


def _read_exact(size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(0, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def write_frame(message: dict[str, Any]) -> None:
    body = json.dumps(message).encode()
    view = memoryview(struct.pack(">I", len(body)) + body)
    while view:
        view = view[os.write(1, view) :]


class SourceFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the modules the host sent, from memory, under their own names."""

    def __init__(self, sources: dict[str, str]) -> None:
        self.sources = {}
        for path, text in sources.items():
            name = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
            self.sources[name] = (path, text)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in self.sources:
            return None
        origin = "/assay/" + self.sources[fullname][0]
        package = self.sources[fullname][0].endswith("__init__.py")
        return importlib.util.spec_from_loader(fullname, self, origin=origin, is_package=package)

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: Any) -> None:
        path, text = self.sources[module.__name__]
        module.__file__ = "/assay/" + path
        exec(compile(text, module.__file__, "exec"), module.__dict__)


def _pytest_compat() -> None:
    """pytest before 8 (Debian bookworm has 7.2) defines --verbose in its terminal plugin, which
    the runner turns off, and its assertion messages read that option: define it beside the
    runner's plugin so failures read the same as on the host's pytest."""
    import pytest

    if int(pytest.__version__.split(".")[0]) >= 8:
        return

    class Compat:
        def pytest_addoption(self, parser: Any) -> None:
            parser.addoption("--verbose", action="count", default=0, dest="verbose")

    real_main = pytest.main

    def main(args: Any = None, plugins: Any = None) -> Any:
        return real_main(args, plugins=[*(plugins or ()), Compat()])

    pytest.main = main


def serve(server: Any) -> None:
    """Answer the host's requests (a sample each) until told to stop or the host goes away."""
    from sandbox.isolation import container_box, steps
    from sandbox.requests import RunRequest

    box = server.box
    while True:
        try:
            request = read_frame()
        except EOFError:
            return  # the host is gone: the container stops and Docker removes it
        if request.get("op") == "stop":
            return
        oom_before = container_box.oom_kills()
        try:
            if request.get("op") == "steps":
                result = steps.run_request(server, RunRequest.from_wire(request["request"]), None)
                reply = {"result": result.to_wire()}
            else:
                reply = _python(server, request["request"])
        except Exception:
            reply = {"error": traceback.format_exc(limit=6)}
        oom_after = container_box.oom_kills()
        reply["oom_kills"] = None if None in (oom_before, oom_after) else oom_after - oom_before
        reply["dirty"] = "; ".join(box.dirty)
        box.dirty = []
        write_frame(reply)


def _python(server: Any, request: dict[str, Any]) -> dict[str, Any]:
    """A Python sample's runs (`phases.run_phases`), every one forked into the parked session."""
    from sandbox.languages.python import phases

    def run_one(spec: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        result = server.run_python(spec, request["limits"], None)
        return result, None if result["channel_problem"] else result["messages"]

    return phases.run_phases(request, run_one, bool(request.get("fast")))


def main() -> None:
    # Descriptors 0 and 1 carry frames. A runner must never come back to serve: leave with
    # os._exit, whatever happens (pytest registered atexit handlers that have nothing to do here).
    try:
        _start()
    finally:
        os._exit(0)


def _start() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # pid 1: the kernel now drops it from inside
    try:
        if os.getpid() != 1:
            raise RuntimeError("the server must be the container's pid 1 (no --init)")
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        sys.meta_path.insert(0, SourceFinder(read_frame()["modules"]))
        _pytest_compat()
        from sandbox.isolation.container_box import ContainerBox
        from sandbox.isolation.forkserver import ForkServer
        from sandbox.isolation.skeleton import SANDBOX, WORK
        from sandbox.languages.python.box import session

        server = ForkServer(ContainerBox())
        server.role = "session"
        os.chdir(SANDBOX)
        server.box.prepare({}, {})
        session.warm_up(WORK)
        os.chdir(SANDBOX)
        problems = server.box.clean()
        if problems:
            raise RuntimeError("; ".join(problems))
        os.mkdir(WORK, 0o755)  # the warm session is configured with the path samples see
        os.chdir(WORK)
    except BaseException:
        write_frame({"ready": False, "error": traceback.format_exc()})
        return
    import pytest

    write_frame({"ready": True, "python": sys.version.split()[0], "pytest": pytest.__version__})
    session.ParkedSession(server, lambda: serve(server)).park()
