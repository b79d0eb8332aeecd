"""C++ samples end to end: HumanEval-X's canonical solutions and their stubs, per-test feedback
with expected vs actual, the sanitizers' reports, the warning policy, and the strength check."""

from __future__ import annotations

import gzip
import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from pipeline.humaneval_x import to_sample
from sandbox import Limits, Sample, Verifier, VerifyOptions
from sandbox.languages.cpp.stub import SWITCH, instrument

# The canonical solutions that cannot pass: the reference harness fails them too without these
# libraries (Boost, OpenSSL), and CPP/32's test checks find_zero through poly, a function of the
# solution that the strength check's stub replaces (|stub poly| = 0 < 1e-3).
EXPECTED = {"CPP/22": "compile", "CPP/137": "compile", "CPP/162": "compile", "CPP/32": "weak_tests"}


def humaneval_x_file() -> Path | None:
    here = Path(__file__).resolve().parents[2]
    for base in (here.parent, here.parent.parent, Path("/work")):
        path = base / "shared" / "data" / "humaneval-x" / "cpp.jsonl.gz"
        if path.exists():
            return path
    return None


def records() -> list[dict]:
    path = humaneval_x_file()
    if path is None:
        pytest.skip("HumanEval-X data (shared/data/humaneval-x/cpp.jsonl.gz) not found")
    with gzip.open(path, "rt") as fh:
        return [json.loads(line) for line in fh]


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def cpp(solution: str, tests: str) -> Sample:
    return Sample(solution=d(solution), tests=d(tests), language="cpp")


@pytest.fixture(scope="module")
def cpp_verifier(backend_name):
    options = VerifyOptions(sandbox=backend_name, jobs=2, limits=Limits(timeout_s=10.0))
    with Verifier(options) as verifier:
        yield verifier


@pytest.fixture
def process_only(backend_name):
    if backend_name != "process":
        pytest.skip("the whole benchmark runs on the process backend")


def verify_one(verifier: Verifier, solution: str, tests: str):
    (verdict,) = verifier.verify([cpp(solution, tests)])
    return verdict


ADD = """
    #pragma once
    inline int add(int a, int b) { return a + b; }
    """
ADD_WRONG = """
    #pragma once
    inline int add(int a, int b) { return a - b; }
    """
TEST_ADD = """
    #include "solution.hpp"
    #include <doctest/doctest.h>
    TEST_CASE("adds small numbers") { CHECK(add(2, 3) == 5); }
    TEST_CASE("adds negatives") { CHECK(add(-2, -3) == -5); }
    """


# HumanEval-X ------------------------------------------------------------------------------------
def test_humaneval_x_canonical_solutions_pass(cpp_verifier, process_only):
    samples = [to_sample(r) for r in records()]
    assert len(samples) == 164
    verdicts = list(cpp_verifier.verify(samples))
    failed = {v.id: v.stage for v in verdicts if not v.passed}
    assert failed == EXPECTED, {v.id: (v.stage, v.reason) for v in verdicts if not v.passed}
    assert "boost/any.hpp" in next(v for v in verdicts if v.id == "CPP/22").feedback


def stubbed(solution: str) -> str:
    """The solution with every function returning its default (or throwing) at once."""
    return instrument(solution).replace(SWITCH, "true")


def test_humaneval_x_stub_bodies_are_rejected(cpp_verifier, process_only):
    samples = []
    for record in records():
        if record["task_id"] in EXPECTED:
            continue
        sample = to_sample(record)
        sample.solution = stubbed(sample.solution)
        samples.append(sample)
    verdicts = list(cpp_verifier.verify(samples))
    assert not [v.id for v in verdicts if v.passed]
    stages = {v.stage for v in verdicts}
    assert stages <= {"tests", "compile", "timeout"}, stages
    assert sum(v.stage == "tests" for v in verdicts) > 0.9 * len(verdicts)


def test_an_early_exit_in_the_solution_does_not_pass_a_humaneval_x_test(cpp_verifier, process_only):
    record = next(r for r in records() if r["task_id"] == "CPP/53")  # add(x, y)
    sample = to_sample({**record, "canonical_solution": "    exit(0);\n}\n"})
    (verdict,) = cpp_verifier.verify([sample])
    assert verdict.stage == "tests", verdict.feedback
    assert "before the test report was complete" in verdict.reason


