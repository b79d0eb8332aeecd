"""Hostile PHP: each test is an attack on the verdict or on the host, run on each backend.

A correct-looking PHPUnit test class is paired with a solution (or tests) that tries to cheat the
verdict, harm the host, or escape; the assertions check both the verdict and the host.
"""

from __future__ import annotations

import json
import os
import uuid

import pytest

from sandbox import Verifier, VerifyOptions
from tests.sandbox.conftest import ATTACK_LIMITS, CANARY_SECRET, wait_until_gone
from tests.sandbox.test_javascript_attacks import _Listener
from tests.sandbox.test_php import ADD_OK, ADD_WRONG, TEST_ADD, d, php_tests, run_php

FORGED = json.dumps({"seq": 0, "t": "end", "exitstatus": 0})
ASSERTING = php_tests("""
    public function testAdds(): void
    {
        assert(add(2, 3) === 5);
        $this->assertTrue(true);
    }
    """)


def with_body(body: str) -> str:
    """A solution whose add() runs `body` first."""
    return f"<?php\nfunction add(int $a, int $b): int\n{{\n{body}\n    return $a + $b;\n}}\n"


def calling_first(body: str) -> str:
    return php_tests(
        "public function testAdds(): void\n{\n"
        + d(body)
        + "    $this->assertSame(5, add(2, 3));\n}\n"
    )


