"""Rust samples end to end: HumanEval-X's canonical solutions and their stubs, per-test feedback
with expected vs actual, panics, the lint policy, crates, and the strength check's switch."""

from __future__ import annotations

import gzip
import json
import textwrap
from pathlib import Path

import pytest

from pipeline.humaneval_x import to_sample
from pipeline.humaneval_x_rust import NEEDS_CRATES
from sandbox import Limits, Sample, Verifier, VerifyOptions
from sandbox.languages.rust.paths import in_module
from sandbox.languages.rust.stub import ASK, instrument

# Rust/4's test checks `mad(...) - expected < 1e-6` without abs(), which a stub returning 0.0
# passes; Rust/32's test is commented out in the data; five call into crates (rand, regex, md5).
EXPECTED = {"Rust/4": "weak_tests", "Rust/32": "no_tests"} | dict.fromkeys(NEEDS_CRATES, "compile")
DOCKER_RECORDS = ("Rust/0", "Rust/4", "Rust/12", "Rust/32", "Rust/91", "Rust/100", "Rust/150")


def records() -> list[dict]:
    here = Path(__file__).resolve().parents[2]
    for base in (here.parent, here.parent.parent, Path("/work")):
        path = base / "shared" / "data" / "humaneval-x" / "rust.jsonl.gz"
        if path.exists():
            with gzip.open(path, "rt") as fh:
                return [json.loads(line) for line in fh]
    pytest.skip("HumanEval-X data (shared/data/humaneval-x/rust.jsonl.gz) not found")


def chosen(backend_name: str) -> list[dict]:
    rows = records()
    if backend_name == "docker":
        rows = [r for r in rows if r["task_id"] in DOCKER_RECORDS]
    return rows


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture(scope="module")
def rust_verifier(backend_name):
    options = VerifyOptions(sandbox=backend_name, jobs=2, limits=Limits(timeout_s=10.0))
    with Verifier(options) as verifier:
        yield verifier


def verify_one(verifier: Verifier, solution: str, tests: str):
    (verdict,) = verifier.verify([Sample(solution=d(solution), tests=d(tests), language="rust")])
    return verdict


ADD = """
    pub fn add(a: i32, b: i32) -> i32 {
        a + b
    }
    """
ADD_WRONG = ADD.replace("a + b", "a - b")
TEST_ADD = """
    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn adds_small_numbers() {
            assert_eq!(add(2, 3), 5);
        }

        #[test]
        fn adds_negatives() {
            assert_eq!(add(-2, -3), -5, "negatives");
        }
    }
    """


# HumanEval-X ------------------------------------------------------------------------------------
def test_humaneval_x_canonical_solutions_pass(rust_verifier, backend_name):
    rows = chosen(backend_name)
    verdicts = list(rust_verifier.verify([to_sample(r) for r in rows]))
    failed = {v.id: v.stage for v in verdicts if not v.passed}
    expected = {k: v for k, v in EXPECTED.items() if k in {r["task_id"] for r in rows}}
    assert failed == expected, {v.id: (v.stage, v.feedback) for v in verdicts if not v.passed}
    for verdict in verdicts:
        if verdict.id in NEEDS_CRATES:
            assert verdict.reason.startswith(f"no such crate `{NEEDS_CRATES[verdict.id]}`")


def stubbed(solution: str) -> str:
    """The solution with every function returning its default at once."""
    return instrument(solution).replace(f"if {ASK} {{", "if true {")


def test_humaneval_x_stub_bodies_are_rejected(rust_verifier, backend_name):
    samples = []
    for record in chosen(backend_name):
        if record["task_id"] in EXPECTED:
            continue
        sample = to_sample(record)
        sample.solution = stubbed(sample.solution)
        samples.append(sample)
    verdicts = list(rust_verifier.verify(samples))
    assert not [v.id for v in verdicts if v.passed]
    assert {v.stage for v in verdicts} <= {"tests", "timeout"}, {v.stage for v in verdicts}


def test_an_early_exit_in_the_solution_does_not_pass_a_humaneval_x_test(rust_verifier):
    record = next(r for r in records() if r["task_id"] == "Rust/0")
    sample = to_sample({**record, "canonical_solution": "    std::process::exit(0);\n}\n"})
    (verdict,) = rust_verifier.verify([sample])
    assert verdict.stage == "tests", verdict.feedback
    assert "before the test report was complete" in verdict.reason