def test_a_failed_humaneval_x_assert_shows_its_values(cpp_verifier, process_only):
    record = next(r for r in records() if r["task_id"] == "CPP/53")
    sample = to_sample({**record, "canonical_solution": "    return x + y + 1;\n}\n"})
    (verdict,) = cpp_verifier.verify([sample])
    assert verdict.stage == "tests"
    (case,) = verdict.tests.cases
    assert case.name == "CPP/53" and case.outcome == "failed"
    assert "REQUIRE( add(0, 1) == 1 )" in case.message and "REQUIRE( 2 == 1 )" in case.message


# Outcomes and feedback ----------------------------------------------------------------------------
def test_a_correct_sample_passes_with_every_test_named(cpp_verifier):
    verdict = verify_one(cpp_verifier, ADD, TEST_ADD)
    assert verdict.passed, verdict.feedback
    assert [c.name for c in verdict.tests.cases] == ["adds small numbers", "adds negatives"]
    assert {c.outcome for c in verdict.tests.cases} == {"passed"}


def test_a_sample_that_includes_the_whole_library_is_verified_like_any_other(cpp_verifier):
    # <bits/stdc++.h> (every MultiPL-E C++ prompt has it) compiles from the prelude that has the
    # whole library precompiled; right, wrong and weak are judged as for any sample.
    whole = "#include <bits/stdc++.h>\n"
    solution = whole + d(ADD) + "std::vector<int> twice(std::vector<int> v) { return v; }\n"
    assert verify_one(cpp_verifier, solution, TEST_ADD).passed
    wrong = verify_one(cpp_verifier, whole + d(ADD_WRONG), TEST_ADD)
    assert wrong.stage == "tests" and "-1 == 5" in wrong.feedback
    weak = "#include <bits/stdc++.h>\n" + d("""
        #include "solution.hpp"
        #include <doctest/doctest.h>
        TEST_CASE("sets sort") { std::set<int> s{2, 1}; CHECK(*s.begin() == 1); }
        """)
    assert verify_one(cpp_verifier, d(ADD), weak).stage == "weak_tests"


def test_the_whole_library_prelude_is_chosen_only_for_samples_that_include_it():
    from sandbox.languages import Prechecked
    from sandbox.languages.cpp import Cpp

    language = Cpp(VerifyOptions())

    def prelude_of(solution: str, tests: str) -> str:
        compile_step = language.request(cpp(solution, tests), Prechecked(), None).phases[0].steps[0]
        return next(a for a in compile_step.argv if a.endswith(".hpp")).rsplit("/", 1)[1]

    assert prelude_of(ADD, TEST_ADD) == "prelude.hpp"
    assert prelude_of("#include<bits/stdc++.h>\n" + d(ADD), TEST_ADD) == "prelude_all.hpp"
    assert prelude_of(d(ADD), "  #  include <bits/stdc++.h>\n" + d(TEST_ADD)) == "prelude_all.hpp"
    assert prelude_of("// #include <bits/stdc++.h>\n" + d(ADD), TEST_ADD) == "prelude.hpp"


def test_failing_checks_say_expected_vs_actual(cpp_verifier):
    tests = TEST_ADD + 'TEST_CASE("subtracts") { CHECK(add(5, -5) == 0); }\n'
    verdict = verify_one(cpp_verifier, ADD_WRONG, tests)
    assert verdict.stage == "tests" and verdict.reason == "CHECK failed"
    outcomes = {c.name: c.outcome for c in verdict.tests.cases}
    assert outcomes == {
        "adds small numbers": "failed",
        "adds negatives": "failed",
        "subtracts": "failed",
    }
    first = verdict.tests.cases[0]
    assert "CHECK( add(2, 3) == 5 ) is NOT correct!" in first.message
    assert "values: CHECK( -1 == 5 )" in first.message
    assert "adds small numbers failed: CHECK failed" in verdict.feedback
    assert "test_solution.cpp:3" in verdict.feedback


