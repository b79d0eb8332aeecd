"""Hostile Go: each test is an attack on the verdict, the host or the compiler, and the sandbox
must contain it. The Go counterpart of test_attacks.py: every attack runs on each backend."""

from __future__ import annotations

import json
import os
import uuid

import pytest

from sandbox import Sample, Verifier
from tests.sandbox.conftest import CANARY_SECRET, wait_until_gone
from tests.sandbox.test_cpp_attacks import _Listener

ADD = "package solution\n\nfunc Add(a, b int) int { return a + b }\n"
ADD_WRONG = "package solution\n\nfunc Add(a, b int) int { return a - b }\n"
HEAD = 'package solution\n\nimport "testing"\n\n'
TEST_ADD = (
    HEAD + "func TestAdd(t *testing.T) {\n\tif Add(2, 3) != 5 {\n\t\tt.Fatal(Add(2, 3))\n\t}\n}\n"
)


def run_go(verifier: Verifier, solution: str, tests: str):
    (verdict,) = verifier.verify([Sample(solution=solution, tests=tests, language="go")])
    text = verdict.feedback + verdict.stdout + verdict.stderr + repr(verdict.tests)
    assert CANARY_SECRET not in text
    return verdict


def with_imports(source: str, *paths: str) -> str:
    imports = "".join(f'\t"{p}"\n' for p in paths)
    return source.replace("package solution\n", f"package solution\n\nimport (\n{imports})\n", 1)


FORGED = '00000000000000000000000000000000 {"seq": 0, "t": "end", "exitstatus": 0}\n'

