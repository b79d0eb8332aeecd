"""Rust: `solution.rs` (the functions) and `tests.rs` (`#[cfg(test)] mod tests { use super::*; }`).

The tests are compiled as if appended to the solution: `solution.rs` ends with
`include!("tests.rs")`, and is the module `solution` of a crate root assay writes, so `use
super::*` sees the solution's private functions, as in one file; the sample's `crate::` paths
are pointed at that module (`paths.py`), as in a crate of its own. The trusted side checks
sizes, and rejects the attributes and macros that could run code before the harness or in its
place (`#[link_section]`, `#[no_mangle]`, `global_asm!`, ...: `forbidden.py`); the compile runs
IN the box as the `compile` step: Debian's clippy-driver (rustc with clippy's lints), `--test`,
edition 2021, debug build with overflow checks (as `cargo test`);
errors, clippy's correctness lints and the rustc lints that name undefined behaviour or certain
panics (`DENY`) reject, the other warnings are reported. The crate root names assay's harness
(`box/harness.rs`, prebuilt) as its test runner, which reports every `#[test]` on the
authenticated channel; the tests' `assert_eq!` and `assert!` fail on values equal to
everything (`box/equal.rs`). The standard library only: no crates.io, no cargo; a `use` of any crate
is a compile rejection whose reason says `no such crate`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sandbox.languages import (
    Language,
    LanguageError,
    Prechecked,
    Toolchain,
    boxcache,
    not_allowed,
    register,
)
from sandbox.languages.rust import build
from sandbox.languages.rust.forbidden import WHY, describe, forbidden
from sandbox.languages.rust.paths import MODULE, in_module
from sandbox.languages.rust.stub import ASK
from sandbox.records import LintMessage, Sample, Verdict
from sandbox.requests import COMPILE, Phase, RunRequest, RunResult, Step

SOLUTION_FILE, TESTS_FILE, ROOT_FILE = "solution.rs", "tests.rs", "assay_main.rs"
BINARY = "test_solution"
COMPILE_MIN_S = 20.0  # the compile's own limit: at least this, or twice the tests' timeout
DETAIL_LINES = 12
# The tests' `assert_eq!` and `assert!`: std's, then the guard against values equal to everything
# (box/equal.rs, the harness's `assay_assert_eq!` and `assay_assert!`). Defined after the solution's
# code, just before the tests, so that they shadow std's there and any macro of those names the
# solution defines.
GUARDS = """\
#[allow(unused_macros)]
macro_rules! assert_eq {
    ($($arguments:tt)*) => { ::assay_harness::assay_assert_eq!($($arguments)*) };
}
#[allow(unused_macros)]
macro_rules! assert {
    ($($arguments:tt)*) => { ::assay_harness::assay_assert!($($arguments)*) };
}
"""
ROOT = (
    "// The crate root assay writes: assay's harness runs the tests.\n"
    "#![feature(custom_test_frameworks)]\n"
    "#![test_runner(assay_harness::run)]\n"
    '#![recursion_limit = "1024"]\n'  # `assert!`'s guard reads its condition token by token
    f'#[path = "{SOLUTION_FILE}"]\n'
    f"mod {MODULE};\n"
)
TESTS_INCLUDE = f'\n{GUARDS}include!("{TESTS_FILE}");\n'
# Lints that reject: clippy's correctness group (code that is outright wrong) and rustc's lints
# that name undefined behaviour or a certain panic (deny by default already: arithmetic_overflow,
# unconditional_panic, overflowing_literals, mutable_transmutes). clippy's style, complexity and
# perf groups are off; its suspicious group and rustc's other warnings are reported.
DENY = (
    "clippy::correctness", "unconditional_recursion", "invalid_value", "deref_nullptr",
    "unaligned_references", "temporary_cstring_as_ptr", "invalid_atomic_ordering",
)  # fmt: skip
ALLOW = ("clippy::style", "clippy::complexity", "clippy::perf")

CONVENTIONS = """\
- Rust 1.63 (edition 2021), the standard library only: no external crates (no rand, regex,
  serde), no cargo, no network.
