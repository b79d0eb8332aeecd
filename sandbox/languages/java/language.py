"""Java: `Solution.java` (class `Solution`, instance methods) and JUnit 5 tests (`SolutionTest.java`).

The static check is javac -Xlint: errors reject (stage `compile`, with file:line:col), warnings
are reported. javac runs in the sandbox, for a whole chunk of samples at once in one warm JVM
(`compiler.py`), during the prechecks; each sample's own run is then a fresh JVM in the box that
loads its compiled classes and runs its tests with JUnit Jupiter under assay's harness (`box/`),
which reports each test on the authenticated channel. An `equals` that overrides nothing
(`equals(List<Integer>)`) is rejected before javac runs. What the run compiles is the solution with
each `equals(Object)` guarded against saying true to everything (`equal.py`). The strength
check's stub is compiled in the same batch. The harness is built once per machine
(`build.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sandbox.languages import Language, LanguageError, Prechecked, Toolchain, not_allowed, register
from sandbox.languages.batchworker import BatchWorker
from sandbox.languages.java import build
from sandbox.languages.java.compiler import BatchCompiler, Compiled, SandboxError
from sandbox.records import LintMessage, Sample, Verdict
from sandbox.requests import COMPILE, Phase, RunRequest, RunResult, Step

SOLUTION_FILE, TESTS_FILE = "Solution.java", "SolutionTest.java"
BUNDLE = "classes.assay"  # the compiled classes, as the harness reads them (box/Bundle.java)
DETAIL_LINES = 12

CONVENTIONS = """\
- Java 17, the standard library only (no other libraries, no network).
- The solution is `Solution.java`: its imports, then `class Solution` with the functions as
  public instance methods (`public int add(int a, int b)`); helper classes may follow in the same
  file, not public. No `package` line, no `main`.
- The tests are a separate file, `SolutionTest.java`, with JUnit 5 (Jupiter):
  `import org.junit.jupiter.api.Test;` and `import static org.junit.jupiter.api.Assertions.*;`,
  then `class SolutionTest` with `@Test` methods that call `new Solution()` and check concrete
  expected values: `assertEquals(5, new Solution().add(2, 3));`. Test the examples, edge cases
  and error cases (`assertThrows(IllegalArgumentException.class, () -> ...)`).
  `@ParameterizedTest` (junit-jupiter-params) may be used.
- The code is compiled with javac -Xlint:all: a compile error rejects the answer, warnings are
  reported.
