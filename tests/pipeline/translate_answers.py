"""The scripted translator's answers: language -> scenario -> [(solution, tests or None), ...] by
round. Mechanical scenarios answer the solution only (the tests are assay's); `clamp` and
`clamp_weak` answer both. Layouts as each language's conventions say (snake is Python)."""

from __future__ import annotations

FENCES = {
    "snake": "snake",
    "javascript": "javascript",
    "cpp": "cpp",
    "typescript": "typescript",
    "php": "php",
    "go": "go",
}

# --- snake (Python under another name) -----------------------------------------------------------
PY_CLAMP = (
    "def clamp(x: int, lo: int, hi: int) -> int:\n    if lo > hi:\n"
    '        raise ValueError("empty range")\n    return max(lo, min(x, hi))\n'
)
PY_CLAMP_TESTS = (
    "import pytest\n\nfrom solution import clamp\n\n\ndef test_clamp():\n"
    "    assert clamp(5, 0, 3) == 3\n    assert clamp(-1, 0, 3) == 0\n"
    "    assert clamp(2, 0, 3) == 2\n    with pytest.raises(ValueError):\n        clamp(1, 3, 0)\n"
)
PY_CLAMP_WEAK = (
    "from solution import clamp\n\n\ndef test_clamp():\n    assert clamp(5, 0, 3) == 3\n"
)
SNAKE = {
    "add": [("def add(a: int, b: int) -> int:\n    return a + b\n", None)],
    "running_sum": [
        (
            "def running_sum(xs: list[int]) -> list[int]:\n    out, total = [], 1\n"
            "    for x in xs:\n        total += x\n        out.append(total)\n    return out\n",
            None,
        ),
        (
            "def running_sum(xs: list[int]) -> list[int]:\n    out, total = [], 0\n"
            "    for x in xs:\n        total += x\n        out.append(total)\n    return out\n",
            None,
        ),
    ],
    "count_vowels": [
        (
            "def count_vowels(text: str) -> int:\n"
            "    return sum(1 for ch in text.lower() if ch in VOWELS)\n",
            None,
        ),
        (
            'VOWELS = "aeiou"\n\n\ndef count_vowels(text: str) -> int:\n'
            "    return sum(1 for ch in text.lower() if ch in VOWELS)\n",
            None,
        ),
    ],
    "clamp": [(PY_CLAMP, PY_CLAMP_WEAK), (PY_CLAMP, PY_CLAMP_TESTS)],
    "clamp_weak": [(PY_CLAMP, PY_CLAMP_WEAK)],
}

# --- JavaScript ----------------------------------------------------------------------------------
JS_CLAMP = """
// Clamps x into [lo, hi]; an empty range is an error.
function clamp(x, lo, hi) {
  if (lo > hi) {
    throw new RangeError("empty range");
  }
  return Math.max(lo, Math.min(x, hi));
}

module.exports = { clamp };
"""
JS_HEAD = """
const { test } = require("node:test");
const assert = require("node:assert/strict");
const { clamp } = require("./solution.js");
"""
JS_CLAMP_TESTS = (
    JS_HEAD
    + """
test("clamps", () => {
  assert.equal(clamp(5, 0, 3), 3);
  assert.equal(clamp(-1, 0, 3), 0);
  assert.equal(clamp(2, 0, 3), 2);
  assert.throws(() => clamp(1, 3, 0), RangeError);
});
"""
)
JS_CLAMP_WEAK = (
    JS_HEAD
    + """
test("clamps", () => {
  assert.equal(clamp(5, 0, 3), 3);
});
"""
)
JS_RUNNING_SUM = """
// Prefix sums of xs.
function runningSum(xs) {
  let total = START;
  return xs.map((x) => (total += x));
}

module.exports = { runningSum };
"""
JS_VOWELS = """
// Counts the vowels of text.
function countVowels(text) {
  return [...text.toLowerCase()].filter((ch) => VOWELS.includes(ch)).length;
}

module.exports = { countVowels };
"""
JAVASCRIPT = {
    "add": [
        (
            "// The sum.\nfunction add(a, b) {\n  return a + b;\n}\n\nmodule.exports = { add };\n",
            None,
        )
    ],
    "running_sum": [
        (JS_RUNNING_SUM.replace("START", "1"), None),
        (JS_RUNNING_SUM.replace("START", "0"), None),
    ],
    "count_vowels": [
        (JS_VOWELS, None),
        ('const VOWELS = "aeiou";\n' + JS_VOWELS, None),
    ],
    "clamp": [(JS_CLAMP, JS_CLAMP_WEAK), (JS_CLAMP, JS_CLAMP_TESTS)],
    "clamp_weak": [(JS_CLAMP, JS_CLAMP_WEAK)],
}

