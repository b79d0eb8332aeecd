"""PHP: the checks before the box (PHP's parser, the stub) and the runs in the box (PHPUnit on
assay's harness)."""

from __future__ import annotations

import subprocess
import textwrap

import pytest

from sandbox import Limits, Sample, Verdict, Verifier, VerifyOptions, languages
from sandbox.languages.php.language import Php

ADD_OK = "<?php\nfunction add(int $a, int $b): int\n{\n    return $a + $b;\n}\n"
ADD_WRONG = "<?php\nfunction add(int $a, int $b): int\n{\n    return $a - $b;\n}\n"


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def php_tests(methods: str, head: str = "") -> str:
    """A SolutionTest.php whose class holds `methods`."""
    return (
        "<?php\nuse PHPUnit\\Framework\\TestCase;\nrequire_once __DIR__ . '/solution.php';\n"
        + head
        + "\nfinal class SolutionTest extends TestCase\n{\n"
        + textwrap.indent(d(methods), "    ")
        + "}\n"
    )


TEST_ADD_METHOD = """
    public function testAddsTwoNumbers(): void
    {
        $this->assertSame(5, add(2, 3));
    }
    """
TEST_ADD = php_tests(TEST_ADD_METHOD)


def run_php(verifier: Verifier, solution: str, tests: str) -> Verdict:
    (verdict,) = verifier.verify([Sample(solution=solution, tests=tests, language="php")])
    return verdict


@pytest.fixture(scope="module")
def php() -> Php:
    return Php(VerifyOptions())


@pytest.fixture(scope="module")
def checked(backend_name):
    """A verifier with the strength check on, per backend."""
    options = VerifyOptions(sandbox=backend_name, jobs=2, limits=Limits(timeout_s=20))
    with Verifier(options) as verifier:
        yield verifier


def precheck(php: Php, solution: str, tests: str = TEST_ADD):
    (pre,) = php.precheck([Sample(solution=solution, tests=tests, language="php")])
    return pre


def test_the_language_is_registered_with_its_layout(php):
    assert languages.lookup("php") is Php
    assert (Php.solution_file, Php.tests_file) == ("solution.php", "SolutionTest.php")
    assert "PHPUnit" in Php.conventions and "require_once" in Php.conventions
    assert php.unavailable() is None


# Before the box ---------------------------------------------------------------------------------
def test_a_syntax_error_names_file_line_and_column(php):
    pre = precheck(php, ADD_OK.replace("$a + $b;", "$a +;"))
    assert pre.verdict.stage == "syntax"
    assert (
        pre.verdict.reason == 'ParseError: syntax error, unexpected token ";" at solution.php:4:16'
    )
    assert "return $a +;" in pre.verdict.feedback
    pre = precheck(php, ADD_OK, TEST_ADD.replace("add(2, 3));", "add(2, 3);"))
    assert pre.verdict.stage == "syntax" and "SolutionTest.php:9:39" in pre.verdict.reason


def test_the_parser_agrees_with_php_l(php, tmp_path):
    """PHP's own parser decides: what `php -l` rejects is a syntax rejection, and the reverse."""
    sources = {
        "ok": ADD_OK,
        "enum_and_match": "<?php\nenum S: int { case A = 1; }\nfunction f(S $s): string { return match ($s) { S::A => 'a' }; }\n",  # noqa: E501
        "readonly_class": "<?php\nreadonly class P { public function __construct(public int $x) {} }\n",
        "missing_brace": "<?php\nfunction f() {\n",
        "bad_token": "<?php\n$x = 1 +* 2;\n",
        "heredoc": "<?php\n$s = <<<EOT\n  a {$x}\n  EOT;\n",
    }
    for name, source in sources.items():
        path = tmp_path / f"{name}.php"
        path.write_text(source)
        lint = subprocess.run(["php", "-l", str(path)], capture_output=True, text=True)
        pre = precheck(php, source)
        assert (pre.verdict is None) == (lint.returncode == 0), (name, lint.stdout, pre.verdict)


def test_a_file_without_the_php_tag_is_rejected(php):
    pre = precheck(php, "function add($a, $b) { return $a + $b; }\n")
    assert pre.verdict.stage == "syntax" and "<?php" in pre.verdict.reason


