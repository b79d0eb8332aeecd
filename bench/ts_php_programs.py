"""Twelve HumanEval problems translated by hand into TypeScript and PHP, for
bench/ts_php_throughput.py (HumanEval-X has neither language).

Each translation keeps HumanEval's function (camelCase in TypeScript, snake_case in PHP), its
canonical solution's algorithm, and its `check` asserts as tests in assay's layout: `node:test`
with `node:assert/strict` (solution.ts, solution.test.ts), PHPUnit 9 (solution.php,
SolutionTest.php). The problems are HumanEval/0, 2, 3, 4, 7, 12, 13, 23, 27, 34, 35 and 48.
"""

from __future__ import annotations

TS_HEAD = 'import { test } from "node:test";\nimport assert from "node:assert/strict";\n'
PHP_HEAD = (
    "<?php\nuse PHPUnit\\Framework\\TestCase;\n\nrequire_once __DIR__ . '/solution.php';\n\n"
    "final class SolutionTest extends TestCase\n{\n"
)


def ts(function: str, solution: str, asserts: str) -> tuple[str, str]:
    tests = (
        TS_HEAD
        + f'import {{ {function} }} from "./solution";\n\ntest("{function}", () => {{\n'
        + "".join(f"  {line}\n" for line in asserts.strip().splitlines())
        + "});\n"
    )
    return solution.strip() + "\n", tests


def php(function: str, solution: str, asserts: str) -> tuple[str, str]:
    tests = (
        PHP_HEAD
        + f"    public function test_{function}(): void\n    {{\n"
        + "".join(f"        {line}\n" for line in asserts.strip().splitlines())
        + "    }\n}\n"
    )
    return "<?php\n" + solution.strip() + "\n", tests