# --- C++ -----------------------------------------------------------------------------------------
CPP_CLAMP = """
#pragma once
#include <algorithm>
#include <stdexcept>

// Clamps x into [lo, hi]; an empty range is an error.
inline long long clamp(long long x, long long lo, long long hi) {
    if (lo > hi) {
        throw std::invalid_argument("empty range");
    }
    return std::max(lo, std::min(x, hi));
}
"""
CPP_HEAD = '#include "solution.hpp"\n#include <doctest/doctest.h>\n'
CPP_CLAMP_TESTS = (
    CPP_HEAD
    + """
TEST_CASE("clamps") {
    CHECK(clamp(5, 0, 3) == 3);
    CHECK(clamp(-1, 0, 3) == 0);
    CHECK(clamp(2, 0, 3) == 2);
    CHECK_THROWS_AS(clamp(1, 3, 0), std::invalid_argument);
}
"""
)
CPP_CLAMP_WEAK = (
    CPP_HEAD
    + """
TEST_CASE("clamps") {
    CHECK(clamp(5, 0, 3) == 3);
}
"""
)
CPP_RUNNING_SUM = """
#pragma once
#include <vector>

// Prefix sums of xs.
inline std::vector<long long> running_sum(std::vector<long long> xs) {
    long long total = START;
    std::vector<long long> out;
    for (long long x : xs) {
        total += x;
        out.push_back(total);
    }
    return out;
}
"""
CPP_VOWELS = """
#pragma once
#include <cctype>
#include <string>

// Counts the vowels of text.
inline long long count_vowels(std::string text) {
    long long n = 0;
    for (char ch : text) {
        if (VOWELS.find(static_cast<char>(std::tolower(static_cast<unsigned char>(ch)))) != std::string::npos) {
            ++n;
        }
    }
    return n;
}
"""
CPP = {
    "add": [
        ("#pragma once\n\ninline long long add(long long a, long long b) { return a + b; }\n", None)
    ],
    "running_sum": [
        (CPP_RUNNING_SUM.replace("START", "1"), None),
        (CPP_RUNNING_SUM.replace("START", "0"), None),
    ],
    "count_vowels": [
        (CPP_VOWELS, None),
        (
            CPP_VOWELS.replace(
                "// Counts", 'static const std::string VOWELS = "aeiou";\n\n// Counts'
            ),
            None,
        ),
    ],
    "clamp": [(CPP_CLAMP, CPP_CLAMP_WEAK), (CPP_CLAMP, CPP_CLAMP_TESTS)],
    "clamp_weak": [(CPP_CLAMP, CPP_CLAMP_WEAK)],
}

# --- TypeScript, PHP, Go (run when those languages are in the sandbox) ---------------------------
TS_CLAMP = """
// Clamps x into [lo, hi]; an empty range is an error.
export function clamp(x: number, lo: number, hi: number): number {
  if (lo > hi) {
    throw new RangeError("empty range");
  }
  return Math.max(lo, Math.min(x, hi));
}
"""
TS_HEAD = 'import { test } from "node:test";\nimport { strict as assert } from "node:assert";\nimport { clamp } from "./solution";\n'
TS_RUNNING_SUM = """
// Prefix sums of xs.
export function runningSum(xs: number[]): number[] {
  let total = START;
  return xs.map((x) => (total += x));
}
"""
TS_VOWELS = """
// Counts the vowels of text.
export function countVowels(text: string): number {
  return [...text.toLowerCase()].filter((ch) => VOWELS.includes(ch)).length;
}
"""
TYPESCRIPT = {
    "add": [("export function add(a: number, b: number): number {\n  return a + b;\n}\n", None)],
    "running_sum": [
        (TS_RUNNING_SUM.replace("START", "1"), None),
        (TS_RUNNING_SUM.replace("START", "0"), None),
    ],
    "count_vowels": [(TS_VOWELS, None), ('const VOWELS = "aeiou";\n' + TS_VOWELS, None)],
    "clamp": [
        (TS_CLAMP, TS_HEAD + JS_CLAMP_WEAK[len(JS_HEAD) :]),
        (TS_CLAMP, TS_HEAD + JS_CLAMP_TESTS[len(JS_HEAD) :]),
    ],
    "clamp_weak": [(TS_CLAMP, TS_HEAD + JS_CLAMP_WEAK[len(JS_HEAD) :])],
}

