"""Java samples end to end: HumanEval-X's canonical solutions and their stubs, per-test feedback
with expected vs actual, JUnit 5's features, javac's errors and warnings, the fast path against
JUnit Jupiter's engine, and the strength check."""

from __future__ import annotations

import gzip
import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from pipeline.humaneval_x import to_sample
from sandbox import Limits, Sample, Verifier, VerifyOptions
from sandbox.judge import judge
from sandbox.languages.java.build import compile_classpath
from sandbox.languages.java.compiler import Compiled
from sandbox.languages.java.equal import guard_equals, overloads
from sandbox.languages.java.stub import stub_solution

# Java/32's test checks find_zero through poly, a method of the solution that the strength
# check's stub replaces (|stub poly| = 0 < 1e-3): its tests pass against the stub.
EXPECTED = {"Java/32": "weak_tests"}


def humaneval_x_file() -> Path | None:
    here = Path(__file__).resolve().parents[2]
    for base in (here.parent, here.parent.parent, Path("/work")):
        path = base / "shared" / "data" / "humaneval-x" / "java.jsonl.gz"
        if path.exists():
            return path
    return None


def records() -> list[dict]:
    path = humaneval_x_file()
    if path is None:
        pytest.skip("HumanEval-X data (shared/data/humaneval-x/java.jsonl.gz) not found")
    with gzip.open(path, "rt") as fh:
        return [json.loads(line) for line in fh]


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def java(solution: str, tests: str) -> Sample:
    return Sample(solution=d(solution), tests=d(tests), language="java")


@pytest.fixture(scope="module")
def java_verifier(backend_name):
    options = VerifyOptions(sandbox=backend_name, jobs=2, limits=Limits(timeout_s=10.0))
    with Verifier(options) as verifier:
        yield verifier


def verify_one(verifier: Verifier, solution: str, tests: str):
    (verdict,) = verifier.verify([java(solution, tests)])
    return verdict


ADD = """
    class Solution {
        public int add(int a, int b) { return a + b; }
    }
    """
ADD_WRONG = ADD.replace("a + b", "a - b")
TEST_ADD = """
    import org.junit.jupiter.api.Test;
    import static org.junit.jupiter.api.Assertions.*;

    class SolutionTest {
        @Test
        void addsSmallNumbers() { assertEquals(5, new Solution().add(2, 3)); }

        @Test
        void addsNegatives() { assertEquals(-5, new Solution().add(-2, -3)); }
    }
    """


# HumanEval-X ------------------------------------------------------------------------------------
def test_humaneval_x_canonical_solutions_pass(java_verifier):
    samples = [to_sample(r) for r in records()]
    assert len(samples) == 164
    verdicts = list(java_verifier.verify(samples))
    failed = {v.id: v.stage for v in verdicts if not v.passed}
    assert failed == EXPECTED, {v.id: (v.stage, v.reason) for v in verdicts if not v.passed}


def test_humaneval_x_stub_bodies_are_rejected(java_verifier):
    samples = []
    for record in records():
        if record["task_id"] in EXPECTED:
            continue
        sample = to_sample(record)
        sample.solution = stub_solution(sample.solution)
        samples.append(sample)
    verdicts = list(java_verifier.verify(samples))
    assert not [v.id for v in verdicts if v.passed]
    stages = {v.stage for v in verdicts}
    assert stages <= {"tests", "timeout"}, stages
    assert sum(v.stage == "tests" for v in verdicts) > 0.95 * len(verdicts)


@pytest.mark.parametrize("exit_call", ["System.exit(0);", "Runtime.getRuntime().halt(0);"])
def test_an_early_exit_in_the_solution_does_not_pass_a_humaneval_x_test(java_verifier, exit_call):
    record = next(r for r in records() if r["task_id"] == "Java/53")  # add(x, y)
    sample = to_sample(
        {**record, "canonical_solution": f"        {exit_call}\n        return 0;\n    }}\n}}\n"}
    )
    (verdict,) = java_verifier.verify([sample])
    assert verdict.stage == "tests", verdict.feedback
    assert "before the test report was complete" in verdict.reason


