"""Runs in the sandbox: the fast path's imports, without compiling and without the import system.

Compiling a module is most of importing it, and in a freshly forked runner it is slower still: the
compiler's memory is new pages. So the fork server compiles the run's files before it forks
(`prepare_run`), and the runner's import system takes that code for a file that still holds the
bytes it was compiled from: the same code a compile of the file would give. Where the tests'
first statement imports the solution, the runner imports both without the import system, whose
own Python code is most of an import in a freshly forked runner (`import_directly`).
"""

from __future__ import annotations

import builtins
import importlib
import importlib.machinery
import marshal
import os
import re
import sys
import types
from typing import Any

from sandbox.languages.python.box import solution_guard
from sandbox.languages.python.box.report import SOLUTION_FILE, TESTS_FILE, sha256

PRECOMPILE_MAX = 256 << 10  # larger files (rare) are compiled where they are imported
compiled: list[dict[str, tuple[bytes, types.CodeType]]] = []  # a table per phase
# Per phase, where the tests can be imported without the import system (`import_directly`): the
# specs and code of the tests module and of the solution.
direct: list[tuple[tuple[Any, types.CodeType], tuple[Any, types.CodeType]] | None] = []
# A first statement that imports the solution module, and nothing before it but blank lines and
# comments (a docstring, say, and the module is imported the usual way).
_SOLUTION_FIRST = re.compile(r"(?:from\s+solution\s+import\b|import\s+solution\s*(?:$|[,;#]|as\b))")


def prepare_run(
    workdir: str, phases: list[tuple[dict[str, str], dict[str, tuple[str, bytes]]]]
) -> None:
    """In the fork server, before it forks a fast-path run: the code of each phase's Python
    files, given as (files, code): the code the verifier compiled them to (its digest,
    marshalled), or compiled here. The source is the sample's, so hostile: compile only parses
    it, and the verifier has compiled the same text already. A file that does not compile is
    left to the import, which reports it."""
    global compiled, direct
    compiled, direct = [], []
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
        compiled.append(table)
        direct.append(_directly(workdir, files, table, len(direct)))


def _directly(
    workdir: str, files: dict[str, str], table: dict[str, tuple[bytes, types.CodeType]], phase: int
) -> tuple[tuple[Any, types.CodeType], tuple[Any, types.CodeType]] | None:
    """What `import_directly` needs for a phase, when it can take the import system's place:
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


def _new_spec(path: str) -> Any:
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.machinery.ModuleSpec(name, PrecompiledLoader(name, path), origin=path)
    spec.has_location = True
    spec.cached = importlib._bootstrap_external.cache_from_source(path)  # type: ignore[attr-defined]
    spec._initializing = False  # as importlib leaves it, once the module has run
    return spec


def import_directly(
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


class PrecompiledLoader(importlib.machinery.SourceFileLoader):
    """The source loader of the run's work dir: the fork server's code for a file unchanged since
    it was compiled, else the usual compile."""

    codes: dict[str, tuple[bytes, types.CodeType]] = {}

    def get_code(self, fullname: str) -> types.CodeType:
        entry = self.codes.get(self.path)
        if entry is not None:
            source, code = entry
            try:
                if read(self.path, len(source) + 1) == source:
                    return code
            except OSError:
                pass
        return super().get_code(fullname)


class WorkFinder(importlib.machinery.FileFinder):
    """The work dir's finder, with the precompiled loader for source files. A fork server makes
    it once (`prepare`); it lists the directory afresh in each runner, as the directory is new."""


LOADERS = (
    (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
    (PrecompiledLoader, importlib.machinery.SOURCE_SUFFIXES),
    (importlib.machinery.SourcelessFileLoader, importlib.machinery.BYTECODE_SUFFIXES),
)


def read(path: str, limit: int) -> bytes:
    """Up to `limit` bytes of a file."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = b""
        while len(data) < limit and (chunk := os.read(fd, limit - len(data))):
            data += chunk
        return data
    finally:
        os.close(fd)
