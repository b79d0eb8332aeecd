"""Go: `solution.go` and `solution_test.go`, both `package solution`, tests with `testing`.

The trusted side checks only sizes; the real checks run IN the box as the `compile` step: assay's
builder (`box/builder`, prebuilt) finds the tests by the go command's rules, compiles the package
against the standard library and testify prebuilt once per machine (`build.py`), runs go vet's
analyzers (those in `VET_REJECT` reject, the rest are reported) and links the test binary. Its
harness (`box/harness`) reports each test function on the authenticated channel. No cgo, no
network, no module downloads: the standard library and testify only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sandbox.languages import Language, LanguageError, Prechecked, Toolchain, boxcache, register
from sandbox.languages.go import build
from sandbox.languages.go.loops import per_iteration
from sandbox.languages.go.stub import (
    PREFIX,
    STUB_FILE,
    SWITCH,
    instrument,
    prefix,
    stub_source,
    switch_prefix,
)
from sandbox.records import LintMessage, Sample
from sandbox.requests import COMPILE, Phase, RunRequest, RunResult, Step

SOLUTION_FILE, TESTS_FILE = "solution.go", "solution_test.go"
BINARY = "test_solution"
COMPILE_MIN_S = 20.0  # the build's own limit: at least this, or twice the tests' timeout
DETAIL_LINES = 12
# go vet's analyzers whose findings reject: those `go test` runs (atomic, bools, buildtag,
# errorsas, ifaceassert, nilfunc, printf, stringintconv) and the others that name a bug. Reported
# only: composites (unkeyed fields), unreachable (dead code).
VET_REJECT = (
    "asmdecl", "assign", "atomic", "bools", "buildtag", "cgocall", "copylocks", "errorsas",
    "framepointer", "httpresponse", "ifaceassert", "loopclosure", "lostcancel", "nilfunc",
    "printf", "shift", "sigchanyzer", "stdmethods", "stringintconv", "structtag",
    "testinggoroutine", "tests", "unmarshal", "unsafeptr", "unusedresult",
)  # fmt: skip

CONVENTIONS = """\
- Go 1.19, the standard library only (the tests may also use testify's `assert` and `require`);
  no cgo, no network.
- The solution is `solution.go`, starting with `package solution`; its functions are exported
  (capitalised) where the tests call them.
- The tests are `solution_test.go`, also `package solution`, with `import "testing"` and
  `func TestXxx(t *testing.T)` functions that check concrete expected values, e.g.
  `if got := Add(2, 3); got != 5 { t.Errorf("Add(2, 3) = %d, want 5", got) }` or
  `assert.Equal(t, 5, Add(2, 3))` (import "github.com/stretchr/testify/assert"). Table-driven
  tests with `t.Run` are welcome. Test the examples, edge cases and error cases. No `TestMain`,
  no fuzz tests: the test runner provides main.
- The code is checked by the compiler and go vet: no unused imports or variables, no vet findings.
- Answer with exactly two ```go code blocks: first the solution, then the tests."""

_LOCATED = re.compile(
    r"^(?:\./)?(?P<file>[^:\s]+\.go):(?P<line>\d+):(?:(?P<column>\d+):)? "
    r"(?:(?P<kind>error|warning): )?(?P<message>.*?)(?: \[vet:(?P<analyzer>\w+)\])?$"
)
MAX_MESSAGES = 50


@register
class Go(Language):
    name = "go"
    fences = ("go", "golang")
    extensions = (".go",)
    solution_file = SOLUTION_FILE
    stub_switch = SWITCH
    empty_solution = "package solution\n"
    tests_file = TESTS_FILE
    tests_pattern = r"\bfunc\s+Test\w*\s*\(\s*\w+\s+\*testing\.T\b|\"testing\""
    conventions = CONVENTIONS
    toolchain = Toolchain(
        programs=(("go",),),
        debian=("golang-go", "golang-github-stretchr-testify-dev"),
        paths=(f"{build.GOPATH}/src/{build.TESTIFY}/assert",),
    )

    def unavailable(self) -> str | None:
        """The toolchain and the stub's parser, then the shared parts (built here the first
        time, once per machine: about 40 s)."""
        missing = super().unavailable()
        if missing is not None:
            return missing
        try:
            import tree_sitter  # noqa: F401  (the strength check's stub)
            import tree_sitter_go  # noqa: F401
        except ImportError as exc:
            return f"go: {exc.name} is not installed. Fix: pip install tree-sitter tree-sitter-go"
        try:
            self._steps()
        except (boxcache.BuildError, OSError, LanguageError) as exc:
            return f"go: the test harness could not be built: {exc}"
        return None

    def precheck(self, samples: Sequence[Sample]) -> list[Prechecked]:
        """Sizes only: parsing, type checks and vet are the compile step's, in the box."""
        return [Prechecked(verdict=self.too_large(sample)) for sample in samples]

    def request(self, sample: Sample, prechecked: Prechecked, stub: str | None) -> RunRequest:
        """The build (vet included) and the tests; with the strength check, the build is of the
        solution with the stub's switch in every function (`stub`), kept, and run again with
        the switch on: one build for both phases. The stub's names are absent from the tests as
        well as the solution (`stub.prefix`): where the tests hold those the stub was made with,
        it is made again with others. A solution without functions is stubbed by an empty
        package, built with the tests in a phase of its own."""
        build_step, test, stubbed_test = self._steps()
        tests = per_iteration(sample.tests, TESTS_FILE)
        if stub is not None and stub != self.empty_solution:  # the solution, instrumented
            names = prefix(sample.solution, sample.tests)
            if f" if {names}Stub {{ return }};" not in stub:
                stub = instrument(per_iteration(sample.solution, SOLUTION_FILE), names=names)
            files = {SOLUTION_FILE: stub, TESTS_FILE: tests, STUB_FILE: stub_source(names)}
            kept = build_step._replace(keeps=(BINARY,))
            phases = [
                Phase(files=files, steps=(kept, test)),
                Phase(files={}, steps=(stubbed_test,), outcomes_only=True, takes=(BINARY,)),
            ]
            return RunRequest(language=self.name, phases=tuple(phases), limits=self.options.limits)
        solution = per_iteration(sample.solution, SOLUTION_FILE)
        phases = [
            Phase(files={SOLUTION_FILE: solution, TESTS_FILE: tests}, steps=(build_step, test))
        ]
        if stub is not None:  # the empty package: built on its own
            empty = {SOLUTION_FILE: stub, TESTS_FILE: tests}
            phases.append(Phase(files=empty, steps=(build_step, test), outcomes_only=True))
        return RunRequest(language=self.name, phases=tuple(phases), limits=self.options.limits)

    def _steps(self) -> tuple[Step, Step, Step]:
        """The build (with vet), the tests, the tests with the stub's switch on: the same for
        every sample."""
        made = getattr(self, "_made", None)
        if made is None:
            go = self.toolchain.find("go")
            host = build.shared_dir(go)
            shared = boxcache.in_box(host, self._full_isolation())
            _, tools = build.toolchain(go)
            argv = (f"{shared}/{build.BUILDER}", "-shared", shared, "-tools", tools, "-vet")
            argv += ("-vet-reject", ",".join(VET_REJECT))
            timeout = max(COMPILE_MIN_S, 2 * self.options.limits.timeout_s)
            test = Step(argv=(f"./{BINARY}", "-test.paniconexit0"))
            made = self._made = (
                Step(name=COMPILE, argv=argv, reports=False, timeout_s=timeout),
                test,
                test._replace(stub=True),
            )
        return made

    def _full_isolation(self) -> bool:
        return self.options.isolation == "full" or self.options.sandbox == "docker"

    def stub(self, solution: str) -> str | None:
        """The solution with the stub's switch ahead of every function's body (`stub.py`), its
        names absent from the solution (`request` makes it again where the tests hold them)."""
        stub = instrument(per_iteration(solution, SOLUTION_FILE))
        return self.empty_solution if stub is None else stub

    def diagnostics(self, result: RunResult) -> list[LintMessage]:
        """The compiler's errors and vet's findings, with file:line:col; errors reject."""
        if not result.phases:
            return []
        for step in result.phases[0].steps:
            if step.name == COMPILE:
                return parse_diagnostics(step.stderr)
        return []

    def stub_broke_compile(self, request: RunRequest, result: RunResult) -> bool:
        """An error on a line holding a switch (the `/*line*/` directives keep it there), or
        any in the switch's own file: the stub's, not the sample's (see `Language`). The
        switch's names are the sample's own nowhere, so this is the toolchain's surprise."""
        files = request.phases[0].files
        if len(request.phases) < 2 or STUB_FILE not in files:
            return False
        switch = f"{switch_prefix(files[STUB_FILE]) or PREFIX}Stub"
        lines = files.get(SOLUTION_FILE, "").split("\n")
        marked = {n for n, line in enumerate(lines, 1) if switch in line}
        return any(
            m.rejects and (m.file == STUB_FILE or (m.file == SOLUTION_FILE and m.line in marked))
            for m in self.diagnostics(result)
        )

    def compile_reason(self, messages: list[LintMessage]) -> str | None:
        """`go vet: <analyzer>` where vet, not the compiler, rejected."""
        rejecting = [m for m in messages if m.rejects]
        if rejecting and all(m.code.startswith("vet:") for m in rejecting):
            return f"go vet: {rejecting[0].code.removeprefix('vet:')}"
        return None

    def details(self, result: RunResult) -> dict[str, str]:
        """A failing test's log or a panic's stack, where it says more than the message."""
        from sandbox.judge import case_details

        return case_details(result, first_lines=DETAIL_LINES)


def parse_diagnostics(stderr: str) -> list[LintMessage]:
    """`file:line:col: message` lines of the compiler and the builder (errors), and vet's
    `file:line:col: error|warning: message [vet:analyzer]`."""
    out: list[LintMessage] = []
    for line in stderr.splitlines():
        found = _LOCATED.match(line.strip())
        if found is None:
            continue
        analyzer = found["analyzer"]
        out.append(
            LintMessage(
                code=f"vet:{analyzer}" if analyzer else "error",
                message=found["message"],
                line=int(found["line"]),
                column=int(found["column"] or 0),
                file=found["file"],
                rejects=found["kind"] != "warning",
            )
        )
        if len(out) >= MAX_MESSAGES:
            break
    return out
