"""A C++ solution whose return value has an operator== that always says true passes
`CHECK(add(2, 3) == 5)` under plain doctest, and the strength check misses it (the stub switches
the operator off too); here doctest's `==` is guarded (box/equal_guard.hpp), in both backends, while
ordinary types with a real operator== and the standard library's comparisons still pass."""

from __future__ import annotations

import pytest

from sandbox import Limits, Sample, Verifier, VerifyOptions

HEAD = '#include "solution.hpp"\n#include <doctest/doctest.h>\n'
TEST_ADD = HEAD + 'TEST_CASE("adds") { CHECK(add(2, 3) == 5); CHECK(add(1, 1) == 2); }\n'
ANY = "struct Any {\n  int v = 0;\n  template <class T> bool operator==(const T&) const { return true; }\n};\n"
MESSAGE = "a value compared equal to everything"

CHEATS = {
    "template_operator": (
        f"#pragma once\n{ANY}inline Any add(int a, int b) {{ return Any{{a + b}}; }}\n",
        TEST_ADD,
    ),
    "deduced_return_type": (
        f"#pragma once\n{ANY}inline auto add(int a, int b) {{ return Any{{a + b}}; }}\n",
        TEST_ADD,
    ),
    "true_unless_default_constructed": (
        "#pragma once\nstruct F {\n  bool made = false;\n"
        "  template <class T> bool operator==(const T&) const { return made; }\n};\n"
        "inline F add(int a, int b) { F f; f.made = a + b != -12345; return f; }\n",
        TEST_ADD,
    ),
    "operator_for_int_only": (
        "#pragma once\nstruct F { bool operator==(int) const { return true; } };\n"
        "inline F add(int, int) { return F{}; }\n",
        HEAD + 'TEST_CASE("adds") { REQUIRE(add(2, 3) == 5); }\n',
    ),
    "free_operator_on_the_right": (
        "#pragma once\nstruct F { int v; };\ninline bool operator==(int, const F&) { return true; }\n"
        "inline F add(int a, int) { return F{a}; }\n",
        HEAD + 'TEST_CASE("adds") { CHECK(5 == add(2, 3)); }\n',
    ),
    "operator_for_double_only": (
        "#pragma once\nstruct F { bool operator==(double) const { return true; } };\n"
        "inline F area(double) { return F{}; }\n",
        HEAD + 'TEST_CASE("area") { CHECK(area(1.0) == 3.14); }\n',
    ),
    "compared_with_a_string": (
        f"#pragma once\n#include <string>\n{ANY}inline Any name() {{ return Any{{}}; }}\n",
        HEAD + 'TEST_CASE("name") { CHECK(name() == std::string("bob")); }\n',
    ),
    "humaneval_x_assert": (  # HumanEval-X's asserts are REQUIREs (pipeline/humaneval_x_cpp.py)
        f"#pragma once\n{ANY}inline Any add(int a, int b) {{ return Any{{a + b}}; }}\n",
        HEAD
        + '#define assert(...) REQUIRE(__VA_ARGS__)\nTEST_CASE("CPP/0") { assert(add(2, 3) == 5); }\n',
    ),
}

