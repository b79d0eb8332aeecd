"""Go samples end to end: HumanEval-X's canonical solutions and their stubs, per-test feedback
with expected vs actual, panics, vet and compile diagnostics, and the strength check's switch."""

from __future__ import annotations

import gzip
import json
import re
import textwrap
from pathlib import Path

import pytest

from pipeline.humaneval_x import to_sample
from sandbox import Sample, Verifier, VerifyOptions
from sandbox.languages import Prechecked
from sandbox.languages.go.language import Go
from sandbox.languages.go.stub import (
    OS,
    PREFIX,
    RESULT,
    SWITCH,
    instrument,
    prefix,
    stub_source,
    switch_prefix,
)
from sandbox.options import Limits

# Go/32's test checks FindZero only through Poly, a function of the solution that the stub
# replaces (|stub Poly| = 0 < 1e-3); Go/95's canonical solution depends on map iteration order.
EXPECTED = {"Go/32": "weak_tests"}
FLAKY = {"Go/95"}
# A few records for the Docker backend (the whole set runs on the process backend).
DOCKER_RECORDS = ("Go/0", "Go/12", "Go/20", "Go/38", "Go/65", "Go/100", "Go/162")


def records() -> list[dict]:
    here = Path(__file__).resolve().parents[2]
    for base in (here.parent, here.parent.parent, Path("/work")):
        path = base / "shared" / "data" / "humaneval-x" / "go.jsonl.gz"
        if path.exists():
            with gzip.open(path, "rt") as fh:
                return [json.loads(line) for line in fh]
    pytest.skip("HumanEval-X data (shared/data/humaneval-x/go.jsonl.gz) not found")


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def verify_one(verifier: Verifier, solution: str, tests: str):
    (verdict,) = verifier.verify([Sample(solution=d(solution), tests=d(tests), language="go")])
    return verdict


def chosen(backend_name: str) -> list[dict]:
    rows = records()
    if backend_name == "docker":
        rows = [r for r in rows if r["task_id"] in DOCKER_RECORDS]
    return rows


ADD = """
    package solution

    func Add(a, b int) int { return a + b }
    """
ADD_WRONG = ADD.replace("a + b", "a - b")
TEST_ADD = """
    package solution

    import "testing"

    func TestAddsSmallNumbers(t *testing.T) {
        if got := Add(2, 3); got != 5 {
            t.Errorf("Add(2, 3) = %d, want 5", got)
        }
    }

    func TestAddsNegatives(t *testing.T) {
        if got := Add(-2, -3); got != -5 {
            t.Errorf("Add(-2, -3) = %d, want -5", got)
        }
    }
    """


# HumanEval-X ------------------------------------------------------------------------------------
def test_humaneval_x_canonical_solutions_pass(full_verifier, backend_name):
    rows = chosen(backend_name)
    verdicts = list(full_verifier.verify([to_sample(r) for r in rows]))
    failed = {v.id: v.stage for v in verdicts if not v.passed and v.id not in FLAKY}
    expected = {k: v for k, v in EXPECTED.items() if k in {r["task_id"] for r in rows}}
    assert failed == expected, {v.id: (v.stage, v.feedback) for v in verdicts if not v.passed}


def stubbed(solution: str) -> str:
    """The solution with every function's body returning its zero values at once."""
    return instrument(solution).replace(f"if {SWITCH} {{", "if true {")


def test_humaneval_x_stub_bodies_are_rejected(full_verifier, backend_name):
    samples = []
    for record in chosen(backend_name):
        if record["task_id"] in EXPECTED:
            continue
        sample = to_sample(record)
        sample.solution = stubbed(sample.solution)
        samples.append(sample)
    verdicts = list(full_verifier.verify(samples))
    assert not [v.id for v in verdicts if v.passed]
    assert {v.stage for v in verdicts} <= {"tests", "timeout"}, {v.stage for v in verdicts}