# Outcomes and feedback ----------------------------------------------------------------------------
def test_a_correct_sample_passes_with_every_test_named(rust_verifier):
    verdict = verify_one(rust_verifier, ADD, TEST_ADD)
    assert verdict.passed, verdict.feedback
    assert [c.name for c in verdict.tests.cases] == ["adds_small_numbers", "adds_negatives"]


def test_failures_say_expected_vs_actual_with_their_line(rust_verifier):
    verdict = verify_one(rust_verifier, ADD_WRONG, TEST_ADD)
    assert verdict.stage == "tests" and verdict.reason == "assertion failed"
    first, second = verdict.tests.cases
    assert first.outcome == "failed"
    assert "left: `-1`" in first.message and "right: `5`" in first.message
    assert "at tests.rs:7:9" in first.message
    assert "negatives" in second.message
    assert "adds_small_numbers failed" in verdict.feedback


def test_panics_should_panic_ignore_and_results(rust_verifier):
    solution = """
        pub fn halve(x: i32) -> i32 {
            if x % 2 != 0 {
                panic!("odd: {}", x);
            }
            x / 2
        }
        """
    tests = """
        #[cfg(test)]
        mod tests {
            use super::*;
            #[test]
            fn halves() { assert_eq!(halve(4), 2); }
            #[test]
            #[should_panic(expected = "odd")]
            fn odd_panics() { halve(3); }
            #[test]
            #[should_panic]
            fn even_does_not_panic() { halve(2); }
            #[test]
            fn unexpected_panic() { halve(5); }
            #[test]
            fn index_out_of_bounds() { let v: Vec<i32> = vec![]; assert_eq!(v[halve(2) as usize], 1); }
            #[test]
            fn returns_err() -> Result<(), String> { Err("nope".into()) }
            #[test]
            #[ignore]
            fn later() {}
        }
        """
    verdict = verify_one(rust_verifier, solution, tests)
    cases = {c.name: c for c in verdict.tests.cases}
    assert cases["halves"].outcome == cases["odd_panics"].outcome == "passed"
    assert cases["even_does_not_panic"].message.startswith("should_panic")
    assert "odd: 5" in cases["unexpected_panic"].message
    assert "solution.rs:3:9" in cases["unexpected_panic"].message
    assert (
        "index out of bounds: the len is 0 but the index is 1"
        in cases["index_out_of_bounds"].message
    )
    assert cases["returns_err"].outcome == "failed" and "Err" in cases["returns_err"].message
    assert cases["later"].outcome == "skipped"
    assert verdict.stage == "tests"


def test_overflow_is_checked_as_in_a_debug_build(rust_verifier):
    solution = "pub fn square(x: i32) -> i32 {\n    x * x\n}\n"
    tests = "#[test]\nfn big() { assert!(square(100_000) > 0); }\n"
    verdict = verify_one(rust_verifier, solution, tests)
    assert verdict.stage == "tests"
    assert "attempt to multiply with overflow" in verdict.tests.cases[0].message


def test_tests_without_a_module_and_inner_attributes_work(rust_verifier):
    solution = "#![allow(dead_code)]\n" + d(ADD)
    tests = "#[test]\nfn adds() {\n    assert_eq!(add(1, 1), 2);\n}\n"
    verdict = verify_one(rust_verifier, solution, tests)
    assert verdict.passed, verdict.feedback


# `crate::` paths: the solution is the crate root, as far as the sample can tell -----------------
TEST_CRATE = """
    #[cfg(test)]
    mod tests {
        use crate::add;
        #[test]
        fn adds() { assert_eq!(add(2, 3), 5); }
    }
    """
