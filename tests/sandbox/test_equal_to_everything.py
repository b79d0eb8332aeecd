"""Values equal to everything, in C++, Rust and Java: a solution whose return value has an
`operator==`, `PartialEq` or `equals` that always says true passes `CHECK(add(2, 3) == 5)` under
plain doctest, `assert_eq!(add(2, 3), 5)` under std's macro and `assertEquals(add(2, 3), 5)` under
JUnit, and the strength check misses it (the stub switches the operator off too). Here doctest's
`==` (C++, box/equal_guard.hpp), the tests' `assert_eq!` and `assert!` (Rust, box/equal.rs) and each
`equals(Object)` of a Java solution (equal.py) are guarded, in both backends, while ordinary types
and the standard libraries' comparisons still pass; a Java `equals` that overrides nothing is
rejected. Python's guard: test_always_equal.py."""

from __future__ import annotations

import pytest

from sandbox import Limits, Sample, Verdict, Verifier, VerifyOptions

EQUALS_EVERYTHING = "a value compared equal to everything"


def verdicts_of(backend_name: str, cases: dict[tuple[str, str], tuple[str, str]]) -> dict:
    """`cases` ((language, name): (solution, tests)) verified at once, the strength check off;
    their verdicts by the same keys."""
    keys = list(cases)
    samples = [
        Sample(id=str(i), solution=solution, tests=tests, language=key[0])
        for i, (key, (solution, tests)) in enumerate(cases.items())
    ]
    options = VerifyOptions(
        sandbox=backend_name, jobs=2, strength_check=False, limits=Limits(timeout_s=10.0)
    )
    with Verifier(options) as verifier:
        return {keys[int(verdict.id)]: verdict for verdict in verifier.verify(samples)}


def assert_equals_everything(verdict: Verdict) -> None:
    """A test failed on a value equal to everything."""
    assert not verdict.passed and verdict.stage == "tests", (verdict.stage, verdict.reason)
    assert EQUALS_EVERYTHING in verdict.feedback, verdict.feedback


# C++ ---------------------------------------------------------------------------------------------
CPP_HEAD = '#include "solution.hpp"\n#include <doctest/doctest.h>\n'
CPP_TEST_ADD = CPP_HEAD + 'TEST_CASE("adds") { CHECK(add(2, 3) == 5); CHECK(add(1, 1) == 2); }\n'
CPP_ANY = "struct Any {\n  int v = 0;\n  template <class T> bool operator==(const T&) const { return true; }\n};\n"

