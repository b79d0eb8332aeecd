"""Runs in the sandbox: the fast path's reset between a sample's phases in one runner.

A fast-path run whose tests all pass goes on to the strength check's stubbed solution in the same
process (`fastpath.run`'s `chain`), when the first phase left nothing behind that could reach into
the second (`leftovers`: no thread, no other process, no file or IPC object). Before it, the
runner rewrites the work dir's files, forgets the modules imported since (the libraries'
excepted), and resets what the sample could have changed of its own state: cwd, sys.path,
environment, recursion limit, builtins, new `sys` attributes. What it does not reset is the state
of library modules the tests changed: that could only sway the strength check of the sample
itself, which its own tests decide anyway.
"""

from __future__ import annotations

import builtins
import linecache
import os
import sys
from typing import Any

from sandbox.languages.python.box import depth, solution_guard, tamper
from sandbox.languages.python.box.fastimport import LOADERS, WorkFinder, read
from sandbox.languages.python.box.report import TESTS_FILE, Channel, Undecided

# The places a run can leave something in, besides its own memory: the work dir, /tmp, /dev/shm
# and /dev/mqueue (listed), and System V IPC objects. The work dir's files are rewritten before the
# second phase; as no name was added or removed, the import system's cached listing still holds.
SCRATCH = ("/tmp", "/dev/shm", "/dev/mqueue")
SYSV_IPC = ("/proc/sysvipc/shm", "/proc/sysvipc/sem", "/proc/sysvipc/msg")


_prepared: dict[str, Any] | None = None


def prepare(workdir: str | None = None) -> None:
    """In a fork server, before its first runner: the part of `snapshot` that is the same for
    every runner it forks, taken once, so that no runner takes it again (a forked runner copies
    each page it writes to, and taking a snapshot writes to every object in it: a reference
    count). For the same reason the names in `sys.modules` are made anew here, one after the
    other, so that the runner's one pass over them (which modules the sample imported) touches a
    dozen pages instead of a few hundred: -6% CPU on HumanEval (A/B, 12 paired rounds). With
    `workdir`, the finder the runs' imports from it use (`WorkFinder`) is made here too."""
    global _prepared
    _prepared = None
    from sandbox.isolation.skeleton import WORK

    tamper.take_ground()  # what the runs may not change (`tamper.tampering`)
    solution_guard.probe_from(os.path.join(workdir or WORK, TESTS_FILE))  # compare from there
    if workdir is not None:
        sys.path_importer_cache[workdir] = WorkFinder(workdir, *LOADERS)
    modules = list(sys.modules.items())
    sys.modules.clear()
    sys.modules.update((name.encode().decode(), module) for name, module in modules)
    _prepared = _state()


def _state() -> dict[str, Any]:
    return {
        "path": list(sys.path),
        "environ": dict(os.environ._data),  # type: ignore[attr-defined]
        "limit": sys.getrecursionlimit(),
        "modules": frozenset(sys.modules),
        "builtins": dict(vars(builtins)),
        "sys": frozenset(vars(sys)),
    }


def _watched() -> dict[str, dict[Any, Any]]:
    return {
        "environ": os.environ._data,  # type: ignore[attr-defined]
        "builtins": vars(builtins),
        "sys": vars(sys),
    }


def _unchanged(name: str, before: dict[str, Any]) -> bool:
    """Whether the watched dict `name` is as in `before`: key by key, by identity (a sample's
    objects may lie about equality)."""
    current = _watched()[name]
    if name == "sys":
        return current.keys() == before["sys"]
    return _same_items(current, before[name])


_expected_places: dict[str, Any] | None = None  # `expect_places`' listing, for the run it prepares
_place_paths: dict[str, list[str]] = {}  # `_distinct_places`, by work dir


def expect_places(workdir: str) -> None:
    """In the fork server, before it forks a fast-path run: the listing of the run's places (for
    the snapshot). The fork server made them just now and sees them as the runner will: listed
    here, it costs the runner no copied pages."""
    global _expected_places
    if workdir not in _place_paths:
        _place_paths[workdir] = _distinct_places(workdir)
    _expected_places = _places(workdir, _place_paths[workdir])