CRATE_PATHS = {
    "a_public_function": (ADD, TEST_CRATE),
    "a_private_function": (ADD.replace("pub fn", "fn"), TEST_CRATE),
    "a_glob_beside_super": (
        d(ADD) + "pub fn solution() -> i32 { 1 }\n",
        TEST_CRATE.replace("use crate::add;", "use super::*;\n    use crate::*;").replace(
            "5); }", "5); assert_eq!(crate::solution(), 1); }"
        ),
    ),
    "a_private_module_in_the_solution": (
        """
        mod helpers {
            pub fn plus(a: i32, b: i32) -> i32 { a + b }
        }
        pub fn add(a: i32, b: i32) -> i32 { crate::helpers::plus(a, b) }
        """,
        TEST_CRATE,
    ),
    "a_return_type": (
        "pub struct N(pub i32);\npub fn n(a: i32) -> crate::N { N(a) }\n"
        "pub fn add(a: i32, b: i32) -> i32 { n(a).0 + b }\n",
        TEST_CRATE,
    ),
    "macros_local_and_exported": (
        """
        macro_rules! plus { ($a:expr, $b:expr) => { $crate::helper($a) + $b }; }
        #[macro_export]
        macro_rules! sum {
            ($e:expr) => { $e };
            ($e:expr, $($r:expr),+) => { $e + $crate::sum!($($r),+) };
        }
        fn helper(a: i32) -> i32 { a }
        pub fn add(a: i32, b: i32) -> i32 { plus!(a, b) }
        """,
        TEST_CRATE.replace("5); }", "5); assert_eq!(crate::sum!(1, 2, 3), 6); }"),
    ),
}


@pytest.mark.parametrize("name", sorted(CRATE_PATHS))
def test_crate_paths_name_the_solutions_items(rust_verifier, name):
    solution, tests = CRATE_PATHS[name]
    verdict = verify_one(rust_verifier, solution, tests)
    assert verdict.passed, verdict.feedback
    assert not [m for m in verdict.lint if m.rejects]


def test_crate_paths_keep_the_strength_check_and_their_messages(rust_verifier):
    weak = TEST_CRATE.replace("add(2, 3), 5", "add(0, 0), 0")
    verdict = verify_one(rust_verifier, ADD.replace("pub fn", "fn"), weak)
    assert verdict.stage == "weak_tests" and verdict.weak_tests == ["adds"]
    verdict = verify_one(rust_verifier, ADD, TEST_CRATE.replace("crate::add", "crate::nope"))
    assert verdict.stage == "compile"
    assert (3, 9, "unresolved import `crate::nope`") in [
        (m.line, m.column, m.message) for m in verdict.lint
    ]


def test_only_paths_from_the_crate_are_pointed_at_the_module():
    solution = d(
        """
        extern crate core;
        use crate as root;
        pub(crate) fn f() -> crate::T { crate::g(); "crate::x"; } // crate::y
        pub(in crate::m) fn h() {}
        macro_rules! m { (crate::p) => { crate::q() + $crate::r() }; }
        #[macro_export]
        macro_rules! e { () => { $crate::e!() }; }
        """
    )
    tests = "use crate::{a, b};\nuse crate :: *;\nuse crate::e;\n"
    moved, moved_tests = in_module(solution, tests)
    assert moved == d(
        """
        extern crate core;
        use crate as root;
        pub(crate) fn f() -> crate::solution::T { crate::solution::g(); "crate::x"; } // crate::y
        pub(in crate::solution::m) fn h() {}
        macro_rules! m { (crate::p) => { crate::solution::q() + $crate::solution::r() }; }
        #[macro_export]
        macro_rules! e { () => { $crate::e!() }; }
        """
    )
    assert moved_tests == "use crate::solution::{a, b};\nuse crate::solution :: *;\nuse crate::e;\n"
    assert in_module(d(ADD), d(TEST_ADD)) == (d(ADD), d(TEST_ADD))


# Compiler and lints -----------------------------------------------------------------------------
def test_an_assert_of_an_equality_fails_and_errs_as_std_s(rust_verifier):
    """The tests' `assert!(a == b)` is guarded (test_equal_to_everything.py), and still reads as
    std's to the teacher: its failure message, and a compile error at the tests' own line."""
    tests = TEST_ADD.replace("assert_eq!(add(2, 3), 5);", "assert!(add(2, 3) == 5);")
    assert verify_one(rust_verifier, ADD, tests).passed
    verdict = verify_one(rust_verifier, ADD_WRONG, tests)
    assert verdict.stage == "tests" and verdict.reason == "assertion failed"
    assert "assertion failed: add(2, 3) == 5" in verdict.tests.cases[0].message
    assert "at tests.rs:7:9" in verdict.tests.cases[0].message
    mismatch = tests.replace("== 5", '== "5"')
    verdict = verify_one(rust_verifier, ADD, mismatch)
    assert verdict.stage == "compile"
    (error,) = [m for m in verdict.lint if m.rejects]
    assert (error.file, error.line, error.code) == ("tests.rs", 7, "E0308")