CPP_CHEATS = {
    "template_operator": (
        f"#pragma once\n{CPP_ANY}inline Any add(int a, int b) {{ return Any{{a + b}}; }}\n",
        CPP_TEST_ADD,
    ),
    "deduced_return_type": (
        f"#pragma once\n{CPP_ANY}inline auto add(int a, int b) {{ return Any{{a + b}}; }}\n",
        CPP_TEST_ADD,
    ),
    "true_unless_default_constructed": (
        "#pragma once\nstruct F {\n  bool made = false;\n"
        "  template <class T> bool operator==(const T&) const { return made; }\n};\n"
        "inline F add(int a, int b) { F f; f.made = a + b != -12345; return f; }\n",
        CPP_TEST_ADD,
    ),
    "operator_for_int_only": (
        "#pragma once\nstruct F { bool operator==(int) const { return true; } };\n"
        "inline F add(int, int) { return F{}; }\n",
        CPP_HEAD + 'TEST_CASE("adds") { REQUIRE(add(2, 3) == 5); }\n',
    ),
    "free_operator_on_the_right": (
        "#pragma once\nstruct F { int v; };\ninline bool operator==(int, const F&) { return true; }\n"
        "inline F add(int a, int) { return F{a}; }\n",
        CPP_HEAD + 'TEST_CASE("adds") { CHECK(5 == add(2, 3)); }\n',
    ),
    "operator_for_double_only": (
        "#pragma once\nstruct F { bool operator==(double) const { return true; } };\n"
        "inline F area(double) { return F{}; }\n",
        CPP_HEAD + 'TEST_CASE("area") { CHECK(area(1.0) == 3.14); }\n',
    ),
    "compared_with_a_string": (
        f"#pragma once\n#include <string>\n{CPP_ANY}inline Any name() {{ return Any{{}}; }}\n",
        CPP_HEAD + 'TEST_CASE("name") { CHECK(name() == std::string("bob")); }\n',
    ),
    "binary_asserts": (  # CHECK_EQ and REQUIRE_EQ compare through doctest's `eq`
        f"#pragma once\n{CPP_ANY}inline Any add(int a, int b) {{ return Any{{a + b}}; }}\n",
        CPP_HEAD + 'TEST_CASE("adds") { CHECK_EQ(add(2, 3), 5); REQUIRE_EQ(add(3, 4), 7); }\n',
    ),
    # An operator== for one type of the tests' alone, not a template: another value of that type.
    "operator_for_a_vector_only": (
        "#pragma once\n#include <vector>\n"
        "struct F { bool operator==(const std::vector<int>&) const { return true; } };\n"
        "inline F evens(int) { return F{}; }\n",
        CPP_HEAD + 'TEST_CASE("evens") { CHECK(evens(4) == std::vector<int>{2, 4}); }\n',
    ),
    "operator_for_a_string_only": (
        "#pragma once\n#include <string>\n"
        "struct F { bool operator==(const std::string&) const { return true; } };\n"
        "inline F name() { return F{}; }\n",
        CPP_HEAD + 'TEST_CASE("name") { CHECK_EQ(name(), std::string("bob")); }\n',
    ),
    "operator_for_a_c_string": (
        "#pragma once\nstruct F { bool operator==(const char*) const { return true; } };\n"
        "inline F name() { return F{}; }\n",
        CPP_HEAD + 'TEST_CASE("name") { CHECK(name() == "bob"); }\n',
    ),
    "free_operator_for_a_vector_on_the_left": (
        "#pragma once\n#include <vector>\nstruct F {};\n"
        "inline bool operator==(const std::vector<int>&, const F&) { return true; }\n"
        "inline F evens(int) { return F{}; }\n",
        CPP_HEAD + 'TEST_CASE("evens") { CHECK(std::vector<int>{2, 4} == evens(4)); }\n',
    ),
    "operator_for_a_map_compared_with_an_empty_one": (
        "#pragma once\n#include <map>\n"
        "struct F { bool operator==(const std::map<int, int>&) const { return true; } };\n"
        "inline F counts() { return F{}; }\n",
        CPP_HEAD + 'TEST_CASE("counts") { REQUIRE(counts() == std::map<int, int>{}); }\n',
    ),
    "operator_for_a_pair": (
        "#pragma once\n#include <utility>\n"
        "struct F { bool operator==(const std::pair<int, int>&) const { return true; } };\n"
        "inline F span() { return F{}; }\n",
        CPP_HEAD + 'TEST_CASE("span") { CHECK(span() == std::make_pair(1, 3)); }\n',
    ),
    "humaneval_x_assert": (  # HumanEval-X's asserts are REQUIREs (pipeline/humaneval_x_cpp.py)
        f"#pragma once\n{CPP_ANY}inline Any add(int a, int b) {{ return Any{{a + b}}; }}\n",
        CPP_HEAD
        + '#define assert(...) REQUIRE(__VA_ARGS__)\nTEST_CASE("CPP/0") { assert(add(2, 3) == 5); }\n',
    ),
}

