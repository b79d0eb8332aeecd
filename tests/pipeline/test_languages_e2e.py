"""`assay run --language L` (JavaScript, C++, TypeScript, PHP, Go, Rust, Java) end to end with
the scripted teacher: a right answer is accepted first try; a wrong one is fixed after the
verifier's feedback (a failing test, a compile error, an undefined name) and accepted in round 1.
Skipped with "language not available" where the language or its toolchain is missing.

The answers follow the conventions the sandbox teaches:
- JavaScript: `solution.js`, a CommonJS module (`module.exports = {...}`); tests `solution.test.js`
  with `node:test` and `node:assert/strict`, importing `require("./solution.js")`.
- C++: `solution.hpp` with the functions; tests `test_solution.cpp` with doctest (`TEST_CASE`,
  `CHECK`), including `<doctest/doctest.h>` and `"solution.hpp"`.
- TypeScript: `solution.ts` exporting its functions; tests `solution.test.ts` with `node:test`
  and `node:assert/strict`, importing `from "./solution"`; a type error is a `compile` rejection.
- PHP: `solution.php` with the functions; tests `SolutionTest.php`, a PHPUnit `TestCase` that
  does `require_once __DIR__ . '/solution.php'`.
- Go: `solution.go` and `solution_test.go`, both `package solution`, `func TestXxx(t *testing.T)`.
- Rust: `solution.rs` with the functions; tests `tests.rs`, a `#[cfg(test)] mod tests` with
  `use super::*;` and `#[test]` functions.
- Java: `Solution.java` with `class Solution` and public instance methods; tests
  `SolutionTest.java` with JUnit 5 (`@Test`, `Assertions.*`) calling `new Solution()`.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from pipeline.cli import main
from pipeline.jsonl import iter_jsonl
from pipeline.store import RunStore
from sandbox import VerifyOptions
from sandbox.languages import lookup
from tests.pipeline import scenarios


def answer(fence: str, solution: str, tests: str, prose: str = "Here is my answer.") -> str:
    return f"{prose}\n\n```{fence}\n{solution.strip()}\n```\n\n```{fence}\n{tests.strip()}\n```\n"


# --- JavaScript ----------------------------------------------------------------------------------

JS_ADD = """
// Numbers add directly; no coercion is needed for number inputs.
function add(a, b) {
  return a + b;
}

module.exports = { add };
"""
JS_ADD_TESTS = """
const test = require("node:test");
const assert = require("node:assert/strict");
const { add } = require("./solution.js");

test("adds two numbers", () => {
  assert.equal(add(2, 3), 5);
  assert.equal(add(-1, 1), 0);
});
"""
JS_RUNNING_SUM_WRONG = """
// Prefix sums of xs.
function runningSum(xs) {
  let total = 1; // off by one: the bug the test feedback must show
  return xs.map((x) => (total += x));
}

module.exports = { runningSum };
"""
JS_RUNNING_SUM = JS_RUNNING_SUM_WRONG.replace("let total = 1; // off by one: the bug the test feedback must show", "let total = 0;")  # fmt: skip
JS_RUNNING_SUM_TESTS = """
const test = require("node:test");
const assert = require("node:assert/strict");
const { runningSum } = require("./solution.js");

test("prefix sums", () => {
  assert.deepEqual(runningSum([1, 2, 3]), [1, 3, 6]);
  assert.deepEqual(runningSum([]), []);
});
"""
JS_VOWELS_UNDEFINED = """
// Counts the vowels of text.
function countVowels(text) {
  return [...text.toLowerCase()].filter((ch) => VOWELS.has(ch)).length;
}

module.exports = { countVowels };
"""
JS_VOWELS = 'const VOWELS = new Set("aeiou");\n' + JS_VOWELS_UNDEFINED
JS_VOWELS_TESTS = """
const test = require("node:test");
const assert = require("node:assert/strict");
const { countVowels } = require("./solution.js");

test("counts vowels", () => {
  assert.equal(countVowels("banana"), 3);
  assert.equal(countVowels("xyz"), 0);
});
"""

# --- C++ -----------------------------------------------------------------------------------------

CPP_ADD = """
#pragma once