def test_an_early_exit_in_the_solution_does_not_pass_a_humaneval_x_test(full_verifier):
    record = next(r for r in records() if r["task_id"] == "Go/53")  # Add(x, y)
    body = "    os.Exit(0)\n    return 0\n}\n"
    sample = to_sample({**record, "canonical_solution": body})
    sample.solution = sample.solution.replace(
        "package solution\n", 'package solution\nimport "os"\n'
    )
    (verdict,) = full_verifier.verify([sample])
    assert verdict.stage == "tests", verdict.feedback
    assert "unexpected call to os.Exit(0) during test" in verdict.feedback


def test_a_failed_humaneval_x_assert_shows_its_values(full_verifier):
    record = next(r for r in records() if r["task_id"] == "Go/53")
    sample = to_sample({**record, "canonical_solution": "    return x + y + 1\n}\n"})
    (verdict,) = full_verifier.verify([sample])
    assert verdict.stage == "tests"
    (case,) = verdict.tests.cases
    assert case.name == "TestAdd" and case.outcome == "failed"
    assert "expected: 1" in case.message and "actual : 2" in case.message


# Outcomes and feedback ----------------------------------------------------------------------------
def test_a_correct_sample_passes_with_every_test_named(full_verifier):
    verdict = verify_one(full_verifier, ADD, TEST_ADD)
    assert verdict.passed, verdict.feedback
    assert [c.name for c in verdict.tests.cases] == ["TestAddsSmallNumbers", "TestAddsNegatives"]


def test_failures_say_expected_vs_actual_with_their_line(full_verifier):
    verdict = verify_one(full_verifier, ADD_WRONG, TEST_ADD)
    assert verdict.stage == "tests" and verdict.reason == "test failed"
    first = verdict.tests.cases[0]
    assert first.outcome == "failed"
    assert "solution_test.go:7: Add(2, 3) = -1, want 5" in first.message
    assert "TestAddsSmallNumbers failed" in verdict.feedback


def test_panics_subtests_skips_and_parallel_tests(full_verifier):
    tests = """
        package solution

        import "testing"

        func TestTable(t *testing.T) {
            for _, c := range []struct{ a, b, want int }{{1, 1, 2}, {2, 2, 5}} {
                c := c
                t.Run("case", func(t *testing.T) {
                    t.Parallel()
                    if got := Add(c.a, c.b); got != c.want {
                        t.Errorf("Add(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
                    }
                })
            }
        }

        func TestPanics(t *testing.T) {
            var values []int
            _ = values[Add(1, 2)]
        }

        func TestFine(t *testing.T) { t.Parallel() }

        func TestSkipped(t *testing.T) { t.Skip("later") }
        """
    verdict = verify_one(full_verifier, ADD, tests)
    cases = {c.name: c for c in verdict.tests.cases}
    assert cases["TestTable"].outcome == "failed"
    assert "Add(2, 2) = 4, want 5" in cases["TestTable"].message
    assert cases["TestPanics"].outcome == "error"
    assert "index out of range [3] with length 0" in cases["TestPanics"].message
    assert cases["TestFine"].outcome == "passed"
    assert cases["TestSkipped"].outcome == "skipped"
    assert verdict.stage == "tests"
    assert "solution_test.go:19" in verdict.feedback  # the panic's line, from its stack


def test_a_skipped_test_among_passing_ones_rejects(full_verifier):
    tests = TEST_ADD + '\nfunc TestLater(t *testing.T) { t.Skip("not now") }\n'
    verdict = verify_one(full_verifier, ADD, tests)
    assert verdict.stage == "tests" and "skipped" in verdict.reason


def test_examples_run_the_go_way(full_verifier):
    tests = (
        TEST_ADD
        + '\nfunc ExampleAdd() {\n\tprintln("x")\n\tfmt.Println(Add(1, 1))\n\t// Output: 3\n}\n'
    )
    tests = tests.replace('import "testing"', 'import (\n\t"fmt"\n\t"testing"\n)')
    verdict = verify_one(full_verifier, ADD, tests)
    assert verdict.stage == "tests" and verdict.reason == "test failed", verdict.reason
    (failed,) = [c for c in verdict.tests.cases if c.outcome == "failed"]
    assert failed.name == "ExampleAdd" and "got:\n2\nwant:\n3" in failed.message
    assert "ExampleAdd failed" in verdict.feedback