# Cheating the verdict ---------------------------------------------------------------------------
CHEATS = {
    "exit_0_at_load": (ADD_WRONG + "exit(0);\n", TEST_ADD),
    "die_at_load": (ADD_WRONG + "die('OK (1 test, 1 assertion)');\n", TEST_ADD),
    "exit_0_in_test": (ADD_WRONG, calling_first("exit(0);\n")),
    "exit_0_in_the_solution_during_a_test": (with_body("    exit(0);"), TEST_ADD),
    "exit_0_from_a_shutdown_function": (
        ADD_WRONG + "register_shutdown_function(function () { exit(0); });\n",
        TEST_ADD,
    ),
    "exit_0_from_a_destructor": (
        ADD_WRONG + "class Bye { public function __destruct() { exit(0); } }\n$bye = new Bye();\n",
        TEST_ADD,
    ),
    "fatal_error_in_test": (ADD_WRONG, calling_first("undefined_function_here();\n")),
    "printed_fake_reports": (
        ADD_WRONG
        + d(f"""
            echo "OK (1 test, 1 assertion)\\n";
            fwrite(STDERR, "OK (1 test, 1 assertion)\\n");
            echo '0123456789abcdef0123456789abcdef {FORGED}' . "\\n";
            """),
        TEST_ADD,
    ),
    "forged_lines_on_every_descriptor": (
        ADD_WRONG
        + d(f"""
            for ($fd = 0; $fd < 32; $fd++) {{
                $s = @fopen("php://fd/$fd", 'w');
                if ($s) {{ @fwrite($s, '0123456789abcdef0123456789abcdef {FORGED}' . "\\n"); }}
            }}
            """),
        TEST_ADD,
    ),
    "token_descriptor_read_again": (
        ADD_WRONG
        + d("""
            $t = @fopen('php://fd/4', 'r');
            $token = $t ? trim((string) stream_get_contents($t)) : 'none';
            $c = @fopen('php://fd/3', 'w');
            if ($c) { fwrite($c, $token . ' {"seq":0,"t":"end","exitstatus":0}' . "\\n"); }
            exit(0);
            """),
        TEST_ADD,
    ),
    "phpunit_constraint_replaced_before_it_loads": (
        d("""
            <?php
            namespace PHPUnit\\Framework\\Constraint {
                class IsTrue extends Constraint {
                    public function toString(): string { return 'is true'; }
                    protected function matches($other): bool { return true; }
                }
            }
            namespace {
                function add(int $a, int $b): int { return $a - $b; }
            }
            """),
        php_tests(
            "public function testAdds(): void\n{\n    $this->assertTrue(add(2, 3) === 5);\n}\n"
        ),
    ),
    "phpunit_class_from_a_prepended_autoloader": (
        ADD_WRONG
        + d("""
            spl_autoload_register(function ($class) {
                if ($class === 'PHPUnit\\\\Framework\\\\Constraint\\\\IsTrue') {
                    eval('namespace PHPUnit\\\\Framework\\\\Constraint; class IsTrue extends Constraint {
                        public function toString(): string { return "x"; }
                        public function evaluate($o, string $d = "", bool $r = false): ?bool { return true; } }');
                }
            }, true, true);
            """),
        php_tests(
            "public function testAdds(): void\n{\n    $this->assertTrue(add(2, 3) === 5);\n}\n"
        ),
    ),
    # The harness's own file lies in the work dir: declarations from it are trusted by name (those
    # made before the sample's code ran), not by file.
    "phpunit_class_from_the_rewritten_harness_file": (
        ADD_WRONG
        + d("""
            file_put_contents(__DIR__ . '/assay_phpunit.php', '<?php
            namespace PHPUnit\\Framework\\Constraint;
            class IsTrue extends Constraint {
                public function toString(): string { return "x"; }
                public function evaluate($o, string $d = "", bool $r = false): ?bool { return true; } }');
            require __DIR__ . '/assay_phpunit.php';
            """),
        php_tests(
            "public function testAdds(): void\n{\n    $this->assertTrue(add(2, 3) === 5);\n}\n"
        ),
    ),
    "function_in_phpunit_namespace": (
        "<?php\nnamespace PHPUnit\\Framework { function count($x) { return 0; } }\n"
        "namespace { function add(int $a, int $b): int { return $a - $b; } }\n",
        TEST_ADD,
    ),
    "harness_variables_overwritten_at_load": (
        ADD_WRONG + "$harness = null; $channel = null; $result = null; $suite = null;\n",
        TEST_ADD,
    ),
    "fork_and_let_the_parent_exit": (
        ADD_WRONG + "if (pcntl_fork() > 0) { exit(0); }\n",
        TEST_ADD,
    ),
    "result_object_told_to_stop": (
        ADD_WRONG,
        calling_first("$this->getTestResultObject()->stop();\n"),
    ),
    # PHP settings that make assert() check: INI_ALL, so the code could switch them off (after
    # its real code ran, where a stub's throw would skip it).
    "assertions_switched_off_at_load": (
        ADD_WRONG + "try { add(1, 1); ini_set('zend.assertions', '0'); } catch (\\Throwable) {}\n",
        ASSERTING,
    ),
    "assert_exception_and_warning_off_at_load": (
        ADD_WRONG + "ini_set('assert.exception', '0');\nini_set('assert.warning', '0');\n",
        ASSERTING,
    ),
    "assert_options_inactive_at_load": (
        ADD_WRONG + "@assert_options(ASSERT_ACTIVE, 0);\n",
        ASSERTING,
    ),
    "assertions_switched_off_during_a_test": (
        ADD_OK + "function off(): void { ini_set('zend.assertions', '0'); }\n",
        php_tests("""
            public function testAdds(): void
            {
                off();
                assert(add(2, 3) === 6);
                $this->assertSame(5, add(2, 3));
            }
            """),
    ),
    # A test with no assertion passes whatever the code returns (and fails on the throwing stub).
    "no_assertions_in_the_test": (
        ADD_WRONG,
        php_tests("public function testAdds(): void\n{\n    add(2, 3);\n    add(-1, -1);\n}\n"),
    ),
    # The callers' arguments and objects, from debug_backtrace(): the expected value of the
    # assertEquals() that casts the result to a string, the running TestCase.
    "expected_value_read_from_the_backtrace": (
        d("""
            <?php
            final class Anything
            {
                public function __toString(): string
                {
                    foreach (debug_backtrace() as $frame) {
                        if (($frame['function'] ?? '') === 'assertEquals' && is_string($frame['args'][0] ?? null)) {
                            return $frame['args'][0];
                        }
                    }
                    return 'nope';
                }
            }
            function greet(string $name): string|Anything { return new Anything(); }
            """),
        php_tests("""
            public function testGreets(): void
            {
                $this->assertEquals('Hello, Bob!', greet('Bob'));
            }
            """),
    ),
    "expect_exception_on_the_test_from_the_backtrace": (
        with_body(
            d("""
                foreach (debug_backtrace(DEBUG_BACKTRACE_PROVIDE_OBJECT) as $f) {
                    if (($f['object'] ?? null) instanceof \\PHPUnit\\Framework\\TestCase) {
                        $f['object']->expectException(\\Throwable::class);
                        throw new \\RuntimeException('x');
                    }
                }
                return $a - $b;
                """)
        ),
        TEST_ADD,
    ),
}


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheats_are_rejected(verifier, name):
    solution, tests = CHEATS[name]
    verdict = run_php(verifier, solution, tests)
    assert not verdict.passed, f"{name} was accepted: {verdict}"
    assert verdict.stage in {"tests", "crash"}, (verdict.stage, verdict.reason)
    assert verdict.feedback