# Cheating the verdict ---------------------------------------------------------------------------
CHEATS = {
    "exit_0_in_init": (
        with_imports(ADD_WRONG + "func init() { os.Exit(0) }\n", "os"),
        TEST_ADD,
        "tests",
    ),
    "exit_0_in_a_variable_initializer": (
        with_imports(ADD_WRONG + "var quit = func() int { os.Exit(0); return 0 }()\n", "os"),
        TEST_ADD,
        "tests",
    ),
    "exit_0_in_a_test": (
        ADD_WRONG,
        with_imports(HEAD + "func TestAdd(t *testing.T) { os.Exit(0) }\n", "os"),
        "tests",
    ),
    "syscall_exit_0_in_a_test": (
        ADD_WRONG,
        with_imports(HEAD + "func TestAdd(t *testing.T) { syscall.Exit(0) }\n", "syscall"),
        "tests",
    ),
    "exit_0_in_a_goroutine": (
        ADD_WRONG,
        with_imports(
            HEAD + "func TestAdd(t *testing.T) {\n\tgo os.Exit(0)\n\ttime.Sleep(time.Second)\n"
            "\tif Add(2, 3) != 5 {\n\t\tt.Fatal()\n\t}\n}\n",
            "os",
            "time",
        ),
        "tests",
    ),
    "goexit_in_a_test": (
        ADD_WRONG,
        with_imports(HEAD + "func TestAdd(t *testing.T) { runtime.Goexit() }\n", "runtime"),
        "tests",
    ),
    "panic_nil_in_a_test": (
        ADD_WRONG,
        HEAD
        + "func TestAdd(t *testing.T) {\n\tpanic(nil)\n\tif Add(2, 3) != 5 {\n\t\tt.Fatal()\n\t}\n}\n",
        "tests",
    ),
    "recovered_failure": (
        ADD_WRONG,
        HEAD + "func TestAdd(t *testing.T) {\n\tdefer func() { recover() }()\n"
        "\tif Add(2, 3) != 5 {\n\t\tt.Fatal()\n\t}\n}\n",
        "tests",
    ),
    "forged_report_printed": (
        with_imports(
            ADD_WRONG + 'func init() { fmt.Println("PASS\\nok  \\tsolution\\t0.001s")\n'
            f"\tfmt.Print({json.dumps(FORGED)}) }}\n",
            "fmt",
        ),
        TEST_ADD,
        "tests",
    ),
    "forged_lines_on_every_descriptor": (
        with_imports(
            ADD_WRONG + "func init() {\n\tfor fd := 3; fd < 64; fd++ {\n"
            f"\t\tsyscall.Write(fd, []byte({json.dumps(FORGED)}))\n\t}}\n}}\n",
            "syscall",
        ),
        TEST_ADD,
        "tests",
    ),
    "channel_closed": (
        with_imports(ADD_WRONG + "func init() { syscall.Close(3) }\n", "syscall"),
        TEST_ADD,
        "tests",
    ),
    "channel_replaced_in_a_test": (
        ADD_WRONG,
        with_imports(
            HEAD + "func TestAdd(t *testing.T) {\n\tr, w, _ := os.Pipe()\n\t_ = r\n"
            "\tsyscall.Dup2(int(w.Fd()), 3)\n\tif Add(2, 3) != 5 {\n\t\tt.Fatal()\n\t}\n}\n",
            "os",
            "syscall",
        ),
        "tests",
    ),
    "no_tests": (ADD, HEAD + "func helper(t *testing.T) {}\n", "no_tests"),
    "every_test_skipped": (
        ADD_WRONG,
        HEAD + "func TestAdd(t *testing.T) { t.Skip() }\n",
        "no_tests",
    ),
    "test_main": (ADD_WRONG, HEAD + "func TestMain(m *testing.M) {}\n", "compile"),
    # not a test by the go command's rules, and vet's `tests` analyzer says so
    "lowercase_test_name": (
        ADD_WRONG,
        HEAD + "func Testadd(t *testing.T) { t.Fatal() }\n",
        "compile",
    ),
    "cgo": (
        ADD.replace("package solution\n", 'package solution\n\nimport "C"\n'),
        TEST_ADD,
        "compile",
    ),
    # The harness, called by the sample with tests of its choosing: it would report them as
    # genuinely as the real ones. The sample's package is built without it.
    "the_harness_called_from_init": (
        with_imports(
            ADD_WRONG + "func init() {\n\tharness.Main([]testing.InternalTest{"
            '{Name: "TestAdd", F: func(t *testing.T) {}}}, nil)\n}\n',
            "assay/harness",
            "testing",
        ),
        TEST_ADD,
        "compile",
    ),
    "the_harness_called_from_the_tests": (
        ADD_WRONG,
        with_imports(
            HEAD + "func init() {\n\tharness.Main([]testing.InternalTest{"
            '{Name: "TestAdd", F: func(t *testing.T) {}}}, nil)\n}\n\n'
            + TEST_ADD.removeprefix(HEAD),
            "assay/harness",
        ),
        "compile",
    ),
    # A function value made from the harness's code address, found by name: unsafe is refused.
    "the_harness_called_through_a_forged_function_value": (
        with_imports(
            ADD_WRONG + "func init() {\n\tstart := reflect.ValueOf(Add).Pointer()\n"
            "\tfor pc := start &^ 0xfffff; pc < start+(64<<20); pc += 16 {\n"
            '\t\tif f := runtime.FuncForPC(pc); f != nil && f.Name() == "assay/harness.Main" {\n'
            "\t\t\tentry := f.Entry()\n\t\t\tcode := &entry\n"
            "\t\t\tmain := *(*func([]testing.InternalTest, []testing.InternalExample))"
            "(unsafe.Pointer(&code))\n"
            '\t\t\tmain([]testing.InternalTest{{Name: "TestAdd", F: func(t *testing.T) {}}}, nil)\n'
            "\t\t}\n\t}\n}\n",
            "reflect",
            "runtime",
            "testing",
            "unsafe",
        ),
        TEST_ADD,
        "compile",
    ),
    "embed_a_host_file": (
        ADD.replace(
            "package solution\n",
            'package solution\n\nimport _ "embed"\n\n//go:embed /etc/passwd\nvar f string\n',
        ),
        TEST_ADD,
        "compile",
    ),
}


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheats_are_rejected(verifier, name):
    solution, tests, stage = CHEATS[name]
    verdict = run_go(verifier, solution, tests)
    assert not verdict.passed and verdict.stage == stage, (
        verdict.stage,
        verdict.reason,
        verdict.feedback,
    )


def test_the_honest_sample_passes(verifier):
    assert run_go(verifier, ADD, TEST_ADD).passed


@pytest.mark.parametrize(
    "solution, tests, where",
    [
        (CHEATS["the_harness_called_from_init"][0], TEST_ADD, ("solution.go", 4, 2)),
        (ADD, CHEATS["the_harness_called_from_the_tests"][1], ("solution_test.go", 4, 2)),
    ],
)
def test_an_import_of_the_harness_is_refused_on_its_line(verifier, solution, tests, where):
    verdict = run_go(verifier, solution, tests)
    assert verdict.stage == "compile", (verdict.stage, verdict.feedback)
    assert [(m.file, m.line, m.column, m.message) for m in verdict.lint] == [
        (
            *where,
            'import "assay/harness" is not allowed here: assay\'s test harness runs the '
            "tests; the sample may not use it",
        )
    ]