def test_exceptions_subcases_and_require(cpp_verifier):
    solution = """
        #pragma once
        #include <stdexcept>
        inline int half(int x) { if (x % 2) throw std::invalid_argument("odd"); return x / 2; }
        """
    tests = """
        #include "solution.hpp"
        #include <doctest/doctest.h>
        TEST_CASE("halves") {
            SUBCASE("even") { REQUIRE(half(4) == 2); }
            SUBCASE("odd throws") { CHECK_THROWS_AS(half(3), std::invalid_argument); }
        }
        TEST_CASE("uncaught") { half(3); }
        """
    verdict = verify_one(cpp_verifier, solution, tests)
    cases = {c.name: c for c in verdict.tests.cases}
    assert cases["halves"].outcome == "passed"
    assert cases["uncaught"].outcome == "error"
    assert "odd" in cases["uncaught"].message
    assert verdict.stage == "tests" and verdict.reason == "uncaught exception"


# What the sample declares itself ----------------------------------------------------------------
# A sample's own names that the C library also has: a plain `g++ -std=c++17` with the sample's own
# includes accepts each, so the pre-included prelude must not bring in <cmath> behind its back.
OWN_C_NAMES = {
    "INFINITY": (
        """
        #pragma once
        #include <vector>
        constexpr int INFINITY = 1000000000;
        inline int min_or_inf(const std::vector<int>& v) {
            int m = INFINITY;
            for (int x : v) m = x < m ? x : m;
            return m;
        }
        """,
        "CHECK(min_or_inf({3, 1, 2}) == 1); CHECK(min_or_inf({}) == 1000000000);",
    ),
    "M_PI": (
        """
        #pragma once
        constexpr double M_PI = 3.14159;
        inline double circle_area(double r) { return M_PI * r * r; }
        """,
        "CHECK(circle_area(2.0) == doctest::Approx(12.56636));",
    ),
    "round": (
        """
        #pragma once
        inline long long round(double x) { return static_cast<long long>(x + 0.5); }
        """,
        "CHECK(round(2.5) == 3); CHECK(round(2.4) == 2);",
    ),
    "sqrt": (
        """
        #pragma once
        #include <stdexcept>
        inline double sqrt(double x) {
            if (x < 0) throw std::domain_error("negative");
            double r = x > 1 ? x : 1;
            for (int i = 0; i < 60; ++i) r = (r + x / r) / 2;
            return r;
        }
        """,
        "CHECK_THROWS_AS(sqrt(-1.0), std::domain_error); CHECK(sqrt(9.0) == doctest::Approx(3.0));",
    ),
}


@pytest.mark.parametrize("name", sorted(OWN_C_NAMES))
def test_a_sample_may_name_what_the_c_library_has_if_it_does_not_include_it(cpp_verifier, name):
    solution, checks = OWN_C_NAMES[name]
    tests = (
        f'#include "solution.hpp"\n#include <doctest/doctest.h>\nTEST_CASE("t") {{ {checks} }}\n'
    )
    verdict = verify_one(cpp_verifier, solution, tests)
    assert verdict.passed, verdict.feedback


COUNT_LINES = """
    #pragma once
    #include <string>
    inline int count_lines(const std::string& s) {
        int n = 0;
        for (char c : s) n += c == '\\n';
        return n;
    }
    """
# The harness's own names written where they define nothing: in a literal, a comment, a class.
NOT_MAIN = {
    "raw_string": (
        COUNT_LINES,
        """
        #include "solution.hpp"
        #include <doctest/doctest.h>
        TEST_CASE("lines") {
            CHECK(count_lines(R"(
        int main() {
        }
        )") == 3);
        }
        """,
    ),
    "raw_string_define": (
        COUNT_LINES,
        """
        #include "solution.hpp"
        #include <doctest/doctest.h>
        TEST_CASE("lines") {
            CHECK(count_lines(R"(
        #define DOCTEST_CONFIG_IMPLEMENT
        )") == 2);
        }
        """,
    ),
    "block_comment": (
        ADD,
        TEST_ADD + "/*\nint main() { return 0; }\n#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN\n*/\n",
    ),
    "member_function": (
        """
        #pragma once
        struct Game {
            int turns = 0;
            void main(int n) { turns += n; }
        };
        """,
        """
        #include "solution.hpp"
        #include <doctest/doctest.h>
        TEST_CASE("plays") { Game g; g.main(3); g.main(4); CHECK(g.turns == 7); }
        """,
    ),
    "in_a_namespace": (
        """
        #pragma once
        namespace app {
        inline int main() { return 7; }
        }
        """,
        """
        #include "solution.hpp"
        #include <doctest/doctest.h>
        TEST_CASE("runs") { CHECK(app::main() == 7); }
        """,
    ),
}