- The solution is `solution.rs`: the functions (and types) the tests use, no `main`.
- The tests are a separate block, `tests.rs`, compiled as if appended to `solution.rs`:
  `#[cfg(test)] mod tests { use super::*; #[test] fn adds() { assert_eq!(add(2, 3), 5); } }`.
  Each `#[test]` checks concrete expected values with `assert_eq!`/`assert!` (messages welcome);
  `#[should_panic]` for expected panics. Test the examples, edge cases and error cases.
- The code is compiled with clippy's lints, as a debug build with overflow checks: no
  arithmetic overflow, no out-of-bounds indexing, no `unwrap` on `None` or `Err`.
- Answer with exactly two ```rust code blocks: first the solution, then the tests."""

_SHORT = re.compile(
    r"^(?P<file>[^:\s]+\.rs):(?P<line>\d+):(?P<column>\d+): "
    r"(?P<kind>error|warning)(?:\[(?P<code>\w+)\])?: (?P<message>.*)$"
)
_NO_CRATE = re.compile(
    r"^(?:unresolved import `(?P<a>\w+)`|failed to resolve: use of undeclared crate or module "
    r"`(?P<b>\w+)`|can't find crate for `(?P<c>\w+)`)$"
)
MAX_MESSAGES = 50
NOT_ALLOWED = "not-allowed"  # the code of a forbidden attribute or macro's message


@register
class Rust(Language):
    name = "rust"
    fences = ("rust", "rs")
    extensions = (".rs",)
    solution_file = SOLUTION_FILE
    stub_switch = ASK
    empty_solution = ""
    tests_file = TESTS_FILE
    tests_pattern = r"#\[\s*test\s*\]|#\[\s*cfg\s*\(\s*test\s*\)\s*\]"
    conventions = CONVENTIONS
    toolchain = Toolchain(debian=("rustc", "rust-clippy"), paths=(build.RUSTC, build.CLIPPY))

    def unavailable(self) -> str | None:
        """Debian's rustc and clippy, the stub's parser, then the harness (built here the first
        time, once per machine: a few seconds)."""
        missing = super().unavailable()
        if missing is not None:
            return missing
        try:
            import tree_sitter  # noqa: F401  (the strength check's stub)
            import tree_sitter_rust  # noqa: F401
        except ImportError as exc:
            return (
                f"rust: {exc.name} is not installed. Fix: pip install tree-sitter tree-sitter-rust"
            )
        try:
            self._steps()
        except (boxcache.BuildError, OSError, LanguageError) as exc:
            return f"rust: the test harness could not be built: {exc}"
        return None

    def precheck(self, samples: Sequence[Sample]) -> list[Prechecked]:
        """Sizes, then the attributes and macros that place code or symbols where the test
        runner's own code would meet them (`forbidden.py`): a `compile` rejection naming each,
        with its line. Parsing, type and borrow checks and lints are the compile step's."""
        return [Prechecked(verdict=self._precheck_one(sample)) for sample in samples]

    def _precheck_one(self, sample: Sample) -> Verdict | None:
        if (verdict := self.too_large(sample)) is not None:
            return verdict
        found = [
            (file, line, column, f"`{describe(name)}`", WHY[name])
            for file, text in ((SOLUTION_FILE, sample.solution), (TESTS_FILE, sample.tests))
            for name, line, column in forbidden(text)
        ]
        return not_allowed(NOT_ALLOWED, found)

    def request(self, sample: Sample, prechecked: Prechecked, stub: str | None) -> RunRequest:
        """The compile and the tests; with the strength check, the compile is of the solution
        with the stub's switch in every function (`stub`), kept, and run again with the switch
        on: one compile for both phases. A solution without functions is stubbed by an empty
        file, compiled with the tests in a phase of its own."""
        compile_step, test, stubbed_test = self._steps()
        switched = stub is not None and ASK in stub
        solution, tests = in_module(stub if switched else sample.solution, sample.tests)
        files = {ROOT_FILE: ROOT, SOLUTION_FILE: solution + TESTS_INCLUDE, TESTS_FILE: tests}
        if not switched:
            phases = [Phase(files=files, steps=(compile_step, test))]
            if stub is not None:  # the empty file: compiled on its own
                empty = {**files, SOLUTION_FILE: stub + TESTS_INCLUDE}
                phases.append(Phase(files=empty, steps=(compile_step, test), outcomes_only=True))
        else:
            phases = [
                Phase(files=files, steps=(compile_step._replace(keeps=(BINARY,)), test)),
                Phase(files={}, steps=(stubbed_test,), outcomes_only=True, takes=(BINARY,)),
            ]
        return RunRequest(language=self.name, phases=tuple(phases), limits=self.options.limits)

    def _steps(self) -> tuple[Step, Step, Step]:
        """The compile, the tests, the tests with the stub's switch on: the same for every
        sample."""
        made = getattr(self, "_made", None)
        if made is None:
            full = self.options.isolation == "full" or self.options.sandbox == "docker"
            shared = boxcache.in_box(build.shared_dir(), full)
            argv = [
                build.CLIPPY,
                "--sysroot",
                build.sysroot(),
                "--test",
                "--edition",
                build.EDITION,
            ]
            argv += ["--crate-name", "solution", "--error-format=short", "-C", "prefer-dynamic"]
            argv += ["-C", "opt-level=0", "-C", "debuginfo=0", "-C", "overflow-checks=on"]
            argv += ["--extern", f"assay_harness={shared}/{build.HARNESS}"]
            argv += [f"-D{lint}" for lint in DENY] + [f"-A{lint}" for lint in ALLOW]
            argv += [ROOT_FILE, "-o", BINARY]
            timeout = max(COMPILE_MIN_S, 2 * self.options.limits.timeout_s)
            test = Step(argv=(f"./{BINARY}",))
            made = self._made = (
                Step(
                    COMPILE, tuple(argv), reports=False, timeout_s=timeout, env=(build.BOOTSTRAP,)
                ),
                test,
                test._replace(stub=True),
            )
        return made

    def stub(self, solution: str) -> str | None:
        """The solution with the stub's switch ahead of every function's body (`stub.py`)."""
        from sandbox.languages.rust.stub import instrument

        stub = instrument(solution)
        return self.empty_solution if stub is None else stub

    def diagnostics(self, result: RunResult) -> list[LintMessage]:
        if not result.phases:
            return []
        for step in result.phases[0].steps:
            if step.name == COMPILE:
                return parse_diagnostics(step.stderr)
        return []

    def compile_reason(self, messages: list[LintMessage]) -> str | None:
        """`no such crate` where the compile failed on a crate the box does not have."""
        for message in messages:
            if message.code == "no-such-crate":
                return message.message
        return None

    def details(self, result: RunResult) -> dict[str, str]:
        """Where a failing test panicked, with the message."""
        from sandbox.judge import case_details

        return case_details(result, first_lines=DETAIL_LINES)


def parse_diagnostics(stderr: str) -> list[LintMessage]:
    """rustc's short diagnostics (`file:line:col: error[E0425]: message`); errors reject. An
    unresolved crate says so: `no such crate`. A message said twice at one place (an error in an
    assert's expansion is reported at the assert) is kept once."""
    out: list[LintMessage] = []
    seen = set()
    for line in stderr.splitlines():
        found = _SHORT.match(line.strip())
        if found is None or found.group(0) in seen:
            continue
        seen.add(found.group(0))
        message, code = found["message"], found["code"] or found["kind"]
        message = message.replace(f"crate::{MODULE}::", "crate::")  # as the sample wrote it
        crate = _NO_CRATE.match(message)
        if crate is not None and found["kind"] == "error":
            name = crate["a"] or crate["b"] or crate["c"]
            code = "no-such-crate"
            message = (
                f"no such crate `{name}`: only the standard library is available (no crates.io)"
            )
        out.append(
            LintMessage(
                code=code,
                message=message,
                line=int(found["line"]),
                column=int(found["column"]),
                file=found["file"],
                rejects=found["kind"] == "error",
            )
        )
        if len(out) >= MAX_MESSAGES:
            break
    return out
