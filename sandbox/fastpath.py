"""The fast path: pytest semantics without pytest's machinery, for test modules that need none.

Most generated test modules are plain functions with asserts. For those, what pytest does is: import
the module (its `test*` functions, in definition order), call each one, and report it passed when it
returns None without raising. Running that directly, in the forked runner, skips pytest's collection
tree, its hook calls and the assertion rewriting, which are most of a sandboxed run's cost.

The fast path only ever concludes what pytest would conclude for such a module, and hands everything
else back: it reports `undecided`, and the sample is run again under pytest, in a fresh runner on a
fresh work dir. Undecided are:
- a module that uses anything pytest would act on: marks, fixtures, `Test*` or unittest classes,
  xunit `setup_*`/`teardown_*` functions, `__test__`, `pytestmark`, plugins, test functions that
  take arguments, are generators or coroutines, decorated, or defined in another file;
- an import that fails, and a test that raises anything but an `Exception` (skip, xfail, exit...)
  or returns a value;
- in a full run (not `outcomes_only`), any failing test: only pytest's report, with its assertion
  introspection, is the feedback a revision needs.
In an `outcomes_only` run (the strength check) a test that raises an `Exception` failed, as in pytest.

A run whose tests all pass goes on, in the same process, to the strength check (`run`'s `chain`),
when it left nothing behind that could reach into it; that saves a passing sample its second fork.

Tests get no more recursion depth than they would under pytest: the limit, as the sample reads and
sets it, is offset by `OFFSET`, more than pytest's frames below a test (~30 in pytest 9; a test in
tests/sandbox/test_fastpath.py measures it). A test that still runs out of depth is undecided, and
pytest decides it.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.machinery
import linecache
import marshal
import os
import re
import sys
import time
import types
from typing import Any

from sandbox import solution_guard
from sandbox.runner import MAX_CASES, SOLUTION_FILE, TESTS_FILE, Channel, _clip, sha256

# Names that make pytest do more than call functions: xunit fixtures, collection control, plugins.
BLOCKERS = frozenset(
    {
        "pytestmark",
        "__test__",
        "setup_module",
        "teardown_module",
        "setUpModule",
        "tearDownModule",
        "setup_function",
        "teardown_function",
        "setup",
        "teardown",
        "pytest_plugins",
        "collect_ignore",
        "collect_ignore_glob",
    }
)
# inspect's CO_VARARGS, CO_VARKEYWORDS, CO_GENERATOR, CO_COROUTINE, CO_ITERABLE_COROUTINE and
# CO_ASYNC_GENERATOR (CPython's code flags; `inspect` itself is not imported, to keep the fast
# path's fork server small).
UNSUPPORTED_FLAGS = 0x04 | 0x08 | 0x20 | 0x80 | 0x100 | 0x200
# How much less depth a test gets here than under pytest, whose frames sit below a test function.
OFFSET = 50
_real_limit: tuple[Any, Any] = (sys.getrecursionlimit, sys.setrecursionlimit)


class Undecided(Exception):  # noqa: N818 - an outcome, not an error
    def __init__(self, why: str, failed: bool = False) -> None:
        super().__init__(why)
        self.failed = failed  # a test failed (pytest's run then says how)


def _offset_recursion_limit(offset: int) -> None:
    """Make the limit, as the sample reads and sets it, leave as much depth as under pytest. Over
    an offset this module put in place, the offset is replaced, not added."""
    global _real_limit, _installed
    if _offset_in_place(None):
        real_get, real_set = _real_limit
        real_set(real_get() + _installed[2])  # the limit as it was before that offset
    else:
        real_get, real_set = sys.getrecursionlimit, sys.setrecursionlimit
        _real_limit = real_get, real_set

    def getrecursionlimit() -> int:
        return real_get() + offset

    def setrecursionlimit(limit: int) -> None:
        real_set(max(limit - offset, 50))

    sys.getrecursionlimit, sys.setrecursionlimit = getrecursionlimit, setrecursionlimit
    _installed = getrecursionlimit, setrecursionlimit, offset
    setrecursionlimit(real_get())


_installed: tuple[Any, Any, int] | None = None  # the offset functions in `sys`, and the offset


def _offset_in_place(wanted: int | None) -> bool:
    """Whether this module's offset functions are `sys`'s (with the offset `wanted`, if given)."""
    return (
        _installed is not None
        and sys.getrecursionlimit is _installed[0]
        and sys.setrecursionlimit is _installed[1]
        and (wanted is None or _installed[2] == wanted)
    )


def install_offset() -> None:
    """In a fork server whose runners all take the fast path (the process backend's front): the
    offset in place for good, so that no runner puts it there again (a runner pays for each page
    it writes, and `sys` is many)."""
    _offset_recursion_limit(OFFSET)


def _reset_recursion_limit(limit: int) -> None:
    """Back to the limit a run starts with (`limit`, before the offset), offset as before."""
    if _offset_in_place(OFFSET) and _real_limit[0]() == max(limit - OFFSET, 50):
        return  # as it was: nothing to write
    real_get, real_set = _real_limit
    sys.getrecursionlimit, sys.setrecursionlimit = real_get, real_set
    real_set(limit)
    _offset_recursion_limit(OFFSET)


def plain_tests(module: types.ModuleType) -> list[tuple[str, types.FunctionType]]:
    """The module's tests in pytest's order, when calling them is all pytest would do."""
    unittest = sys.modules.get("unittest")
    tests = []
    for name, obj in list(vars(module).items()):
        if name in BLOCKERS or name.startswith("pytest_"):
            raise Undecided(f"the module defines {name}")
        kind = type(obj).__module__ or ""
        if kind.split(".")[0] in ("_pytest", "pytest", "pluggy"):
            raise Undecided(f"{name} is a pytest object ({type(obj).__name__})")
        if isinstance(obj, type):
            if name.startswith("Test") or (
                unittest is not None and issubclass(obj, unittest.TestCase)
            ):
                raise Undecided(f"test class {name}")
            continue
        if not name.startswith("test"):
            continue
        if not isinstance(obj, types.FunctionType):
            if callable(obj) or isinstance(obj, (staticmethod, classmethod)):
                raise Undecided(f"{name} is a callable that is not a function")
            continue
        code = obj.__code__
        if (
            code.co_filename != module.__file__
            or code.co_argcount
            or code.co_kwonlyargcount
            or code.co_flags & UNSUPPORTED_FLAGS
            or obj.__dict__  # marks, __test__, __wrapped__: decorated
        ):
            raise Undecided(f"{name} needs pytest (arguments, decorators or not a plain function)")
        tests.append((name, obj))
    if not tests:
        raise Undecided("no plain test functions")
    if len(tests) > MAX_CASES:
        raise Undecided("more tests than a report holds")
    return tests


def run(
    test_file: str, channel: Channel, outcomes_only: bool, chain: dict[str, str] | None = None
) -> None:
    """Run the module's tests and report them as pytest's reporter would, or `undecided`. The
    process ends here (as the reporter ends it): nothing the sample left may run afterwards.

    With `chain` (the strength check's files), a run whose tests all passed goes on in the same
    process: it reports `next`, and, when the first phase left nothing behind (`_leftovers`: no
    thread, no other process, no file or IPC object), rewrites the work dir's files, forgets the
    modules imported since (the libraries' excepted), resets what the sample could have changed
    of the runner's own state (cwd, sys.path, environment, recursion limit, builtins, new `sys`
    attributes), and runs the tests again, outcomes only, with stdout and stderr going nowhere.
    What it does not reset is the state of library modules the tests changed: that could only
    sway the strength check of the sample itself, which its own tests decide anyway. A second
    phase that is undecided (leftovers included) or does not finish runs again in a fresh runner
    (`runner.run_phases`)."""
    channel.buffered = True
    before = None if chain is None else _snapshot(os.path.dirname(test_file))
    try:
        if not _offset_in_place(OFFSET):  # else the fork server put it there (`install_offset`)
            _offset_recursion_limit(OFFSET)
            if before is not None:  # the offset changed `sys`: what the sample finds is this
                before["sys"] = frozenset(vars(sys))
        passed = _run(test_file, channel, outcomes_only)
        if before is not None and chain is not None and passed:
            _next_phase(test_file, channel, chain, before)
    except Undecided as why:
        channel.send({"t": "undecided", "why": _clip(str(why), 200), "failed": why.failed})
    _leave(channel)


def _run(test_file: str, channel: Channel, outcomes_only: bool, phase: int = 0) -> bool:
    """One phase; whether every test passed."""
    workdir, filename = os.path.split(test_file)
    sys.path.insert(0, workdir)  # as pytest's default import mode (prepend) does
    channel.flush()  # the sample's code runs from here on
    direct = None
    if phase < len(_compiled) and _compiled[phase]:
        _PrecompiledLoader.codes = _compiled[phase]
        if not isinstance(sys.path_importer_cache.get(workdir), _WorkFinder):
            sys.path_importer_cache[workdir] = _WorkFinder(workdir, *_LOADERS)
        direct = _direct[phase]
    try:
        if direct is not None:
            module = _import_directly(*direct)
        else:
            module = importlib.import_module(os.path.splitext(filename)[0])
    except BaseException as exc:  # collection errors are pytest's to report
        raise Undecided(f"import failed: {type(exc).__name__}") from None
    tests = plain_tests(module)
    ids = [f"{filename}::{name}" for name, _ in tests]
    channel.send({"t": "collected", "ids": ids, "errors": []})
    failed = False
    for nodeid, (name, function) in zip(ids, tests, strict=True):
        channel.send({"t": "begin", "id": nodeid})
        channel.flush()
        started = time.perf_counter()
        message = ""
        try:
            value = function()
        except RecursionError:
            raise Undecided(f"{name} ran out of depth") from None  # pytest has more of it
        except Exception as exc:
            if not outcomes_only:
                raise Undecided(f"{name} failed", failed=True) from None
            outcome, failed, message = "failed", True, _describe(exc)
        except BaseException as exc:
            raise Undecided(f"{name} raised {type(exc).__name__}") from None
        else:
            if value is not None:
                raise Undecided(f"{name} returned a value")
            outcome = "passed"
        case: dict[str, Any] = {
            "outcome": outcome,
            "message": message,
            "detail": "",
            "duration": time.perf_counter() - started,
        }
        channel.send({"t": "case", "id": nodeid, **case})
    channel.send({"t": "end", "exitstatus": 1 if failed else 0})
    return not failed


# Compiling a module is most of importing it, and in a freshly forked runner it is slower still:
# the compiler's memory is new pages. So the fork server compiles the run's files before it forks
# (`prepare_run`), and the runner's import system takes that code for a file that still holds the
# bytes it was compiled from: the same code a compile of the file would give, as a source loader
# compiles the file's bytes (coding cookie and all), with the same flags.
PRECOMPILE_MAX = 256 << 10  # larger files (rare) are compiled where they are imported
_compiled: list[dict[str, tuple[bytes, types.CodeType]]] = []  # a table per phase
# Per phase, where the tests can be imported without the import system (`_import_directly`): the
# specs and code of the tests module and of the solution.
_direct: list[tuple[tuple[Any, types.CodeType], tuple[Any, types.CodeType]] | None] = []
# A first statement that imports the solution module, and nothing before it but blank lines and
# comments (a docstring, say, and the module is imported the usual way).
_SOLUTION_FIRST = re.compile(r"(?:from\s+solution\s+import\b|import\s+solution\s*(?:$|[,;#]|as\b))")


def prepare_run(
    workdir: str, phases: list[tuple[dict[str, str], dict[str, tuple[str, bytes]]]]
) -> None:
    """In the fork server, before it forks a fast-path run: the listing of the run's places (for
    the snapshot), and the code of each phase's Python files, given as (files, code): the code
    the verifier compiled them to (its digest, marshalled), or compiled here. The source is the
    sample's, so hostile: compile only parses it, and the verifier has compiled the same text
    already. A file that does not compile is left to the import, which reports it."""
    global _compiled, _direct, _expected_places
    _compiled, _direct = [], []
    # The fork server made the run's places just now and sees them as the runner will: list them
    # here, where it costs no copied pages.
    if workdir not in _place_paths:
        _place_paths[workdir] = _distinct_places(workdir)
    _expected_places = _places(workdir, _place_paths[workdir])
    made: dict[tuple[str, str], tuple[bytes, types.CodeType]] = {}  # a file both phases hold
    for files, shipped in phases:
        table = {}
        for name, text in files.items():
            path = os.path.join(workdir, name)
            if (path, text) in made:
                table[path] = made[path, text]
                continue
            data = text.encode("utf-8", "surrogatepass")
            if not name.endswith(".py") or len(data) > PRECOMPILE_MAX:
                continue
            digest, marshalled = shipped.get(name) or ("", b"")
            try:
                if marshalled and digest == sha256(data).hexdigest():
                    code = marshal.loads(marshalled)
                else:
                    code = compile(data, path, "exec", dont_inherit=True)
            except Exception:  # SyntaxError, ValueError, RecursionError, MemoryError
                continue
            if isinstance(code, types.CodeType) and code.co_filename == path:
                table[path] = made[path, text] = (data, code)
        _compiled.append(table)
        _direct.append(_directly(workdir, files, table, len(_direct)))


def _directly(
    workdir: str, files: dict[str, str], table: dict[str, tuple[bytes, types.CodeType]], phase: int
) -> tuple[tuple[Any, types.CodeType], tuple[Any, types.CodeType]] | None:
    """What `_import_directly` needs for a phase, when it can take the import system's place:
    both files compiled here, and the tests' first statement imports the solution."""
    tests, solution = os.path.join(workdir, TESTS_FILE), os.path.join(workdir, SOLUTION_FILE)
    if tests not in table or solution not in table:
        return None
    first = next((line for line in files[TESTS_FILE].split("\n") if _is_code(line)), "")
    if not _SOLUTION_FIRST.match(first):
        return None
    return (_spec(tests, phase), table[tests][1]), (_spec(solution, phase), table[solution][1])


def _is_code(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _spec(path: str, phase: int) -> Any:
    """The spec the import system would give the work dir's file at `path`: made once for every
    run (a runner that changes it changes its own copy), and once a phase (the stub phase's
    modules share nothing with the first's)."""
    if (path, phase) not in _specs:
        _specs[path, phase] = _new_spec(path)
    return _specs[path, phase]


_specs: dict[tuple[str, int], Any] = {}
_place_paths: dict[str, list[str]] = {}  # `_distinct_places`, by work dir


def _new_spec(path: str) -> Any:
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.machinery.ModuleSpec(name, _PrecompiledLoader(name, path), origin=path)
    spec.has_location = True
    spec.cached = importlib._bootstrap_external.cache_from_source(path)  # type: ignore[attr-defined]
    spec._initializing = False  # as importlib leaves it, once the module has run
    return spec


def _import_directly(
    tests: tuple[Any, types.CodeType], solution: tuple[Any, types.CodeType]
) -> types.ModuleType:
    """Import the tests module as pytest does (its module in `sys.modules`, then its code), where
    its first statement imports the solution: that import is done first, in the same way, so
    that the tests' `from solution import ...` finds it loaded. The import system's own Python
    code (finders, specs, loaders) is most of an import in a freshly forked runner, in pages
    written for the first time; what runs, in what order, with what modules in `sys.modules`,
    is the same: the tests module is in it, empty, while the solution runs."""
    (tests_spec, tests_code), (solution_spec, solution_code) = tests, solution
    module = _new_module(tests_spec)
    module.__builtins__ = builtins.__dict__  # what its `exec` adds first, before any statement
    sys.modules[tests_spec.name] = module
    try:
        _exec_module(_new_module(solution_spec), solution_code)
        solution_guard.guard(sys.modules[solution_spec.name])
        exec(tests_code, module.__dict__)
    except BaseException:
        sys.modules.pop(tests_spec.name, None)
        raise
    sys.modules[tests_spec.name] = module = sys.modules.pop(tests_spec.name)  # as importlib
    return module


def _new_module(spec: Any) -> types.ModuleType:
    """A module with the attributes the import system sets before running its code."""
    module = types.ModuleType(spec.name)
    module.__loader__ = spec.loader
    module.__package__ = spec.parent
    module.__spec__ = spec
    module.__file__ = spec.origin
    module.__cached__ = spec.cached
    return module


def _exec_module(module: types.ModuleType, code: types.CodeType) -> None:
    name = module.__name__
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    sys.modules[name] = sys.modules.pop(name)  # last, as importlib leaves it


class _PrecompiledLoader(importlib.machinery.SourceFileLoader):
    """The source loader of the run's work dir: the fork server's code for a file unchanged since
    it was compiled, else the usual compile."""

    codes: dict[str, tuple[bytes, types.CodeType]] = {}

    def get_code(self, fullname: str) -> types.CodeType:
        entry = self.codes.get(self.path)
        if entry is not None:
            source, code = entry
            try:
                if _read(self.path, len(source) + 1) == source:
                    return code
            except OSError:
                pass
        return super().get_code(fullname)


class _WorkFinder(importlib.machinery.FileFinder):
    """The work dir's finder, with the precompiled loader for source files. A fork server makes
    it once (`prepare`); it lists the directory afresh in each runner, as the directory is new."""


_LOADERS = (
    (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
    (_PrecompiledLoader, importlib.machinery.SOURCE_SUFFIXES),
    (importlib.machinery.SourcelessFileLoader, importlib.machinery.BYTECODE_SUFFIXES),
)


def _read(path: str, limit: int) -> bytes:
    """Up to `limit` bytes of a file."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = b""
        while len(data) < limit and (chunk := os.read(fd, limit - len(data))):
            data += chunk
        return data
    finally:
        os.close(fd)


# The places a run can leave something in, besides its own memory: the work dir, /tmp, /dev/shm
# and /dev/mqueue (listed), and System V IPC objects. The work dir's files are rewritten before the
# second phase; as no name was added or removed, the import system's cached listing still holds.
SCRATCH = ("/tmp", "/dev/shm", "/dev/mqueue")
SYSV_IPC = ("/proc/sysvipc/shm", "/proc/sysvipc/sem", "/proc/sysvipc/msg")


_prepared: dict[str, Any] | None = None


def prepare(workdir: str | None = None) -> None:
    """In a fork server, before its first runner: the part of `_snapshot` that is the same for
    every runner it forks, taken once, so that no runner takes it again (a forked runner copies
    each page it writes to, and taking a snapshot writes to every object in it: a reference
    count). With `workdir`, the finder the runs' imports from it use (`_WorkFinder`) is made here
    too."""
    global _prepared
    _prepared = None
    if workdir is not None:
        sys.path_importer_cache[workdir] = _WorkFinder(workdir, *_LOADERS)
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


_expected_places: dict[str, Any] | None = None  # `prepare_run`'s listing, for the run it prepares


def _snapshot(workdir: str) -> dict[str, Any]:
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


def _leftovers(before: dict[str, Any]) -> str | None:
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
            listing = _read(path, 1 << 20)
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


def _next_phase(
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
        left = _leftovers(before)
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
        _reset_recursion_limit(before["limit"])
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
    _run(test_file, channel, outcomes_only=True, phase=1)


_MISSING = object()


def _same_items(current: dict[Any, Any], before: dict[Any, Any]) -> bool:
    """Whether `current` maps the keys of `before` to the very same objects, and no others."""
    return len(current) == len(before) and all(
        current.get(key, _MISSING) is value for key, value in before.items()
    )


def _describe(exc: Exception) -> str:
    try:
        return _clip(f"{type(exc).__name__}: {exc}")
    except BaseException:  # a hostile __str__
        return type(exc).__name__


def _leave(channel: Channel) -> None:
    try:
        channel.flush()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(0)