@pytest.mark.parametrize("name", sorted(NOT_MAIN))
def test_main_outside_a_global_definition_is_not_the_harness_main(cpp_verifier, name):
    solution, tests = NOT_MAIN[name]
    verdict = verify_one(cpp_verifier, solution, tests)
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.feedback)


OWN_MAIN = {
    "int_main": "int main() { return 0; }",
    "argc_argv": "int main(int argc, char** argv) { return argc > 0 && argv ? 0 : 1; }",
    "trailing_return": "auto main() -> int { return 0; }",
    "signed_main": "signed main() { return 0; }",
    "extern_c": 'extern "C" int main(void) { return 0; }',
    "split_lines": "int\nmain()\n{\n    return 0;\n}",
}


@pytest.mark.parametrize("name", sorted(OWN_MAIN))
def test_a_global_main_is_a_lint_rejection(cpp_verifier, name):
    tests = d(TEST_ADD) + "\n" + OWN_MAIN[name] + "\n"
    verdict = verify_one(cpp_verifier, ADD, tests)
    assert verdict.stage == "lint", (verdict.stage, verdict.reason)
    assert (
        verdict.reason == "test_solution.cpp defines main: the test runner provides it; remove it"
    )
    (message,) = verdict.lint
    assert (message.file, message.line) == ("test_solution.cpp", 6)


# Sanitizers -------------------------------------------------------------------------------------
SANITIZED = {
    "heap_overflow": (
        "#include <vector>\ninline int at(const std::vector<int>& v, int i) { return v.data()[i]; }",
        "std::vector<int> v{1, 2, 3}; CHECK(at(v, 3) == 0);",
        "AddressSanitizer: heap-buffer-overflow",
    ),
    "use_after_free": (
        "inline int stale() { int* p = new int(7); delete p; return *p; }",
        "CHECK(stale() == 7);",
        "AddressSanitizer: heap-use-after-free",
    ),
    "signed_overflow": (
        "#include <climits>\ninline int bump(int x) { return x + INT_MAX; }",
        "CHECK(bump(5) == 0);",
        "UndefinedBehaviorSanitizer: signed integer overflow",
    ),
    "null_dereference": (
        "inline int deref(int* p) { return *p; }",
        "CHECK(deref(nullptr) == 0);",
        "UndefinedBehaviorSanitizer: load of null pointer of type 'int'",
    ),
    "wild_pointer": (
        "inline int deref(long address) { return *reinterpret_cast<int*>(address); }",
        "CHECK(deref(64) == 0);",
        "AddressSanitizer: SEGV",
    ),
    "flows_off_the_end": (
        "inline int sign(int x) { if (x > 0) return 1; if (x < 0) return -1; }",
        "CHECK(sign(0) == 0);",
        "UndefinedBehaviorSanitizer: execution reached the end of a value-returning function",
    ),
    "leak": (
        "inline int* make() { return new int[4](); }",
        "int* p = make(); CHECK(p[0] == 0);",
        "LeakSanitizer: memory leak",
    ),
    "abort": (
        "#include <cassert>\ninline int checked(int x) { assert(x > 0); return x; }",
        "CHECK(checked(-1) == 0);",
        "AddressSanitizer: ABRT",
    ),
}