def test_the_same_sample_without_the_cheat_is_judged_normally(verifier):
    assert run_php(verifier, ADD_OK, TEST_ADD).passed
    verdict = run_php(verifier, ADD_WRONG, TEST_ADD)
    assert verdict.stage == "tests" and "-1 is identical to 5" in verdict.feedback


def test_an_exit_in_a_test_is_rejected_with_its_reason(verifier):
    verdict = run_php(verifier, *CHEATS["exit_0_in_test"])
    assert verdict.stage == "tests"
    assert "before the test report was complete" in verdict.reason
    assert "exit() was called" in verdict.tests.cases[0].message


def test_an_exit_at_load_is_a_collection_error(verifier):
    verdict = run_php(verifier, *CHEATS["exit_0_at_load"])
    assert (
        verdict.reason
        == "collection error: the process ended (exit() was called) while loading the tests"
    )


def test_a_replaced_phpunit_class_is_named(verifier):
    verdict = run_php(verifier, *CHEATS["phpunit_constraint_replaced_before_it_loads"])
    assert "PHPUnit\\Framework\\Constraint\\IsTrue" in verdict.reason


def test_a_switched_off_assert_is_named(verifier):
    verdict = run_php(verifier, *CHEATS["assertions_switched_off_at_load"])
    assert "changed PHP's setting zend.assertions from '1' to '0'" in verdict.reason
    verdict = run_php(verifier, *CHEATS["assertions_switched_off_during_a_test"])
    assert "changed PHP's setting zend.assertions" in verdict.tests.cases[0].message


def test_a_test_without_assertions_fails_with_its_reason(verifier):
    verdict = run_php(verifier, ADD_OK, CHEATS["no_assertions_in_the_test"][1])
    assert verdict.stage == "tests" and verdict.reason == "no assertions"
    message = verdict.tests.cases[0].message
    assert message.startswith("no assertions in this test (SolutionTest.php:"), message
    assert "$this->assertSame()" in message


def test_backtraces_still_work_without_arguments_or_objects(verifier):
    """PHPUnit (and ordinary code) may call them: they stay, with files, lines and functions."""
    tests = php_tests("""
        public function testBacktrace(): void
        {
            $frames = debug_backtrace();
            $this->assertSame('testBacktrace', $frames[0]['function']);
            $this->assertSame(self::class, $frames[0]['class']);
            foreach ($frames as $frame) {
                $this->assertArrayNotHasKey('args', $frame);
                $this->assertArrayNotHasKey('object', $frame);
            }
            $this->assertCount(1, debug_backtrace(DEBUG_BACKTRACE_PROVIDE_OBJECT, 1));
            ob_start();
            debug_print_backtrace();
            $this->assertStringStartsWith('#0 ', (string) ob_get_clean());
            $this->assertSame(5, add(2, 3));
        }
        """)
    verdict = run_php(verifier, ADD_OK, tests)
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.feedback)


def test_forged_lines_are_a_tampered_channel(verifier):
    verdict = run_php(verifier, *CHEATS["forged_lines_on_every_descriptor"])
    assert "result channel tampered with" in verdict.reason