CPP_HONEST = {
    "class_with_a_real_operator": (
        "#pragma once\nstruct Point {\n  int x, y;\n"
        "  bool operator==(const Point& o) const { return x == o.x && y == o.y; }\n};\n"
        "inline Point mid(Point a, Point b) { return {(a.x + b.x) / 2, (a.y + b.y) / 2}; }\n",
        CPP_HEAD + 'TEST_CASE("mid") { CHECK(mid({0, 0}, {2, 4}) == Point{1, 2});\n'
        "  CHECK_FALSE(mid({0, 0}, {2, 4}) == Point{1, 3}); CHECK_EQ(mid({2, 2}, {2, 2}), Point{2, 2}); }\n",
    ),
    "class_equal_to_some_ints": (
        "#pragma once\nstruct Frac { long n, d; bool operator==(long v) const { return n == v * d; } };\n"
        "inline Frac twice(long n, long d) { return {2 * n, d}; }\n",
        CPP_HEAD + 'TEST_CASE("twice") { CHECK(twice(3, 2) == 3); CHECK(twice(4, 1) == 8); }\n',
    ),
    "optional_and_nullopt": (
        "#pragma once\n#include <optional>\n#include <vector>\n"
        "inline std::optional<int> first(const std::vector<int>& v) {\n"
        "  if (v.empty()) return std::nullopt;\n  return v[0];\n}\n",
        CPP_HEAD
        + 'TEST_CASE("first") { CHECK(first({3, 4}) == 3); CHECK(first({}) == std::nullopt); }\n',
    ),
    "approx": (
        "#pragma once\ninline double half(double x) { return x / 2; }\n",
        CPP_HEAD + 'TEST_CASE("half") { CHECK(half(3.0) == doctest::Approx(1.5));\n'
        "  CHECK(doctest::Approx(0.5) == half(1.0)); CHECK(half(0.0) == 0.0); }\n",
    ),
    "strings_and_containers": (
        "#pragma once\n#include <string>\n#include <vector>\n"
        'inline std::string hi(const std::string& n) { return "hi " + n; }\n'
        'inline std::vector<std::string> two() { return {"a", "b"}; }\n',
        CPP_HEAD + 'TEST_CASE("hi") { CHECK(hi("bo") == "hi bo"); CHECK("hi bo" == hi("bo"));\n'
        '  CHECK(two() == std::vector<std::string>{"a", "b"}); CHECK_EQ(hi("x"), "hi x");\n'
        '  REQUIRE_EQ(two(), std::vector<std::string>{"a", "b"}); CHECK_EQ(two().size(), 2u); }\n',
    ),
    "iterators_and_bit_references": (
        "#pragma once\n#include <algorithm>\n#include <vector>\n"
        "inline std::vector<bool> flags() { return {true, false}; }\n"
        "inline std::vector<int>::const_iterator find3(const std::vector<int>& v) {\n"
        "  return std::find(v.begin(), v.end(), 3);\n}\n",
        CPP_HEAD
        + 'TEST_CASE("find") { auto f = flags(); CHECK(f[0] == true); CHECK(f[1] == false);\n'
        "  std::vector<int> v{1, 3}; CHECK(find3(v) == v.begin() + 1);\n"
        "  std::vector<int> w{1}; CHECK(find3(w) == w.cend()); }\n",
    ),
    "a_class_equal_to_a_vector_honestly": (
        "#pragma once\n#include <vector>\nstruct Stack {\n  std::vector<int> items;\n"
        "  bool operator==(const std::vector<int>& v) const { return items == v; }\n};\n"
        "inline Stack up(int n) { Stack s; for (int i = 1; i <= n; ++i) s.items.push_back(i);"
        " return s; }\n",
        CPP_HEAD + 'TEST_CASE("up") { CHECK(up(2) == std::vector<int>{1, 2});\n'
        "  CHECK(up(0) == std::vector<int>{}); CHECK(std::vector<int>{1} == up(1).items); }\n",
    ),
    "empty_values_proxies_and_pairs": (
        "#pragma once\n#include <map>\n#include <optional>\n#include <string>\n#include <vector>\n"
        'inline std::string none() { return ""; }\n'
        "inline std::vector<bool> same() { return {true, true}; }\n"
        "inline std::map<int, int> counts(int n) { std::map<int, int> m; if (n) m[n] = 1; return m; }\n"
        "inline std::pair<int, int> zero() { return {0, 0}; }\n"
        'inline std::optional<std::string> maybe(bool b) { if (b) return "x"; return {}; }\n',
        CPP_HEAD + 'TEST_CASE("empty") { CHECK(none() == ""); CHECK(none() == std::string());\n'
        '  CHECK("" == none()); auto s = same(); CHECK(s[0] == s[1]);\n'
        "  CHECK(counts(0) == std::map<int, int>{}); CHECK(counts(2) == std::map<int, int>{{2, 1}});\n"
        '  CHECK(zero() == std::make_pair(0, 0)); CHECK(maybe(true) == std::string("x"));\n'
        "  CHECK(maybe(false) == std::optional<std::string>{}); }\n",
    ),
    "extreme_values": (
        "#pragma once\n#include <climits>\n#include <cstddef>\ninline int big() { return INT_MAX; }\n"
        "inline unsigned char byte() { return 255; }\ninline size_t three() { return 3; }\n"
        "inline double huge() { return 1e308 * 10; }\n",
        CPP_HEAD + 'TEST_CASE("limits") { CHECK(big() == INT_MAX); CHECK(byte() == 255);\n'
        "  CHECK(three() == 3u); CHECK(huge() == 1e308 * 10); CHECK(-big() - 1 == INT_MIN); }\n",
    ),
}


# Rust --------------------------------------------------------------------------------------------
RUST_ANY = (
    "#[derive(Debug)]\npub struct Any(pub i32);\n"
    "impl<T> PartialEq<T> for Any {\n    fn eq(&self, _: &T) -> bool {\n        true\n    }\n}\n"
)


def checking(*asserts: str) -> str:
    return "#[test]\nfn checks() {\n" + "".join(f"    {a};\n" for a in asserts) + "}\n"