def test_the_stub_throws_from_every_outermost_function(php):
    solution = d("""
        <?php
        declare(strict_types=1);
        function f(int $x): int { return $x + 1; }
        function nothing(): void {}
        $g = fn (int $x): int => $x * 2;
        $h = function (string $s): array { return str_split($s); };
        abstract class Shape {
            abstract public function area(): float;
            public function __construct(protected float $size) { $this->size *= 1.0; }
            public function twice(): float { $inner = fn () => 2; return $this->area() * $inner(); }
        }
        interface Named { public function name(): string; }
        """)
    stub = php.stub(solution)
    assert stub.count('throw new \\Error("stub");') == 5
    assert '(throw new \\Error("stub"))' in stub
    assert "abstract public function area(): float;" in stub
    assert "public function name(): string;" in stub
    assert "return $x + 1" not in stub and "$this->size *= 1.0" not in stub
    lint = subprocess.run(["php", "-l"], input=stub, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    assert php.stub("<?php\nconst N = 1;\n") == "<?php\n"  # nothing to stub: the empty file


# In the box -------------------------------------------------------------------------------------
def test_a_passing_sample_passes(checked):
    verdict = run_php(checked, ADD_OK, TEST_ADD)
    assert verdict.passed, verdict.feedback
    assert [c.name for c in verdict.tests.cases] == ["SolutionTest::testAddsTwoNumbers"]


def test_per_test_outcomes_name_expected_and_actual(checked):
    tests = php_tests("""
        public function testAdds(): void
        {
            $this->assertSame(5, add(2, 3));
        }

        public function testArrays(): void
        {
            $this->assertEquals([1, 2, 3], [add(0, 1), add(1, 1), add(1, 1)]);
        }

        public function testTypes(): void
        {
            $this->assertSame(2, add(1, "x"));
        }
        """)
    verdict = run_php(checked, ADD_WRONG, tests)
    assert verdict.stage == "tests"
    cases = {c.name.split("::")[1]: c for c in verdict.tests.cases}
    assert "Failed asserting that -1 is identical to 5." in cases["testAdds"].message
    assert (
        "--- Expected" in cases["testArrays"].message
        and "+    2 => 0" in cases["testArrays"].message
    )
    assert cases["testTypes"].message.startswith("TypeError: add(): Argument #2 ($b)")
    assert "SolutionTest.php:" in verdict.feedback  # where, in the sample's files


def test_data_providers_report_each_data_set(checked):
    tests = php_tests("""
        /** @dataProvider sums */
        public function testSums(int $a, int $b, int $want): void
        {
            $this->assertSame($want, add($a, $b));
        }

        public static function sums(): array
        {
            return ['small' => [1, 2, 3], 'zero' => [0, 0, 0], 'negative' => [-1, -1, -2]];
        }
        """)
    verdict = run_php(checked, ADD_OK, tests)
    assert verdict.passed, verdict.feedback
    assert verdict.tests.collected == 3
    assert 'SolutionTest::testSums with data set "zero"' in [c.name for c in verdict.tests.cases]


def test_expected_exceptions_and_assert(checked):
    solution = ADD_OK + d("""
        function safeDiv(int $a, int $b): int
        {
            if ($b === 0) {
                throw new InvalidArgumentException("division by zero");
            }
            return intdiv($a, $b);
        }
        """)
    tests = php_tests("""
        public function testThrows(): void
        {
            $this->expectException(InvalidArgumentException::class);
            safeDiv(1, 0);
        }

        public function testAssertIsOn(): void
        {
            assert(safeDiv(6, 3) === 2);
            $this->expectException(AssertionError::class);
            assert(safeDiv(6, 3) === 3);
        }
        """)
    verdict = run_php(checked, solution, tests)
    assert verdict.passed, verdict.feedback


def test_weak_tests_are_found_by_the_stub(checked):
    weak = php_tests("""
        public function testRuns(): void
        {
            $this->assertTrue(function_exists('add'));
        }
        """)
    verdict = run_php(checked, ADD_OK, weak)
    assert verdict.stage == "weak_tests" and verdict.weak_tests == ["SolutionTest::testRuns"]
    throws = php_tests("""
        public function testThrowsSomething(): void
        {
            $this->expectException(Throwable::class);
            add(1, 2);
            throw new RuntimeException("expected");
        }
        """)
    verdict = run_php(checked, ADD_OK, throws)  # the stub's throw is "something" too
    assert verdict.stage == "weak_tests", verdict.feedback
    assert run_php(checked, ADD_OK, TEST_ADD).passed


def test_tests_that_assert_in_helpers_or_expect_exceptions_pass(checked):
    """No assertion is "risky" (a failure): not a test whose assertions are in a helper method,
    nor one that only expects an exception, nor one that uses a deprecated assertion."""
    tests = php_tests("""
        private function check(int $want, int $a, int $b): void
        {
            $this->assertSame($want, add($a, $b));
        }

        public function testThroughAHelper(): void
        {
            $this->check(5, 2, 3);
            self::assertEquals(0, add(0, 0));
        }

        public function testOnlyExpectsAnException(): void
        {
            $this->expectException(InvalidArgumentException::class);
            add(-1, 0);
        }

        public function testDeprecatedAssertion(): void
        {
            $this->assertRegExp('/^5$/', (string) add(2, 3));
        }
        """)
    solution = ADD_OK.replace(
        "{\n", "{\n    if ($a < 0) { throw new InvalidArgumentException('a < 0'); }\n", 1
    )
    verdict = run_php(checked, solution, tests)
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.feedback)
    assert verdict.tests.passed == 3 and verdict.weak_tests == []


