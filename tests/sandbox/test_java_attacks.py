"""Hostile Java: each test is an attack on the verdict, the host or the compiler, and the sandbox
must contain it. The Java counterpart of test_attacks.py: every attack runs on each backend."""

from __future__ import annotations

import os
import socket
import threading
import uuid

import pytest

from sandbox import Sample, Verifier, VerifyOptions
from tests.sandbox.conftest import ATTACK_LIMITS, CANARY_SECRET, wait_until_gone

ADD = "class Solution {\n    public int add(int a, int b) { return a + b; }\n}\n"
IMPORTS = (
    "import java.io.*;\nimport java.net.*;\nimport java.nio.file.*;\nimport java.util.*;\n"
    "import org.junit.jupiter.api.*;\nimport static org.junit.jupiter.api.Assertions.*;\n"
)
TEST_ADD = IMPORTS + (
    "class SolutionTest {\n    @Test void adds() { assertEquals(5, new Solution().add(2, 3)); }\n}\n"
)


def wrong(extra: str = "") -> str:
    """A wrong solution, with `extra` members in its class."""
    return (
        "class Solution {\n" + extra + "\n    public int add(int a, int b) { return a - b; }\n}\n"
    )


def body_tests(body: str, members: str = "") -> str:
    """A test that runs `body`, then checks `add`. The body sits in an `if (true)`, which javac
    deems able to complete, so an endless loop in it is no unreachable-statement error."""
    return (
        IMPORTS
        + "class SolutionTest {\n"
        + members
        + "\n    @Test void adds() throws Exception {\n"
        "        if (true) {\n" + body + "\n        }\n"
        "        assertEquals(5, new Solution().add(2, 3));\n    }\n}\n"
    )


# A descriptor of the sample's own process by number, as the harness reaches fd 3 and 4.
DESCRIPTOR = (
    "    static FileDescriptor fd(int n) throws Exception {\n"
    '        var f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe"); f.setAccessible(true);\n'
    "        var u = (sun.misc.Unsafe) f.get(null); var out = new FileDescriptor();\n"
    '        u.putInt(out, u.objectFieldOffset(FileDescriptor.class.getDeclaredField("fd")), n);\n'
    "        return out;\n    }\n"
)
FORGED = (
    '"00000000000000000000000000000000 {\\"seq\\": 0, \\"t\\": \\"end\\", \\"exitstatus\\": 0}\\n"'
)


def run_java(verifier: Verifier, solution: str, tests: str):
    (verdict,) = verifier.verify([Sample(solution=solution, tests=tests, language="java")])
    text = verdict.feedback + verdict.stdout + verdict.stderr + repr(verdict.tests)
    assert CANARY_SECRET not in text
    return verdict