def test_a_failed_humaneval_x_check_names_the_line(java_verifier):
    record = next(r for r in records() if r["task_id"] == "Java/53")
    sample = to_sample({**record, "canonical_solution": "        return x + y + 1;\n    }\n}\n"})
    (verdict,) = java_verifier.verify([sample])
    assert verdict.stage == "tests" and verdict.reason == "AssertionError"
    (case,) = verdict.tests.cases
    assert case.name == "humanEvalX" and case.outcome == "failed"
    assert "at Main.main(SolutionTest.java:" in verdict.feedback


# Outcomes and feedback ----------------------------------------------------------------------------
def test_a_correct_sample_passes_with_every_test_named(java_verifier):
    verdict = verify_one(java_verifier, ADD, TEST_ADD)
    assert verdict.passed, verdict.feedback
    assert sorted(c.name for c in verdict.tests.cases) == ["addsNegatives", "addsSmallNumbers"]
    assert {c.outcome for c in verdict.tests.cases} == {"passed"}


def test_failing_assertions_say_expected_vs_actual(java_verifier):
    verdict = verify_one(java_verifier, ADD_WRONG, TEST_ADD)
    assert verdict.stage == "tests" and verdict.reason == "AssertionFailedError"
    cases = {c.name: c for c in verdict.tests.cases}
    assert cases["addsSmallNumbers"].message == "AssertionFailedError: expected: <5> but was: <-1>"
    assert (
        "addsSmallNumbers failed: AssertionFailedError: expected: <5> but was: <-1>"
        in verdict.feedback
    )
    assert "at SolutionTest.addsSmallNumbers(SolutionTest.java:6)" in verdict.feedback
    assert "org.junit" not in verdict.feedback  # JUnit's own frames are left out


def test_exceptions_name_the_solutions_line(java_verifier):
    solution = """
        import java.util.*;

        class Solution {
            public int first(List<Integer> xs) {
                return xs.get(0);
            }
        }
        """
    tests = """
        import java.util.*;
        import org.junit.jupiter.api.Test;
        import static org.junit.jupiter.api.Assertions.*;

        class SolutionTest {
            @Test void empty() { assertEquals(0, new Solution().first(new ArrayList<>())); }
            @Test void throwsOnNull() { assertThrows(NullPointerException.class, () -> new Solution().first(null)); }
        }
        """
    verdict = verify_one(java_verifier, solution, tests)
    cases = {c.name: c for c in verdict.tests.cases}
    assert cases["throwsOnNull"].outcome == "passed"
    assert cases["empty"].message.startswith("IndexOutOfBoundsException: Index 0 out of bounds")
    assert verdict.reason == "IndexOutOfBoundsException"
    assert "at Solution.first(Solution.java:5)" in verdict.feedback


JUNIT_FEATURES = """
    import java.util.*;
    import org.junit.jupiter.api.*;
    import org.junit.jupiter.params.ParameterizedTest;
    import org.junit.jupiter.params.provider.CsvSource;
    import org.junit.jupiter.params.provider.ValueSource;
    import static org.junit.jupiter.api.Assertions.*;

    class SolutionTest {
        Solution s;

        @BeforeEach void setUp() { s = new Solution(); }

        @ParameterizedTest
        @CsvSource({"1, 2, 3", "2, 2, 4", "0, 0, 0"})
        void addsPairs(int a, int b, int sum) { assertEquals(sum, s.add(a, b)); }

        @RepeatedTest(3)
        void repeats() { assertEquals(2, s.add(1, 1)); }

        @Nested
        class Negative {
            @Test void both() { assertEquals(-2, s.add(-1, -1)); }
        }

        @TestFactory
        List<DynamicTest> dynamic() {
            return List.of(DynamicTest.dynamicTest("zero", () -> assertEquals(0, s.add(0, 0))));
        }

        @Test void one(TestInfo info) { assertEquals(1, s.add(1, 0), info.getDisplayName()); }
        @Test void one() { assertEquals(1, s.add(0, 1)); }
    }
    """


def test_junit_features_run_on_jupiter_with_one_id_per_method(java_verifier):
    verdict = verify_one(java_verifier, ADD, JUNIT_FEATURES)
    assert verdict.passed, verdict.feedback
    names = sorted(c.name for c in verdict.tests.cases)
    assert names == ["Negative.both", "addsPairs", "dynamic", "one()", "one(TestInfo)", "repeats"]