PROGRAMS: list[dict[str, tuple[str, str] | str]] = [
    {
        "task": "HumanEval/0",
        "typescript": ts(
            "hasCloseElements",
            """
export function hasCloseElements(numbers: number[], threshold: number): boolean {
  for (let i = 0; i < numbers.length; i++) {
    for (let j = 0; j < numbers.length; j++) {
      if (i !== j && Math.abs(numbers[i] - numbers[j]) < threshold) return true;
    }
  }
  return false;
}
""",
            """
assert.equal(hasCloseElements([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3), true);
assert.equal(hasCloseElements([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.05), false);
assert.equal(hasCloseElements([1.0, 2.0, 5.9, 4.0, 5.0], 0.95), true);
assert.equal(hasCloseElements([1.0, 2.0, 5.9, 4.0, 5.0], 0.8), false);
assert.equal(hasCloseElements([1.1, 2.2, 3.1, 4.1, 5.1], 1.0), true);
assert.equal(hasCloseElements([1.1, 2.2, 3.1, 4.1, 5.1], 0.5), false);
""",
        ),
        "php": php(
            "has_close_elements",
            """
function has_close_elements(array $numbers, float $threshold): bool
{
    foreach ($numbers as $i => $a) {
        foreach ($numbers as $j => $b) {
            if ($i !== $j && abs($a - $b) < $threshold) {
                return true;
            }
        }
    }
    return false;
}
""",
            """
$this->assertTrue(has_close_elements([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3));
$this->assertFalse(has_close_elements([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.05));
$this->assertTrue(has_close_elements([1.0, 2.0, 5.9, 4.0, 5.0], 0.95));
$this->assertFalse(has_close_elements([1.0, 2.0, 5.9, 4.0, 5.0], 0.8));
$this->assertTrue(has_close_elements([1.1, 2.2, 3.1, 4.1, 5.1], 1.0));
$this->assertFalse(has_close_elements([1.1, 2.2, 3.1, 4.1, 5.1], 0.5));
""",
        ),
    },
    {
        "task": "HumanEval/2",
        "typescript": ts(
            "truncateNumber",
            """
export function truncateNumber(value: number): number {
  return value % 1.0;
}
""",
            """
assert.equal(truncateNumber(3.5), 0.5);
assert.ok(Math.abs(truncateNumber(1.33) - 0.33) < 1e-6);
assert.ok(Math.abs(truncateNumber(123.456) - 0.456) < 1e-6);
""",
        ),
        "php": php(
            "truncate_number",
            """
function truncate_number(float $value): float
{
    return fmod($value, 1.0);
}
""",
            """
$this->assertSame(0.5, truncate_number(3.5));
$this->assertEqualsWithDelta(0.33, truncate_number(1.33), 1e-6);
$this->assertEqualsWithDelta(0.456, truncate_number(123.456), 1e-6);
""",
        ),
    },
    {
        "task": "HumanEval/3",
        "typescript": ts(
            "belowZero",
            """
export function belowZero(operations: number[]): boolean {
  let balance = 0;
  for (const op of operations) {
    balance += op;
    if (balance < 0) return true;
  }
  return false;
}
""",
            """
assert.equal(belowZero([]), false);
assert.equal(belowZero([1, 2, -3, 1, 2, -3]), false);
assert.equal(belowZero([1, 2, -4, 5, 6]), true);
assert.equal(belowZero([1, -1, 2, -2, 5, -5, 4, -4]), false);
assert.equal(belowZero([1, -1, 2, -2, 5, -5, 4, -5]), true);
assert.equal(belowZero([1, -2, 2, -2, 5, -5, 4, -4]), true);
""",
        ),
        "php": php(
            "below_zero",
            """
function below_zero(array $operations): bool
{
    $balance = 0;
    foreach ($operations as $op) {
        $balance += $op;
        if ($balance < 0) {
            return true;
        }
    }
    return false;
}
""",
            """
$this->assertFalse(below_zero([]));
$this->assertFalse(below_zero([1, 2, -3, 1, 2, -3]));
$this->assertTrue(below_zero([1, 2, -4, 5, 6]));
$this->assertFalse(below_zero([1, -1, 2, -2, 5, -5, 4, -4]));
$this->assertTrue(below_zero([1, -1, 2, -2, 5, -5, 4, -5]));
$this->assertTrue(below_zero([1, -2, 2, -2, 5, -5, 4, -4]));
""",
        ),
    },
    {
        "task": "HumanEval/4",
        "typescript": ts(
            "meanAbsoluteDeviation",
            """
export function meanAbsoluteDeviation(numbers: number[]): number {
  const mean = numbers.reduce((a, b) => a + b, 0) / numbers.length;
  return numbers.reduce((a, x) => a + Math.abs(x - mean), 0) / numbers.length;
}
""",
            """
assert.ok(Math.abs(meanAbsoluteDeviation([1.0, 2.0, 3.0]) - 2.0 / 3.0) < 1e-6);
assert.ok(Math.abs(meanAbsoluteDeviation([1.0, 2.0, 3.0, 4.0]) - 1.0) < 1e-6);
assert.ok(Math.abs(meanAbsoluteDeviation([1.0, 2.0, 3.0, 4.0, 5.0]) - 6.0 / 5.0) < 1e-6);
""",
        ),
        "php": php(
            "mean_absolute_deviation",
            """
function mean_absolute_deviation(array $numbers): float
{
    $mean = array_sum($numbers) / count($numbers);
    return array_sum(array_map(fn ($x) => abs($x - $mean), $numbers)) / count($numbers);
}
""",
            """
$this->assertEqualsWithDelta(2.0 / 3.0, mean_absolute_deviation([1.0, 2.0, 3.0]), 1e-6);
$this->assertEqualsWithDelta(1.0, mean_absolute_deviation([1.0, 2.0, 3.0, 4.0]), 1e-6);
$this->assertEqualsWithDelta(6.0 / 5.0, mean_absolute_deviation([1.0, 2.0, 3.0, 4.0, 5.0]), 1e-6);
""",
        ),
    },
    {
        "task": "HumanEval/7",
        "typescript": ts(
            "filterBySubstring",
            """
export function filterBySubstring(strings: string[], substring: string): string[] {
  return strings.filter((s) => s.includes(substring));
}
""",
            """
assert.deepEqual(filterBySubstring([], "john"), []);
assert.deepEqual(filterBySubstring(["xxx", "asd", "xxy", "john doe", "xxxAAA", "xxx"], "xxx"), ["xxx", "xxxAAA", "xxx"]);
assert.deepEqual(filterBySubstring(["xxx", "asd", "aaaxxy", "john doe", "xxxAAA", "xxx"], "xx"), ["xxx", "aaaxxy", "xxxAAA", "xxx"]);
assert.deepEqual(filterBySubstring(["grunt", "trumpet", "prune", "gruesome"], "run"), ["grunt", "prune"]);
""",  # noqa: E501
        ),
        "php": php(
            "filter_by_substring",
            """
function filter_by_substring(array $strings, string $substring): array
{
    return array_values(array_filter($strings, fn ($s) => str_contains($s, $substring)));
}
""",
            """
$this->assertSame([], filter_by_substring([], 'john'));
$this->assertSame(['xxx', 'xxxAAA', 'xxx'], filter_by_substring(['xxx', 'asd', 'xxy', 'john doe', 'xxxAAA', 'xxx'], 'xxx'));
$this->assertSame(['xxx', 'aaaxxy', 'xxxAAA', 'xxx'], filter_by_substring(['xxx', 'asd', 'aaaxxy', 'john doe', 'xxxAAA', 'xxx'], 'xx'));
$this->assertSame(['grunt', 'prune'], filter_by_substring(['grunt', 'trumpet', 'prune', 'gruesome'], 'run'));
""",  # noqa: E501
        ),
    },
    {
        "task": "HumanEval/12",
        "typescript": ts(
            "longest",
            """
export function longest(strings: string[]): string | null {
  if (strings.length === 0) return null;
  const maxlen = Math.max(...strings.map((s) => s.length));
  return strings.find((s) => s.length === maxlen) ?? null;
}
""",
            """
assert.equal(longest([]), null);
assert.equal(longest(["x", "y", "z"]), "x");
assert.equal(longest(["x", "yyy", "zzzz", "www", "kkkk", "abc"]), "zzzz");
""",
        ),
        "php": php(
            "longest",
            """
function longest(array $strings): ?string
{
    if (count($strings) === 0) {
        return null;
    }
    $maxlen = max(array_map('strlen', $strings));
    foreach ($strings as $s) {
        if (strlen($s) === $maxlen) {
            return $s;
        }
    }
    return null;
}
""",
            """
$this->assertNull(longest([]));
$this->assertSame('x', longest(['x', 'y', 'z']));
$this->assertSame('zzzz', longest(['x', 'yyy', 'zzzz', 'www', 'kkkk', 'abc']));
""",
        ),
    },
    {
        "task": "HumanEval/13",
        "typescript": ts(
            "greatestCommonDivisor",
            """
export function greatestCommonDivisor(a: number, b: number): number {
  while (b) {
    [a, b] = [b, a % b];
  }
  return a;
}
""",
            """
assert.equal(greatestCommonDivisor(3, 7), 1);
assert.equal(greatestCommonDivisor(10, 15), 5);
assert.equal(greatestCommonDivisor(49, 14), 7);
assert.equal(greatestCommonDivisor(144, 60), 12);
""",
        ),
        "php": php(
            "greatest_common_divisor",
            """
function greatest_common_divisor(int $a, int $b): int
{
    while ($b) {
        [$a, $b] = [$b, $a % $b];
    }
    return $a;
}
""",
            """
$this->assertSame(1, greatest_common_divisor(3, 7));
$this->assertSame(5, greatest_common_divisor(10, 15));
$this->assertSame(7, greatest_common_divisor(49, 14));
$this->assertSame(12, greatest_common_divisor(144, 60));
""",
        ),
    },
    {
        "task": "HumanEval/23",
        "typescript": ts(
            "strlen",
            """
export function strlen(string: string): number {
  return string.length;
}
""",
            """
assert.equal(strlen(""), 0);
assert.equal(strlen("x"), 1);
assert.equal(strlen("asdasnakj"), 9);
""",
        ),
        "php": php(
            "str_length",
            """
function str_length(string $string): int
{
    return strlen($string);
}
""",
            """
$this->assertSame(0, str_length(''));
$this->assertSame(1, str_length('x'));
$this->assertSame(9, str_length('asdasnakj'));
""",
        ),
    },
    {
        "task": "HumanEval/27",
        "typescript": ts(
            "flipCase",
            """
export function flipCase(string: string): string {
  return [...string]
    .map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()))
    .join("");
}
""",
            """
assert.equal(flipCase(""), "");
assert.equal(flipCase("Hello!"), "hELLO!");
assert.equal(flipCase("These violent delights have violent ends"), "tHESE VIOLENT DELIGHTS HAVE VIOLENT ENDS");
""",  # noqa: E501
        ),
        "php": php(
            "flip_case",
            """
function flip_case(string $string): string
{
    $out = '';
    foreach (str_split($string) as $c) {
        $out .= ctype_upper($c) ? strtolower($c) : strtoupper($c);
    }
    return $out;
}
""",
            """
$this->assertSame('', flip_case(''));
$this->assertSame('hELLO!', flip_case('Hello!'));
$this->assertSame('tHESE VIOLENT DELIGHTS HAVE VIOLENT ENDS', flip_case('These violent delights have violent ends'));
""",  # noqa: E501
        ),
    },
    {
        "task": "HumanEval/34",
        "typescript": ts(
            "unique",
            """
export function unique(l: number[]): number[] {
  return [...new Set(l)].sort((a, b) => a - b);
}
""",
            """
assert.deepEqual(unique([5, 3, 5, 2, 3, 3, 9, 0, 123]), [0, 2, 3, 5, 9, 123]);
""",
        ),
        "php": php(
            "unique",
            """
function unique(array $l): array
{
    $out = array_values(array_unique($l));
    sort($out);
    return $out;
}
""",
            """
$this->assertSame([0, 2, 3, 5, 9, 123], unique([5, 3, 5, 2, 3, 3, 9, 0, 123]));
""",
        ),
    },
    {
        "task": "HumanEval/35",
        "typescript": ts(
            "maxElement",
            """
export function maxElement(l: number[]): number {
  let m = l[0];
  for (const e of l) {
    if (e > m) m = e;
  }
  return m;
}
""",
            """
assert.equal(maxElement([1, 2, 3]), 3);
assert.equal(maxElement([5, 3, -5, 2, -3, 3, 9, 0, 124, 1, -10]), 124);
""",
        ),
        "php": php(
            "max_element",
            """
function max_element(array $l): int
{
    $m = $l[0];
    foreach ($l as $e) {
        if ($e > $m) {
            $m = $e;
        }
    }
    return $m;
}
""",
            """
$this->assertSame(3, max_element([1, 2, 3]));
$this->assertSame(124, max_element([5, 3, -5, 2, -3, 3, 9, 0, 124, 1, -10]));
""",
        ),
    },
    {
        "task": "HumanEval/48",
        "typescript": ts(
            "isPalindrome",
            """
export function isPalindrome(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== text[text.length - 1 - i]) return false;
  }
  return true;
}
""",
            """
assert.equal(isPalindrome(""), true);
assert.equal(isPalindrome("aba"), true);
assert.equal(isPalindrome("aaaaa"), true);
assert.equal(isPalindrome("zbcd"), false);
assert.equal(isPalindrome("xywyx"), true);
assert.equal(isPalindrome("xywyz"), false);
assert.equal(isPalindrome("xywzx"), false);
""",
        ),
        "php": php(
            "is_palindrome",
            """
function is_palindrome(string $text): bool
{
    return $text === strrev($text);
}
""",
            """
$this->assertTrue(is_palindrome(''));
$this->assertTrue(is_palindrome('aba'));
$this->assertTrue(is_palindrome('aaaaa'));
$this->assertFalse(is_palindrome('zbcd'));
$this->assertTrue(is_palindrome('xywyx'));
$this->assertFalse(is_palindrome('xywyz'));
$this->assertFalse(is_palindrome('xywzx'));
""",
        ),
    },
]
