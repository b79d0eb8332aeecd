"""The language seam: a language is a folder under sandbox/languages/, registered by name.

A language says everything the rest of assay needs to know about it, and nothing else knows:

- its file layout (`solution_file`, `tests_file`) and how the teacher fences its code (`fences`);
- its toolchain (`Toolchain`: the programs it needs, with the fix when one is missing, and the
  Debian packages the Docker image installs); the process backend's skeleton already shows the
  host's /usr read-only, so a toolchain installed from Debian packages is visible to samples;
- its static checks (`precheck`): parse and lint on the trusted side, batched, which diagnostics
  reject and which are only reported;
- the run in the box (`request`): the files and the steps, such as compile then test, each with
  its limits; compilers run inside the box like the tests;
- how its tests report (every language's harness speaks the same authenticated protocol, read by
  `sandbox.isolation.channel`, so the judge is the same for all) and what its compiler said
  (`diagnostics`);
- its strength-check stub (`stub`): every function of the solution replaced by one that returns a
  default or throws;
- its conventions (`conventions`), the text the prompts put before the teacher.

Languages register with `@register`; a plugin package can add one through the entry point group
`assay.languages` (each entry point names a module that registers on import). Code that runs in
the box beside the sample lives in a language's `box/` folder, apart from its trusted module.
This module stays light: sandbox workers import their languages' box code through it.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

if TYPE_CHECKING:
    from sandbox.options import VerifyOptions
    from sandbox.records import LintMessage, Sample, Verdict
    from sandbox.requests import RunRequest, RunResult


def box_cache_dir() -> str:
    """The host's directory for what languages build once for every sample (precompiled headers,
    a test framework's compiled main): trusted code writes it, samples see it read-only at
    `sandbox.isolation.skeleton.BOX_CACHE` (full isolation) or here (weak isolation)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "assay", "box")
    os.makedirs(path, mode=0o755, exist_ok=True)
    return path


def scratch_dir() -> str | None:
    """Where the trusted side writes a chunk's files for a tool to read: in memory where there
    is a tmpfs (/dev/shm), else the default temporary directory. Hundreds of small files a chunk
    cost real time on a disk: on a VM's disk, TypeScript's emitter spent ~80 ms a chunk of 32
    files on them, against ~15 ms on /dev/shm."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


def too_large(sample: Sample, files: tuple[str, str], limit: int) -> Verdict | None:
    """A `syntax` rejection naming the first of the solution and the tests (`files` are their
    names) over `limit` bytes of UTF-8."""
    from sandbox.records import Verdict

    for name, text in zip(files, (sample.solution, sample.tests), strict=True):
        if len(text.encode("utf-8", "surrogatepass")) > limit:
            return Verdict(
                passed=False, stage="syntax", reason=f"{name} is larger than {limit} bytes"
            )
    return None


def not_allowed(code: str, found: Sequence[tuple[str, int, int, str, str]]) -> Verdict | None:
    """A `compile` rejection of what a sample's files may not hold, `found` as (file, line,
    column, what, why) each: a rejecting lint message of `code` for each, the first in the
    reason. None where nothing was found."""
    from sandbox.records import LintMessage, Verdict

    if not found:
        return None
    messages = [
        LintMessage(
            code=code,
            message=f"{what} is not allowed: {why}",
            line=line,
            column=column,
            file=file,
            rejects=True,
        )
        for file, line, column, what, why in found
    ]
    file, line, _, what, why = found[0]
    reason = f"{what} is not allowed ({file}:{line}): {why}"
    return Verdict(passed=False, stage="compile", reason=reason, lint=messages)


class LanguageError(ValueError):
    """An unknown or unusable language; the message names the fix."""


class Toolchain(NamedTuple):
    """What a language needs installed. `programs` are looked up on PATH (the first name of each
    tuple that is found is used); `debian` are the packages that provide them, which .ci/run
    and the Docker image install; `npm` are packages installed under the worker's npm prefix."""

    programs: tuple[tuple[str, ...], ...] = ()
    debian: tuple[str, ...] = ()
    npm: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()  # further files or directories that must exist

    def missing(self) -> list[str]:
        gone = [" or ".join(names) for names in self.programs if not _which(names)]
        gone += [path for path in self.paths if not os.path.exists(path)]
        return gone

    def find(self, *names: str) -> str:
        found = _which(names)
        if found is None:
            raise LanguageError(f"{' or '.join(names)} is not installed")
        return found


def _which(names: Sequence[str]) -> str | None:
    import shutil

    for name in names:
        path = shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/local/bin:/usr/bin")
        if path:
            return path
    return None


class Prechecked:
    """A sample after the trusted-side checks: its rejection (`verdict`), if one check failed,
    the diagnostics that are only reported (`lint`), and what the run needs from the checks
    (`prepared`, e.g. Python's compiled code)."""

    __slots__ = ("verdict", "lint", "prepared")

    def __init__(
        self,
        verdict: Verdict | None = None,
        lint: list[LintMessage] | None = None,
        prepared: dict[str, Any] | None = None,
    ) -> None:
        self.verdict = verdict
        self.lint = lint if lint is not None else []
        self.prepared = prepared if prepared is not None else {}