def test_a_compile_error_is_rejected_with_file_line_column(rust_verifier):
    verdict = verify_one(rust_verifier, ADD.replace("a + b", "a + c"), TEST_ADD)
    assert verdict.stage == "compile" and verdict.reason == "compile error"
    (error,) = [m for m in verdict.lint if m.rejects]
    assert (error.file, error.line, error.column, error.code) == ("solution.rs", 2, 9, "E0425")
    assert "solution.rs:2:9" in verdict.feedback


def test_a_borrow_error_is_a_compile_rejection(rust_verifier):
    solution = """
        pub fn first(v: Vec<i32>) -> i32 {
            let moved = v;
            v[0] + moved[0]
        }
        """
    tests = "#[test]\nfn first_one() { assert_eq!(first(vec![1]), 2); }\n"
    verdict = verify_one(rust_verifier, solution, tests)
    assert verdict.stage == "compile"
    assert any(m.code == "E0382" for m in verdict.lint)


@pytest.mark.parametrize(
    "body",
    [
        "let x: u8 = 255 + 1; x as i32",  # arithmetic_overflow (rustc)
        "if a > i32::MAX { 1 } else { 0 }",  # absurd_extreme_comparisons (clippy::correctness)
        "fn f(n: i32) -> i32 { f(n) } f(a)",  # unconditional_recursion
    ],
)
def test_lints_that_name_a_bug_reject(rust_verifier, body):
    solution = f"pub fn add(a: i32, b: i32) -> i32 {{\n    let _ = b;\n    {body}\n}}\n"
    verdict = verify_one(rust_verifier, solution, TEST_ADD)
    assert verdict.stage == "compile", verdict.feedback
    assert [m for m in verdict.lint if m.rejects and m.file == "solution.rs"]


def test_warnings_are_reported_not_rejected(rust_verifier):
    solution = "use std::collections::HashMap;\n" + d(ADD).replace(
        "a + b", "let unused = 1;\n    a + b"
    )
    verdict = verify_one(rust_verifier, solution, TEST_ADD)
    assert verdict.passed, verdict.feedback
    assert {(m.line, m.rejects) for m in verdict.lint} == {(1, False), (3, False)}


def test_a_crate_is_a_no_such_crate_rejection(rust_verifier):
    solution = "use rand::Rng;\n" + d(ADD)
    verdict = verify_one(rust_verifier, solution, TEST_ADD)
    assert verdict.stage == "compile"
    assert verdict.reason.startswith("no such crate `rand`")
    assert "only the standard library" in verdict.feedback


# The strength check -----------------------------------------------------------------------------
def test_tests_that_pass_against_stubs_are_weak(rust_verifier):
    tests = "#[test]\nfn zero() { assert_eq!(add(0, 0), 0); }\n"
    verdict = verify_one(rust_verifier, ADD, tests)
    assert verdict.stage == "weak_tests" and verdict.weak_tests == ["zero"]


def test_the_stub_run_cannot_be_told_from_the_samples(rust_verifier):
    # The switch follows the token on descriptor 4, read with it before any test: tests that
    # fail where they could tell the strength check's run (its environment, its arguments,
    # descriptor 4 still open) still pass there, so the strength check names them weak.
    tests = """
        fn told() -> bool {
            let environ = std::fs::read("/proc/self/environ").unwrap_or_default();
            let cmdline = std::fs::read("/proc/self/cmdline").unwrap_or_default();
            let has = |bytes: &[u8]| bytes.windows(4).any(|w| w == b"STUB");
            has(&environ) || has(&cmdline) || std::fs::metadata("/proc/self/fd/4").is_ok()
                || std::env::var_os("ASSAY_STRENGTH_CHECK_STUB").is_some()
        }
        #[test]
        fn adds() { assert_eq!(add(2, 3), 5); }
        #[test]
        fn zero() { assert!(!told()); assert_eq!(add(0, 0), 0); }
        """
    verdict = verify_one(rust_verifier, ADD, tests)
    assert verdict.passed and verdict.weak_tests == ["zero"], verdict.feedback


