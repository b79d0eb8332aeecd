"""C++: a header-only solution (`solution.hpp`) and doctest tests (`test_solution.cpp`).

The trusted side checks only what needs no compiler (sizes, the harness's own names); the real
check is the compile, which runs IN the box as a `compile` step with its own time limit: g++
-std=c++17 with -Wall -Wextra, where the warnings that name undefined behaviour reject
(`compiler.REJECT`) and the rest are reported. The step's program is assay's binary check
(`box/check.cpp`), which runs g++ and then reads the linked test binary before anything of the
sample runs: code that would run before the harness (.preinit_array, IFUNC resolvers), functions
with C names that would replace the C library's or a sanitizer's, and redefinitions of the
harness's own functions are `compile` rejections that name what they found. The test binary then
runs under AddressSanitizer and UBSan; its harness (`box/`) reports each doctest test case on the
authenticated channel, a sanitizer's report as the detail of the test it stopped, and checks for
leaks after each test. The harness library, the check and a precompiled header are built once per
machine (`build`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sandbox.languages import (
    Language,
    LanguageError,
    Prechecked,
    Toolchain,
    not_allowed,
    register,
)
from sandbox.languages.cpp import build, compiler
from sandbox.languages.cpp.lint import harness_definitions
from sandbox.languages.cpp.macros import Forbidden, forbidden, redefinitions
from sandbox.languages.cpp.stub import SWITCH
from sandbox.records import LintMessage, Sample, Verdict
from sandbox.requests import COMPILE, Phase, RunRequest, RunResult, Step

SOLUTION_FILE, TESTS_FILE = "solution.hpp", "test_solution.cpp"
BINARY = "test_solution"
# The compile's own wall-clock and CPU limit: at least this, or twice the tests' timeout.
COMPILE_MIN_S = 20.0
DETAIL_LINES = 12

CONVENTIONS = """\
- C++17, the standard library only (no Boost or other libraries, no network).
- The solution is a header, `solution.hpp`: it starts with `#pragma once`, includes the standard
  headers it uses, and defines the functions (and classes) in it, header-only.
- The tests are a separate file, `test_solution.cpp`, using doctest: it starts with
  `#include "solution.hpp"` and `#include <doctest/doctest.h>`, and has `TEST_CASE("...")`
  blocks (`SUBCASE` where useful) with `CHECK(...)`/`REQUIRE(...)` on concrete expected values,
  e.g. `CHECK(add(2, 3) == 5);`. Test the examples, edge cases and error cases
  (`CHECK_THROWS_AS(f(bad), std::invalid_argument);`). Do not define `main` or
  `DOCTEST_CONFIG_IMPLEMENT`: the test runner provides them.
- The code is compiled with -Wall -Wextra and run under AddressSanitizer and UBSan: no undefined
  behaviour, no out-of-bounds access, no leaks.