def snapshot(workdir: str) -> dict[str, Any]:
    """The runner's state before the sample's code first runs (trusted): `prepare`'s, if the fork
    server took it (the runner changed none of it since), and the listings of the run's places."""
    state = _state() if _prepared is None else _prepared
    places = _expected_places if _expected_places is not None else _places(workdir)
    return {**state, "workdir": workdir, "places": places}


def _places(workdir: str, paths: Any = None) -> dict[str, list[str] | None]:
    seen: dict[str, list[str] | None] = {}
    for path in (workdir, *SCRATCH) if paths is None else paths:
        try:
            seen[path] = sorted(os.listdir(path))
        except OSError:
            seen[path] = None
    return seen


def _distinct_places(workdir: str) -> list[str]:
    """The run's places as a fork server with a read-only skeleton sees them: each directory once
    (its /dev/shm leads to /tmp), and none that is missing (no sample can make one in its /dev)."""
    found: dict[str, str] = {}
    for path in (workdir, *SCRATCH):
        real = os.path.realpath(path)
        if real not in found and os.path.isdir(real):
            found[real] = path
    return list(found.values())


def leftovers(before: dict[str, Any]) -> str | None:
    """What the first phase left that could reach into the second, if anything."""
    if len(os.listdir("/proc/self/task")) > 1:
        return "a thread running"
    me = os.getpid()
    if any(p.isdigit() and int(p) not in (1, me) for p in os.listdir("/proc")):
        return "a process running"
    places = _places(before["workdir"], before["places"])
    changed = next((p for p, seen in places.items() if seen != before["places"][p]), None)
    if changed is not None:
        return f"something in {changed}"
    for path in SYSV_IPC:  # a run starts with none: a fresh IPC namespace, or a wiped container
        try:
            listing = read(path, 1 << 20)
        except FileNotFoundError:
            continue
        if len(listing.splitlines()) > 1:  # a header line, then one line an object
            return "a System V IPC object"
    return None


def _write(path: str, data: bytes) -> None:
    """Replace a file's content (no Python file object: fewer pages touched in a runner)."""
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def next_phase(
    test_file: str, channel: Channel, files: dict[str, str], before: dict[str, Any]
) -> None:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # the sample replaced or broke them
        pass
    channel.send({"t": "next"})
    channel.flush()  # the first phase's report is whole on the pipe before the second begins
    try:
        left = leftovers(before)
    except BaseException as exc:  # /proc unreadable, say: nothing can be ruled out
        left = f"nothing that can be checked ({type(exc).__name__})"
    if left is not None:
        raise Undecided(f"the first phase left {left}")
    workdir = before["workdir"]
    try:
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        os.close(quiet)
        os.chdir(workdir)
        # Each is compared first, by identity (a sample's object may lie about equality):
        # restoring what did not change would write to every page it lies on, and each such page
        # is a copy in a forked runner.
        path = before["path"]
        if len(sys.path) != len(path) or any(
            a is not b for a, b in zip(sys.path, path, strict=True)
        ):
            sys.path[:] = path
        environ = os.environ._data  # type: ignore[attr-defined]
        if not _unchanged("environ", before):
            for name in list(environ):
                os.unsetenv(name)
            environ.clear()
            for name, value in before["environ"].items():
                os.putenv(name, value)
                environ[name] = value
        if not _unchanged("sys", before):
            for name in vars(sys).keys() - before["sys"]:
                delattr(sys, name)
        depth.reset_limit(before["limit"])
        table = vars(builtins)
        if not _unchanged("builtins", before):
            for name in table.keys() - before["builtins"].keys():
                del table[name]
            table.update(before["builtins"])
        # Modules imported since: all but the libraries (files outside the work dir) go.
        for name in sys.modules.keys() - before["modules"]:
            origin = getattr(sys.modules[name], "__file__", None)
            if not isinstance(origin, str) or origin.startswith(workdir + os.sep):
                del sys.modules[name]
        linecache.clearcache()
        for name, text in files.items():
            _write(os.path.join(workdir, name), text.encode("utf-8", "surrogatepass"))
    except BaseException as exc:
        raise Undecided(f"could not reset the runner: {type(exc).__name__}") from None
    channel.send({"t": "start"})


_MISSING = object()


def _same_items(current: dict[Any, Any], before: dict[Any, Any]) -> bool:
    """Whether `current` maps the keys of `before` to the very same objects, and no others."""
    return len(current) == len(before) and all(
        current.get(key, _MISSING) is value for key, value in before.items()
    )