def test_a_failing_invocation_fails_its_parameterized_test(java_verifier):
    solution = ADD.replace("return a + b;", "return a == 2 ? 0 : a + b;")
    verdict = verify_one(java_verifier, solution, JUNIT_FEATURES)
    assert verdict.stage == "tests"
    failed = {c.name: c.message for c in verdict.tests.cases if c.outcome == "failed"}
    assert set(failed) == {"addsPairs"}
    assert failed["addsPairs"] == "AssertionFailedError: expected: <4> but was: <0> [[2] 2, 2, 4]"


def test_a_failure_around_the_tests_fails_the_run(java_verifier):
    tests = TEST_ADD.replace(
        "class SolutionTest {",
        "class SolutionTest {\n"
        '    @AfterAll static void tearDown() { throw new IllegalStateException("left dirty"); }',
    ).replace("import org.junit.jupiter.api.Test;", "import org.junit.jupiter.api.*;")
    verdict = verify_one(java_verifier, ADD, tests)
    assert verdict.stage == "tests" and "ended with status 1" in verdict.reason
    assert "IllegalStateException: left dirty" in verdict.stderr


LIFECYCLE = {
    "before_each_fails": """
        @BeforeEach void setUp() { throw new IllegalStateException("no setup"); }
        @AfterEach void tearDown() { log.add("after"); }
        @Test void adds() { assertEquals(5, new Solution().add(2, 3)); }
        """,
    "after_each_fails_too": """
        @AfterEach void tearDown() { throw new IllegalStateException("no teardown"); }
        @Test void adds() { assertEquals(6, new Solution().add(2, 3)); }
        """,
    "before_all_fails": """
        @BeforeAll static void boot() { throw new IllegalStateException("no boot"); }
        @AfterAll static void halt() { log.add("after all"); }
        @Test void adds() { assertEquals(5, new Solution().add(2, 3)); }
        @Test void addsMore() { assertEquals(7, new Solution().add(3, 4)); }
        """,
    "constructor_fails": """
        SolutionTest() { if (log.isEmpty()) throw new IllegalStateException("no instance"); }
        @Test void adds() { assertEquals(5, new Solution().add(2, 3)); }
        """,
    "static_initializer_fails": """
        static final int BAD = Integer.parseInt("x");
        @Test void adds() { assertEquals(5, new Solution().add(2, 3)); }
        @Test void addsMore() { assertEquals(7, new Solution().add(3, 4)); }
        """,
    "assumption_aborts": """
        @Test void adds() { Assumptions.assumeTrue(false, "not today"); }
        @Test void addsMore() { assertEquals(7, new Solution().add(3, 4)); }
        """,
    "order_and_shared_state": """
        @Test void b() { log.add("b"); }
        @Test void a() { log.add("a"); }
        @Test void zz() { log.add("zz"); assertEquals(java.util.List.of(), log); }
        @Test void c() { log.add("c"); }
        """,
    "every_test_disabled": """
        @Disabled("later") @Test void adds() { assertEquals(5, new Solution().add(2, 3)); }
        """,
    "invalid_test_methods_are_no_tests": """
        @Test private void hidden() { }
        @Test static void shared() { }
        @Test int value() { return 1; }
        """,
}


@pytest.mark.parametrize("name", sorted(LIFECYCLE))
def test_the_fast_path_judges_as_jupiter_does(java_verifier, name):
    """Each class once as it is (plain ones take the fast path) and once with an annotation that
    changes nothing but sends it to JUnit Jupiter's engine: the same verdicts."""
    body = textwrap.indent(d(LIFECYCLE[name]), "    ")
    tests = (
        "import java.util.*;\nimport org.junit.jupiter.api.*;\n"
        "import static org.junit.jupiter.api.Assertions.*;\n\n"
        "TAGclass SolutionTest {\n    static List<String> log = new ArrayList<>();\n"
        f"{body}}}\n"
    )
    plain, jupiter = java_verifier.verify(
        [java(ADD, tests.replace("TAG", "")), java(ADD, tests.replace("TAG", '@Tag("jupiter") '))]
    )
    for verdict in (plain, jupiter):
        verdict.id = verdict.duration_s = verdict.max_rss_mb = None
        if verdict.tests is not None:
            for case in verdict.tests.cases:
                case.duration_s = 0.0
    assert plain == jupiter, (plain.feedback, jupiter.feedback)
    assert not plain.passed or name == "order_and_shared_state"