// Integer addition; the tests stay far from overflow.
inline int add(int a, int b) { return a + b; }
"""
CPP_ADD_TESTS = """
#include <doctest/doctest.h>

#include "solution.hpp"

TEST_CASE("adds two numbers") {
    CHECK(add(2, 3) == 5);
    CHECK(add(-1, 1) == 0);
}
"""
CPP_RUNNING_SUM_WRONG = """
#pragma once
#include <vector>

// Prefix sums of xs.
inline std::vector<int> running_sum(const std::vector<int>& xs) {
    std::vector<int> out;
    int total = 1;  // off by one: the bug the test feedback must show
    for (int x : xs) {
        total += x;
        out.push_back(total);
    }
    return out;
}
"""
CPP_RUNNING_SUM = CPP_RUNNING_SUM_WRONG.replace("int total = 1;  // off by one: the bug the test feedback must show", "int total = 0;")  # fmt: skip
CPP_RUNNING_SUM_TESTS = """
#include <doctest/doctest.h>

#include <vector>

#include "solution.hpp"

TEST_CASE("prefix sums") {
    CHECK(running_sum({1, 2, 3}) == std::vector<int>{1, 3, 6});
    CHECK(running_sum({}).empty());
}
"""
CPP_GCD_NO_COMPILE = """
#pragma once

// Greatest common divisor (Euclid).
inline int gcd(int a, int b) {
    while (b != 0) {
        int r = a % b;
        a = b;
        b = leftover;  // not declared: the compiler's error must reach the teacher
    }
    return a < 0 ? -a : a;
}
"""
CPP_GCD = CPP_GCD_NO_COMPILE.replace("b = leftover;  // not declared: the compiler's error must reach the teacher", "b = r;")  # fmt: skip
CPP_GCD_TESTS = """
#include <doctest/doctest.h>

#include "solution.hpp"

TEST_CASE("gcd") {
    CHECK(gcd(12, 18) == 6);
    CHECK(gcd(7, 0) == 7);
}
"""

# --- TypeScript ----------------------------------------------------------------------------------

TS_ADD = """
// Numbers add directly; the types keep strings out.
export function add(a: number, b: number): number {
  return a + b;
}
"""
TS_ADD_TESTS = """
import { test } from "node:test";
import assert from "node:assert/strict";
import { add } from "./solution";

test("adds two numbers", () => {
  assert.equal(add(2, 3), 5);
  assert.equal(add(-1, 1), 0);
});
"""
TS_RUNNING_SUM_WRONG = """
// Prefix sums of xs.
export function runningSum(xs: number[]): number[] {
  let total = 1; // off by one: the bug the test feedback must show
  return xs.map((x) => (total += x));
}
"""
TS_RUNNING_SUM = TS_RUNNING_SUM_WRONG.replace("let total = 1; // off by one: the bug the test feedback must show", "let total = 0;")  # fmt: skip
TS_RUNNING_SUM_TESTS = """
import { test } from "node:test";
import assert from "node:assert/strict";
import { runningSum } from "./solution";

test("prefix sums", () => {
  assert.deepEqual(runningSum([1, 2, 3]), [1, 3, 6]);
  assert.deepEqual(runningSum([]), []);
});
"""
TS_WORDS_TYPE_ERROR = """
// The words of text, longest first.
export function longestFirst(text: string): string[] {
  const words = text.split(" ").filter((w) => w.length > 0);
  return words.sort((a, b) => b.length - a); // a type error the type checker must report
}
"""
TS_WORDS = TS_WORDS_TYPE_ERROR.replace("b.length - a); // a type error the type checker must report", "b.length - a.length);")  # fmt: skip
TS_WORDS_TESTS = """
import { test } from "node:test";
import assert from "node:assert/strict";
import { longestFirst } from "./solution";

test("longest first", () => {
  assert.deepEqual(longestFirst("a ccc bb"), ["ccc", "bb", "a"]);
  assert.deepEqual(longestFirst(""), []);
});
"""

# --- PHP -----------------------------------------------------------------------------------------

PHP_ADD = """
<?php
declare(strict_types=1);

// Integer addition; strict types keep strings out.
function add(int $a, int $b): int
{
    return $a + $b;
}
"""
PHP_ADD_TESTS = """
<?php
use PHPUnit\\Framework\\TestCase;