def test_examples_alone_are_tests_and_meet_the_strength_check(full_verifier):
    tests = (
        'package solution\n\nimport "fmt"\n\nfunc ExampleAdd() {\n\tfmt.Println(Add(2, 3))\n'
        "\tfmt.Println(Add(-1, 1))\n\t// Output:\n\t// 5\n\t// 0\n}\n\n"
        "func ExampleAdd_unordered() {\n\tfmt.Println(Add(1, 1))\n\tfmt.Println(Add(0, 1))\n"
        "\t// Unordered output:\n\t// 1\n\t// 2\n}\n"
    )
    verdict = verify_one(full_verifier, ADD, tests)
    assert verdict.passed, verdict.feedback
    assert [c.name for c in verdict.tests.cases] == ["ExampleAdd", "ExampleAdd_unordered"]
    assert verify_one(full_verifier, ADD_WRONG, tests).stage == "tests"
    weak = (
        tests.replace("fmt.Println(Add(-1, 1))", "fmt.Println(0 + 0)")
        .replace("fmt.Println(Add(2, 3))", "fmt.Println(5)")
        .split("\n\nfunc ExampleAdd_unordered")[0]
        + "\n"
    )
    assert verify_one(full_verifier, ADD, weak).stage == "weak_tests"


# Compiler and vet -------------------------------------------------------------------------------
def test_a_compile_error_is_rejected_with_file_line_column(full_verifier):
    verdict = verify_one(full_verifier, ADD.replace("a + b", "a + c"), TEST_ADD)
    assert verdict.stage == "compile" and verdict.reason == "compile error"
    (error,) = [m for m in verdict.lint if m.rejects]
    assert (error.file, error.line, error.column) == ("solution.go", 3, 37)
    assert "undefined: c" in error.message
    assert "solution.go:3:37" in verdict.feedback


def test_an_unused_import_is_a_compile_error(full_verifier):
    solution = ADD.replace("package solution\n", 'package solution\n\n    import "strings"\n')
    verdict = verify_one(full_verifier, solution, TEST_ADD)
    assert verdict.stage == "compile"
    assert any(
        "imported and not used" in m.message and '"strings"' in m.message for m in verdict.lint
    )


def test_vet_findings_that_name_bugs_reject(full_verifier):
    tests = TEST_ADD.replace('"Add(2, 3) = %d, want 5", got', '"Add(2, 3) = %d, want 5", "five"')
    verdict = verify_one(full_verifier, ADD, tests)
    assert verdict.stage == "compile" and verdict.reason == "go vet: printf"
    (finding,) = [m for m in verdict.lint if m.rejects]
    assert finding.code == "vet:printf" and finding.file == "solution_test.go"
    assert "wrong type string" in finding.message


def test_style_findings_are_reported_not_rejected(full_verifier):
    solution = """
        package solution

        func Add(a, b int) int {
            if a > 1000 {
                panic("too large")
                return 0
            }
            return a + b
        }
        """
    verdict = verify_one(full_verifier, solution, TEST_ADD)
    assert verdict.passed, verdict.feedback
    (finding,) = verdict.lint
    assert finding.code == "vet:unreachable" and not finding.rejects and finding.line == 6


@pytest.mark.parametrize(
    "tests, says",
    [
        (
            'package solution\nimport "testing"\nfunc TestMain(m *testing.M) { m.Run() }\n',
            "TestMain",
        ),
        (
            'package solution\nimport "testing"\nfunc TestAdd(t *testing.T, x int) {}\n',
            "wrong signature",
        ),
        ('package solution_test\nimport "testing"\nfunc TestAdd(t *testing.T) {}\n', "package"),
        ('package solution\nimport "testing"\nfunc FuzzAdd(f *testing.F) {}\n', "fuzz"),
    ],
)
def test_what_the_harness_does_not_run_is_a_compile_rejection(full_verifier, tests, says):
    verdict = verify_one(full_verifier, ADD, tests)
    assert verdict.stage == "compile"
    assert says in verdict.lint[0].message and verdict.lint[0].file == "solution_test.go"