# javac --------------------------------------------------------------------------------------------
def test_a_compile_error_is_rejected_with_file_line_column(java_verifier):
    verdict = verify_one(java_verifier, ADD.replace("a + b", "a + c"), TEST_ADD)
    assert verdict.stage == "compile" and verdict.reason == "compile error"
    (error,) = [m for m in verdict.lint if m.rejects]
    assert (error.file, error.line, error.column) == ("Solution.java", 2, 47)
    assert error.code == "cant.resolve.location"
    assert error.message == "cannot find symbol; symbol: variable c; location: class Solution"
    assert "Solution.java:2:47: cant.resolve.location cannot find symbol" in verdict.feedback


def test_errors_in_the_tests_are_compile_errors_too(java_verifier):
    verdict = verify_one(java_verifier, ADD, TEST_ADD.replace("add(2, 3)", "plus(2, 3)"))
    assert verdict.stage == "compile"
    assert {(m.file, m.line) for m in verdict.lint if m.rejects} == {("SolutionTest.java", 6)}


def test_lint_warnings_are_reported_not_rejected(java_verifier):
    solution = """
        import java.util.*;

        class Solution {
            public int total(List<Integer> xs) {
                List raw = new ArrayList(xs);
                int sum = 0;
                for (Object x : raw) sum += (Integer) x;
                return sum;
            }
        }
        """
    tests = """
        import java.util.*;
        import org.junit.jupiter.api.Test;
        import static org.junit.jupiter.api.Assertions.*;

        class SolutionTest {
            @Test void total() { assertEquals(6, new Solution().total(List.of(1, 2, 3))); }
        }
        """
    verdict = verify_one(java_verifier, solution, tests)
    assert verdict.passed, verdict.feedback
    assert {m.code for m in verdict.lint} == {"rawtypes", "unchecked"}
    assert not any(m.rejects for m in verdict.lint)
    assert {(m.file, m.line) for m in verdict.lint} == {("Solution.java", 5)}


def test_a_sample_too_large_is_rejected_before_compiling(java_verifier):
    big = ADD + "// " + "x" * (1 << 20) + "\n"
    verdict = verify_one(java_verifier, big, TEST_ADD)
    assert verdict.stage == "syntax" and "larger than" in verdict.reason


# The strength check -------------------------------------------------------------------------------
def test_tests_that_pass_against_stubs_are_weak(java_verifier):
    tests = """
        import org.junit.jupiter.api.Test;
        import static org.junit.jupiter.api.Assertions.*;

        class SolutionTest {
            @Test void zero() { assertEquals(0, new Solution().add(0, 0)); }
            @Test void five() { assertEquals(5, new Solution().add(2, 3)); }
        }
        """
    verdict = verify_one(java_verifier, ADD, tests)
    assert verdict.passed, verdict.feedback
    verdict = verify_one(java_verifier, ADD, tests.replace("@Test void five", "void five"))
    assert verdict.stage == "weak_tests" and verdict.weak_tests == ["zero"]