require_once __DIR__ . '/solution.php';

final class SolutionTest extends TestCase
{
    public function testAddsTwoNumbers(): void
    {
        $this->assertSame(5, add(2, 3));
        $this->assertSame(0, add(-1, 1));
    }
}
"""
PHP_RUNNING_SUM_WRONG = """
<?php
declare(strict_types=1);

/** Prefix sums of $xs. */
function running_sum(array $xs): array
{
    $total = 1; // off by one: the bug the test feedback must show
    $out = [];
    foreach ($xs as $x) {
        $total += $x;
        $out[] = $total;
    }
    return $out;
}
"""
PHP_RUNNING_SUM = PHP_RUNNING_SUM_WRONG.replace("$total = 1; // off by one: the bug the test feedback must show", "$total = 0;")  # fmt: skip
PHP_RUNNING_SUM_TESTS = """
<?php
use PHPUnit\\Framework\\TestCase;

require_once __DIR__ . '/solution.php';

final class SolutionTest extends TestCase
{
    public function testPrefixSums(): void
    {
        $this->assertSame([1, 3, 6], running_sum([1, 2, 3]));
        $this->assertSame([], running_sum([]));
    }
}
"""
PHP_GCD_SYNTAX_ERROR = """
<?php
declare(strict_types=1);

// Greatest common divisor (Euclid).
function gcd(int $a, int $b): int
{
    while ($b !== 0) {
        [$a, $b] = [$b, $a % $b]  // a missing semicolon: the parser's error must reach the teacher
    }
    return abs($a);
}
"""
PHP_GCD = PHP_GCD_SYNTAX_ERROR.replace("$a % $b]  // a missing semicolon: the parser's error must reach the teacher", "$a % $b];")  # fmt: skip
PHP_GCD_TESTS = """
<?php
use PHPUnit\\Framework\\TestCase;

require_once __DIR__ . '/solution.php';

final class SolutionTest extends TestCase
{
    public function testGcd(): void
    {
        $this->assertSame(6, gcd(12, 18));
        $this->assertSame(7, gcd(7, 0));
    }
}
"""

# --- Go ------------------------------------------------------------------------------------------

GO_ADD = """
package solution

// Add returns the sum of a and b.
func Add(a, b int) int {
	return a + b
}
"""
GO_ADD_TESTS = """
package solution

import "testing"

func TestAdd(t *testing.T) {
	if got := Add(2, 3); got != 5 {
		t.Errorf("Add(2, 3) = %d, want 5", got)
	}
	if got := Add(-1, 1); got != 0 {
		t.Errorf("Add(-1, 1) = %d, want 0", got)
	}
}
"""
GO_RUNNING_SUM_WRONG = """
package solution

// RunningSum returns the prefix sums of xs.
func RunningSum(xs []int) []int {
	out := []int{}
	total := 1 // off by one: the bug the test feedback must show
	for _, x := range xs {
		total += x
		out = append(out, total)
	}
	return out
}
"""
GO_RUNNING_SUM = GO_RUNNING_SUM_WRONG.replace("total := 1 // off by one: the bug the test feedback must show", "total := 0")  # fmt: skip
GO_RUNNING_SUM_TESTS = """
package solution

import (
	"reflect"
	"testing"
)

func TestRunningSum(t *testing.T) {
	if got := RunningSum([]int{1, 2, 3}); !reflect.DeepEqual(got, []int{1, 3, 6}) {
		t.Errorf("RunningSum([1 2 3]) = %v, want [1 3 6]", got)
	}
	if got := RunningSum(nil); len(got) != 0 {
		t.Errorf("RunningSum(nil) = %v, want []", got)
	}
}
"""
GO_GCD_NO_COMPILE = """
package solution

// Gcd is the greatest common divisor (Euclid).
func Gcd(a, b int) int {
	for b != 0 {
		r := a % b
		a = b
		b = leftover // not declared: the compiler's error must reach the teacher
	}
	if a < 0 {
		return -a
	}
	return a
}
"""
GO_GCD = GO_GCD_NO_COMPILE.replace("b = leftover // not declared: the compiler's error must reach the teacher", "b = r")  # fmt: skip
GO_GCD_TESTS = """
package solution