PHP_CLAMP = """<?php
// Clamps $x into [$lo, $hi]; an empty range is an error.
function clamp(int $x, int $lo, int $hi): int
{
    if ($lo > $hi) {
        throw new InvalidArgumentException("empty range");
    }
    return max($lo, min($x, $hi));
}
"""
PHP_HEAD = "<?php\n\nuse PHPUnit\\Framework\\TestCase;\n\nrequire_once __DIR__ . '/solution.php';\n"
PHP_CLAMP_TESTS = (
    PHP_HEAD
    + """
final class SolutionTest extends TestCase
{
    public function testClamps(): void
    {
        $this->assertSame(3, clamp(5, 0, 3));
        $this->assertSame(0, clamp(-1, 0, 3));
        $this->assertSame(2, clamp(2, 0, 3));
        $this->expectException(InvalidArgumentException::class);
        clamp(1, 3, 0);
    }
}
"""
)
PHP_CLAMP_WEAK = (
    PHP_HEAD
    + """
final class SolutionTest extends TestCase
{
    public function testClamps(): void
    {
        $this->assertSame(3, clamp(5, 0, 3));
    }
}
"""
)
PHP_RUNNING_SUM = """<?php
// Prefix sums of $xs.
function running_sum(array $xs): array
{
    $total = START;
    $out = [];
    foreach ($xs as $x) {
        $total += $x;
        $out[] = $total;
    }
    return $out;
}
"""
PHP_VOWELS = """<?php
// Counts the vowels of $text.
function count_vowels(string $text): int
{
    return preg_match_all('/[' . VOWELS . ']/', strtolower($text));
}
"""
PHP = {
    "add": [("<?php\nfunction add(int $a, int $b): int\n{\n    return $a + $b;\n}\n", None)],
    "running_sum": [
        (PHP_RUNNING_SUM.replace("START", "1"), None),
        (PHP_RUNNING_SUM.replace("START", "0"), None),
    ],
    "count_vowels": [
        (PHP_VOWELS, None),
        (PHP_VOWELS.replace("<?php\n", "<?php\nconst VOWELS = 'aeiou';\n"), None),
    ],
    "clamp": [(PHP_CLAMP, PHP_CLAMP_WEAK), (PHP_CLAMP, PHP_CLAMP_TESTS)],
    "clamp_weak": [(PHP_CLAMP, PHP_CLAMP_WEAK)],
}

GO_CLAMP = """
package solution

import "errors"

// Clamp clamps x into [lo, hi]; an empty range is an error.
func Clamp(x, lo, hi int) (int, error) {
	if lo > hi {
		return 0, errors.New("empty range")
	}
	return max(lo, min(x, hi)), nil
}

func max(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}
"""
GO_CLAMP_TESTS = """
package solution

import "testing"

func TestClamp(t *testing.T) {
	if got, _ := Clamp(5, 0, 3); got != 3 {
		t.Errorf("Clamp(5, 0, 3) = %d, want 3", got)
	}
	if got, _ := Clamp(-1, 0, 3); got != 0 {
		t.Errorf("Clamp(-1, 0, 3) = %d, want 0", got)
	}
	if got, _ := Clamp(2, 0, 3); got != 2 {
		t.Errorf("Clamp(2, 0, 3) = %d, want 2", got)
	}
	if _, err := Clamp(1, 3, 0); err == nil {
		t.Errorf("Clamp(1, 3, 0) gave no error")
	}
}
"""
GO_CLAMP_WEAK = """
package solution

import "testing"

func TestClamp(t *testing.T) {
	if got, _ := Clamp(5, 0, 3); got != 3 {
		t.Errorf("Clamp(5, 0, 3) = %d, want 3", got)
	}
}
"""
GO_RUNNING_SUM = """
package solution

// RunningSum returns the prefix sums of xs.
func RunningSum(xs []int) []int {
	total := START
	out := []int{}
	for _, x := range xs {
		total += x
		out = append(out, total)
	}
	return out
}
"""
GO_VOWELS = """
package solution

import "strings"

// CountVowels counts the vowels of text.
func CountVowels(text string) int {
	n := 0
	for _, ch := range strings.ToLower(text) {
		if strings.ContainsRune(vowels, ch) {
			n++
		}
	}
	return n
}
"""
GO = {
    "add": [
        (
            "package solution\n\n// Add returns a + b.\nfunc Add(a int, b int) int {\n\treturn a + b\n}\n",
            None,
        )
    ],
    "running_sum": [
        (GO_RUNNING_SUM.replace("START", "1"), None),
        (GO_RUNNING_SUM.replace("START", "0"), None),
    ],
    "count_vowels": [
        (GO_VOWELS, None),
        (
            GO_VOWELS.replace('import "strings"\n', 'import "strings"\n\nconst vowels = "aeiou"\n'),
            None,
        ),
    ],
    "clamp": [(GO_CLAMP, GO_CLAMP_WEAK), (GO_CLAMP, GO_CLAMP_TESTS)],
    "clamp_weak": [(GO_CLAMP, GO_CLAMP_WEAK)],
}

ANSWERS = {
    "snake": SNAKE,
    "javascript": JAVASCRIPT,
    "cpp": CPP,
    "typescript": TYPESCRIPT,
    "php": PHP,
    "go": GO,
}