STUBS = {
    "primitives": "int i() { return 1; } long l() { return 1L; } double d() { return 1.0; }"
    " float f() { return 1f; } char c() { return 'a'; } byte b() { return 1; }"
    " short s() { return 1; } boolean z() { return true; }",
    "objects": 'String s() { return "a"; } java.util.List<Integer> xs() { return java.util.List.of(1); }'
    " int[] a() { return new int[] {1}; } int old()[] { return null; }",
    "void": "void v(int[] out) { out[0] = 1; }",
    "generic": "<T extends Comparable<T>> T max(T a, T b) { return a.compareTo(b) > 0 ? a : b; }",
    "final_field_constructor": "private final int k; Solution() { k = 2; } int k() { return k; }",
    "nested_and_anonymous": "static class Pair { int a; int sum() { return a; } }"
    " java.util.Comparator<Integer> byValue = new java.util.Comparator<>() {"
    " public int compare(Integer x, Integer y) { return x - y; } };",
    "enum_record_interface": "enum Color { RED { int code() { return 1; } }; int code() { return 0; } }"
    " record Point(int x, int y) { Point { if (x < 0) throw new IllegalArgumentException(); }"
    " int sum() { return x + y; } }"
    " interface Shape { default double area() { return 1; } double perimeter(); }",
    "throws_and_loops": "int f(int n) throws Exception { while (true) { if (n > 0) return n; } }"
    " int g(int n) { switch (n) { case 1: return 1; default: throw new IllegalStateException(); } }",
    # javac reads Unicode escapes before anything else: types, braces, quotes, names in them
    "unicode_escapes": r"static \u0069nt i() { return 1; } \uuu0062oolean z() { return true; }"
    r""" char c() \u007b return '\u005c\u005c'; \u007d String s() { return "\u005c""; }"""
    r" \u0064ouble[] ds() { return new double[] {1}; } // \\u0041 is no escape"
    "\n    static \\ud801\\udc00 make() { return new \\ud801\\udc00(); }"
    " static class \\ud801\\udc00 { }",
}