- Answer with exactly two ```java code blocks: first the solution, then the tests."""


@register
class Java(Language):
    name = "java"
    fences = ("java",)
    extensions = (".java",)
    solution_file = SOLUTION_FILE
    empty_solution = "class Solution {\n}\n"
    tests_file = TESTS_FILE
    tests_pattern = r"@Test\b|org\.junit"
    conventions = CONVENTIONS
    toolchain = Toolchain(
        programs=(("java",), ("javac",)),
        debian=("default-jdk-headless", "junit5"),
        paths=tuple(build.jar(name) for name in build.RUN_JARS),
    )

    def __init__(self, options) -> None:
        super().__init__(options)
        self._shared: str | None = None
        self._compiler: BatchCompiler | None = None
        self._worker = BatchWorker(options, self.name)

    def unavailable(self) -> str | None:
        """The toolchain and the stub's parser, then the shared parts (built here the first
        time, once per machine)."""
        missing = super().unavailable()
        if missing is not None:
            return missing
        try:
            import tree_sitter  # noqa: F401  (the strength check's stub)
            import tree_sitter_java  # noqa: F401
        except ImportError as exc:
            return (
                f"java: {exc.name} is not installed. Fix: pip install tree-sitter tree-sitter-java"
            )
        try:
            self._shared = self._host_shared()
        except (build.BuildError, OSError, LanguageError) as exc:
            return f"java: the test harness could not be built: {exc}"
        return None

    def _host_shared(self) -> str:
        if self._shared is None:
            self._shared = build.shared_dir(
                self.toolchain.find("java"), self.toolchain.find("javac")
            )
        return self._shared

    def _shared_in_box(self) -> str:
        """Where a sample sees the shared parts (`boxcache.in_box`)."""
        from sandbox.languages.boxcache import in_box

        host = self._host_shared()
        return in_box(host, self.options.isolation == "full" or self.options.sandbox == "docker")

    def precheck(self, samples: Sequence[Sample]) -> list[Prechecked]:
        """Sizes and `equals` overloads, then javac over the whole chunk (and the strength
        check's stubs) in the box."""
        out: list[Prechecked | None] = [None] * len(samples)
        jobs: list[dict[str, str]] = []
        where: list[tuple[int, int, int | None]] = []  # a sample to compile, its job, its stub's
        for i, sample in enumerate(samples):
            rejected = self.too_large(sample) or _equals_overloaded(sample.solution)
            if rejected is not None:
                out[i] = Prechecked(verdict=rejected)
                continue
            jobs.append({SOLUTION_FILE: _guarded(sample.solution), TESTS_FILE: sample.tests})
            stub = self._stub_or_none(sample.solution)
            if stub is not None:
                jobs.append({SOLUTION_FILE: stub, TESTS_FILE: sample.tests})
            where.append((i, len(jobs) - 1 - (stub is not None), len(jobs) - 1 if stub else None))
        if jobs:
            try:
                compiled = self._batch_compiler().compile(jobs)
            except SandboxError as exc:
                error = Verdict(passed=False, stage="error", reason=f"javac: {exc}"[:500])
                for i, _, _ in where:
                    out[i] = Prechecked(verdict=error)
                return out  # type: ignore[return-value]
            for i, job, stub_job in where:
                stubbed = compiled[stub_job] if stub_job is not None else None
                out[i] = self._prechecked(compiled[job], stubbed)
        return out  # type: ignore[return-value]

    def _prechecked(self, sample: Compiled, stub: Compiled | None) -> Prechecked:
        lint = sample.diagnostics
        if not sample.ok:
            verdict = Verdict(
                passed=False,
                stage="compile",
                reason=sample.reason(self._batch_compiler().budget_s),
                lint=lint,
                stderr="\n".join(_located(m) for m in lint)[:2000],
            )
            return Prechecked(verdict=verdict, lint=lint)
        prepared = {"bundle": sample.bundle, "stub": stub}
        return Prechecked(lint=[m for m in lint if not m.rejects], prepared=prepared)

    def _stub_or_none(self, solution: str) -> str | None:
        if not self.options.strength_check:
            return None
        try:
            return self.stub(solution)
        except Exception:  # the verifier's own call reports it (`Verifier._test`)
            return None

    def _batch_compiler(self) -> BatchCompiler:
        if self._compiler is None:
            self._compiler = BatchCompiler(
                java=self.toolchain.find("java"),
                shared=self._shared_in_box(),
                limits=self.options.limits,
                run=self._worker.run,
                replace=self._worker.replace,
                tests_file=TESTS_FILE,
            )
        return self._compiler

    def close(self) -> None:
        self._worker.close()

    # The run ------------------------------------------------------------------------------------
    def request(self, sample: Sample, prechecked: Prechecked, stub: str | None) -> RunRequest:
        """A run's work dir holds the compiled classes alone (no source), which the harness
        reads and deletes before it loads any of them: the tests find nothing there that tells
        the strength check's run (the stub's classes) from the sample's."""
        test = self._test_step()
        phases = [Phase(files={BUNDLE: prechecked.prepared["bundle"]}, steps=(test,))]
        if stub is not None:
            compiled: Compiled | None = prechecked.prepared.get("stub")
            if compiled is not None and compiled.ok:
                stub_files = {BUNDLE: compiled.bundle}
                phases.append(Phase(files=stub_files, steps=(test,), outcomes_only=True))
            else:  # a stub that does not compile: its phase is a failed compile (nothing to learn)
                failed = Step(name=COMPILE, argv=(*test.argv, "--compile-failed"), reports=False)
                phases.append(Phase(files={}, steps=(failed,)))
        return RunRequest(language=self.name, phases=tuple(phases), limits=self.options.limits)

    def _test_step(self) -> Step:
        step = getattr(self, "_test_step_made", None)
        if step is None:
            shared = self._shared_in_box()
            argv = (
                self.toolchain.find("java"), *build.JVM_FLAGS,
                f"-Xmx{heap_mb(self.options.limits.memory_mb)}m",
                "-cp", build.run_classpath(shared), "assay.TestMain",
            )  # fmt: skip
            step = self._test_step_made = Step(argv=argv)
        return step

    def stub(self, solution: str) -> str | None:
        from sandbox.languages.java.stub import stub_solution

        stub = stub_solution(solution)
        return self.empty_solution if stub is None else stub

    def details(self, result: RunResult) -> dict[str, str]:
        """A failing test's stack trace (the sample's frames), first lines first; none where it
        only repeats the message."""
        from sandbox.judge import case_details

        return case_details(result, first_lines=DETAIL_LINES)


def _guarded(solution: str) -> str:
    """The solution as its run compiles it: each `equals(Object)` guarded against saying true to
    everything (`equal.py`)."""
    from sandbox.languages.java.equal import guard_equals

    return guard_equals(solution)


def _equals_overloaded(solution: str) -> Verdict | None:
    """A `compile` rejection of each `equals` of the solution that overrides nothing
    (`equal.overloads`)."""
    from sandbox.languages.java.equal import overloads

    why = (
        "it does not override Object.equals(Object), which assertEquals and the collections "
        "call, yet x.equals(y) on a value of its class calls it (Error Prone's "
        "NonOverridingEquals); override equals(Object), and give a helper another name"
    )
    found = [
        (SOLUTION_FILE, line, column, f"`{what}`", why)
        for line, column, what in overloads(solution)
    ]
    return not_allowed("equals-overload", found)


def heap_mb(memory_mb: int) -> int:
    """The JVM's heap in a box of `memory_mb`: three quarters, the rest for the JVM's own
    memory (its classes, compiled code, thread stacks)."""
    return max(32, memory_mb * 3 // 4)


def _located(message: LintMessage) -> str:
    kind = "error" if message.rejects else "warning"
    return f"{message.file}:{message.line}:{message.column}: {kind}: {message.message}"