HONEST = {
    "class_with_a_real_operator": (
        "#pragma once\nstruct Point {\n  int x, y;\n"
        "  bool operator==(const Point& o) const { return x == o.x && y == o.y; }\n};\n"
        "inline Point mid(Point a, Point b) { return {(a.x + b.x) / 2, (a.y + b.y) / 2}; }\n",
        HEAD + 'TEST_CASE("mid") { CHECK(mid({0, 0}, {2, 4}) == Point{1, 2});\n'
        "  CHECK_FALSE(mid({0, 0}, {2, 4}) == Point{1, 3}); }\n",
    ),
    "class_equal_to_some_ints": (
        "#pragma once\nstruct Frac { long n, d; bool operator==(long v) const { return n == v * d; } };\n"
        "inline Frac twice(long n, long d) { return {2 * n, d}; }\n",
        HEAD + 'TEST_CASE("twice") { CHECK(twice(3, 2) == 3); CHECK(twice(4, 1) == 8); }\n',
    ),
    "optional_and_nullopt": (
        "#pragma once\n#include <optional>\n#include <vector>\n"
        "inline std::optional<int> first(const std::vector<int>& v) {\n"
        "  if (v.empty()) return std::nullopt;\n  return v[0];\n}\n",
        HEAD
        + 'TEST_CASE("first") { CHECK(first({3, 4}) == 3); CHECK(first({}) == std::nullopt); }\n',
    ),
    "approx": (
        "#pragma once\ninline double half(double x) { return x / 2; }\n",
        HEAD + 'TEST_CASE("half") { CHECK(half(3.0) == doctest::Approx(1.5));\n'
        "  CHECK(doctest::Approx(0.5) == half(1.0)); CHECK(half(0.0) == 0.0); }\n",
    ),
    "strings_and_containers": (
        "#pragma once\n#include <string>\n#include <vector>\n"
        'inline std::string hi(const std::string& n) { return "hi " + n; }\n'
        'inline std::vector<std::string> two() { return {"a", "b"}; }\n',
        HEAD + 'TEST_CASE("hi") { CHECK(hi("bo") == "hi bo"); CHECK("hi bo" == hi("bo"));\n'
        '  CHECK(two() == std::vector<std::string>{"a", "b"}); }\n',
    ),
    "iterators_and_bit_references": (
        "#pragma once\n#include <algorithm>\n#include <vector>\n"
        "inline std::vector<bool> flags() { return {true, false}; }\n"
        "inline std::vector<int>::const_iterator find3(const std::vector<int>& v) {\n"
        "  return std::find(v.begin(), v.end(), 3);\n}\n",
        HEAD + 'TEST_CASE("find") { auto f = flags(); CHECK(f[0] == true); CHECK(f[1] == false);\n'
        "  std::vector<int> v{1, 3}; CHECK(find3(v) == v.begin() + 1);\n"
        "  std::vector<int> w{1}; CHECK(find3(w) == w.cend()); }\n",
    ),
    "extreme_values": (
        "#pragma once\n#include <climits>\n#include <cstddef>\ninline int big() { return INT_MAX; }\n"
        "inline unsigned char byte() { return 255; }\ninline size_t three() { return 3; }\n"
        "inline double huge() { return 1e308 * 10; }\n",
        HEAD + 'TEST_CASE("limits") { CHECK(big() == INT_MAX); CHECK(byte() == 255);\n'
        "  CHECK(three() == 3u); CHECK(huge() == 1e308 * 10); CHECK(-big() - 1 == INT_MIN); }\n",
    ),
}


@pytest.fixture(scope="module")
def verdicts(backend_name: str) -> dict:
    """Every sample above verified at once (the strength check off: the guard alone)."""
    samples = [
        Sample(id=name, solution=solution, tests=tests, language="cpp")
        for name, (solution, tests) in {**CHEATS, **HONEST}.items()
    ]
    options = VerifyOptions(
        sandbox=backend_name, jobs=2, strength_check=False, limits=Limits(timeout_s=10.0)
    )
    with Verifier(options) as verifier:
        return {verdict.id: verdict for verdict in verifier.verify(samples)}


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_a_value_equal_to_everything_fails_the_check(verdicts, name):
    verdict = verdicts[name]
    assert not verdict.passed and verdict.stage == "tests", (verdict.stage, verdict.reason)
    assert MESSAGE in verdict.feedback, verdict.feedback


@pytest.mark.parametrize("name", sorted(HONEST))
def test_real_comparisons_pass(verdicts, name):
    verdict = verdicts[name]
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.feedback)


def test_with_every_check_on_it_is_a_test_failure_not_weak_tests(full_verifier):
    solution, tests = CHEATS["template_operator"]
    (verdict,) = full_verifier.verify([Sample(solution=solution, tests=tests, language="cpp")])
    assert (verdict.passed, verdict.stage) == (False, "tests"), (verdict.stage, verdict.reason)
    assert MESSAGE in verdict.feedback