# Resource attacks -------------------------------------------------------------------------------
RESOURCE = {
    "fork_bomb": (
        with_body("    while (true) { @pcntl_fork(); }"),
        {"timeout", "tests", "crash", "memory"},
    ),
    # Under the pids limit the shell's forks fail fast ("Cannot fork"), and `sleep 30` cannot
    # start either: the shell may give up and the function return its right answer. Contained
    # either way: the verdict comes back, and the verifier goes on with the next samples.
    "exec_bomb": (
        with_body("    shell_exec('b(){ b|b& }; b; sleep 30');"),
        {"timeout", "tests", "crash", "memory", "passed"},
    ),
    "memory_flood": (
        with_body("    $hog = [];\n    while (true) { $hog[] = str_repeat('x', 1 << 20); }"),
        {"memory"},
    ),
    "cpu_spin": (with_body("    while (true) {}"), {"timeout"}),
    "sigterm_ignored_spin": (
        with_body("    pcntl_signal(SIGTERM, SIG_IGN);\n    while (true) {}"),
        {"timeout"},
    ),
    "output_flood": (
        with_body("    $s = str_repeat('x', 65536);\n    while (true) { echo $s; }"),
        {"output", "memory"},  # PHPUnit buffers what a test prints
    ),
    "stderr_flood": (
        with_body("    $s = str_repeat('y', 65536);\n    while (true) { fwrite(STDERR, $s); }"),
        {"output"},
    ),
    "disk_flood": (
        with_body(
            "    $mb = str_repeat('z', 8 << 20);\n"
            "    for ($i = 0; ; $i++) {\n"
            "        if (@file_put_contents(\"fill$i\", $mb) === false) { throw new Exception('full'); }\n"
            "    }"
        ),
        {"tests", "crash", "memory"},
    ),
    "inode_flood": (
        with_body(
            "    for ($i = 0; ; $i++) { if (!@touch(\"f$i\")) { throw new Exception('full'); } }"
        ),
        {"tests"},
    ),
    "stack_overflow": (
        "<?php\nfunction down(int $n): int { return down($n + 1) + 1; }\n"
        "function add(int $a, int $b): int { return down(0); }\n",
        {"crash", "memory"},
    ),
    "abort": (with_body("    posix_kill(getmypid(), SIGABRT);"), {"crash"}),
}


@pytest.mark.parametrize("name", sorted(RESOURCE))
def test_resource_attacks_are_contained(verifier, name):
    solution, stages = RESOURCE[name]
    verdict = run_php(verifier, solution, TEST_ADD)
    assert verdict.stage in stages, f"{name}: {verdict.stage} {verdict.reason}"
    assert run_php(verifier, ADD_OK, TEST_ADD).passed  # the verifier is still healthy


def test_output_is_truncated_not_buffered(verifier):
    verdict = run_php(verifier, RESOURCE["output_flood"][0], TEST_ADD)
    assert len(verdict.stdout) < 10_000


# Escaping and spying ----------------------------------------------------------------------------
def spy(body: str) -> str:
    """A test that runs `body` (which fills $seen) and asserts it saw nothing."""
    return php_tests(
        "public function testSpy(): void\n{\n    $seen = [];\n"
        + d(body)
        + "    echo json_encode($seen);\n    $this->assertSame([], $seen);\n}\n"
    )


def test_runs_unprivileged_with_no_capabilities(verifier):
    tests = spy("""
        if (posix_getuid() === 0 || posix_geteuid() === 0) { $seen[] = 'root'; }
        $status = file_get_contents('/proc/self/status');
        foreach (['CapEff', 'CapPrm', 'CapInh', 'CapAmb'] as $kind) {
            if (!preg_match("/$kind:\\\\s+0000000000000000/", $status)) { $seen[] = $kind; }
        }
        if (!preg_match('/NoNewPrivs:\\s+1/', $status)) { $seen[] = 'NoNewPrivs'; }
        """)
    verdict = run_php(verifier, ADD_OK, tests)
    assert verdict.passed, verdict.feedback


def test_environment_is_empty_of_secrets(verifier):
    tests = spy("""
        $blob = json_encode(getenv()) . json_encode($_SERVER) . json_encode($_ENV);
        foreach (glob('/proc/[0-9]*/environ') as $file) { $blob .= @file_get_contents($file); }
        $blob .= @file_get_contents('/proc/self/environ');
        if (str_contains($blob, 'assay-canary') || str_contains($blob, 'API_KEY')) { $seen[] = 'secret'; }
        """)
    verdict = run_php(verifier, ADD_OK, tests)
    assert CANARY_SECRET not in verdict.stdout + verdict.stderr
    assert verdict.passed, verdict.feedback