KINDS = """
    use std::collections::HashMap;

    pub struct Counter<T> { items: Vec<T> }

    impl<T: Clone> Counter<T> {
        pub fn new() -> Self { Counter { items: Vec::new() } }
        pub fn push(&mut self, x: T) -> &mut Self {
            self.items.push(x);
            self
        }
        pub fn first(&self) -> Option<&T> { self.items.first() }
    }

    pub trait Named {
        fn name(&self) -> String { "named".to_string() }
    }

    impl<T> Named for Counter<T> {}

    pub fn tally(words: &[&str]) -> HashMap<String, usize> {
        let mut out = HashMap::new();
        for w in words { *out.entry(w.to_string()).or_insert(0) += 1; }
        out
    }
    pub fn pair<'a>(s: &'a str) -> (&'a str, usize) { (s, s.len()) }
    pub fn evens() -> impl Iterator<Item = u32> { (0..10).filter(|x| x % 2 == 0) }
    pub fn nothing(x: &mut i32) { *x += 1; }
    pub const fn seven() -> i32 { 7 }
    pub fn forever() -> ! { loop {} }
    """
TEST_KINDS = """
    #[test]
    fn defaults() {
        let _ = (tally(&["a"]), pair("ab"), seven());
        let mut n = 0;
        nothing(&mut n);
    }

    #[test]
    fn builds() {
        let mut c = Counter::new(); // Self has no Default: the stub panics
        c.push(1).push(2);
        assert_eq!(c.first(), Some(&1));
        assert_eq!(c.name(), "named");
        assert_eq!(evens().count(), 5);
    }
    """


def test_the_stub_switch_compiles_and_runs_for_every_kind_of_function(rust_verifier):
    instrumented = instrument(d(KINDS))
    assert instrumented.count(ASK) == 9  # not the one returning `!`
    value = "return ::assay_harness::stub::value();"
    assert instrumented.count(value) == 7  # the type is never named: inferred from the return
    assert f"pub const fn seven() -> i32 {{ if {ASK} {{ {value} }}" in instrumented
    assert f"-> impl Iterator<Item = u32> {{ if {ASK} {{ ::assay_harness::stub::fail() }}" in (
        instrumented
    )
    verdict = verify_one(rust_verifier, KINDS, TEST_KINDS)
    assert verdict.passed, verdict.feedback
    assert verdict.weak_tests == ["defaults"]  # its functions' defaults; `builds` met panics


def test_the_switch_compiles_whatever_lint_levels_the_sample_sets(rust_verifier):
    # The switch imports nothing and allows nothing: a crate that forbids unused imports (the
    # red team's) or warnings keeps its strength check.
    weak = TEST_ADD.replace("assert_eq!(add(2, 3), 5);", "let _ = add(2, 3);")
    weak = weak.replace('assert_eq!(add(-2, -3), -5, "negatives");', "let _ = add(-2, -3);")
    for forbid in ("unused_imports", "warnings", "clippy::all"):
        solution = f"#![forbid({forbid})]\n" + d(ADD)
        verdict = verify_one(rust_verifier, solution, TEST_ADD)
        assert verdict.passed, verdict.feedback
        assert not [m for m in verdict.lint if m.rejects]
        verdict = verify_one(rust_verifier, solution.replace("a + b", "a - b"), TEST_ADD)
        assert verdict.stage == "tests", verdict.feedback
        assert verify_one(rust_verifier, solution, weak).stage == "weak_tests"


def test_an_error_on_a_switch_line_is_the_samples_own_compile(rust_verifier):
    # The instrumented build fails on a line with a switch: the sample is compiled and judged
    # again as it is, without the strength check, and the error is its own.
    broken = "pub fn add(a: i32, b: i32) -> i32 { a + c }\n"
    verdict = verify_one(rust_verifier, broken, TEST_ADD)
    assert verdict.stage == "compile", verdict.feedback
    assert [(m.line, m.code) for m in verdict.lint if m.rejects] == [(1, "E0425")]


CONST_ADD = ADD.replace("pub fn add", "pub const fn add")


def test_tests_of_a_const_fn_are_judged_by_the_strength_check(rust_verifier):
    verdict = verify_one(rust_verifier, CONST_ADD, TEST_ADD)
    assert verdict.passed, verdict.feedback
    wrong = verify_one(rust_verifier, CONST_ADD.replace("a + b", "a - b"), TEST_ADD)
    assert wrong.stage == "tests"
    weak = TEST_ADD.replace("assert_eq!(add(2, 3), 5);", "let _ = add(2, 3);")
    weak = weak.replace('assert_eq!(add(-2, -3), -5, "negatives");', "let _ = add(-2, -3);")
    assert verify_one(rust_verifier, CONST_ADD, weak).stage == "weak_tests"