@pytest.mark.parametrize("name", sorted(SANITIZED))
def test_sanitizer_reports_are_the_tests_verdict(cpp_verifier, name):
    body, check, kind = SANITIZED[name]
    solution = "#pragma once\n" + body + "\n"
    tests = (
        '#include "solution.hpp"\n#include <doctest/doctest.h>\n'
        'TEST_CASE("fine") { CHECK(1 + 1 == 2); }\n'
        f'TEST_CASE("{name}") {{ {check} }}\n'
    )
    (verdict,) = cpp_verifier.verify([Sample(solution=solution, tests=tests, language="cpp")])
    assert verdict.stage == "tests", verdict.feedback
    cases = {c.name: c for c in verdict.tests.cases}
    assert cases["fine"].outcome == "passed"
    assert cases[name].outcome in ("failed", "error")
    assert cases[name].message.startswith(kind), cases[name].message
    if name != "leak":  # a leak fails its test; the others end the process there
        assert verdict.reason.startswith(kind), verdict.reason
        assert verdict.reason.endswith(f"(the process ended in {name})"), verdict.reason
    assert f"{name} " in verdict.feedback and kind in verdict.feedback
    assert "solution.hpp:" in verdict.feedback, verdict.feedback


# The warning policy -----------------------------------------------------------------------------
def test_a_compile_error_is_rejected_with_file_line_column(cpp_verifier):
    verdict = verify_one(
        cpp_verifier, "#pragma once\ninline int add(int a, int b) { return a + }\n", TEST_ADD
    )
    assert verdict.stage == "compile" and verdict.reason == "compile error"
    errors = [m for m in verdict.lint if m.rejects]
    assert errors and (errors[0].file, errors[0].line) == ("solution.hpp", 2)
    assert errors[0].column > 0
    assert "solution.hpp:2:" in verdict.feedback


def test_undefined_behaviour_warnings_reject(cpp_verifier):
    solution = "#pragma once\ninline int add(int a, int b) { int s; return s + a + b; }\n"
    verdict = verify_one(cpp_verifier, solution, TEST_ADD)
    assert verdict.stage == "compile"
    (message,) = [m for m in verdict.lint if m.rejects]
    assert message.code == "uninitialized" and message.file == "solution.hpp"


def test_style_warnings_are_reported_not_rejected(cpp_verifier):
    solution = """
        #pragma once
        #include <vector>
        inline int total(const std::vector<int>& v) {
            int unused = 0;
            int sum = 0;
            for (int i = 0; i < v.size(); i++) sum += v[i];
            return sum;
        }
        """
    tests = """
        #include "solution.hpp"
        #include <doctest/doctest.h>
        TEST_CASE("total") { CHECK(total({1, 2, 3}) == 6); }
        """
    verdict = verify_one(cpp_verifier, solution, tests)
    assert verdict.passed, verdict.feedback
    codes = {m.code: m for m in verdict.lint}
    assert {"sign-compare", "unused-variable"} <= set(codes)
    assert not any(m.rejects for m in verdict.lint)
    assert codes["sign-compare"].line == 6 and codes["sign-compare"].file == "solution.hpp"


# The strength check -----------------------------------------------------------------------------
def test_tests_that_pass_against_stubs_are_weak(cpp_verifier):
    tests = """
        #include "solution.hpp"
        #include <doctest/doctest.h>
        TEST_CASE("zero") { CHECK(add(0, 0) == 0); }
        """
    verdict = verify_one(cpp_verifier, ADD, tests)
    assert verdict.stage == "weak_tests" and verdict.weak_tests == ["zero"]


def test_the_stub_run_cannot_be_told_from_the_samples(cpp_verifier):
    # The switch follows the token on descriptor 4, read with it before any of the sample's code:
    # tests that fail where they could tell the strength check's run (its environment, its
    # arguments, descriptor 4 still open) still pass there, so the strength check names them weak.
    tests = """
        #include <fcntl.h>
        #include <fstream>
        #include <iterator>
        #include "solution.hpp"
        #include <doctest/doctest.h>
        static std::string slurp(const char* path) {
            std::ifstream in(path);
            return std::string(std::istreambuf_iterator<char>(in), {});
        }
        static bool told = slurp("/proc/self/environ").find("STUB") != std::string::npos ||
                           slurp("/proc/self/cmdline").find("STUB") != std::string::npos ||
                           fcntl(4, F_GETFD) != -1 || getenv("ASSAY_STRENGTH_CHECK_STUB");
        TEST_CASE("adds") { CHECK(add(2, 3) == 5); }
        TEST_CASE("zero") { CHECK(!told); CHECK(add(0, 0) == 0); }
        """
    verdict = verify_one(cpp_verifier, ADD, tests)
    assert verdict.passed and verdict.weak_tests == ["zero"], verdict.feedback