# The strength check -----------------------------------------------------------------------------
def test_tests_that_pass_against_stubs_are_weak(full_verifier):
    tests = 'package solution\nimport "testing"\nfunc TestZero(t *testing.T) {\n\tif Add(0, 0) != 0 {\n\t\tt.Fail()\n\t}\n}\n'
    verdict = verify_one(full_verifier, ADD, tests)
    assert verdict.stage == "weak_tests" and verdict.weak_tests == ["TestZero"]


def test_the_stub_run_cannot_be_told_from_the_samples(full_verifier):
    # The switch follows the token on descriptor 4 and is gone from the environment before any
    # variable of the tests initialises: tests that fail where they could tell the strength
    # check's run (its environment, /proc/self/environ, its arguments, descriptor 4 open) still
    # pass there, so the strength check names them weak.
    tests = """package solution

import (
	"os"
	"strings"
	"testing"
)

var told = telling()

func telling() bool {
	environ, _ := os.ReadFile("/proc/self/environ")
	cmdline, _ := os.ReadFile("/proc/self/cmdline")
	_, open := os.Stat("/proc/self/fd/4")
	return strings.Contains(string(environ)+string(cmdline)+strings.Join(os.Environ(), " "), "STUB") ||
		open == nil
}

func init() { told = told || os.Getenv("ASSAY_STRENGTH_CHECK_STUB") != "" }

func TestAdds(t *testing.T) {
	if Add(2, 3) != 5 {
		t.Fail()
	}
}

func TestZero(t *testing.T) {
	if told || Add(0, 0) != 0 {
		t.Fail()
	}
}
"""
    verdict = verify_one(full_verifier, ADD, tests)
    assert verdict.passed and verdict.weak_tests == ["TestZero"], verdict.feedback


KINDS = """
    package solution

    import (
        "errors"
        "strings"
    )

    type Box[T any] struct{ items []T }

    func (b *Box[T]) Push(x T) *Box[T] { b.items = append(b.items, x); return b }
    func (b Box[T]) Len() int { return len(b.items) }
    func Pair(s string) (head string, tail []string, err error) {
        parts := strings.Split(s, ",")
        if len(parts) == 0 { return "", nil, errors.New("empty") }
        return parts[0], parts[1:], nil
    }
    func Apply[T, U any](xs []T, f func(T) U) map[int]U {
        out := map[int]U{}
        for i, x := range xs { out[i] = f(x) }
        return out
    }
    func Nothing(x *int) { *x = 1 }
    func Builder() *strings.Builder { return &strings.Builder{} }
    func Either() (int, error) { return 1, nil }
    func Chan() <-chan int { c := make(chan int, 1); c <- 1; return c }
    func init() { Nothing(new(int)) }
    """
TEST_KINDS = """
    package solution

    import "testing"

    func TestKinds(t *testing.T) {
        b := (&Box[int]{}).Push(1)
        _, _, err := Pair("a,b")
        out := Apply([]int{1}, func(x int) string { return "x" })
        v, e := Either()
        t.Log(b, err, out, Builder(), v, e, Chan())
    }
    """


def test_the_stub_switch_compiles_and_runs_for_every_kind_of_function(full_verifier):
    instrumented = instrument(d(KINDS))
    assert instrumented.count(f"if {SWITCH} {{ return }}") == 8  # not init
    assert "Pair(s string) (head string, tail []string, err error) {" in instrumented
    assert f"Either() ({RESULT}0 /*line solution.go:24:16*/int, {RESULT}1 " in instrumented
    assert f"Push(x T) ({RESULT}0 /*line solution.go:10:28*/*Box[T])/*line " in instrumented
    # Each switch is followed by a line directive: positions stay the original's.
    assert re.search(r"\}; ?/\*line solution\.go:10:\d+\*/", instrumented)
    verdict = verify_one(full_verifier, KINDS, TEST_KINDS)
    assert verdict.stage == "weak_tests", verdict.feedback