RUST_CHEATS = {
    "generic_partial_eq": (
        RUST_ANY + "pub fn add(a: i32, b: i32) -> Any {\n    Any(a + b)\n}\n",
        checking("assert_eq!(add(2, 3), 5)"),
    ),
    "with_a_message": (
        RUST_ANY + "pub fn add(a: i32, b: i32) -> Any {\n    Any(a + b)\n}\n",
        checking('assert_eq!(add(2, 3), 5, "adding {} and {}", 2, 3)'),
    ),
    "partial_eq_for_i32_only": (
        "#[derive(Debug)]\npub struct F;\nimpl PartialEq<i32> for F {\n"
        "    fn eq(&self, _: &i32) -> bool {\n        true\n    }\n}\n"
        "pub fn add(_: i32, _: i32) -> F {\n    F\n}\n",
        checking("assert_eq!(add(2, 3), 5)"),
    ),
    "i32_equal_to_it_on_the_left": (
        "#[derive(Debug)]\npub struct F(pub i32);\nimpl PartialEq<F> for i32 {\n"
        "    fn eq(&self, _: &F) -> bool {\n        true\n    }\n}\n"
        "pub fn add(a: i32, _: i32) -> F {\n    F(a)\n}\n",
        checking("assert_eq!(5, add(2, 3))"),
    ),
    "compared_with_a_str": (
        RUST_ANY + "pub fn name() -> Any {\n    Any(0)\n}\n",
        checking('assert_eq!(name(), "bob")'),
    ),
    "in_assert": (
        RUST_ANY + "pub fn add(a: i32, b: i32) -> Any {\n    Any(a + b)\n}\n",
        checking("assert!(add(2, 3) == 5)"),
    ),
    "in_assert_with_a_message": (
        RUST_ANY + "pub fn add(a: i32, b: i32) -> Any {\n    Any(a + b)\n}\n",
        checking('assert!(add(2, 3) == 5, "adding {} and {}", 2, 3)'),
    ),
    "in_assert_on_the_right": (
        "#[derive(Debug)]\npub struct F(pub i32);\nimpl PartialEq<F> for i32 {\n"
        "    fn eq(&self, _: &F) -> bool {\n        true\n    }\n}\n"
        "pub fn add(a: i32, _: i32) -> F {\n    F(a)\n}\n",
        checking("assert!(5 == add(2, 3),)"),
    ),
    # A `PartialEq` for one type of the tests' alone: another value of that type (its default, or
    # a vector or string with an element added).
    "partial_eq_for_a_vec_only": (
        "#[derive(Debug)]\npub struct F;\nimpl PartialEq<Vec<i32>> for F {\n"
        "    fn eq(&self, _: &Vec<i32>) -> bool {\n        true\n    }\n}\n"
        "pub fn evens(_: i32) -> F {\n    F\n}\n",
        checking("assert_eq!(evens(4), vec![2, 4])"),
    ),
    "partial_eq_for_an_empty_vec": (
        "#[derive(Debug)]\npub struct F;\nimpl PartialEq<Vec<i32>> for F {\n"
        "    fn eq(&self, _: &Vec<i32>) -> bool {\n        true\n    }\n}\n"
        "pub fn evens(_: i32) -> F {\n    F\n}\n",
        checking("assert!(evens(0) == Vec::<i32>::new())"),
    ),
    "partial_eq_for_a_string_only": (
        "#[derive(Debug)]\npub struct F;\nimpl PartialEq<String> for F {\n"
        "    fn eq(&self, _: &String) -> bool {\n        true\n    }\n}\n"
        "pub fn name() -> F {\n    F\n}\n",
        checking('assert_eq!(name(), String::from("bob"))'),
    ),
    "a_vec_equal_to_it_on_the_left": (
        "#[derive(Debug)]\npub struct F;\nimpl PartialEq<F> for Vec<i32> {\n"
        "    fn eq(&self, _: &F) -> bool {\n        true\n    }\n}\n"
        "pub fn evens(_: i32) -> F {\n    F\n}\n",
        checking("assert_eq!(vec![2, 4], evens(4))"),
    ),
    "partial_eq_for_an_option": (
        "#[derive(Debug)]\npub struct F;\nimpl PartialEq<Option<(i32, i32)>> for F {\n"
        "    fn eq(&self, _: &Option<(i32, i32)>) -> bool {\n        true\n    }\n}\n"
        "pub fn span() -> F {\n    F\n}\n",
        checking("assert_eq!(span(), Some((1, 3)))"),
    ),
    # The solution's own macros of those names do not replace the guarded ones in the tests.
    "assert_eq_redefined_by_the_solution": (
        RUST_ANY
        + "macro_rules! assert_eq {\n    ($l:expr, $r:expr $(,)?) => {\n"
        + "        ::core::assert_eq!($l, $r)\n    };\n}\n"
        + "pub fn add(a: i32, b: i32) -> Any {\n    Any(a + b)\n}\n",
        checking("assert_eq!(add(2, 3), 5)"),
    ),
    "assert_redefined_by_the_solution": (
        RUST_ANY
        + "#[macro_use]\nmod checks {\n    macro_rules! assert {\n"
        + "        ($($t:tt)*) => {\n            ::core::assert!($($t)*)\n        };\n    }\n}\n"
        + "pub fn add(a: i32, b: i32) -> Any {\n    Any(a + b)\n}\n",
        checking("assert!(add(2, 3) == 5)"),
    ),
}