# Cheating the verdict ---------------------------------------------------------------------------
CHEATS = {
    "exit_0_in_a_static_initializer": (wrong("static { System.exit(0); }"), TEST_ADD, "tests"),
    "halt_0_in_a_static_initializer": (
        wrong("static { Runtime.getRuntime().halt(0); }"),
        TEST_ADD,
        "tests",
    ),
    "exit_0_in_a_test": (wrong(), body_tests("System.exit(0);"), "tests"),
    "halt_0_in_a_test": (wrong(), body_tests("Runtime.getRuntime().halt(0);"), "tests"),
    "exit_0_in_before_all": (
        wrong(),
        body_tests("", "    @BeforeAll static void quit() { System.exit(0); }"),
        "tests",
    ),
    "shutdown_hook_halts_0": (
        wrong(
            "static { Runtime.getRuntime().addShutdownHook(new Thread(() -> Runtime.getRuntime().halt(0))); }"
        ),
        body_tests("System.exit(1);"),
        "tests",
    ),
    "exit_0_from_a_thread_after_the_tests": (
        wrong(),
        body_tests(
            "new Thread(() -> { try { Thread.sleep(50); } catch (InterruptedException e) { }"
            " System.exit(0); }).start();"
        ),
        "tests",
    ),
    "forged_report_printed": (
        wrong(f"static {{ System.out.print({FORGED}); System.err.print({FORGED}); }}"),
        TEST_ADD,
        "tests",
    ),
    "forged_lines_on_every_descriptor": (
        wrong(),
        body_tests(
            "for (int n = 3; n < 64; n++) { try { new FileOutputStream(fd(n)).write("
            + FORGED
            + ".getBytes()); } catch (Exception e) { } }",
            DESCRIPTOR,
        ),
        "tests",
    ),
    "channel_closed": (
        wrong(),
        body_tests("new FileOutputStream(fd(3)).close();", DESCRIPTOR),
        "tests",
    ),
    "the_harness_opened_again": (
        wrong(),
        body_tests(
            'var open = Class.forName("assay.Channel").getDeclaredMethod("open");'
            " open.setAccessible(true); Object channel = open.invoke(null);"
            ' var send = channel.getClass().getDeclaredMethod("send", String.class, String.class);'
            ' send.setAccessible(true); send.invoke(channel, "end", "\\"exitstatus\\": 0");'
            " Runtime.getRuntime().halt(0);"
        ),
        "tests",
    ),
    "junit_assertions_shadowed": (
        "package org.junit.jupiter.api;\n"
        "public class Solution { public int add(int a, int b) { return a - b; } }\n"
        "class Assertions { public static void assertEquals(int expected, int actual) { } }\n",
        "import org.junit.jupiter.api.*;\nimport static org.junit.jupiter.api.Assertions.*;\n"
        "class SolutionTest { @Test void adds() { assertEquals(5, new Solution().add(2, 3)); } }\n",
        "compile",  # the sample's Assertions shadows JUnit's for javac, and is not public
    ),
    "security_manager_installed": (
        wrong(),
        body_tests("System.setSecurityManager(new SecurityManager());"),
        "tests",
    ),
    "no_tests": (ADD, IMPORTS + "class SolutionTest { void adds() { } }\n", "no_tests"),
    "every_test_disabled": (
        wrong(),
        TEST_ADD.replace("@Test", '@Disabled("later") @Test'),
        "no_tests",
    ),
    "every_test_aborted": (wrong(), body_tests("Assumptions.assumeTrue(false);"), "no_tests"),
    "tests_in_a_static_nested_class": (
        wrong(),
        IMPORTS + "class SolutionTest {\n  static class Inner {\n"
        "    @Test void adds() { assertEquals(5, new Solution().add(2, 3)); }\n  }\n}\n",
        "no_tests",
    ),
    "failures_swallowed_by_an_extension": (
        wrong(),
        IMPORTS + "import org.junit.jupiter.api.extension.*;\n"
        "class Swallow implements TestExecutionExceptionHandler {\n"
        "  public void handleTestExecutionException(ExtensionContext c, Throwable t) { }\n}\n"
        "@ExtendWith(Swallow.class)\nclass SolutionTest {\n"
        "  @Test void adds() { assertEquals(5, new Solution().add(2, 3)); }\n}\n",
        "weak",
    ),
}


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheats_are_rejected(verifier, name):
    solution, tests, stage = CHEATS[name]
    verdict = run_java(verifier, solution, tests)
    assert not verdict.passed or stage == "weak", (verdict.stage, verdict.reason)
    if stage != "weak":
        assert verdict.stage == stage, (verdict.stage, verdict.reason, verdict.feedback)


def test_the_honest_sample_passes(verifier):
    assert run_java(verifier, ADD, TEST_ADD).passed


def test_tests_that_swallow_their_failures_are_weak(backend_name):
    options = VerifyOptions(sandbox=backend_name, jobs=1, limits=ATTACK_LIMITS)
    solution, tests, _ = CHEATS["failures_swallowed_by_an_extension"]
    with Verifier(options) as verifier:
        verdict = run_java(verifier, ADD, tests)
    assert verdict.stage == "weak_tests", (verdict.stage, verdict.reason)