- Answer with exactly two ```cpp code blocks: first the solution, then the tests."""

# A sample that includes the whole library starts from the prelude that has it precompiled.
_INCLUDES_ALL = re.compile(r"^[^\S\n]*#\s*include\s*[<\"]bits/stdc\+\+\.h[>\"]", re.M)


@register
class Cpp(Language):
    name = "cpp"
    fences = ("cpp", "c++", "cxx", "cc", "hpp")
    extensions = (".cpp", ".cc", ".cxx", ".hpp", ".hh", ".h")
    solution_file = SOLUTION_FILE
    stub_switch = SWITCH
    empty_solution = "#pragma once\n"
    tests_file = TESTS_FILE
    tests_pattern = r"\bTEST_CASE\s*\(|#\s*include\s*[<\"]doctest"
    conventions = CONVENTIONS
    toolchain = Toolchain(
        programs=(("g++",),),
        debian=("g++", "doctest-dev"),
        paths=(build.DOCTEST_HEADER,),
    )

    def unavailable(self) -> str | None:
        """The toolchain and the stub's parser, then the shared parts (built here the first
        time, once per machine)."""
        missing = super().unavailable()
        if missing is not None:
            return missing
        try:
            import tree_sitter  # noqa: F401  (the strength check's stub)
            import tree_sitter_cpp  # noqa: F401
        except ImportError as exc:
            return f"cpp: {exc.name} is not installed. Fix: pip install tree-sitter tree-sitter-cpp"
        try:
            self._shared = build.shared_dir(self.toolchain.find("g++"))
        except (build.BuildError, OSError, LanguageError) as exc:
            return f"cpp: the test harness could not be built: {exc}"
        return None

    def precheck(self, samples: Sequence[Sample]) -> list[Prechecked]:
        """What needs no compiler: sizes, the harness's own `main` or doctest implementation
        defined again (`lint.py`), and macros that would change doctest's (`macros.py`)."""
        names = forbidden()
        return [Prechecked(verdict=self._precheck_one(sample, names)) for sample in samples]

    def _precheck_one(self, sample: Sample, names: Forbidden) -> Verdict | None:
        if (verdict := self.too_large(sample)) is not None:
            return verdict
        verdict = self._harness_defined(sample)
        return verdict if verdict is not None else self._doctest_redefined(sample, names)

    def _doctest_redefined(self, sample: Sample, names: Forbidden) -> Verdict | None:
        """A `#define` or `#undef` of a name doctest's macros are or expand to: `compile`."""
        found = [
            (name, line, 1, f"#{kind} {macro}", f"{why}; the tests must run doctest's own macros")
            for name, text in ((SOLUTION_FILE, sample.solution), (TESTS_FILE, sample.tests))
            for kind, macro, line, why in redefinitions(text, names)
        ]
        return not_allowed("doctest-macro", found)

    def _harness_defined(self, sample: Sample) -> Verdict | None:
        messages = [
            LintMessage(
                code="harness",
                message=f"defines {what}: the test runner provides it; remove it",
                line=line,
                column=column,
                file=name,
                rejects=True,
            )
            for name, text in ((SOLUTION_FILE, sample.solution), (TESTS_FILE, sample.tests))
            for what, line, column in harness_definitions(text)
        ]
        if not messages:
            return None
        first = messages[0]
        return Verdict(
            passed=False, stage="lint", reason=f"{first.file} {first.message}", lint=messages
        )

    def request(self, sample: Sample, prechecked: Prechecked, stub: str | None) -> RunRequest:
        """The compile and the tests; with the strength check, the compile is of the solution
        with the stub's switch in every function (`stub`), kept, and run again with the switch
        on: one compile for both phases. A solution without functions is stubbed by an empty
        header, compiled with the tests in a phase of its own."""
        everything = any(map(_INCLUDES_ALL.search, (sample.solution, sample.tests)))
        compile_step, test = self._steps(build.PRELUDE_ALL if everything else build.PRELUDE)
        if stub is None or SWITCH not in stub:
            files = {SOLUTION_FILE: sample.solution, TESTS_FILE: sample.tests}
            phases = [Phase(files=files, steps=(compile_step, test))]
            if stub is not None:  # the empty header: built on its own
                empty = {SOLUTION_FILE: stub, TESTS_FILE: sample.tests}
                phases.append(Phase(files=empty, steps=(compile_step, test), outcomes_only=True))
        else:
            files = {SOLUTION_FILE: stub, TESTS_FILE: sample.tests}
            phases = [
                Phase(files=files, steps=(compile_step._replace(keeps=(BINARY,)), test)),
                Phase(
                    files={},
                    steps=(test._replace(stub=True),),
                    outcomes_only=True,
                    takes=(BINARY,),
                ),
            ]
        return RunRequest(language=self.name, phases=tuple(phases), limits=self.options.limits)

    def _steps(self, prelude: str) -> tuple[Step, ...]:
        """The compile step, then the test binary's run: the same for every sample that starts
        from `prelude`."""
        made = self.__dict__.setdefault("_steps_made", {})
        if prelude not in made:
            made[prelude] = self._make_steps(prelude)
        return made[prelude]

    def _make_steps(self, prelude: str) -> tuple[Step, ...]:
        gxx = self.toolchain.find("g++")
        shared = self._shared_in_box()
        # assay's check runs g++, then reads what it linked (`build.CHECKER`, box/check.cpp).
        argv = [f"{shared}/{build.CHECKER}", "check", f"{shared}/{build.BASELINE}", BINARY, "--"]
        argv += [gxx, *build.FLAGS, *compiler.WARNINGS, *compiler.DIAGNOSTIC_FORMAT, "-pipe"]
        argv += ["-include", f"{shared}/{prelude}", *build.linker_flags(gxx), TESTS_FILE]
        argv += [f"{shared}/main.o", f"{shared}/{build.HARNESS_LIB}", f"-Wl,-rpath,{shared}"]
        argv += ["-o", BINARY]
        timeout = max(COMPILE_MIN_S, 2 * self.options.limits.timeout_s)
        return (
            Step(name=COMPILE, argv=tuple(argv), reports=False, timeout_s=timeout),
            Step(argv=(f"./{BINARY}",)),
        )

    def _shared_in_box(self) -> str:
        """Where a sample sees the shared parts (`boxcache.in_box`)."""
        from sandbox.languages.boxcache import in_box

        host = getattr(self, "_shared", None) or build.shared_dir(self.toolchain.find("g++"))
        return in_box(host, self.options.isolation == "full" or self.options.sandbox == "docker")

    def stub(self, solution: str) -> str | None:
        """The solution with the stub's switch ahead of every function's body (`stub.py`)."""
        from sandbox.languages.cpp.stub import instrument

        stub = instrument(solution)
        return self.empty_solution if stub is None else stub

    def stub_broke_compile(self, request: RunRequest, result: RunResult) -> bool:
        """Also where the error is in the stub's own header (`box/stub.hpp`, a type it could not
        make): the instrumentation's fault, not the sample's."""
        if super().stub_broke_compile(request, result):
            return True
        if len(request.phases) < 2 or not request.phases[1].takes:
            return False
        return any(m.rejects and m.file.endswith("/stub.hpp") for m in self.diagnostics(result))

    def diagnostics(self, result: RunResult) -> list[LintMessage]:
        if not result.phases:
            return []
        for step in result.phases[0].steps:
            if step.name == COMPILE:
                return compiler.diagnostics(step.stderr, failed=step.exit_code != 0)
        return []

    def compile_reason(self, messages: list[LintMessage]) -> str | None:
        """The binary check's finding, where it rejected the test binary (`compiler.CHECKED`)."""
        return next((m.message for m in messages if m.code == compiler.CHECKED), None)

    def details(self, result: RunResult) -> dict[str, str]:
        """A failing test's failed checks, or the sanitizer's report, first lines first; none
        where the detail only repeats the message."""
        from sandbox.judge import case_details

        return case_details(result, first_lines=DETAIL_LINES)