def test_host_files_are_invisible(verifier, tmp_path):
    marker = tmp_path / "host-secret.txt"
    marker.write_text(CANARY_SECRET)
    probes = [str(marker), os.path.abspath("pyproject.toml"), "/etc/shadow", "/root/.bashrc",
              "/var/run/docker.sock", "/proc/1/root/etc/shadow"]  # fmt: skip
    tests = spy(f"""
        foreach (json_decode('{json.dumps(probes)}') as $path) {{
            $text = @file_get_contents($path);
            if ($text !== false) {{ $seen[] = [$path, substr($text, 0, 200)]; }}
        }}
        """)
    verdict = run_php(verifier, ADD_OK, tests)
    assert CANARY_SECRET not in verdict.stdout
    assert verdict.passed, verdict.feedback


def test_writes_outside_the_work_dir_do_not_reach_the_host(verifier, tmp_path):
    target = tmp_path / "written-by-sample"
    tests = php_tests(f"""
        public function testEscape(): void
        {{
            @symlink({json.dumps(str(tmp_path))}, 'out');
            @symlink('/', 'root');
            foreach (['out/written-by-sample', {json.dumps(str(target))}, 'root/usr/lib/evil',
                      '/usr/evil', '/etc/evil', '../../escape'] as $path) {{
                @file_put_contents($path, 'pwned');
            }}
            $this->assertSame(5, add(2, 3));
        }}
        """)
    run_php(verifier, ADD_OK, tests)
    assert not target.exists()
    assert not os.path.exists("/usr/evil") and not os.path.exists("/etc/evil")


def test_no_network_neither_host_loopback_nor_outside(verifier):
    listener = _Listener()
    try:
        tests = spy(f"""
            foreach ([['127.0.0.1', {listener.port}], ['8.8.8.8', 53], ['1.1.1.1', 443]] as [$host, $port]) {{
                $s = @fsockopen($host, $port, $errno, $error, 1.0);
                if ($s) {{ $seen[] = "$host:$port"; fclose($s); }}
            }}
            if (gethostbyname('registry.npmjs.org') !== 'registry.npmjs.org') {{ $seen[] = 'dns'; }}
            """)
        verdict = run_php(verifier, ADD_OK, tests)
        assert verdict.passed, verdict.feedback
        assert listener.connections == 0
    finally:
        listener.close()


def test_killing_the_parent_and_everything_is_contained(verifier):
    tests = php_tests("""
        public function testKill(): void
        {
            foreach ([posix_getppid(), 1, -1] as $pid) {
                @posix_kill($pid, SIGKILL);
            }
            $this->fail('still here');
        }
        """)
    verdict = run_php(verifier, ADD_OK, tests)
    assert not verdict.passed and verdict.stage != "error"
    assert run_php(verifier, ADD_OK, TEST_ADD).passed


def test_daemons_do_not_outlive_the_sample(verifier):
    marker = f"assay-daemon-{uuid.uuid4().hex}"
    tests = php_tests(f"""
        public function testDaemonize(): void
        {{
            shell_exec('setsid sh -c "exec sleep 600 {marker}" > /dev/null 2>&1 &');
            usleep(300000);
            $this->assertSame(3, add(1, 2));
        }}
        """)
    verdict = run_php(verifier, ADD_OK, tests)
    assert verdict.passed, verdict.feedback
    assert wait_until_gone(marker) == []


def test_the_strength_check_run_starts_clean(backend_name):
    """The stub's run follows the real run: nothing the real run left (files, a daemon) may reach
    it, or sound tests would turn into weak_tests."""
    token = uuid.uuid4().hex[:12]
    tests = php_tests(f"""
        public function testLeftovers(): void
        {{
            $paths = ['/tmp/left-{token}', 'left-{token}'];
            try {{
                real();
            }} catch (Throwable) {{
                $this->assertTrue(file_exists($paths[0]) || file_exists($paths[1]));
                return;
            }}
            foreach ($paths as $p) {{ file_put_contents($p, 'x'); }}
            shell_exec('setsid sleep 600.{token} > /dev/null 2>&1 &');
            $this->assertTrue(real());
        }}
        """)
    options = VerifyOptions(sandbox=backend_name, jobs=1, limits=ATTACK_LIMITS)
    with Verifier(options) as verifier:
        verdict = run_php(verifier, "<?php\nfunction real(): bool { return true; }\n", tests)
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.weak_tests)
    assert verdict.weak_tests == []
    assert not wait_until_gone(f"600.{token}")