def test_tests_that_declare_no_assertions_pass_but_cannot_kill_the_stub(checked):
    """`expectNotToPerformAssertions()`: the test passes, and counts as passing on the stub (it
    cannot tell the stub from the code); alone, the tests are weak."""
    declared = """
        public function testRuns(): void
        {
            $this->expectNotToPerformAssertions();
            add(2, 3);
        }

        /** @doesNotPerformAssertions */
        public function testRunsToo(): void
        {
            add(1, 1);
        }
        """
    verdict = run_php(checked, ADD_OK, php_tests(declared))
    assert verdict.stage == "weak_tests", (verdict.stage, verdict.reason)
    assert verdict.weak_tests == ["SolutionTest::testRuns", "SolutionTest::testRunsToo"]
    verdict = run_php(checked, ADD_OK, php_tests(declared + TEST_ADD_METHOD))
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.feedback)
    assert verdict.weak_tests == ["SolutionTest::testRuns", "SolutionTest::testRunsToo"]


# The strength check after a clean pass, without a fresh PHP start: the sample's run in a child of
# the harness, the stub's in the harness itself. What the first run leaves must not sway the second:
# each test returns early, passing even on the stub, when it sees what an earlier run of it left
# behind; in a fresh process it sees nothing, fails on the stub, and the sample passes.
LEFTOVERS = {
    "a_global": ("isset($GLOBALS['seen'])", "$GLOBALS['seen'] = 1"),
    "a_static": ("Seen::$seen", "Seen::$seen = true"),
    "a_constant": ("defined('SEEN')", "define('SEEN', 1)"),
    "an_environment_variable": ("getenv('SEEN') !== false", "putenv('SEEN=1')"),
    "another_cwd": ("!file_exists('solution.php')", "chdir('/')"),
    "a_file_in_the_work_dir": ("file_exists('seen')", "touch('seen')"),
    "a_file_in_tmp": ("file_exists('/tmp/seen')", "touch('/tmp/seen')"),
    "its_solution_changed": (
        "str_contains(file_get_contents(__DIR__ . '/solution.php'), 'seen')",
        "file_put_contents(__DIR__ . '/solution.php', '// seen', FILE_APPEND)",
    ),
}


@pytest.mark.parametrize("name", sorted(LEFTOVERS))
def test_what_the_first_run_leaves_does_not_sway_the_stub_run(checked, name):
    seen, leave = LEFTOVERS[name]
    tests = php_tests(
        f"""
        public function testAdds(): void
        {{
            if ({seen}) {{ $this->assertTrue(true); return; }}
            {leave};
            $this->assertSame(5, add(2, 3));
        }}
        """,
        head="final class Seen { public static bool $seen = false; }\n",
    )
    verdict = run_php(checked, ADD_OK, tests)
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.feedback)
    assert verdict.weak_tests == []