# The strength check under attack ----------------------------------------------------------------
# Weak tests (they check nothing of `add`) made to fail only in the strength check's run, where the
# solution is the stub, or to break the stub's build: either way a wrong solution would pass.
WEAK = IMPORTS + (
    "class SolutionTest {\n    @Test void adds() throws Exception {\n%s\n"
    "        new Solution().add(2, 3);\n    }\n}\n"
)
# The bytes of `a - b` (iload_1, iload_2, isub) in the bundle's Solution: the sample's, not the stub's.
READ_BUNDLE = (
    '        for (String line : Files.readAllLines(Path.of("classes.assay"))) {\n'
    '            if (!line.contains(" Solution ")) continue;\n'
    '            byte[] code = Base64.getDecoder().decode(line.split(" ")[2]);\n'
    "            boolean found = false;\n"
    "            for (int i = 0; i + 2 < code.length; i++)\n"
    "                found |= code[i] == 0x1b && code[i + 1] == 0x1c && code[i + 2] == 0x64;\n"
    "            assertTrue(found);\n        }\n"
)
STRENGTH_ATTACKS = {
    # The run's work dir held the sources, the stub's in the strength check's run.
    "the_source_read_by_the_tests": (
        wrong(),
        WEAK % '        Path source = Path.of("Solution.java");\n'
        '        if (Files.exists(source)) assertTrue(Files.readString(source).contains("a - b"));',
    ),
    # The compiled classes: the harness deletes them before the tests run.
    "the_classes_read_by_the_tests": (
        wrong(),
        WEAK
        % ('        if (Files.exists(Path.of("classes.assay"))) {\n' + READ_BUNDLE + "        }"),
    ),
    # tree-sitter does not read Unicode escapes: an int it took for an object got `return null;`,
    # the stub did not compile, and the strength check had nothing to say.
    "a_return_type_in_unicode_escapes": (
        wrong("    static \\u0069nt helper() { return 1; }"),
        WEAK % "        assertTrue(true);",
    ),
    "a_boolean_in_unicode_escapes": (
        wrong("    static \\u0062oolean helper() { return true; }"),
        WEAK % "        assertTrue(true);",
    ),
}


@pytest.mark.parametrize("name", sorted(STRENGTH_ATTACKS))
def test_weak_tests_made_to_fool_the_strength_check_are_weak(full_verifier, name):
    solution, tests = STRENGTH_ATTACKS[name]
    verdict = run_java(full_verifier, solution, tests)
    assert verdict.stage == "weak_tests", (verdict.stage, verdict.reason, verdict.feedback)


def test_the_work_dir_holds_nothing_when_the_tests_run(verifier):
    body = (
        '        try (var listed = Files.list(Path.of("."))) {\n'
        "            assertEquals(List.of(), listed.map(Path::toString).toList());\n        }"
    )
    verdict = run_java(verifier, ADD, body_tests(body))
    assert verdict.passed, verdict.feedback


# Resources --------------------------------------------------------------------------------------
RESOURCE = {
    "process_bomb": (
        'for (;;) new ProcessBuilder("/bin/sh", "-c", "sleep 100").start();',
        {"timeout", "tests", "crash", "memory"},
    ),
    "thread_bomb": (
        "for (;;) { Thread t = new Thread(() -> { try { Thread.sleep(100000); }"
        " catch (InterruptedException e) { } }); t.setDaemon(true); t.start(); }",
        {"timeout", "tests", "crash", "memory"},
    ),
    "heap_flood": (
        "List<byte[]> hog = new ArrayList<>(); for (;;) hog.add(new byte[1 << 20]);",
        {"memory", "tests", "crash"},
    ),
    "native_memory_flood": (
        "List<Object> hog = new ArrayList<>();"
        " for (;;) hog.add(java.nio.ByteBuffer.allocateDirect(1 << 20));",
        {"memory", "tests", "crash"},
    ),
    "cpu_spin": ("long n = 0; for (;;) { n++; if (n == -1) break; }", {"timeout"}),
    "output_flood": ('for (;;) System.out.println("flood flood flood flood");', {"output"}),
    "disk_flood": (
        'try (var out = new FileOutputStream("big")) { byte[] block = new byte[1 << 20];'
        " for (;;) out.write(block); } catch (IOException e) { } fail();",
        {"crash", "tests", "timeout"},
    ),
}