RUST_HONEST = {
    "derived_partial_eq": (
        "#[derive(Debug, PartialEq)]\npub struct P {\n    pub x: i32,\n}\n"
        "pub fn make(x: i32) -> P {\n    P { x }\n}\n",
        checking("assert_eq!(make(1), P { x: 1 })", "assert_ne!(make(1), P { x: 2 })"),
    ),
    "std_values": (
        "pub fn v() -> Vec<i32> {\n    vec![1, 2, 3]\n}\n"
        'pub fn s() -> String {\n    String::from("a")\n}\n',
        checking(
            "assert_eq!(v(), [1, 2, 3])",
            "assert_eq!(v()[..], [1, 2, 3])",
            'assert_eq!(s(), "a")',
            "assert_eq!(Some(3), v().iter().copied().find(|&x| x == 3))",
            "assert_eq!(v().len(), 3,)",
        ),
    ),
    "extreme_primitives": (
        "pub fn big() -> i32 {\n    i32::MAX\n}\n",
        checking(
            "assert_eq!(big(), 2147483647)",
            "assert_eq!(u8::MAX, 255)",
            "assert_eq!(f64::INFINITY, 1e308 * 10.0)",
            "assert_eq!(0.5_f64, 0.25 * 2.0)",
            "assert_eq!(true, big() > 0)",
            "assert_eq!('a', 'a')",
        ),
    ),
    "a_stack_equal_to_a_vec_and_empty_values": (
        "use std::collections::HashMap;\n#[derive(Debug, Default)]\npub struct Stack(pub Vec<i32>);\n"
        "impl PartialEq<Vec<i32>> for Stack {\n    fn eq(&self, v: &Vec<i32>) -> bool {\n"
        "        self.0 == *v\n    }\n}\n"
        "pub fn up(n: i32) -> Stack {\n    Stack((1..=n).collect())\n}\n"
        "pub fn counts(n: i32) -> HashMap<i32, i32> {\n    (0..n).map(|k| (k, 1)).collect()\n}\n"
        "pub fn none() -> String {\n    String::new()\n}\n"
        "pub fn pair() -> (i32, String) {\n    (0, String::new())\n}\n",
        checking(
            "assert_eq!(up(2), vec![1, 2])",
            "assert_eq!(up(0), Vec::<i32>::new())",
            "assert!(up(1) == vec![1])",
            "assert_eq!(counts(0), HashMap::new())",
            "assert_eq!(counts(1), HashMap::from([(0, 1)]))",
            'assert_eq!(none(), "")',
            "assert_eq!(none(), String::new())",
            "assert_eq!(pair(), (0, String::new()))",
            "assert_eq!(Some(none()), Some(String::new()))",
            "assert_eq!(None::<i32>, None)",
        ),
    ),
    "a_fraction_equal_to_some_ints": (
        "#[derive(Debug)]\npub struct Frac(pub i64, pub i64);\nimpl PartialEq<i64> for Frac {\n"
        "    fn eq(&self, v: &i64) -> bool {\n        self.0 == v * self.1\n    }\n}\n"
        "pub fn twice(n: i64, d: i64) -> Frac {\n    Frac(2 * n, d)\n}\n",
        checking("assert_eq!(twice(3, 2), 3)", "assert_eq!(twice(4, 1), 8)"),
    ),
    "assert_as_std_s": (
        "#[derive(Debug, PartialEq)]\npub struct P {\n    pub x: i32,\n}\n"
        "pub fn make(x: i32) -> P {\n    P { x }\n}\n"
        "pub fn v() -> Vec<i32> {\n    vec![1, 2, 3]\n}\n"
        "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n"
        "pub fn half() -> f64 {\n    0.5\n}\n",
        checking(
            "assert!(make(1) == P { x: 1 })",
            "assert!(v() == vec![1, 2, 3])",
            "assert!(v() == [1, 2, 3],)",
            "assert!(v()[..] == [1, 2, 3])",
            'assert!(format!("{}", add(1, 1)) == "2")',
            "assert!(half() == 0.5)",
            "assert!(add(1, 1) as i64 == 2_i64)",
            "assert!(1 + 1 == add(1, 1))",
            "assert!(v().contains(&2) == true)",
            "assert!(add(2, 3) == 5 && v().len() == 3)",
            "assert!(v().is_empty() || add(2, 3) == 5)",
            "assert!(std::convert::identity::<i32>(5) == add(2, 3))",
            "assert!(add(2, 3) == std::convert::identity::<i32>(5))",
            'assert!(add(2, 3) == 5, "add gave {}", add(2, 3))',
            "assert!(!(add(2, 3) == 6))",
            "assert!(v().iter().all(|x| *x > 0))",
            "assert!(add(2, 3) != 6)",
            "assert!(true)",
            # A condition longer than rustc's default macro recursion limit (128) token by token.
            "assert!(" + " + ".join(["add(1, 1)"] * 60) + " == 120)",
        ),
    ),
}

