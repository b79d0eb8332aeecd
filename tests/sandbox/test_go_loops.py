"""Go 1.22's per-iteration loop variables on Go 1.19 (`sandbox/languages/go/loops.py`): code
written for them is judged by what it means, on both backends."""

from __future__ import annotations

from sandbox.languages.go.loops import per_iteration
from tests.sandbox.test_go import verify_one

ABS_WRONG = """
    package solution

    func Abs(x int) int {
    \treturn x
    }
    """
ABS = ABS_WRONG.replace("\treturn x", "\tif x < 0 {\n\t\treturn -x\n\t}\n\treturn x")

# Parallel subtests of a table, without Go 1.19's `tt := tt`: on 1.19 every subtest sees the last
# row, so the wrong Abs (which fails only the first) would pass.
PARALLEL_TABLE = """
    package solution

    import "testing"

    func TestAbs(t *testing.T) {
    \tcases := []struct{ in, want int }{{-2, 2}, {3, 3}}
    \tfor _, tt := range cases {
    \t\tt.Run("case", func(t *testing.T) {
    \t\t\tt.Parallel()
    \t\t\tif got := Abs(tt.in); got != tt.want {
    \t\t\t\tt.Errorf("Abs(%d) = %d, want %d", tt.in, got, tt.want)
    \t\t\t}
    \t\t})
    \t}
    }
    """


def test_parallel_subtests_check_every_row_of_their_table(full_verifier):
    wrong = verify_one(full_verifier, ABS_WRONG, PARALLEL_TABLE)
    assert wrong.stage == "tests", wrong.feedback
    assert "solution_test.go:11: Abs(-2) = -2, want 2" in wrong.tests.cases[0].message
    assert verify_one(full_verifier, ABS, PARALLEL_TABLE).passed
    # Code written for Go 1.19 (its own `tt := tt`) means the same.
    old_style = PARALLEL_TABLE.replace("range cases {\n", "range cases {\n    \t\ttt := tt\n")
    assert verify_one(full_verifier, ABS_WRONG, old_style).stage == "tests"
    assert verify_one(full_verifier, ABS, old_style).passed


def test_goroutines_and_addresses_get_the_value_of_their_own_iteration(full_verifier):
    solution = """
        package solution

        import "sync"

        // Squares computes each square in a goroutine of its own.
        func Squares(xs []int) []int {
        \tout := make([]int, len(xs))
        \tvar wg sync.WaitGroup
        \tfor i, x := range xs {
        \t\twg.Add(1)
        \t\tgo func() {
        \t\t\tdefer wg.Done()
        \t\t\tout[i] = x * x
        \t\t}()
        \t}
        \twg.Wait()
        \treturn out
        }

        // Refs points at each element's value.
        func Refs(xs []int) []*int {
        \tvar refs []*int
        \tfor _, x := range xs {
        \t\trefs = append(refs, &x)
        \t}
        \treturn refs
        }

        // Counters returns functions that each give their index.
        func Counters(n int) []func() int {
        \tvar fs []func() int
        \tfor i := 0; i < n; i++ {
        \t\tfs = append(fs, func() int { return i })
        \t}
        \treturn fs
        }
        """
    tests = """
        package solution

        import "testing"

        func TestSquares(t *testing.T) {
        \tgot := Squares([]int{1, 2, 3})
        \tif got[0] != 1 || got[1] != 4 || got[2] != 9 {
        \t\tt.Errorf("Squares = %v", got)
        \t}
        }

        func TestRefs(t *testing.T) {
        \trefs := Refs([]int{1, 2})
        \tif *refs[0] != 1 || *refs[1] != 2 {
        \t\tt.Errorf("Refs = %d %d", *refs[0], *refs[1])
        \t}
        }

        func TestCounters(t *testing.T) {
        \tfs := Counters(3)
        \tif fs[0]() != 0 || fs[2]() != 2 {
        \t\tt.Errorf("Counters = %d %d", fs[0](), fs[2]())
        \t}
        }
        """
    verdict = verify_one(full_verifier, solution, tests)
    assert verdict.passed, verdict.feedback  # Go 1.19 alone: a vet rejection (loopclosure)


def test_a_loop_that_changes_its_counter_keeps_its_meaning(full_verifier):
    """A three-clause loop whose body writes its variable is left as Go 1.19 runs it: a copy at
    the start of the iteration alone would lose the body's change."""
    solution = """
        package solution

        // Evens collects 0, 2, 4, ... below n, each through a closure.
        func Evens(n int) []int {
        \tvar out []int
        \tfor i := 0; i < n; i++ {
        \t\tf := func() int { return i }
        \t\tout = append(out, f())
        \t\ti++
        \t}
        \treturn out
        }
        """
    tests = """
        package solution

        import "testing"

        func TestEvens(t *testing.T) {
        \tif got := Evens(6); len(got) != 3 || got[2] != 4 {
        \t\tt.Errorf("Evens(6) = %v", got)
        \t}
        }
        """
    assert verify_one(full_verifier, solution, tests).passed


def test_errors_keep_their_positions_in_a_rewritten_loop(full_verifier):
    solution = """
        package solution

        func Sum(xs []int) int {
        \ts := 0
        \tfor _, x := range xs { f := func() int { return x + undefined }; s += f() }
        \treturn s
        }
        """
    tests = """
        package solution

        import "testing"

        func TestSum(t *testing.T) {
        \tif Sum([]int{1}) != 1 {
        \t\tt.Error("Sum")
        \t}
        }
        """
    verdict = verify_one(full_verifier, solution, tests)
    assert verdict.stage == "compile"
    (error,) = [m for m in verdict.lint if m.rejects]
    assert (error.file, error.line, error.column) == ("solution.go", 5, 54)
    assert "undefined" in error.message


def test_a_loop_variable_the_body_never_uses_is_still_a_compile_error(full_verifier):
    solution = """
        package solution

        // Runs calls each function once.
        func Runs(fs []func()) {
        \tfor i, f := range fs {
        \t\tgo func() { f() }()
        \t}
        }
        """
    tests = """
        package solution

        import "testing"

        func TestRuns(t *testing.T) {
        \tRuns(nil)
        }
        """
    verdict = verify_one(full_verifier, solution, tests)
    assert verdict.stage == "compile"
    (error,) = [m for m in verdict.lint if m.rejects]
    assert (error.line, error.column) == (5, 6) and "i declared but not used" in error.message


def test_only_loops_where_a_copy_can_matter_are_rewritten():
    plain = "package p\n\nfunc f(xs []int) (s int) {\n\tfor _, x := range xs {\n\t\ts += x\n\t}\n\treturn\n}\n"
    assert per_iteration(plain, "p.go") == plain
    assigned = "package p\n\nfunc f() {\n\tfor v = range xs {\n\t\tgo func() { _ = v }()\n\t}\n}\n"
    assert per_iteration(assigned, "p.go") == assigned  # declares nothing
    unused = assigned.replace("v = range", "i, v := range")
    assert "{ v := v; _ = v; {" in per_iteration(unused, "p.go")  # `i` stays unused, as written
    captured = plain.replace("s += x", "s += func() int { return x }()")
    rewritten = per_iteration(captured, "p.go")
    assert "{ x := x; _ = x; {/*line p.go:4:24*/" in rewritten
    assert "\t}/*line p.go:6:2*/}" in rewritten
    assert rewritten.count("\n") == captured.count("\n")