import "testing"

func TestGcd(t *testing.T) {
	if got := Gcd(12, 18); got != 6 {
		t.Errorf("Gcd(12, 18) = %d, want 6", got)
	}
	if got := Gcd(7, 0); got != 7 {
		t.Errorf("Gcd(7, 0) = %d, want 7", got)
	}
}
"""

# --- Rust ----------------------------------------------------------------------------------------

RS_ADD = """
/// The sum of a and b; the tests stay far from overflow.
pub fn add(a: i64, b: i64) -> i64 {
    a + b
}
"""
RS_ADD_TESTS = """
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_two_numbers() {
        assert_eq!(add(2, 3), 5);
        assert_eq!(add(-1, 1), 0);
    }
}
"""
RS_RUNNING_SUM_WRONG = """
/// The prefix sums of xs.
pub fn running_sum(xs: &[i64]) -> Vec<i64> {
    let mut total = 1; // off by one: the bug the test feedback must show
    xs.iter()
        .map(|x| {
            total += x;
            total
        })
        .collect()
}
"""
RS_RUNNING_SUM = RS_RUNNING_SUM_WRONG.replace("let mut total = 1; // off by one: the bug the test feedback must show", "let mut total = 0;")  # fmt: skip
RS_RUNNING_SUM_TESTS = """
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_sums() {
        assert_eq!(running_sum(&[1, 2, 3]), vec![1, 3, 6]);
        assert!(running_sum(&[]).is_empty());
    }
}
"""
RS_GCD_NO_COMPILE = """
/// The greatest common divisor (Euclid).
pub fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        let r = a % b;
        a = b;
        b = leftover; // not declared: the compiler's error must reach the teacher
    }
    a.abs()
}
"""
RS_GCD = RS_GCD_NO_COMPILE.replace("b = leftover; // not declared: the compiler's error must reach the teacher", "b = r;")  # fmt: skip
RS_GCD_TESTS = """
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcd_of_examples() {
        assert_eq!(gcd(12, 18), 6);
        assert_eq!(gcd(7, 0), 7);
    }
}
"""

# --- Java ----------------------------------------------------------------------------------------

JAVA_ADD = """
class Solution {
    // Integer addition; the tests stay far from overflow.
    public int add(int a, int b) {
        return a + b;
    }
}
"""
JAVA_ADD_TESTS = """
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.*;

class SolutionTest {
    @Test
    void addsTwoNumbers() {
        assertEquals(5, new Solution().add(2, 3));
        assertEquals(0, new Solution().add(-1, 1));
    }
}
"""
JAVA_RUNNING_SUM_WRONG = """
import java.util.*;

class Solution {
    // Prefix sums of xs.
    public List<Integer> runningSum(List<Integer> xs) {
        List<Integer> out = new ArrayList<>();
        int total = 1; // off by one: the bug the test feedback must show
        for (int x : xs) {
            total += x;
            out.add(total);
        }
        return out;
    }
}
"""
JAVA_RUNNING_SUM = JAVA_RUNNING_SUM_WRONG.replace("int total = 1; // off by one: the bug the test feedback must show", "int total = 0;")  # fmt: skip
JAVA_RUNNING_SUM_TESTS = """
import java.util.*;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.*;

class SolutionTest {
    @Test
    void prefixSums() {
        assertEquals(List.of(1, 3, 6), new Solution().runningSum(List.of(1, 2, 3)));
        assertTrue(new Solution().runningSum(List.of()).isEmpty());
    }
}
"""
JAVA_GCD_NO_COMPILE = """
class Solution {
    // Greatest common divisor (Euclid).
    public int gcd(int a, int b) {
        while (b != 0) {
            int r = a % b;
            a = b;
            b = leftover; // not declared: the compiler's error must reach the teacher
        }
        return Math.abs(a);
    }
}
"""
JAVA_GCD = JAVA_GCD_NO_COMPILE.replace("b = leftover; // not declared: the compiler's error must reach the teacher", "b = r;")  # fmt: skip
JAVA_GCD_TESTS = """
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.*;

