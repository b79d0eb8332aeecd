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

Tests get the recursion depth they would get under pytest, no more and no less: the worker measures
once how deep a test function sits in its pytest session (`probe_module`) and how deep one sits here
(`calibrate`), and the recursion limit, as the sample sees and sets it, is offset by the difference.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import time
import types
from typing import Any

from sandbox.runner import MAX_CASES, Channel, _clip

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
UNSUPPORTED_FLAGS = (
    inspect.CO_VARARGS
    | inspect.CO_VARKEYWORDS
    | inspect.CO_GENERATOR
    | inspect.CO_COROUTINE
    | inspect.CO_ASYNC_GENERATOR
    | inspect.CO_ITERABLE_COROUTINE
)
# How much deeper (in recursion-limit units) a test function sits under the worker's pytest session
# than here, measured before the worker serves samples; without it the fast path decides nothing.
offset: int | None = None
PROBE_LIMIT = 1000


class Undecided(Exception):  # noqa: N818 - an outcome, not an error
    def __init__(self, why: str, failed: bool = False) -> None:
        super().__init__(why)
        self.failed = failed  # a test failed (pytest's run then says how)


def available_depth() -> int:
    """How many more nested calls fit below the caller's frame."""

    def down(n: int) -> int:
        try:
            return down(n + 1)
        except RecursionError:
            return n

    return down(0)


def probe_module(fd: int) -> str:
    """A test module whose one test reports on `fd` how deep it sits (the pytest side)."""
    return (
        "import os\nimport sys\nfrom sandbox.fastpath import PROBE_LIMIT, available_depth\n\n\n"
        "def test_depth():\n    sys.setrecursionlimit(PROBE_LIMIT)\n"
        f"    os.write({fd}, str(PROBE_LIMIT - available_depth()).encode())\n"
    )


def _depth() -> int:  # called where a test function is called, as test_depth is under pytest
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(PROBE_LIMIT)
    try:
        return PROBE_LIMIT - available_depth()
    finally:
        sys.setrecursionlimit(limit)


def calibrate(pytest_depth: int | None) -> None:
    """Called by the worker from the frame that later calls `run` (its collection hook), with how
    deep `probe_module`'s test sat under pytest: this frame stands for `run`, the next for `_run`,
    from which tests are called."""
    global offset
    offset = None if pytest_depth is None else pytest_depth - _calibrate_run()


def _calibrate_run() -> int:  # stands for `_run`
    return _depth()


def _offset_recursion_limit(offset: int) -> None:
    """Make the limit, as the sample reads and sets it, leave as much depth as under pytest."""
    real_get, real_set = sys.getrecursionlimit, sys.setrecursionlimit

    def getrecursionlimit() -> int:
        return real_get() + offset

    def setrecursionlimit(limit: int) -> None:
        real_set(max(limit - offset, 50))

    sys.getrecursionlimit, sys.setrecursionlimit = getrecursionlimit, setrecursionlimit
    setrecursionlimit(real_get())


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


def run(test_file: str, channel: Channel, outcomes_only: bool) -> None:
    """Run the module's tests and report them as pytest's reporter would, or `undecided`. The
    process ends here (as the reporter ends it): nothing the sample left may run afterwards."""
    try:
        _run(test_file, channel, outcomes_only)
    except Undecided as why:
        channel.send({"t": "undecided", "why": _clip(str(why), 200), "failed": why.failed})
    _leave()


def _run(test_file: str, channel: Channel, outcomes_only: bool) -> None:
    if offset is None:
        raise Undecided("the worker could not measure pytest's stack")
    _offset_recursion_limit(offset)
    workdir, filename = os.path.split(test_file)
    sys.path.insert(0, workdir)  # as pytest's default import mode (prepend) does
    try:
        module = importlib.import_module(os.path.splitext(filename)[0])
    except BaseException as exc:  # collection errors are pytest's to report
        raise Undecided(f"import failed: {type(exc).__name__}") from None
    tests = plain_tests(module)
    ids = [f"{filename}::{name}" for name, _ in tests]
    channel.send({"t": "collected", "ids": ids, "errors": []})
    failed = False
    for nodeid, (name, function) in zip(ids, tests, strict=True):
        channel.send({"t": "begin", "id": nodeid})
        started = time.perf_counter()
        message = ""
        try:
            value = function()
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


def _describe(exc: Exception) -> str:
    try:
        return _clip(f"{type(exc).__name__}: {exc}")
    except BaseException:  # a hostile __str__
        return type(exc).__name__


def _leave() -> None:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(0)