STUBS = {
    "value": ("int f(int x) { return x + 1; }", "f(1)"),
    "void": ("void f(int& x) { x = 2; }", "[] { int x = 0; f(x); return x; }()"),
    "reference": ("int& f() { static int x = 5; return x; }", "f()"),
    "const_reference": (
        'const std::string& f() { static std::string s = "a"; return s; }',
        "f().size()",
    ),
    "pointer": ("int* f() { static int x; return &x; }", "f() == nullptr"),
    "auto": ("auto f(int x) { return x * 2.5; }", "f(2)"),
    "auto_recursive": ("auto f(int n) { if (n < 2) return n; return f(n - 1) + f(n - 2); }", "0"),
    "decltype_auto": ("decltype(auto) f() { return std::vector<int>{1}; }", "f().size()"),
    "trailing": ("auto f() -> std::vector<int> { return {1, 2}; }", "f().size()"),
    "template": ("template <class T> T f(T x) { return x + x; }", "f(3)"),
    "class": (
        "struct C { int v; explicit C(int x) : v(x) {} ~C() {} int get() const { return v; }"
        " operator bool() const { return v; } };\nint C_out() { return C(3).get(); }",
        "C(4).get() + bool(C(1))",
    ),
    "member_outside": ("struct S { int g() const; };\nint S::g() const { return 3; }", "S().g()"),
    "namespace": ("namespace ns { int f() { return 1; } }", "ns::f()"),
    "try_block": ("int f(int x) try { return x; } catch (...) { return -1; }", "f(1)"),
    "no_default_constructor": (
        "struct T { explicit T(int v) : v(v) {} int v; operator int() const { return v; } };\n"
        "T f() { return T(1); }",
        "int(f())",
    ),
    "reference_without_default": (
        "struct T { explicit T(int v) : v(v) {} int v; };\nT& f() { static T t(1); return t; }",
        "f().v",
    ),
    "trailing_reference": (
        "auto f() -> const std::string& { static std::string s; return s; }",
        "f().size()",
    ),
    "conversion_without_default": (
        "struct T { explicit T(int v) : v(v) {} int v; };\n"
        "struct U { operator T() const { return T(2); } };",
        "U().operator T().v",
    ),
}