# A bare `return` of named results: the stub names nothing the sample may have declared for
# itself. Each solution passes its tests, and a test its stub passes as well is weak: the stub
# compiled and ran (rather than the sample being judged without the strength check).
SHADOWED = {
    "a_parameter_named_new": "func F(new int) int { return new + 1 }",
    "a_parameter_named_as_its_type": (
        "type point int\nfunc move(point point) point { return point + 1 }\n"
        "func F(x int) int { return int(move(point(x))) }"
    ),
    "a_parameter_named_as_an_import": (
        'import "strings"\nfunc Count(strings []string) strings.Builder { panic(len(strings)) }\n'
        "func F(x int) int { return x + 1 }"
    ),
    "a_package_level_os": "var os = 1\nfunc F(x int) int { return x + os }",
    "package_level_builtins": (
        "func new(x int) int { return x + 1 }\nfunc len() {}\nfunc panic() {}\n"
        "type any = int\ntype bool = int\nvar nil = 0\nfunc F(x any) any { return new(x) + nil }"
    ),
}
TEST_F = """
    package solution

    import "testing"

    func TestF(t *testing.T) {
        if got := F(2); got != 3 {
            t.Errorf("F(2) = %d, want 3", got)
        }
    }
    """
TEST_F_WEAK = TEST_F.replace("F(2); got != 3", "F(-1); got != 0")


@pytest.mark.parametrize("name", sorted(SHADOWED))
def test_names_the_sample_declares_do_not_break_the_stub(full_verifier, name):
    solution = "package solution\n" + SHADOWED[name] + "\n"
    verdict = verify_one(full_verifier, solution, TEST_F)
    assert verdict.passed, verdict.feedback
    verdict = verify_one(full_verifier, solution, TEST_F_WEAK)
    assert verdict.stage == "weak_tests", verdict.feedback


def test_a_parameter_named_new_in_a_swap(full_verifier):
    solution = "package solution\nfunc Swap(old, new int) (int, int) { return new, old }\n"
    tests = (
        'package solution\nimport "testing"\nfunc TestSwap(t *testing.T) { if a, b := Swap(1, 2); '
        'a != 2 || b != 1 { t.Errorf("got %d %d", a, b) } }\n'
    )
    assert verify_one(full_verifier, solution, tests).passed
    weak = tests.replace("Swap(1, 2); a != 2 || b != 1", "Swap(0, 0); a != 0 || b != 0")
    assert verify_one(full_verifier, solution, weak).stage == "weak_tests"


@pytest.mark.parametrize(
    "solution, column",
    [
        ("func F(x int) (int, Nope) { return x + 1, nil }", 21),
        ("func F(x int) Nope { return x + 1 }", 15),
    ],
)
def test_an_error_in_a_result_type_keeps_its_position(full_verifier, solution, column):
    verdict = verify_one(full_verifier, "package solution\n" + solution + "\n", TEST_F)
    assert verdict.stage == "compile"
    found = [(m.line, m.column, m.message) for m in verdict.lint if m.file == "solution.go"]
    assert found == [(2, column, "undefined: Nope")]


# The stub's usual names, taken by the sample: its names are then others, which neither file
# holds (the instrumented build would fail on a line that holds a switch, or in the switch's file,
# and the sample be judged without the strength check).
TAKEN = {
    "the_switch": f"var {SWITCH} = 1\nfunc F(x int) int {{ return x + {SWITCH} }}",
    "a_result_name": f"func F({RESULT}0 int) int {{ return {RESULT}0 + 1 }}",
    "the_import": f"var {OS} = 1\nfunc F(x int) int {{ return x + {OS} }}",
    "the_next_names_too": (
        f"var {OS}, {PREFIX}1OS, {PREFIX}2 = 1, 0, 0\n"
        f"func F(x int) int {{ return x + {OS} + {PREFIX}1OS + {PREFIX}2 }}"
    ),
}


