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

Tests get no more recursion depth than they would under pytest (`depth.py`).
"""

from __future__ import annotations

import importlib
import os
import sys
import time
import types
import warnings
from typing import Any

from sandbox.languages.python.box import depth, fastimport, fastreset, tamper
from sandbox.languages.python.box.report import MAX_CASES, Channel, Undecided, _clip
from sandbox.languages.python.box.tamper import Tampered, tampered, tampering

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


def plain_tests(
    module: types.ModuleType,
) -> list[tuple[str, types.FunctionType, types.CodeType]]:
    """The module's tests in pytest's order, when calling them is all pytest would do (each
    with its code as collected)."""
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
        tests.append((name, obj, code))
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
    (`phases.run_phases`)."""
    channel.buffered = True
    if fastreset._prepared is None:  # else the fork server took it (`fastreset.prepare`)
        tamper.take_ground()
    before = None if chain is None else fastreset.snapshot(os.path.dirname(test_file))
    try:
        if not depth.in_place():  # else the fork server put it there (`depth.install`)
            depth.install()
            if before is not None:  # the offset changed `sys`: what the sample finds is this
                before["sys"] = frozenset(vars(sys))
        passed = _run(test_file, channel, outcomes_only)
        if before is not None and chain is not None and passed:
            fastreset.next_phase(test_file, channel, chain, before)
            _run(test_file, channel, outcomes_only=True, phase=1)
    except Undecided as why:
        channel.send({"t": "undecided", "why": _clip(str(why), 200), "failed": why.failed})
    _leave(channel)


def _run(test_file: str, channel: Channel, outcomes_only: bool, phase: int = 0) -> bool:
    """One phase; whether every test passed."""
    workdir, filename = os.path.split(test_file)
    sys.path.insert(0, workdir)  # as pytest's default import mode (prepend) does
    channel.flush()  # the sample's code runs from here on
    direct = None
    if phase < len(fastimport.compiled) and fastimport.compiled[phase]:
        fastimport.PrecompiledLoader.codes = fastimport.compiled[phase]
        if not isinstance(sys.path_importer_cache.get(workdir), fastimport.WorkFinder):
            sys.path_importer_cache[workdir] = fastimport.WorkFinder(workdir, *fastimport.LOADERS)
        direct = fastimport.direct[phase]
    try:
        with PytestWarnings():
            if direct is not None:
                module = fastimport.import_directly(*direct)
            else:
                module = importlib.import_module(os.path.splitext(filename)[0])
    except Tampered as exc:  # the solution set a trace function as it loaded
        tampered(channel, filename, str(exc))
    except BaseException as exc:  # collection errors are pytest's to report
        raise Undecided(f"import failed: {type(exc).__name__}") from None
    if (what := tampering()) is not None:
        tampered(channel, filename, what)
    tests = plain_tests(module)
    ids = [f"{filename}::{name}" for name, _, _ in tests]
    channel.send({"t": "collected", "ids": ids, "errors": []})
    failed = False
    namespace = vars(module)
    for nodeid, (name, function, code) in zip(ids, tests, strict=True):
        if function.__code__ is not code or namespace.get(name) is not function:
            tampered(channel, nodeid, f"{name} was changed after collection")
        channel.send({"t": "begin", "id": nodeid})
        channel.flush()
        started = time.perf_counter()
        message = ""
        try:
            with PytestWarnings():
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
        if (what := tampering()) is not None:
            tampered(channel, nodeid, what)
        channel.send({"t": "case", "id": nodeid, **case})
    if (what := tampering(ground=True)) is not None:
        tampered(channel, filename, what)
    channel.send({"t": "end", "exitstatus": 1 if failed else 0})
    return not failed


class PytestWarnings(warnings.catch_warnings):
    """The warning filters pytest gives a collection and each test (its
    `Config._catch_configured_warnings`): deprecation warnings always shown (Python's own
    filters ignore them outside `__main__`), and recorded instead of printed; what the code
    changes in the filters ends with the test. A test that expects a DeprecationWarning then
    passes here as it does under pytest."""

    def __init__(self) -> None:
        super().__init__(record=True)

    def __enter__(self) -> Any:
        log = super().__enter__()
        if not sys.warnoptions:
            warnings.filterwarnings("always", category=DeprecationWarning)
            warnings.filterwarnings("always", category=PendingDeprecationWarning)
        return log


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