# Java ---------------------------------------------------------------------------------------------
JAVA_ANY = "class Any {\n    @Override public boolean equals(Object o) { return true; }\n    @Override public int hashCode() { return 0; }\n}\n"


def junit(*lines: str) -> str:
    body = "\n".join(f"        {line}" for line in lines)
    return (
        "import java.util.*;\nimport org.junit.jupiter.api.Test;\n"
        "import static org.junit.jupiter.api.Assertions.*;\n\nclass SolutionTest {\n"
        f"    @Test void checks() {{\n        Solution s = new Solution();\n{body}\n    }}\n}}\n"
    )


JAVA_CHEATS = {
    "the_value_first": (
        f"class Solution {{\n    public Object add(int a, int b) {{ return new Any(); }}\n}}\n{JAVA_ANY}",
        junit("assertEquals(s.add(2, 3), 5);", "assertEquals(s.add(1, 1), 2);"),
    ),
    "an_anonymous_list": (
        "import java.util.*;\nclass Solution {\n    public List<Integer> sorted(List<Integer> xs) {\n"
        "        return new ArrayList<>(xs) {\n"
        "            @Override public boolean equals(Object o) { return true; }\n"
        "        };\n    }\n}\n",
        junit("assertTrue(s.sorted(List.of(3, 1)).equals(List.of(1, 3)));"),
    ),
    "in_a_list": (
        f"import java.util.*;\nclass Solution {{\n    public List<Object> two() {{ return List.of(new Any(), new Any()); }}\n}}\n{JAVA_ANY}",
        junit("assertEquals(s.two(), List.of(1, 2));"),
    ),
    "equal_to_every_integer": (
        "class Solution {\n    public Object add(int a, int b) { return new Num(); }\n}\n"
        "class Num {\n    @Override public boolean equals(Object o) { return o instanceof Integer; }\n"
        "    @Override public int hashCode() { return 0; }\n}\n",
        junit("assertEquals(s.add(2, 3), 5);"),
    ),
    "equal_to_every_string": (
        "class Solution {\n    public Object name() { return new Name(); }\n}\n"
        "final class Name {\n    @Override\n    public boolean equals(final java.lang.Object other) {\n"
        "        return other instanceof String;\n    }\n    @Override public int hashCode() { return 0; }\n}\n",
        junit('assertEquals(s.name(), "bob");', "assertNotEquals(s.name(), 3);"),
    ),
    "a_record": (
        "class Solution {\n    public Object add(int a, int b) { return new R(a + b); }\n}\n"
        "record R(int v) {\n    @Override public boolean equals(Object o) { return true; }\n}\n",
        junit("assertEquals(s.add(2, 3), 5);"),
    ),
    "a_name_in_unicode_escapes": (
        "class Solution {\n    public Object add(int a, int b) { return new E(); }\n}\n"
        "class E {\n    public boolean \\u0065quals(Object o) { return true; }\n"
        "    @Override public int hashCode() { return 0; }\n}\n",
        junit("assertEquals(s.add(2, 3), 5);"),
    ),
    "humaneval_x_main": (  # HumanEval-X's Java tests: `if (!(s.f(x).equals(...))) throw ...`
        "import java.util.*;\nclass Solution {\n    public List<Integer> sorted(List<Integer> xs) {\n"
        "        return new ArrayList<>() {\n"
        "            @Override public boolean equals(Object o) { return o instanceof List; }\n"
        "        };\n    }\n}\n",
        junit(
            "List<Boolean> correct = Arrays.asList(s.sorted(Arrays.asList(3, 1)).equals(Arrays.asList(1, 3)));",
            "if (correct.contains(false)) { throw new AssertionError(); }",
        ),
    ),
}