class SolutionTest {
    @Test
    void gcd() {
        assertEquals(6, new Solution().gcd(12, 18));
        assertEquals(7, new Solution().gcd(7, 0));
    }
}
"""

# scenario -> the solution and tests of each round
SCENARIOS: dict[str, list[tuple[str, str]]] = {
    "js_right": [(JS_ADD, JS_ADD_TESTS)],
    "js_wrong_value": [
        (JS_RUNNING_SUM_WRONG, JS_RUNNING_SUM_TESTS),
        (JS_RUNNING_SUM, JS_RUNNING_SUM_TESTS),
    ],  # fmt: skip
    "js_undefined_name": [(JS_VOWELS_UNDEFINED, JS_VOWELS_TESTS), (JS_VOWELS, JS_VOWELS_TESTS)],
    "cpp_right": [(CPP_ADD, CPP_ADD_TESTS)],
    "cpp_wrong_value": [
        (CPP_RUNNING_SUM_WRONG, CPP_RUNNING_SUM_TESTS),
        (CPP_RUNNING_SUM, CPP_RUNNING_SUM_TESTS),
    ],  # fmt: skip
    "cpp_compile_error": [(CPP_GCD_NO_COMPILE, CPP_GCD_TESTS), (CPP_GCD, CPP_GCD_TESTS)],
    "ts_right": [(TS_ADD, TS_ADD_TESTS)],
    "ts_wrong_value": [
        (TS_RUNNING_SUM_WRONG, TS_RUNNING_SUM_TESTS),
        (TS_RUNNING_SUM, TS_RUNNING_SUM_TESTS),
    ],  # fmt: skip
    "ts_type_error": [(TS_WORDS_TYPE_ERROR, TS_WORDS_TESTS), (TS_WORDS, TS_WORDS_TESTS)],
    "php_right": [(PHP_ADD, PHP_ADD_TESTS)],
    "php_wrong_value": [
        (PHP_RUNNING_SUM_WRONG, PHP_RUNNING_SUM_TESTS),
        (PHP_RUNNING_SUM, PHP_RUNNING_SUM_TESTS),
    ],  # fmt: skip
    "php_syntax_error": [(PHP_GCD_SYNTAX_ERROR, PHP_GCD_TESTS), (PHP_GCD, PHP_GCD_TESTS)],
    "go_right": [(GO_ADD, GO_ADD_TESTS)],
    "go_wrong_value": [
        (GO_RUNNING_SUM_WRONG, GO_RUNNING_SUM_TESTS),
        (GO_RUNNING_SUM, GO_RUNNING_SUM_TESTS),
    ],  # fmt: skip
    "go_compile_error": [(GO_GCD_NO_COMPILE, GO_GCD_TESTS), (GO_GCD, GO_GCD_TESTS)],
    "rs_right": [(RS_ADD, RS_ADD_TESTS)],
    "rs_wrong_value": [
        (RS_RUNNING_SUM_WRONG, RS_RUNNING_SUM_TESTS),
        (RS_RUNNING_SUM, RS_RUNNING_SUM_TESTS),
    ],  # fmt: skip
    "rs_compile_error": [(RS_GCD_NO_COMPILE, RS_GCD_TESTS), (RS_GCD, RS_GCD_TESTS)],
    "java_right": [(JAVA_ADD, JAVA_ADD_TESTS)],
    "java_wrong_value": [
        (JAVA_RUNNING_SUM_WRONG, JAVA_RUNNING_SUM_TESTS),
        (JAVA_RUNNING_SUM, JAVA_RUNNING_SUM_TESTS),
    ],  # fmt: skip
    "java_compile_error": [(JAVA_GCD_NO_COMPILE, JAVA_GCD_TESTS), (JAVA_GCD, JAVA_GCD_TESTS)],
}
# language -> (scenario, the stage of its first attempt)
RUNS = {
    "javascript": [
        ("js_right", "passed"),
        ("js_wrong_value", "tests"),
        ("js_undefined_name", {"lint", "syntax", "compile"}),
    ],
    "cpp": [
        ("cpp_right", "passed"),
        ("cpp_wrong_value", "tests"),
        ("cpp_compile_error", {"compile", "syntax"}),
    ],
    "typescript": [
        ("ts_right", "passed"),
        ("ts_wrong_value", "tests"),
        ("ts_type_error", "compile"),
    ],
    "php": [
        ("php_right", "passed"),
        ("php_wrong_value", "tests"),
        ("php_syntax_error", "syntax"),
    ],
    "go": [
        ("go_right", "passed"),
        ("go_wrong_value", "tests"),
        ("go_compile_error", "compile"),
    ],
    "rust": [
        ("rs_right", "passed"),
        ("rs_wrong_value", "tests"),
        ("rs_compile_error", "compile"),
    ],
    "java": [
        ("java_right", "passed"),
        ("java_wrong_value", "tests"),
        ("java_compile_error", "compile"),
    ],
}


def teacher(messages: list[dict[str, str]]) -> str:
    """The problem for a problem prompt; else this scenario's answer for the round, in the fence
    the solve prompt asks for."""
    first = messages[0]["content"]
    name = scenarios.MARKER.search(first).group(1)
    if "programming problem inspired by this snippet" in first:
        return scenarios.problem_text(name)
    fence = re.search(r"two ```([\w+#-]+) code blocks", first).group(1)
    rounds = SCENARIOS[name]
    done = sum(1 for m in messages if m["role"] == "assistant")
    return answer(fence, *rounds[min(done, len(rounds) - 1)])


def unavailable(language: str) -> str | None:
    try:
        cls = lookup(language)
    except Exception as exc:  # unknown, or its module is not there yet
        return f"language not available: {exc}"
    missing = cls(VerifyOptions()).unavailable()
    return f"language not available: {missing}" if missing else None


@pytest.fixture(scope="module", params=list(RUNS))
def finished(request, tmp_path_factory):
    language = request.param
    reason = unavailable(language)
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp(language)
    names = [name for name, _ in RUNS[language]]
    seeds = scenarios.write_seeds(str(root / "seeds.jsonl"), names)
    run_dir = str(root / "run")
    status = main(
        ["run", "--language", language, "--generator", "scripted", "--model", f"{__name__}:teacher",
         "--seeds", seeds, "--problems", str(len(names)), "--max-revisions", "1",
         "--run-dir", run_dir, "--no-progress", "--json", "--jobs", "2", "--timeout", "20"]
    )  # fmt: skip
    assert status == 0
    with RunStore.open_readonly(run_dir) as store:
        problems = {p.problem.split("]")[0].removeprefix("[scenario "): p for p in store.iter_problems()}  # fmt: skip
    corpus = [r for p in sorted(os.listdir(f"{run_dir}/corpus")) for r in iter_jsonl(f"{run_dir}/corpus/{p}")]  # fmt: skip
    return {"language": language, "run_dir": run_dir, "problems": problems, "corpus": corpus}


def test_right_answers_pass_and_wrong_ones_are_fixed_after_feedback(finished):
    for name, first_stage in RUNS[finished["language"]]:
        problem = finished["problems"][name]
        assert problem.language == finished["language"]
        assert problem.status == "accepted", (name, [(a.stage, a.reason) for a in problem.trail])
        stages = [a.stage for a in problem.trail]
        if first_stage == "passed":
            assert stages == ["passed"]
            continue
        assert stages[1:] == ["passed"]
        expected = first_stage if isinstance(first_stage, set) else {first_stage}
        assert stages[0] in expected, (name, problem.trail[0].reason)
        # The revision prompt quoted the verifier's feedback, whole.
        feedback = problem.trail[0].feedback.strip()
        assert feedback and feedback in problem.trail[1].prompt


def test_corpus_and_report_carry_the_language(finished, capsys):
    language = finished["language"]
    fence = lookup(language).fences[0]
    assert len(finished["corpus"]) == len(RUNS[language])
    for record in finished["corpus"]:
        assert record["language"] == language
        assert record["messages"][1]["content"].startswith(f"```{fence}\n")
    capsys.readouterr()
    assert main(["report", finished["run_dir"], "--json"]) == 0
    by_language = json.loads(capsys.readouterr().out)["by_language"]
    assert list(by_language) == [language]
    assert by_language[language]["accepted"] == len(RUNS[language])