class Language:
    """One language's conventions and checks. Subclasses set the class attributes and override
    the methods; one instance per verifier."""

    name: ClassVar[str] = ""
    fences: ClassVar[tuple[str, ...]] = ()  # markdown fence tags, the first the canonical one
    extensions: ClassVar[tuple[str, ...]] = ()  # source files the seeds are taken from
    solution_file: ClassVar[str] = ""
    tests_file: ClassVar[str] = ""
    toolchain: ClassVar[Toolchain] = Toolchain()
    # Where the strength check's stub is a switch in the sample's own build (C++, Rust): text on
    # every line of the solution that holds a switch (`stub_broke_compile`).
    stub_switch: ClassVar[str] = ""
    # The strength check's stub of a solution that defines no function to stub: the smallest
    # solution file the tests build and run against (tests that still pass use nothing of it).
    empty_solution: ClassVar[str] = ""
    # Whether an answer's block is the tests (the other block is the solution).
    tests_pattern: ClassVar[str] = ""
    # The teacher's instructions (prompts/*.jinja show them): layout, test framework, libraries.
    conventions: ClassVar[str] = ""

    def __init__(self, options: VerifyOptions) -> None:
        self.options = options

    def unavailable(self) -> str | None:
        """Why this language cannot be verified here, with the fix; None when it can."""
        missing = self.toolchain.missing()
        if not missing:
            return None
        fix = ""
        if self.toolchain.debian:
            fix = f" Fix: apt-get install {' '.join(self.toolchain.debian)}"
        if self.toolchain.npm:
            fix += f"{';' if fix else ' Fix:'} npm install -g {' '.join(self.toolchain.npm)}"
        return f"{self.name}: {', '.join(missing)} not found.{fix}"

    def precheck(self, samples: Sequence[Sample]) -> list[Prechecked]:
        """The trusted-side checks of many samples at once (one linter call for all)."""
        raise NotImplementedError

    def too_large(self, sample: Sample) -> Verdict | None:
        """A `syntax` rejection of a file over `max_source_bytes`, before any tool reads it."""
        return too_large(
            sample, (self.solution_file, self.tests_file), self.options.max_source_bytes
        )

    def request(self, sample: Sample, prechecked: Prechecked, stub: str | None) -> RunRequest:
        """The sandboxed run of a sample that passed its prechecks: its files and its steps, then,
        with `stub` (the strength check's solution), the same run of the stub."""
        raise NotImplementedError

    def stub(self, solution: str) -> str | None:
        """The solution with every function's body replaced by a default return or a throw, or,
        where the stub is a switch in the sample's own build (Rust, C++, Go), with that switch
        ahead of every function's body; `empty_solution` when it defines no function; None when
        it cannot be stubbed."""
        raise NotImplementedError

    def diagnostics(self, result: RunResult) -> list[LintMessage]:
        """The compiler's or type checker's messages from a run, with file:line:col: those of a
        failed compile reject (its verdict's stage is `compile`), warnings are reported."""
        return []

    def stub_broke_compile(self, request: RunRequest, result: RunResult) -> bool:
        """Whether a compile that failed may have failed on the strength check's instrumentation
        rather than on the sample: an error on a line of the solution that holds a switch
        (`stub_switch`; a `return {};` of a C++ type without a default, a Rust crate that
        forbids the switch's `allow`). The verifier then runs the sample again without the
        strength check, and a genuine error on that line is the sample's own compile's."""
        if not self.stub_switch or len(request.phases) < 2 or not request.phases[1].takes:
            return False
        solution = request.phases[0].files.get(self.solution_file, "")
        marked = {n for n, line in enumerate(solution.split("\n"), 1) if self.stub_switch in line}
        return any(
            m.rejects and m.file == self.solution_file and m.line in marked
            for m in self.diagnostics(result)
        )

    def compile_reason(self, messages: list[LintMessage]) -> str | None:
        """The reason of a compile rejection, where the language can say more than `compile
        error` from its messages (Rust: `no such crate`); None keeps the judge's."""
        return None

    def details(self, result: RunResult) -> dict[str, str]:
        """Each failing test's longer detail (a traceback, a sanitizer report), by test name, for
        the feedback."""
        return {}

    def close(self) -> None:
        """Release what the language keeps beside the verifier's workers (Java: the sandbox
        worker of its batch compiles); the verifier calls it when it closes."""


_REGISTRY: dict[str, type[Language]] = {}
# Built in, imported on first use: a verifier of Python samples never imports a C++ checker.
_BUILTIN = {
    "python": "sandbox.languages.python.language",
    "cpp": "sandbox.languages.cpp",
    "java": "sandbox.languages.java.language",
    "javascript": "sandbox.languages.javascript.language",
    "typescript": "sandbox.languages.typescript.language",
    "php": "sandbox.languages.php.language",
    "go": "sandbox.languages.go.language",
    "rust": "sandbox.languages.rust.language",
}
_ALIASES = {
    "py": "python",
    "js": "javascript",
    "node": "javascript",
    "c++": "cpp",
    "ts": "typescript",
    "golang": "go",
    "rs": "rust",
}
_plugins_loaded = False


def register(cls: type[Language]) -> type[Language]:
    """Class decorator: make `cls` the language of its `name`."""
    if not cls.name:
        raise LanguageError(f"{cls.__qualname__} has no name")
    _REGISTRY[cls.name] = cls
    return cls


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from importlib.metadata import entry_points

    for entry in entry_points(group="assay.languages"):
        entry.load()


def names() -> list[str]:
    """Every language assay knows: built in, registered, and from plugins."""
    _load_plugins()
    return sorted(set(_BUILTIN) | set(_REGISTRY))


def canonical(name: str) -> str:
    key = name.strip().lower()
    return _ALIASES.get(key, key)


def lookup(name: str) -> type[Language]:
    key = canonical(name)
    if key not in _REGISTRY and key in _BUILTIN:
        importlib.import_module(_BUILTIN[key])
    if key not in _REGISTRY:
        _load_plugins()
    try:
        return _REGISTRY[key]
    except KeyError:
        raise LanguageError(f"unknown language {name!r}: use one of {', '.join(names())}") from None


Factory = Callable[["VerifyOptions"], Language]

__all__ = ["Language", "LanguageError", "Prechecked", "Toolchain", "lookup", "names", "register"]