@pytest.mark.parametrize("name", sorted(RESOURCE))
def test_resource_attacks_are_contained(verifier, name):
    body, stages = RESOURCE[name]
    verdict = run_java(verifier, ADD, body_tests(body))
    assert verdict.stage in stages, (verdict.stage, verdict.reason)
    assert run_java(verifier, ADD, TEST_ADD).passed  # the worker is still good


# Containment ------------------------------------------------------------------------------------
READ = (
    "    static String read(String path) {\n"
    '        try { return Files.readString(Path.of(path)); } catch (Exception e) { return ""; }\n'
    "    }\n"
)


def test_environment_and_processes_hold_no_secrets(verifier):
    body = (
        'assertTrue(System.getenv().values().stream().noneMatch(v -> v.contains("assay-canary")));'
        ' assertNull(System.getenv("OPENAI_API_KEY"));'
        " for (int pid = 1; pid < 64; pid++) {"
        ' String seen = read("/proc/" + pid + "/environ"); System.out.println(seen);'
        ' assertFalse(seen.contains("assay-canary")); }'
    )
    verdict = run_java(verifier, ADD, body_tests(body, READ))
    assert verdict.passed, verdict.feedback


def test_host_files_are_invisible(verifier, tmp_path):
    marker = tmp_path / "host-secret.txt"
    marker.write_text(CANARY_SECRET)
    paths = [str(marker), os.path.abspath("pyproject.toml"), "/etc/shadow", "/root/.bashrc"]
    body = " ".join(f'assertEquals("", read("{p}"));' for p in paths)
    verdict = run_java(verifier, ADD, body_tests(body, READ))
    assert verdict.passed, verdict.feedback


def test_writes_outside_the_work_dir_do_not_reach_the_host(verifier, tmp_path):
    target = tmp_path / "written-by-sample"
    attempts = [str(target), "/usr/evil", "/etc/evil", "../../escape", "/sandbox/../escape"]
    body = (
        f'try {{ Files.createSymbolicLink(Path.of("out"), Path.of("{tmp_path}")); }} catch (Exception e) {{ }}'
        + "".join(
            f' try {{ Files.writeString(Path.of("{p}"), "pwned"); }} catch (Exception e) {{ }}'
            for p in attempts
        )
    )
    run_java(verifier, ADD, body_tests(body))
    assert not target.exists()
    assert not os.path.exists("/usr/evil") and not os.path.exists("/etc/evil")


class _Listener:
    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self.thread.join()
        self.sock.close()


def test_no_network_to_the_host_loopback_or_outside(verifier):
    listener = _Listener()
    reaches = (
        "    static boolean reaches(String host, int port) {\n"
        "        try (Socket s = new Socket()) { s.connect(new InetSocketAddress(host, port), 1000);"
        " return true; } catch (Exception e) { return false; }\n    }\n"
    )
    body = (
        f'assertFalse(reaches("127.0.0.1", {listener.port}));'
        ' assertFalse(reaches("8.8.8.8", 53)); assertFalse(reaches("1.1.1.1", 443));'
    )
    try:
        verdict = run_java(verifier, ADD, body_tests(body, reaches))
        assert verdict.passed, verdict.feedback
        assert listener.connections == 0
    finally:
        listener.close()