@pytest.mark.parametrize("name", sorted(STUBS))
def test_the_stub_switch_compiles_and_gives_up_at_once(name, tmp_path):
    definitions, use = STUBS[name]
    solution = "#pragma once\n#include <string>\n#include <vector>\n" + definitions + "\n"
    instrumented = instrument(solution)
    assert instrumented is not None and SWITCH in instrumented
    assert instrumented.count("\n") == solution.count("\n")  # lines keep their numbers
    (tmp_path / "solution.hpp").write_text(instrumented)
    (tmp_path / "use.cpp").write_text(
        "#include <cstdio>\n#include <stdexcept>\n"
        'extern "C" bool assay_stubbed() noexcept { return true; }\n'
        '#include "solution.hpp"\n'
        f'int main() {{ try {{ auto value = {use}; std::printf("%d", int(value)); }}'
        ' catch (const std::logic_error&) { std::printf("threw"); } return 0; }\n'
    )
    done = subprocess.run(
        ["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-include", STUB_HEADER, "use.cpp"]
        + ["-o", "use"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, instrumented + done.stderr
    ran = subprocess.run(["./use"], cwd=tmp_path, capture_output=True, text=True)
    # A value's default (0, an empty container, nullptr), or a throw where the type is deduced.
    assert ran.stdout == STUBBED_VALUE.get(name, "0"), ran.stdout


STUBBED_VALUE = {
    "pointer": "1",
    "auto": "threw",
    "decltype_auto": "threw",
    "no_default_constructor": "threw",  # nothing to return: it throws, and the stub compiles
    "reference_without_default": "threw",
    "conversion_without_default": "threw",
}
# What the prelude gives an instrumented solution: the switch and `assay_stub_value<T>()`.
STUB_HEADER = str(Path(__file__).resolve().parents[2] / "sandbox/languages/cpp/box/stub.hpp")


def test_a_solution_without_functions_has_no_stub():
    assert instrument("#pragma once\nconstexpr int answer = 42;\n") is None
    assert instrument("#pragma once\nint f();\n") is None


def test_a_crlf_solution_keeps_its_line_numbers(cpp_verifier):
    # A lone CR is a line end to g++: the switch goes before a line's CR LF, not between them.
    solution = (
        "#pragma once\r\ninline int f(int x) {\r\n    int unused = 0;\r\n    return x;\r\n}\r\n"
    )
    tests = '#include "solution.hpp"\n#include <doctest/doctest.h>\nTEST_CASE("f") { CHECK(f(2) == 2); }\n'
    verdict = verify_one(cpp_verifier, solution, tests)
    assert verdict.passed, verdict.feedback
    unused = next(m for m in verdict.lint if m.code == "unused-variable")
    assert (unused.file, unused.line) == ("solution.hpp", 3)


def test_the_switch_goes_in_outer_functions_only():
    instrumented = instrument("int f() { auto g = [] { return 1; }; return g(); }\n")
    assert instrumented.count(SWITCH) == 1 and instrumented.index(SWITCH) < instrumented.index("[]")


def test_a_constexpr_function_stays_a_constant_expression_and_is_stubbed(cpp_verifier):
    solution = """
        #pragma once
        constexpr int square(int x) { return x * x; }
        static_assert(square(3) == 9);
        """
    tests = """
        #include "solution.hpp"
        #include <doctest/doctest.h>
        TEST_CASE("zero") { CHECK(square(0) == 0); }
        TEST_CASE("three") {
            int a[square(2)] = {};
            CHECK(sizeof a == 4 * sizeof(int));
            CHECK(square(3) == 9);
        }
        """
    verdict = verify_one(cpp_verifier, solution, tests)
    # The stub's run: square(0) is 0 either way; square(3) at run time is the stub's 0.
    assert verdict.passed and verdict.weak_tests == ["zero"], verdict.feedback


def test_a_switch_that_does_not_compile_leaves_the_sample_its_own_compile(cpp_verifier):
    # `return {};` cannot make a reference to an array: the instrumented build fails, and the
    # sample is compiled and judged as it is, without the strength check.
    solution = """
        #pragma once
        inline int (&row())[3] { static int r[3] = {1, 2, 3}; return r; }
        """
    tests = """
        #include "solution.hpp"
        #include <doctest/doctest.h>
        TEST_CASE("keeps the row") { CHECK(row()[1] == 2); }
        """
    verdict = verify_one(cpp_verifier, solution, tests)
    assert verdict.passed, verdict.feedback
    assert not [m for m in verdict.lint if m.rejects]
    assert "strength-unchecked" in {m.code for m in verdict.lint}
    wrong = solution.replace("{1, 2, 3}", "{1, 3, 3}")
    verdict = verify_one(cpp_verifier, wrong, tests)
    assert verdict.stage == "tests", verdict.feedback


def test_a_type_without_a_default_constructor_is_stubbed_by_a_throw(cpp_verifier):
    # `return {};` cannot make it: the stub throws instead (box/stub.hpp), and the strength
    # check is made.
    solution = """
        #pragma once
        struct Meters {
            explicit Meters(int v) : value(v) {}
            int value;
        };
        inline Meters meters(int v) { return Meters(v); }
        """
    tests = """
        #include "solution.hpp"
        #include <doctest/doctest.h>
        TEST_CASE("keeps the value") { CHECK(meters(3).value == 3); }
        TEST_CASE("nothing") { CHECK(sizeof(Meters) > 0); }
        """
    verdict = verify_one(cpp_verifier, solution, tests)
    assert verdict.passed, verdict.feedback
    assert not [m for m in verdict.lint if m.rejects or m.code == "strength-unchecked"]
    assert verdict.weak_tests == ["nothing"]


def test_weak_isolation_runs_against_a_readable_copy_of_the_harness():
    options = VerifyOptions(jobs=1, isolation="weak", strength_check=False)
    with Verifier(options) as verifier:
        verdict = verify_one(verifier, ADD, TEST_ADD)
    assert verdict.passed, verdict.feedback