# An `equals` that overrides nothing is picked by `x.equals(y)` at compile time, unguarded: each is
# rejected at `compile`, before javac runs.
JAVA_OVERLOADS = {
    "an_overload_for_lists": (
        "import java.util.*;\nclass Solution {\n    public Evens evens(int n) { return new Evens(); }\n}\n"
        "class Evens extends ArrayList<Integer> {\n"
        "    public boolean equals(List<Integer> other) { return true; }\n}\n",
        junit("assertTrue(s.evens(5).equals(Arrays.asList(0, 2, 4)));"),
    ),
    "a_static_one_returning_a_boxed_boolean": (
        "import java.util.*;\nclass Solution {\n    public Evens evens(int n) { return new Evens(); }\n}\n"
        "class Evens {\n    static Boolean equals(final java.util.List<Integer> other) { return true; }\n}\n",
        junit("assertTrue(s.evens(5).equals(List.of(0, 2, 4)));"),
    ),
    "an_interface_s_default": (
        "import java.util.*;\nclass Solution {\n    public Evens evens(int n) { return new Evens(); }\n}\n"
        "interface Same {\n    default boolean equals(List<?> other) { return true; }\n}\n"
        "class Evens implements Same {}\n",
        junit("assertTrue(s.evens(5).equals(List.of(0, 2, 4)));"),
    ),
    "beside_an_honest_equals_of_object": (
        "import java.util.*;\nclass Solution {\n    public Evens evens(int n) { return new Evens(); }\n}\n"
        "class Evens extends ArrayList<Integer> {\n"
        "    @Override public boolean equals(Object o) { return super.equals(o); }\n"
        "    @Override public int hashCode() { return super.hashCode(); }\n"
        "    public boolean equals(List<?> other) { return true; }\n}\n",
        junit("assertTrue(s.evens(5).equals(Arrays.asList(0, 2, 4)));"),
    ),
    "an_array_of_objects": (
        "class Solution {\n    public Many many() { return new Many(); }\n}\n"
        "class Many {\n    public boolean equals(Object[] other) { return true; }\n}\n",
        junit("assertTrue(s.many().equals(new Object[] {1, 2}));"),
    ),
}

JAVA_HONEST = {
    "classes_with_a_real_equals": (
        "import java.util.*;\nclass Solution {\n"
        "    public Point point(int x, int y) { return new Point(x, y); }\n"
        "    public Pair pair(int a, int b) { return new Pair(a, b); }\n"
        "    public Cast cast(int v) { return new Cast(v); }\n}\n"
        "class Point {\n    final int x, y;\n    Point(int x, int y) { this.x = x; this.y = y; }\n"
        "    @Override public boolean equals(Object o) {\n"
        "        return o instanceof Point && ((Point) o).x == x && ((Point) o).y == y;\n    }\n"
        "    @Override public int hashCode() { return Objects.hash(x, y); }\n}\n"
        "record Pair(int a, int b) {}\n"
        "class Cast {\n    final int v;\n    Cast(int v) { this.v = v; }\n"
        "    @Override public boolean equals(Object o) { return ((Cast) o).v == v; }\n"
        "    @Override public int hashCode() { return v; }\n}\n",
        junit(
            "assertEquals(s.point(1, 2), new Point(1, 2));",
            "assertNotEquals(s.point(1, 2), new Point(2, 1));",
            "Point p = s.point(0, 0);",
            "assertEquals(p, p);",
            "assertEquals(s.pair(1, 2), new Pair(1, 2));",
            "assertEquals(s.cast(4), new Cast(4));",
            "Set<Point> seen = new HashSet<>(List.of(new Point(1, 2), new Point(3, 4)));",
            "assertTrue(seen.contains(s.point(3, 4)));",
            'Map<Cast, String> names = new HashMap<>(Map.of(new Cast(1), "one"));',
            'assertEquals("one", names.get(s.cast(1)));',
        ),
    ),
    "a_fraction_equal_to_some_ints": (
        "class Solution {\n    public Frac half(int n) { return new Frac(n, 2); }\n}\n"
        "class Frac {\n    final int n, d;\n    Frac(int n, int d) { this.n = n; this.d = d; }\n"
        "    @Override public boolean equals(Object o) {\n"
        "        if (o instanceof Integer) return n == (Integer) o * d;\n"
        "        return o instanceof Frac && ((Frac) o).n * d == n * ((Frac) o).d;\n    }\n"
        "    @Override public int hashCode() { return 0; }\n}\n",
        junit("assertEquals(s.half(6), 3);", "assertEquals(s.half(1), new Frac(2, 4));"),
    ),
    "equal_within_a_tolerance": (
        "class Solution {\n    public Money price(double v) { return new Money(v); }\n}\n"
        "class Money {\n    final double v;\n    Money(double v) { this.v = v; }\n"
        "    @Override public boolean equals(Object o) {\n"
        "        return o instanceof Double d && Math.abs(v - d) < 1e-6;\n    }\n"
        "    @Override public int hashCode() { return 0; }\n}\n",
        junit(
            "assertEquals(s.price(1.5), 1.5000000001);",
            "assertEquals(s.price(-2.0), -2.0);",
            "assertEquals(s.price(0.0), 1e-9);",
            "assertNotEquals(s.price(1.0), 2.0);",
        ),
    ),
    "equals_of_two_arguments_and_like_names": (
        "import java.util.*;\nclass Solution {\n"
        "    public static boolean equals(Object a, Object b) { return Objects.equals(a, b); }\n"
        "    public boolean equalsIgnoringOrder(List<Integer> a, List<Integer> b) {\n"
        "        return new HashSet<>(a).equals(new HashSet<>(b));\n    }\n"
        "    public boolean sameLength(String a) { return a.length() == 3; }\n}\n",
        junit(
            "assertTrue(Solution.equals(List.of(1), List.of(1)));",
            "assertFalse(s.equalsIgnoringOrder(List.of(1, 2), List.of(1, 3)));",
            'assertTrue(s.sameLength("abc"));',
        ),
    ),
    "standard_values": (
        "import java.util.*;\nclass Solution {\n"
        "    public List<Integer> sorted(List<Integer> xs) { List<Integer> out = new ArrayList<>(xs); "
        "Collections.sort(out); return out; }\n"
        '    public String name() { return "bob"; }\n'
        "    public Optional<Integer> first(List<Integer> xs) { return xs.stream().findFirst(); }\n}\n",
        junit(
            "assertEquals(s.sorted(List.of(3, 1)), List.of(1, 3));",
            'assertEquals(s.name(), "bob");',
            "assertEquals(s.first(List.of()), Optional.empty());",
            "assertTrue(s.sorted(List.of(2, 1)).equals(Arrays.asList(1, 2)));",
        ),
    ),
}