def test_a_const_fn_a_constant_calls_keeps_the_strength_check(rust_verifier):
    """The switch is const-evaluable: off while the compiler evaluates a constant (the red
    team's `pub const N: u32 = square(3);`), on at run time in the stub's run."""
    solution = CONST_ADD + "pub const FIVE: i32 = add(2, 3);\n"
    tests = TEST_ADD.replace("assert_eq!(add(2, 3), 5);", "assert_eq!(FIVE, 5);")
    verdict = verify_one(rust_verifier, solution, tests)
    assert verdict.passed, verdict.feedback
    in_tests = TEST_ADD.replace(
        "assert_eq!(add(2, 3), 5);", "const N: i32 = add(2, 3); assert_eq!(N, 5);"
    )
    assert verify_one(rust_verifier, CONST_ADD, in_tests).passed
    wrong = verify_one(rust_verifier, solution.replace("a + b", "a - b"), tests)
    assert wrong.stage == "tests", wrong.feedback
    weak = "#[test]\nfn calls() { let _ = add(2, 3); assert_eq!(FIVE, 5); }\n"
    verdict = verify_one(rust_verifier, solution, weak)
    assert verdict.stage == "weak_tests", verdict.feedback
    # A value the compiler made is the solution's, stubs or not: a test of constants alone
    # cannot fail against stubs.
    only_constants = "#[test]\nfn five() { assert_eq!(FIVE, 5); }\n"
    assert verify_one(rust_verifier, solution, only_constants).stage == "weak_tests"
    # A genuine E0015 is the sample's own compile error.
    genuine = ADD + "pub const FIVE: i32 = add(2, 3);\n"
    verdict = verify_one(rust_verifier, genuine, TEST_ADD)
    assert verdict.stage == "compile"
    assert [m.code for m in verdict.lint if m.rejects] == ["E0015"]


def test_a_const_fn_s_arguments_are_kept_not_dropped_by_the_switch(rust_verifier):
    # A `const fn` cannot drop a String on the switch's early return: it hands its arguments to
    # `stub::keep`; a pattern among them makes the switch a panic, which drops nothing.
    solution = """
        pub struct Named { pub name: String, pub n: u8 }
        impl Named {
            pub const fn new(name: String, n: u8) -> Self { Named { name, n } }
            pub const fn sum((a, b): (u8, u8)) -> u8 { a + b }
            pub const fn n(&self) -> u8 { self.n }
        }
        pub const EMPTY: Named = Named::new(String::new(), 7);
        """
    tests = """
        #[test]
        fn builds() {
            assert_eq!(Named::new("a".into(), 1).n(), 1);
            assert_eq!(Named::sum((2, 3)), 5);
            assert_eq!(EMPTY.n, 7);
        }
        """
    instrumented = instrument(d(solution))
    assert "::assay_harness::stub::keep((name, n,)); return" in instrumented
    assert "::assay_harness::stub::keep((self,)); return" in instrumented
    assert instrumented.count("::assay_harness::stub::fail()") == 1
    verdict = verify_one(rust_verifier, solution, tests)
    assert verdict.passed, verdict.feedback
    assert verdict.weak_tests == []


def test_the_switch_keeps_every_line_and_most_columns():
    source = d(ADD) + "pub fn one() -> i32 { 1 }\n"
    instrumented = instrument(source)
    assert len(instrumented.splitlines()) == len(source.splitlines())
    assert instrumented.splitlines()[1] == "    a + b"  # the switch ended the brace's line


def test_a_solution_without_functions_has_no_stub():
    assert instrument("pub const ANSWER: i32 = 42;\n") is None


def test_the_switch_keeps_crlf_line_ends_whole():
    source = "pub fn f(x: i32) -> i32 {\r\n    x\r\n}\r\n"
    instrumented = instrument(source)
    assert instrumented.count("\r\n") == 3 and instrumented.count("\r") == 3


def test_weak_isolation_runs_against_a_readable_copy_of_the_harness():
    options = VerifyOptions(jobs=1, isolation="weak")
    with Verifier(options) as verifier:
        verdict = verify_one(verifier, ADD, TEST_ADD)
    assert verdict.passed, verdict.feedback