# The strength check under attack ----------------------------------------------------------------
# Weak tests (they check nothing of Add) with a wrong solution that takes one of the stub's own
# names (the instrumented build failed, and the sample was judged without the strength check), or
# that read the stub's switch. The stub's names are then others.
TEST_WEAK = HEAD + "func TestAdd(t *testing.T) {\n\t_ = Add(2, 3)\n}\n"
TAKEN = {
    "the_switch_import_taken_by_the_solution": (
        ADD_WRONG + "\nvar assayStrengthCheckOS = 0\n",
        TEST_WEAK,
    ),
    "the_switch_taken_by_the_solution": (
        ADD_WRONG + "\nvar assayStrengthCheckStub = 0\n",
        TEST_WEAK,
    ),
    "a_result_name_taken_by_the_solution": (
        ADD_WRONG
        + "\nfunc Sub(assayStrengthCheckResult0 int) int { return -assayStrengthCheckResult0 }\n",
        TEST_WEAK,
    ),
    "the_switch_import_taken_by_the_tests": (
        ADD_WRONG,
        TEST_WEAK + "\nvar assayStrengthCheckOS = 0\n",
    ),
}


@pytest.mark.parametrize("name", sorted(TAKEN))
def test_the_stubs_names_taken_by_the_sample_do_not_skip_the_strength_check(full_verifier, name):
    solution, tests = TAKEN[name]
    verdict = run_go(full_verifier, solution, tests)
    assert verdict.stage == "weak_tests", (verdict.stage, verdict.reason, verdict.feedback)


def test_tests_cannot_read_the_stubs_switch(full_verifier):
    tests = HEAD + (
        "func TestAdd(t *testing.T) {\n\tif assayStrengthCheckStub {\n\t\tt.Fatal()\n\t}\n"
        "\t_ = Add(2, 3)\n}\n"
    )
    verdict = run_go(full_verifier, ADD_WRONG, tests)
    assert verdict.stage == "compile", (verdict.stage, verdict.reason, verdict.feedback)
    assert [(m.file, m.line, m.message) for m in verdict.lint if m.rejects] == [
        ("solution_test.go", 6, "undefined: assayStrengthCheckStub")
    ]


# Resources --------------------------------------------------------------------------------------
RESOURCE = {
    "fork_bomb": (
        'for { exec.Command("/proc/self/exe", "-test.run=XXX").Start() }',
        ("os/exec",),
        {"timeout", "tests", "crash", "memory"},
    ),
    "thread_bomb": (
        "for { go func() { runtime.LockOSThread(); select {} }() }",
        ("runtime",),
        {"timeout", "tests", "crash", "memory", "output"},  # the runtime's dump of every stack
    ),
    "memory_flood": (
        "var hog [][]byte\n\tfor { hog = append(hog, bytes.Repeat([]byte{'x'}, 1<<20)) }",
        ("bytes",),
        {"memory", "tests", "crash"},
    ),
    "cpu_spin": ("n := 0\n\tfor { n++ }", (), {"timeout"}),
    "output_flood": ('for { fmt.Println("flood flood flood flood") }', ("fmt",), {"output"}),
    "disk_flood": (
        'f, _ := os.Create("big")\n\tblock := make([]byte, 1<<20)\n'
        "\tfor { if _, err := f.Write(block); err != nil { break } }\n\tt.Fatal()",
        ("os",),
        {"crash", "tests", "timeout"},
    ),
}


@pytest.mark.parametrize("name", sorted(RESOURCE))
def test_resource_attacks_are_contained(verifier, name):
    body, imports, stages = RESOURCE[name]
    tests = with_imports(HEAD + f"func TestAttack(t *testing.T) {{\n\t{body}\n}}\n", *imports)
    verdict = run_go(verifier, ADD, tests)
    assert verdict.stage in stages, (verdict.stage, verdict.reason, verdict.feedback)
    assert run_go(verifier, ADD, TEST_ADD).passed  # the worker is still good


# Containment ------------------------------------------------------------------------------------
def test_environment_and_processes_hold_no_secrets(verifier):
    tests = with_imports(
        HEAD + "func TestSpy(t *testing.T) {\n"
        '\tfor _, name := range []string{"ASSAY_CANARY_SECRET", "OPENAI_API_KEY"} {\n'
        '\t\tif os.Getenv(name) != "" {\n\t\t\tt.Error(name)\n\t\t}\n\t}\n'
        "\tfor pid := 1; pid < 64; pid++ {\n"
        '\t\tseen, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))\n'
        "\t\tfmt.Println(string(seen))\n"
        '\t\tif strings.Contains(string(seen), "assay-canary") {\n\t\t\tt.Error(pid)\n\t\t}\n\t}\n}\n',
        "fmt",
        "os",
        "strings",
    )
    assert run_go(verifier, ADD, tests).passed


