"""Runs in the sandbox, in the sample's own process: what the sample's code may not change of the
ground its tests stand on.

In-process, hostile
Python can always reach further (into this module, say); these checks close the cheap ways: a
trace or profile function (which can skip an assert's line, or rewrite the tests as they load),
a test function changed after it was collected, the libraries tests judge by (`math.isclose`,
`unittest.TestCase.assertEqual`, `pytest.approx`...) replaced, and, under pytest, a plugin
registered by the sample. A run that did any of these is rejected: the runner reports a test
that ended the process (`tampered`), so the report never ends.

Cost is what decides how: a forked runner copies each page it writes, and reading an object in
Python writes its reference count, so the runner compares nothing attribute by attribute that
it can avoid. A watched module's class becomes `_Watched` in the fork server, which notes each
attribute set on it (`_set`): the runner looks only at those. Classes (a type's attributes
cannot be hooked) are compared value by value, only where they are loaded: in the pytest
server, not in the front.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.languages.python.box.report import Channel


class Tampered(BaseException):  # noqa: N818 - a verdict, raised in the sample's process
    """The sample changed what its verdict rests on (raised where a check cannot report)."""


# Modules, and the classes they define, whose attributes tests judge by, where the fork server
# has them loaded (`take_ground`): the front loads `math` for it; `unittest` is watched where
# pytest is (the front leaves it out: it would grow every fork by 2 MB), and otherwise checked by
# where its assert methods come from.
WATCHED = (
    "builtins", "math", "cmath", "operator", "unittest", "unittest.case", "pytest",
    "_pytest.approx", "_pytest.python_api", "_pytest.raises", "_pytest.outcomes",
)  # fmt: skip
# Builtins a test may replace for reasons of its own (input fed, output captured).
_MOCKABLE = frozenset(
    {"print", "input", "open", "help", "breakpoint", "exit", "quit", "copyright", "credits",
     "license", "__import__", "_"}
)  # fmt: skip
_gettrace, _getprofile = sys.gettrace, sys.getprofile  # the sample may replace sys's
_monitoring = getattr(sys, "monitoring", None)
_modules = sys.modules
_is = __import__("_operator").is_
_MISSING = object()
_set: list[tuple[Any, str]] = []  # (module, name): attributes set on a watched module
_found: list[str] = []  # tampering seen where it could not be reported (`check_tracing`)
# The fork server's view: each watched module with a copy of its namespace (`_originals`), the
# modules as `sys.modules` holds them, and each watched class with its attributes' values.
_originals: dict[int, tuple[Any, dict[str, Any]]] = {}
_ground: tuple[tuple[str, ...], tuple[Any, ...]] | None = None
_classes: tuple[tuple[Any, Any, tuple[Any, ...]], ...] = ()


class _Watched(type(sys)):  # type: ignore[misc]
    """A watched module's class (its `__class__`, set by `take_ground`): notes what is set."""

    def __setattr__(self, name: str, value: Any) -> None:
        _set.append((self, name))
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        _set.append((self, name))
        super().__delattr__(name)


def take_ground() -> None:
    """In a fork server, before its first runner (or in a runner before any of the sample's code,
    where no server took it): the watched modules and classes as they are."""
    global _ground, _classes
    import math  # noqa: F401 - watched, and the front has not loaded it otherwise

    if "pytest" in sys.modules:  # where pytest runs, unittest is as good as loaded
        import unittest  # noqa: F401

    modules = [(name, sys.modules[name]) for name in WATCHED if name in sys.modules]
    names = tuple(name for name, _ in modules)
    classes = []
    for _, module in modules:
        if type(module) is type(sys):
            module.__class__ = _Watched
        _originals[id(module)] = (module, dict(vars(module)))
        for value in list(vars(module).values()):
            if (
                isinstance(value, type)
                and value.__module__ in names
                and value.__module__ != "builtins"  # its classes: set on `builtins` (`_set`)
                and not value.__flags__ & (1 << 8)  # Py_TPFLAGS_IMMUTABLETYPE: cannot change
                and not any(value is c for c, _, _ in classes)
            ):
                table = vars(value)
                classes.append((value, table, tuple(table.values())))
    # `builtins` itself is left out of the `sys.modules` check: the code's globals lead to it
    # whatever `sys.modules` says (a page fewer to touch in every runner).
    kept = [(name, module) for name, module in modules if name != "builtins"]
    _ground = tuple(name for name, _ in kept), tuple(module for _, module in kept)
    _classes = tuple(classes)
    _set.clear()
    for _ in range(10):  # run in the server first: a runner's first runs of it write less
        tampering(ground=True)


def tampering(ground: bool = False) -> str | None:
    """What the sample changed so far, if anything: a trace or profile function, and, with
    `ground` (once a phase), the watched libraries. Mostly C, and as few objects as can be: each
    object read in a forked runner is a reference count written, a page copied."""
    if _found:
        return _found[0]
    if _gettrace() is not None:
        return "a trace function was set (sys.settrace)"
    if _getprofile() is not None:
        return "a profile function was set (sys.setprofile)"
    return _ground_changed() if ground else None