CHEATS = {("cpp", name): case for name, case in CPP_CHEATS.items()}
CHEATS.update({("rust", name): case for name, case in RUST_CHEATS.items()})
CHEATS.update({("java", name): case for name, case in JAVA_CHEATS.items()})
HONEST = {("cpp", name): case for name, case in CPP_HONEST.items()}
HONEST.update({("rust", name): case for name, case in RUST_HONEST.items()})
HONEST.update({("java", name): case for name, case in JAVA_HONEST.items()})


@pytest.fixture(scope="module")
def verdicts(backend_name: str) -> dict:
    return verdicts_of(backend_name, {**CHEATS, **HONEST})


@pytest.mark.parametrize("key", sorted(CHEATS), ids="-".join)
def test_a_value_equal_to_everything_fails_the_test(verdicts, key):
    assert_equals_everything(verdicts[key])


@pytest.mark.parametrize("key", sorted(HONEST), ids="-".join)
def test_real_comparisons_pass(verdicts, key):
    verdict = verdicts[key]
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.feedback)


@pytest.fixture(scope="module")
def overload_verdicts(backend_name: str) -> dict:
    return verdicts_of(
        backend_name, {("java", name): case for name, case in JAVA_OVERLOADS.items()}
    )


@pytest.mark.parametrize("name", sorted(JAVA_OVERLOADS))
def test_a_java_equals_that_overrides_nothing_is_rejected_at_compile(overload_verdicts, name):
    verdict = overload_verdicts["java", name]
    assert not verdict.passed and verdict.stage == "compile", (verdict.stage, verdict.reason)
    assert "does not override Object.equals(Object)" in verdict.reason, verdict.reason
    (message,) = verdict.lint
    assert (message.code, message.file, message.rejects) == (
        "equals-overload",
        "Solution.java",
        True,
    )
    line = JAVA_OVERLOADS[name][0].splitlines()[message.line - 1]
    assert line[message.column - 1 :].startswith("equals("), (line, message.column)


@pytest.mark.parametrize(
    "language, name",
    [("cpp", "template_operator"), ("rust", "generic_partial_eq"), ("java", "an_anonymous_list")],
)
def test_with_every_check_on_it_is_a_test_failure_not_weak_tests(full_verifier, language, name):
    solution, tests = CHEATS[language, name]
    sample = Sample(solution=solution, tests=tests, language=language)
    (verdict,) = full_verifier.verify([sample])
    assert_equals_everything(verdict)