def test_daemons_do_not_outlive_the_sample(verifier):
    marker = f"assay-daemon-{uuid.uuid4().hex}"
    body = (
        f'new ProcessBuilder("/usr/bin/setsid", "/bin/sh", "-c", "while :; do sleep 1; done", "{marker}")'
        ".redirectOutput(ProcessBuilder.Redirect.DISCARD).start(); Thread.sleep(300);"
    )
    verdict = run_java(verifier, ADD, body_tests(body))
    assert verdict.passed, verdict.feedback
    assert wait_until_gone(marker) == []


def test_killing_the_parent_and_everything_is_contained(verifier):
    body = (
        "ProcessHandle.current().parent().ifPresent(ProcessHandle::destroyForcibly);"
        " ProcessHandle.allProcesses().forEach(ProcessHandle::destroyForcibly); fail();"
    )
    verdict = run_java(verifier, ADD, body_tests(body))
    assert not verdict.passed and verdict.stage != "error", (verdict.stage, verdict.reason)
    assert run_java(verifier, ADD, TEST_ADD).passed


# The compiler under attack ----------------------------------------------------------------------
def nested(depth: int) -> str:
    return "    int deep() { return " + "(" * depth + "1" + ")" * depth + "; }\n"


def constant_bomb(levels: int) -> str:
    lines = ['    static final String A0 = "0123456789abcdef";\n']
    lines += [f"    static final String A{i} = A{i - 1} + A{i - 1};\n" for i in range(1, levels)]
    return "".join(lines) + f"    int size() {{ return A{levels - 1}.length(); }}\n"


def inference_bomb(depth: int) -> str:
    """Conditionals as arguments of a generic method, nested: javac's type inference takes time
    exponential in the depth (a depth of 12 takes it over a minute)."""
    call = "1"
    for _ in range(depth):
        call = f"id(b ? {call} : 1)"
    return (
        "    static <T> T id(T t) { return t; }\n    static boolean b;\n"
        f"    Object bomb() {{ return {call}; }}\n"
    )


COMPILE_ATTACKS = {
    "deep_nesting": (nested(200_000), "compile error"),
    "constant_folding_bomb": (constant_bomb(40), None),
    "inference_bomb": (inference_bomb(30), None),
    "code_too_large": (
        "    int big(int x) {\n"
        + "        x = x * 31 + 7;\n" * 20_000
        + "        return x;\n    }\n",
        "compile error",
    ),
    "diagnostics_flood": (
        "    int flood() {\n" + "        undefined();\n" * 5_000 + "    }\n",
        "compile error",
    ),
}


@pytest.mark.parametrize("name", sorted(COMPILE_ATTACKS))
def test_compile_time_attacks_end_as_compile_rejections(verifier, name):
    members, reason = COMPILE_ATTACKS[name]
    solution = (
        "class Solution {\n" + members + "    public int add(int a, int b) { return a + b; }\n}\n"
    )
    verdict = run_java(verifier, solution, TEST_ADD)
    assert verdict.stage == "compile", (verdict.stage, verdict.reason)
    if reason is not None:
        assert verdict.reason == reason
    assert len(verdict.lint) <= 100
    assert run_java(verifier, ADD, TEST_ADD).passed


def test_a_compile_bomb_rejects_only_its_own_sample(backend_name):
    """The batch compile shares one JVM among a chunk's samples: the bomb's budget runs out, the
    JVM stops, and the samples after it are compiled again in a new one."""
    options = VerifyOptions(
        sandbox=backend_name,
        jobs=1,
        strength_check=False,
        limits=ATTACK_LIMITS._replace(timeout_s=2),
    )
    bomb = (
        "class Solution {\n"
        + inference_bomb(30)
        + "    public int add(int a, int b) { return a + b; }\n}\n"
    )
    samples = [Sample(solution=s, tests=TEST_ADD, language="java") for s in (ADD, bomb, ADD, ADD)]
    with Verifier(options) as verifier:
        verdicts = list(verifier.verify(samples))
    assert [v.stage for v in verdicts] == ["passed", "compile", "passed", "passed"]
    assert verdicts[1].reason.startswith("the compiler ran out of time")