def _ground_changed() -> str | None:
    threading = _modules.get("threading")
    if threading is not None:
        if getattr(threading, "_trace_hook", None) is not None:
            return "a trace function was set (threading.settrace)"
        if getattr(threading, "_profile_hook", None) is not None:
            return "a profile function was set (threading.setprofile)"
    if _monitoring is not None:  # Python 3.12 on
        for tool in range(6):
            if _monitoring.get_tool(tool) is not None:
                return "a monitoring tool was registered (sys.monitoring)"
    if _ground is None:
        return None
    names, modules = _ground
    if not all(map(_is, map(_modules.get, names), modules)):
        return "a watched module was replaced in sys.modules"
    if _set:
        return _replaced()
    for cls, table, values in _classes:
        if len(table) < len(values) or not all(map(_is, table.values(), values)):
            return _class_replaced(cls, table, values)
    if "unittest.case" not in names and "unittest.case" in _modules:
        return _unittest_replaced()
    return None


def _replaced() -> str | None:
    """An attribute set on a watched module that does not hold what it held."""
    for module, name in list(_set):
        kept = _originals.get(id(module))
        if kept is None or kept[0] is not module or name not in kept[1]:
            continue
        if module.__name__ == "builtins" and name in _MOCKABLE:
            continue
        if vars(module).get(name, _MISSING) is not kept[1][name]:
            return f"{module.__name__}.{name} was replaced"
    return None


def _class_replaced(cls: Any, table: Any, values: tuple[Any, ...]) -> str:
    names, current = list(table), list(table.values())
    for index, value in enumerate(values):
        if index >= len(current) or current[index] is not value:
            name = names[index] if index < len(names) else "an attribute"
            return f"{cls.__module__}.{cls.__qualname__}.{name} was replaced"
    return f"{cls.__module__}.{cls.__qualname__} was changed"


def _unittest_replaced() -> str | None:
    """Where the run loaded `unittest` itself (the front does not have it): its assert methods
    must still be its own functions."""
    case = _modules.get("unittest.case")
    test_case = getattr(case, "TestCase", None)
    if not isinstance(test_case, type):
        return None
    where = getattr(case, "__file__", None)
    for key, value in list(vars(test_case).items()):
        if key.startswith(("assert", "fail", "_base", "_getAssert", "_formatMessage")) and not (
            isinstance(value, type)  # failureException
        ):
            code = getattr(value, "__code__", None)
            if getattr(code, "co_filename", None) != where:
                return f"unittest.TestCase.{key} was replaced"
    return None


def check_tracing(when: str) -> None:
    """Where no report can be sent (the solution's import): remember, and stop the import."""
    what = tampering()
    if what is not None:
        _found.append(f"{what} {when}")
        raise Tampered(_found[-1])


def tampered(channel: Channel, nodeid: str, what: str) -> None:
    """Reject the run: a test that ended the process, as a sanitizer's report is (its `kind` is
    the verdict's reason), and no end to the report. The process ends here."""
    reason = f"tampering: {what}"[:200]
    try:
        channel.send(
            {"t": "case", "id": nodeid, "outcome": "error", "message": reason, "detail": "",
             "duration": 0.0, "kind": reason}
        )  # fmt: skip
        channel.flush()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(0)


_HOOKS = (
    "pytest_runtest_protocol", "pytest_runtest_setup", "pytest_runtest_call",
    "pytest_runtest_teardown", "pytest_runtest_makereport", "pytest_runtest_logreport",
    "pytest_runtest_logstart", "pytest_runtest_logfinish", "pytest_pyfunc_call",
    "pytest_report_teststatus", "pytest_collectreport", "pytest_make_collect_report",
    "pytest_collection_modifyitems", "pytest_collection_finish", "pytest_sessionfinish",
)  # fmt: skip


def plugins(config: Any) -> tuple[Any, ...]:
    """The session's plugins and the implementations of the hooks that report, by identity."""
    manager = config.pluginmanager
    found: list[Any] = sorted(manager.get_plugins(), key=id)
    for name in _HOOKS:
        caller = getattr(manager.hook, name, None)
        found.append(name)
        found.extend(caller.get_hookimpls() if caller is not None else ())
    return tuple(found)


def same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return len(a) == len(b) and all(map(_is, a, b))


def test_function(item: Any) -> tuple[Any, Any]:
    """A collected test's function and its code, as its module or class holds them now."""
    try:
        function = getattr(item.parent.obj, item.originalname)
        function = getattr(function, "__func__", function)
        return function, getattr(function, "__code__", None)
    except Exception:
        return None, None


def taken() -> bool:
    """Whether the ground was taken (`take_ground`) in this process or the server it forked from."""
    return _ground is not None