@pytest.mark.parametrize("name", sorted(TAKEN))
def test_the_stubs_names_taken_by_the_sample_leave_it_the_strength_check(full_verifier, name):
    solution = "package solution\n" + TAKEN[name] + "\n"
    verdict = verify_one(full_verifier, solution, TEST_F)
    assert verdict.passed, verdict.feedback
    assert not [m for m in verdict.lint if m.rejects]
    assert verify_one(full_verifier, solution, TEST_F_WEAK).stage == "weak_tests"
    verdict = verify_one(full_verifier, solution.replace("return ", "return 1 + "), TEST_F)
    assert verdict.stage == "tests", verdict.feedback


def test_the_stubs_names_are_in_neither_file():
    solution = f"package solution\nvar {OS} = 1\nfunc F(x int) int {{ return x + {OS} }}\n"
    assert prefix(solution) == f"{PREFIX}1"
    assert prefix(solution, f"// {PREFIX}1 {PREFIX}2\n") == f"{PREFIX}3"
    stub = instrument(solution)
    assert f"if {PREFIX}1Stub {{ return }};" in stub and f"{PREFIX}1Result0 " in stub
    assert switch_prefix(stub_source(f"{PREFIX}1")) == f"{PREFIX}1"
    with pytest.raises(ValueError):
        instrument(solution, names=PREFIX)
    # The tests' names count too: the request makes the stub again with others.
    language = Go(VerifyOptions())
    tests = TEST_F_WEAK + f"\nvar {PREFIX}1Stub = 0\n"
    sample = Sample(solution=solution, tests=d(tests), language="go")
    request = language.request(sample, Prechecked(), language.stub(solution))
    files = request.phases[0].files
    assert f"if {PREFIX}2Stub {{ return }};" in files["solution.go"]
    assert f"{PREFIX}1Stub" not in files["solution.go"]
    assert switch_prefix(files["assay_stub.go"]) == f"{PREFIX}2"


def test_a_genuine_error_on_a_line_with_a_switch_is_the_samples_own(full_verifier):
    broken = "package solution\nfunc F(x int) int { return x + y }\n"
    verdict = verify_one(full_verifier, broken, TEST_F)
    assert verdict.stage == "compile", verdict.feedback
    assert [(m.line, m.column, m.message) for m in verdict.lint] == [(2, 32, "undefined: y")]


def test_a_solution_without_functions_has_no_stub():
    assert instrument("package solution\n\nconst Answer = 42\n") is None


def test_weak_isolation_runs_against_a_readable_copy_of_the_builder():
    options = VerifyOptions(jobs=1, isolation="weak")
    with Verifier(options) as verifier:
        verdict = verify_one(verifier, ADD, TEST_ADD)
    assert verdict.passed, verdict.feedback


def test_a_stubbed_build_that_fails_passes_without_the_check_and_says_so(
    monkeypatch, backend_name, tmp_path
):
    """Where the instrumented build fails on the stub's own lines (here its switch's file, made
    not to compile), the sample is built again as it is: a pass carries a `strength-unchecked`
    note and the summary counts it; a wrong solution is still rejected by its tests."""
    from pipeline.verifying import verify_files
    from sandbox.languages.go import language as go_language

    monkeypatch.setattr(
        go_language, "stub_source", lambda names: "package solution\n\nvar _ = assayNoSuchName\n"
    )
    options = VerifyOptions(sandbox=backend_name, limits=Limits(timeout_s=10.0))
    samples = tmp_path / "samples.jsonl"
    with samples.open("w") as fh:
        for name, solution in (("right", ADD), ("wrong", ADD_WRONG)):
            row = {"id": name, "language": "go", "solution": d(solution), "tests": d(TEST_ADD)}
            fh.write(json.dumps(row) + "\n")
    summary = verify_files([str(samples)], str(tmp_path / "out"), options)
    assert (summary["passed"], summary["strength_unchecked"]) == (1, 1)
    (passed,) = [json.loads(line) for line in (tmp_path / "out" / "passed.jsonl").open()]
    notes = [m for m in passed["verdict"]["lint"] if m["code"] == "strength-unchecked"]
    assert passed["id"] == "right" and len(notes) == 1 and not notes[0]["rejects"]
    (rejected,) = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").open()]
    assert rejected["verdict"]["stage"] == "tests"
    assert not [m for m in rejected["verdict"]["lint"] if m["code"] == "strength-unchecked"]