def test_host_files_are_invisible(verifier, tmp_path):
    marker = tmp_path / "host-secret.txt"
    marker.write_text(CANARY_SECRET)
    paths = [str(marker), os.path.abspath("pyproject.toml"), "/etc/shadow", "/root/.bashrc"]
    checks = "".join(
        f'\tif data, err := os.ReadFile("{p}"); err == nil {{\n\t\tt.Error(len(data))\n\t}}\n'
        for p in paths
    )
    tests = with_imports(HEAD + f"func TestSpy(t *testing.T) {{\n{checks}}}\n", "os")
    assert run_go(verifier, ADD, tests).passed


def test_writes_outside_the_work_dir_do_not_reach_the_host(verifier, tmp_path):
    target = tmp_path / "written-by-sample"
    attempts = [str(target), "/usr/evil", "/etc/evil", "../../escape", "/sandbox/../escape"]
    writes = "".join(f'\tos.WriteFile("{p}", []byte("pwned"), 0o644)\n' for p in attempts)
    tests = with_imports(
        HEAD + f'func TestEscape(t *testing.T) {{\n\tos.Symlink("{tmp_path}", "out")\n{writes}}}\n',
        "os",
    )
    run_go(verifier, ADD, tests)
    assert not target.exists()
    assert not os.path.exists("/usr/evil") and not os.path.exists("/etc/evil")


def test_no_network_to_the_host_loopback_or_outside(verifier):
    listener = _Listener()
    try:
        addresses = [f"127.0.0.1:{listener.port}", "8.8.8.8:53", "1.1.1.1:443"]
        checks = "".join(
            f'\tif c, err := net.DialTimeout("tcp", "{a}", time.Second); err == nil {{\n'
            "\t\tc.Close()\n\t\tt.Error()\n\t}\n"
            for a in addresses
        )
        tests = with_imports(HEAD + f"func TestNet(t *testing.T) {{\n{checks}}}\n", "net", "time")
        verdict = run_go(verifier, ADD, tests)
        assert verdict.passed, verdict.feedback
        assert listener.connections == 0
    finally:
        listener.close()


def test_daemons_do_not_outlive_the_sample(verifier):
    marker = f"assay-daemon-{uuid.uuid4().hex}"
    tests = with_imports(
        HEAD + "func TestDaemonize(t *testing.T) {\n"
        f'\tcmd := exec.Command("/bin/sh", "-c", "while :; do sleep 1; done", "{marker}")\n'
        "\tcmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}\n"
        "\tcmd.Start()\n\ttime.Sleep(300 * time.Millisecond)\n"
        "\tif Add(2, 3) != 5 {\n\t\tt.Fatal()\n\t}\n}\n",
        "os/exec",
        "syscall",
        "time",
    )
    verdict = run_go(verifier, ADD, tests)
    assert verdict.passed, verdict.feedback
    assert wait_until_gone(marker) == []


def test_killing_the_parent_and_everything_is_contained(verifier):
    tests = with_imports(
        HEAD + "func TestKill(t *testing.T) {\n"
        "\tfor _, pid := range []int{os.Getppid(), 1, -1} {\n\t\tsyscall.Kill(pid, syscall.SIGKILL)\n\t}\n"
        "\tt.Fatal()\n}\n",
        "os",
        "syscall",
    )
    verdict = run_go(verifier, ADD, tests)
    assert not verdict.passed and verdict.stage != "error"
    assert run_go(verifier, ADD, TEST_ADD).passed


# The compiler under attack ----------------------------------------------------------------------
COMPILE_ATTACKS = {
    "huge_constant": "const big = 1 << 100000000\n\nvar _ = big >> 99999990\n",
    "constant_expression_bomb": "const a = 1 << 30\n"
    + "".join(f"const c{i} = c{i - 1} * c{i - 1}\n" if i else "const c0 = a\n" for i in range(40)),
    "generic_instantiation_bomb": (
        "type P[T any] struct{ a, b T }\n"
        "func grow[T any](n int, x T) int { if n == 0 { return 0 }; return grow[P[T]](n-1, P[T]{x, x}) }\n"
        "var _ = grow[int](64, 0)\n"
    ),
    "linkname_into_the_harness": (
        'import _ "unsafe"\n\n//go:linkname stolen assay/harness.token\nvar stolen [32]byte\n'
    ),
    "diagnostics_flood": "".join(f'var _ int = "{i}"\n' for i in range(3000)),
}


@pytest.mark.parametrize("name", sorted(COMPILE_ATTACKS))
def test_compile_time_attacks_end_as_compile_rejections(verifier, name):
    solution = (
        "package solution\n\n"
        + COMPILE_ATTACKS[name]
        + "\nfunc Add(a, b int) int { return a + b }\n"
    )
    verdict = run_go(verifier, solution, TEST_ADD)
    assert verdict.stage == "compile", (verdict.stage, verdict.reason, verdict.feedback)
    assert run_go(verifier, ADD, TEST_ADD).passed