def test_the_stub_runs_without_a_fresh_php_after_a_clean_pass(backend_name):
    """There its output goes nowhere; after a leftover (a file), the stub runs in a fresh
    process, whose output is its own."""
    from sandbox.judge import judge
    from sandbox.workers import make_backend

    options = VerifyOptions(sandbox=backend_name, limits=Limits(timeout_s=20))
    php = Php(options)
    printing = TEST_ADD.replace("<?php\n", "<?php\nfwrite(STDERR, 'ran');\n", 1)
    backend = make_backend(options, 0)
    try:
        for tests, same_process in ((printing, True), (printing + "touch('left');\n", False)):
            sample = Sample(solution=ADD_OK, tests=tests, language="php")
            (pre,) = php.precheck([sample])
            request = php.request(sample, pre, php.stub(ADD_OK))
            assert request.phases[0].steps[-1].chains
            result = backend.run(request)
            assert judge(result, options.limits).passed
            stub = judge(result, options.limits, phase=1)
            assert [c.outcome for c in stub.tests.cases] == ["failed"]
            assert result.phases[1].last.stderr == ("" if same_process else "ran")
    finally:
        backend.close()
        php.close()


def test_compile_errors_are_collection_errors_with_their_place(checked):
    twice = ADD_OK + "function add(int $a, int $b): int { return 0; }\n"
    verdict = run_php(checked, twice, TEST_ADD)
    assert verdict.stage == "tests"
    assert "Cannot redeclare add()" in verdict.reason and "solution.php:" in verdict.reason


def test_no_tests_skipped_and_incomplete(checked):
    assert run_php(checked, ADD_OK, "<?php\nrequire_once 'solution.php';\n").stage == "no_tests"
    skipped = php_tests("""
        public function testLater(): void
        {
            $this->markTestSkipped('later');
        }

        public function testUnfinished(): void
        {
            $this->markTestIncomplete('unfinished');
        }
        """)
    assert run_php(checked, ADD_OK, skipped).stage == "no_tests"


def test_any_class_name_and_a_forgotten_require_work(checked):
    tests = d("""
        <?php
        use PHPUnit\\Framework\\TestCase;

        class AddTest extends TestCase
        {
            public function testAdds(): void
            {
                $this->assertSame(5, add(2, 3));
            }
        }
        """)
    verdict = run_php(checked, ADD_OK, tests)
    assert verdict.passed, verdict.feedback
    assert verdict.tests.cases[0].name == "AddTest::testAdds"


@pytest.mark.parametrize("load", ["require", "include", "require_once", "include_once"])
def test_tests_that_load_the_solution_themselves_load_it_once(checked, load):
    """A plain `require` of a solution loaded before would redeclare its functions."""
    tests = TEST_ADD.replace("require_once __DIR__ . '/solution.php'", f"{load} 'solution.php'")
    assert f"{load} 'solution.php'" in tests
    verdict = run_php(checked, ADD_OK, tests)
    assert verdict.passed, verdict.feedback
    assert run_php(checked, ADD_WRONG, tests).stage == "tests"


def test_many_samples_at_once_in_a_fresh_verifier(backend_name):
    """The first requests of a verifier come from several threads at once."""
    samples = [
        Sample(solution=ADD_OK, tests=TEST_ADD.replace("TwoNumbers", f"Two{i}"), language="php")
        for i in range(6)
    ]
    with Verifier(VerifyOptions(sandbox=backend_name, jobs=2)) as verifier:
        verdicts = list(verifier.verify(samples))
    assert [v.stage for v in verdicts] == ["passed"] * 6


def test_a_run_has_the_common_extensions_and_none_that_reach_the_system(checked):
    """A run loads its extensions itself (no Debian ini): what solutions use, and Debian's ini
    settings, but no sockets, System V IPC or dl(). (FFI is loaded where the run is forked from
    the PHP zygote, whose runner sets itself up with it: it lets a sample make system calls, as
    any program it may run in the box can.)"""
    tests = php_tests("""
        public function testCommonExtensions(): void
        {
            $this->assertSame(5, add(2, 3));
            $this->assertSame(3, mb_strlen('héé'));
            $this->assertTrue(ctype_digit('42'));
            $this->assertSame('abc', iconv('UTF-8', 'ASCII', 'abc'));
            $this->assertSame(31, cal_days_in_month(CAL_GREGORIAN, 1, 2024));
            $this->assertSame('b', (string) simplexml_load_string('<a>b</a>'));
        }

        public function testNothingThatReachesTheSystem(): void
        {
            $this->assertFalse(function_exists('socket_create'));
            $this->assertFalse(function_exists('shm_attach'));
            $this->assertFalse(function_exists('msg_get_queue'));
            $this->assertSame('0', ini_get('enable_dl'));
            $this->assertSame('0', ini_get('short_open_tag'));
            $this->assertSame([], $_ENV);
        }
        """)
    verdict = run_php(checked, ADD_OK, tests)
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.feedback)
    assert verdict.tests.passed == 2