@pytest.mark.parametrize("name", sorted(STUBS))
def test_stubs_compile_and_return_defaults(name, tmp_path):
    solution = "class Solution {\n    " + STUBS[name] + "\n}\n"
    stubbed = stub_solution(solution)
    assert stubbed is not None and stubbed != solution
    (tmp_path / "Solution.java").write_text(stubbed)
    done = subprocess.run(
        ["javac", "-d", "out", "-cp", compile_classpath(), "Solution.java"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, stubbed + done.stderr


def test_a_return_type_in_unicode_escapes_is_the_type_javac_reads():
    solution = "class Solution {\n    static \\u0069nt helper() { return 1; }\n}\n"
    assert stub_solution(solution) == solution.replace("return 1;", "return 0;")
    solution = "class Solution {\n    \\u0062oolean f() \\u007b return true; \\u007d\n}\n"
    assert (
        stub_solution(solution) == "class Solution {\n    \\u0062oolean f() { return false; }\n}\n"
    )


def test_a_solution_without_methods_has_no_stub():
    assert stub_solution("class Solution { static final int ANSWER = 42; }\n") is None
    assert stub_solution("interface Solution { int f(); }\n") is None


# Every shape of `equals(Object)` javac accepts, guarded (equal.py): it compiles, warns of nothing
# more than the solution did, and keeps every line where it was.
GUARDED = r"""
import java.util.*;

class Solution {
    public Object box(int v) { return new Box<>(v); }
    public List<Integer> listed(List<Integer> xs) {
        class Local { @Override public boolean equals(Object o) { return o == this; } @Override public int hashCode() { return 1; } }
        new Local().equals(xs);
        return new ArrayList<>(xs) {
            @Override public boolean equals(final java.lang.Object other) { return super.equals(other); }
            @Override public int hashCode() { return super.hashCode(); }
        };
    }
    static class Nested {
        @Override
        public final synchronized boolean equals(@SuppressWarnings("unused") Object /* any */ o)
        \u007b
            return o instanceof Nested;
        }
        @Override public int hashCode() { return 2; }
    }
    class Inner { @Override public boolean equals(Object o) { return o instanceof Inner; } @Override public int hashCode() { return 3; } }
    public boolean equals(Solution other) { return other == this; }
    public static boolean equals(Object a, Object b) { return Objects.equals(a, b); }
}

final class Box<T> {
    final T value;
    Box(T value) { this.value = value; }
    @Override public boolean equals(Object o) { return o instanceof Box<?> b && Objects.equals(b.value, value); }
    @Override public int hashCode() { return Objects.hashCode(value); }
}

class Languages {  // a variable called `java` hides the package in expressions
    int java = 1;
    @Override public boolean equals(Object o) { return o instanceof Languages l && l.java == java; }
    @Override public int hashCode() { return java; }
}

record Pair(int a, int b) {
    @Override public boolean equals(Object o) { return o instanceof Pair p && p.a == a && p.b == b; }
    @Override public int hashCode() { return a * 31 + b; }
}
"""


def test_an_equals_that_overrides_nothing_is_found_where_javac_reads_it():
    assert overloads(GUARDED) == [(23, 20, "equals(Solution)")]  # not equals(Object), not (a, b)
    source = (
        "class A {\n"
        "    boolean equals(Object[] o) { return true; }\n"
        "    static Boolean equals(final java.util.List<Integer>  xs) { return true; }\n"
        "    interface I { default boolean equals(I o) { return true; } }\n"
        "    boolean \\u0065quals(A a) { return true; } boolean equals(java.lang.Object o) { return false; }\n"
        "    <T> boolean equals(T t, int n) { return true; } int equalsCount(A a) { return 0; }\n"
        "    boolean equals(Object o []) { return true; }\n"
        "}\n"
    )
    assert overloads(source) == [
        (2, 13, "equals(Object[])"),
        (3, 20, "equals(java.util.List<Integer>)"),
        (4, 35, "equals(I)"),
        (5, 13, "equals(A)"),  # where its first escape starts
        (7, 13, "equals(Object[])"),
    ]
    # The guard wraps `equals(Object)` alone: an array of them is not one (wrapped, it would not
    # compile: its probe compares an `Object[]` with `this`).
    arrays = "class M { public boolean equals(Object[] o) { return o.length == 0; } }\n"
    assert guard_equals(arrays) == arrays


def test_a_guarded_solution_compiles_without_new_warnings_and_keeps_its_lines(tmp_path):
    guarded = guard_equals(GUARDED)
    assert guarded.count("assay$equals(java.lang.Object") == 7  # not the overload, not the static
    before, after = GUARDED.splitlines(), guarded.splitlines()
    assert len(before) == len(after)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(changed) == 7 and all("equals" in before[i] or "u007b" in before[i] for i in changed)
    for name, source in (("original", GUARDED), ("guarded", guarded)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Solution.java").write_text(source)
    warnings = {}
    for name in ("original", "guarded"):
        done = subprocess.run(
            ["javac", "-Xlint:all,-serial,-processing", "-d", "out", "Solution.java"],
            cwd=tmp_path / name,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        warnings[name] = done.stderr
    assert warnings["guarded"] == warnings["original"]


def test_a_guarded_solution_names_its_own_lines(java_verifier):
    solution = """
        class Solution {
            public int add(int a, int b) { return new P().plus(a, b); }
        }

        class P {
            @Override public boolean equals(Object o) { return o instanceof P; }
            @Override public int hashCode() { return 0; }
            int plus(int a, int b) {
                if (a > 100) throw new IllegalStateException("too big");
                return a + b;
            }
        }
        """
    tests = TEST_ADD.replace("add(-2, -3)", "add(200, 1)")
    verdict = verify_one(java_verifier, solution, tests)
    assert verdict.stage == "tests"
    assert "at P.plus(Solution.java:9)" in verdict.feedback
    broken = """
        class Solution {
            public int add(int a, int b) { return a + b; }
        }

        class P {
            @Override public boolean equals(Object o) {
                return o instanceof P && q;
            }
            @Override public int hashCode() { return 0; }
        }
        """
    verdict = verify_one(java_verifier, broken, tests)
    (error,) = [m for m in verdict.lint if m.rejects]
    column = d(broken).splitlines()[6].index("q") + 1
    assert (error.file, error.line, error.column) == ("Solution.java", 7, column), error


def test_a_stub_that_does_not_compile_is_its_phases_compile_failure(java_verifier):
    """The stub keeps every signature, so it compiles wherever the solution did; were it ever
    refused, its phase is a failed compile, which teaches the strength check nothing."""
    language = java_verifier._language("java")
    sample = java(ADD, TEST_ADD)
    (pre,) = language.precheck([sample])
    pre.prepared["stub"] = Compiled(ok=False, diagnostics=[])
    verdict, result = java_verifier._execute(language.request(sample, pre, "class Solution {}"))
    assert verdict.passed, verdict.feedback
    assert judge(result, java_verifier.options.limits, phase=1).stage == "compile"


def test_weak_isolation_runs_against_a_readable_copy_of_the_harness():
    options = VerifyOptions(jobs=1, isolation="weak")
    with Verifier(options) as verifier:
        verdict = verify_one(verifier, ADD, TEST_ADD)
    assert verdict.passed, verdict.feedback
