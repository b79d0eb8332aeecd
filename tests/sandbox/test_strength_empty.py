"""The strength check of a solution that defines no function, in every language and backend.

Such a solution has nothing to stub, so its stub is the language's empty solution: tests that
still pass against it use nothing of the solution (a solution left empty, with the work in the
tests file) and are `weak_tests`; tests of its constants or types fail against it (they do not
build, or they fail) and the sample passes."""

from __future__ import annotations

import pytest

from sandbox import Limits, Sample, Verifier, VerifyOptions
from sandbox.judge import WEAK_EMPTY

PHP_TESTS = (
    "<?php\nuse PHPUnit\\Framework\\TestCase;\nrequire_once __DIR__ . '/solution.php';\n"
    "final class SolutionTest extends TestCase {{\n"
    "    public function testT(): void {{ $this->assertSame({}); }}\n}}\n"
)
TS_TESTS = 'import {{ test }} from "node:test";\nimport assert from "node:assert/strict";\n{}'
JAVA_TESTS = (
    "import org.junit.jupiter.api.Test;\nimport static org.junit.jupiter.api.Assertions.*;\n\n"
    "class SolutionTest {{\n    @Test\n    void t() {{ assertEquals({}); }}\n}}\n"
)
CPP_TESTS = '#include "solution.hpp"\n#include <doctest/doctest.h>\n{}'

# language: (a solution without functions, tests that use nothing of it, tests that use it)
CASES = {
    "python": (
        "LIMIT = 7\n",
        "def test_t():\n    assert 2 * 2 == 4\n",
        "from solution import LIMIT\n\n\ndef test_t():\n    assert LIMIT == 7\n",
    ),
    "javascript": (
        "const LIMIT = 7;\nmodule.exports = { LIMIT };\n",
        'const test = require("node:test");\nconst assert = require("node:assert");\n'
        'test("t", () => { assert.strictEqual(2 * 2, 4); });\n',
        'const test = require("node:test");\nconst assert = require("node:assert");\n'
        'const { LIMIT } = require("./solution.js");\n'
        'test("t", () => { assert.strictEqual(LIMIT, 7); });\n',
    ),
    "typescript": (
        "export const LIMIT: number = 7;\n",
        TS_TESTS.format('test("t", () => { assert.equal(2 * 2, 4); });\n'),
        TS_TESTS.format(
            'import { LIMIT } from "./solution";\ntest("t", () => { assert.equal(LIMIT, 7); });\n'
        ),
    ),
    "cpp": (
        "#pragma once\nconstexpr int LIMIT = 7;\nstruct Point { int x; int y; };\n",
        CPP_TESTS.format(
            'static int twice(int x) { return 2 * x; }\nTEST_CASE("t") { CHECK(twice(2) == 4); }\n'
        ),
        CPP_TESTS.format('TEST_CASE("t") { CHECK(LIMIT == 7); Point p{1, 2}; CHECK(p.y == 2); }\n'),
    ),
    "go": (
        "package solution\n\nconst Limit = 7\n",
        'package solution\n\nimport "testing"\n\nfunc twice(x int) int { return 2 * x }\n\n'
        'func TestT(t *testing.T) {\n\tif twice(2) != 4 {\n\t\tt.Fatal("no")\n\t}\n}\n',
        'package solution\n\nimport "testing"\n\n'
        'func TestT(t *testing.T) {\n\tif Limit != 7 {\n\t\tt.Fatal("no")\n\t}\n}\n',
    ),
    "rust": (
        "pub const LIMIT: i32 = 7;\n",
        "#[cfg(test)]\nmod tests {\n    fn twice(x: i32) -> i32 { 2 * x }\n"
        "    #[test]\n    fn t() { assert_eq!(twice(2), 4); }\n}\n",
        "#[cfg(test)]\nmod tests {\n    use super::*;\n"
        "    #[test]\n    fn t() { assert_eq!(LIMIT, 7); }\n}\n",
    ),
    "java": (
        "class Solution {\n    public final int limit = 7;\n}\n",
        JAVA_TESTS.format("4, 2 * 2"),
        JAVA_TESTS.format("7, new Solution().limit"),
    ),
    "php": (
        "<?php\nconst LIMIT = 7;\n",
        PHP_TESTS.format("4, 2 * 2"),
        PHP_TESTS.format("7, LIMIT"),
    ),
}
EMPTY = {
    "python": "",
    "javascript": "",
    "typescript": "",
    "cpp": "#pragma once\n#include <vector>\n",
    "go": "package solution\n",
    "rust": "// the work is in the tests\n",
    "java": "class Solution {\n}\n",
    "php": "<?php\n",
}


@pytest.fixture(scope="module")
def every_language(backend_name):
    options = VerifyOptions(sandbox=backend_name, jobs=2, limits=Limits(timeout_s=20.0))
    with Verifier(options) as verifier:
        yield verifier


@pytest.mark.parametrize("language", sorted(CASES))
def test_tests_that_use_nothing_of_a_solution_without_functions_are_weak(every_language, language):
    solution, unused, uses = CASES[language]
    samples = [
        Sample(id="constants", solution=solution, tests=unused, language=language),
        Sample(id="empty", solution=EMPTY[language], tests=unused, language=language),
        Sample(id="used", solution=solution, tests=uses, language=language),
    ]
    weak, empty, used = every_language.verify(samples)
    for verdict in (weak, empty):
        assert verdict.stage == "weak_tests", (verdict.id, verdict.reason, verdict.feedback)
        assert verdict.reason == WEAK_EMPTY
        assert "empty file in the solution's place" in verdict.feedback
        assert verdict.weak_tests, verdict.id
    assert used.passed, (used.stage, used.reason, used.feedback)


@pytest.mark.parametrize("language", ["cpp", "go", "java"])
def test_without_the_strength_check_such_a_sample_passes(backend_name, language):
    """The check, not something else, rejects them."""
    solution, unused, _ = CASES[language]
    options = VerifyOptions(sandbox=backend_name, strength_check=False)
    with Verifier(options) as verifier:
        (verdict,) = verifier.verify([Sample(solution=solution, tests=unused, language=language)])
    assert verdict.passed, (verdict.stage, verdict.reason)
