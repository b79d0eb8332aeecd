"""Hostile C++: each test is an attack on the verdict, the host or the compiler, and the sandbox
must contain it. The C++ counterpart of test_attacks.py: every attack runs on each backend."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import threading
import uuid

import pytest

from sandbox import Sample, Verifier, VerifyOptions
from sandbox.isolation import channel
from tests.sandbox.conftest import ATTACK_LIMITS, CANARY_SECRET, wait_until_gone

ADD = "#pragma once\ninline int add(int a, int b) { return a + b; }\n"
ADD_WRONG = "#pragma once\n#include <cstdlib>\n#include <unistd.h>\ninline int add(int a, int b) { return a - b; }\n"
HEAD = '#include "solution.hpp"\n#include <doctest/doctest.h>\n'
TEST_ADD = HEAD + 'TEST_CASE("adds") { CHECK(add(2, 3) == 5); }\n'


def run_cpp(verifier: Verifier, solution: str, tests: str):
    (verdict,) = verifier.verify([Sample(solution=solution, tests=tests, language="cpp")])
    text = verdict.feedback + verdict.stdout + verdict.stderr + repr(verdict.tests)
    assert CANARY_SECRET not in text
    return verdict


# Cheating the verdict ---------------------------------------------------------------------------
CHEATS = {
    "exit_0_in_a_static_initializer": (
        ADD_WRONG + "static int quit = (std::exit(0), 0);\n",
        TEST_ADD,
        "tests",
    ),
    "_exit_0_in_a_static_initializer": (
        ADD_WRONG + "static int quit = (_exit(0), 0);\n",
        TEST_ADD,
        "tests",
    ),
    "exit_0_in_a_test": (
        ADD_WRONG,
        HEAD + 'TEST_CASE("adds") { std::exit(0); CHECK(add(2, 3) == 5); }\n',
        "tests",
    ),
    "quick_exit_0_in_a_test": (
        ADD_WRONG,
        HEAD + 'TEST_CASE("adds") { std::quick_exit(0); CHECK(add(2, 3) == 5); }\n',
        "tests",
    ),
    "_exit_0_at_exit": (
        ADD_WRONG + "static int later = (std::atexit([] { _exit(0); }), 0);\n",
        TEST_ADD,
        "tests",
    ),
    "abort_handler_exits_0": (
        ADD_WRONG.replace("return a - b;", "abort();")
        + "#include <csignal>\nstatic int h = (std::signal(SIGABRT, [](int) { _exit(0); }), 0);\n",
        TEST_ADD,
        "tests",
    ),
    "main_renamed_by_a_macro": (ADD_WRONG + "#define main not_main\n", TEST_ADD, "tests"),
    "forged_report_printed": (
        ADD_WRONG
        + '#include <cstdio>\nstatic int fake = std::printf("[doctest] test cases: 1 | 1 passed'
        ' | 0 failed\\n[doctest] Status: SUCCESS!\\n{\\"seq\\": 0, \\"t\\": \\"end\\"}\\n");\n',
        TEST_ADD,
        "tests",
    ),
    "forged_lines_on_every_descriptor": (
        ADD_WRONG + "#include <cstring>\nstatic int fake = [] {\n"
        '  const char* lines = "00000000000000000000000000000000 '
        '{\\"seq\\": 0, \\"t\\": \\"end\\", \\"exitstatus\\": 0}\\n";\n'
        "  for (int fd = 3; fd < 64; ++fd) (void)!write(fd, lines, std::strlen(lines));\n"
        "  return 0; }();\n",
        TEST_ADD,
        "tests",
    ),
    "channel_closed": (ADD_WRONG + "static int gone = close(3);\n", TEST_ADD, "tests"),
    "fork_in_a_test_doubles_the_report": (
        ADD,
        "#include <unistd.h>\n" + HEAD + 'TEST_CASE("adds") { fork(); CHECK(add(2, 3) == 5); }\n'
        'TEST_CASE("again") { CHECK(add(1, 1) == 2); }\n',
        "tests",
    ),
    "no_tests": (ADD, HEAD + "static int nothing = add(1, 2);\n", "no_tests"),
    "every_test_skipped": (
        ADD_WRONG,
        HEAD + 'TEST_CASE("adds" * doctest::skip()) { CHECK(add(2, 3) == 5); }\n',
        "no_tests",
    ),
    "should_fail_decorator": (
        ADD_WRONG,
        HEAD + 'TEST_CASE("adds" * doctest::should_fail()) { CHECK(add(2, 3) == 5); }\n',
        "tests",
    ),
    "may_fail_decorator": (
        ADD_WRONG,
        HEAD + 'TEST_CASE("adds" * doctest::may_fail()) { CHECK(add(2, 3) == 5); }\n',
        "tests",
    ),
    "warn_only": (ADD_WRONG, HEAD + 'TEST_CASE("adds") { WARN(add(2, 3) == 5); }\n', "weak"),
    "own_main": (ADD_WRONG, TEST_ADD + "int main() { return 0; }\n", "lint"),
    "doctest_implement": (
        ADD_WRONG,
        "#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN\n" + TEST_ADD,
        "lint",
    ),
}

# Forging the report with the run's token: the rest of a passing report after the harness's
# `start` (seq 0), then an exit before the harness can say anything.
FORGE = r"""
#include <string>
inline void forge_with(const char* token) {
  const char* m[] = {R"("t": "collected", "ids": ["adds"], "errors": [])",
    R"("t": "begin", "id": "adds")",
    R"("t": "case", "id": "adds", "outcome": "passed", "message": "", "detail": "")",
    R"("t": "end", "exitstatus": 0)"};
  int seq = 1;
  for (auto f : m) {
    std::string line = std::string(token, 32) + " {\"seq\": " + std::to_string(seq++) + ", " + f
      + "}\n";
    (void)!write(3, line.data(), line.size()); }
  _exit(0); }
"""
# Takes the token off descriptor 4 before the harness reads it, with raw system calls (nothing is
# set up that early), and leaves a pipe with the same token in its place.
STEAL = r"""
#include <sys/syscall.h>
#define RAW __attribute__((no_sanitize("address", "undefined")))
RAW static long raw(long n, long a, long b, long c) {
  long r;
  asm volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r; }
inline char stolen[33];
RAW inline void steal() {
  long got = 0;
  while (got < 32) {
    long n = raw(SYS_read, 4, (long)(stolen + got), 32 - got);
    if (n <= 0) return;
    got += n; }
  int p[2]; if (raw(SYS_pipe2, (long)p, 0, 0) != 0) return;
  raw(SYS_write, p[1], (long)stolen, 32); raw(SYS_close, p[1], 0, 0);
  raw(SYS_dup2, p[0], 4, 0); raw(SYS_close, p[0], 0, 0); }
"""
THIEF = ADD_WRONG + STEAL + FORGE
FORGE_IF_STOLEN = "static int forged = (stolen[0] ? forge_with(stolen) : (void)0, 0);\n"
# Sees the token as the harness reads it: a C library name that the sample defines replaces the
# C library's (and AddressSanitizer's interceptor) for the whole process.
READ_BODY = r"""(int fd, void* buf, size_t n) {
  long r = raw(SYS_read, fd, (long)buf, (long)n);
  if (fd == 4 && r == 32) for (int i = 0; i < 32; ++i) stolen[i] = ((char*)buf)[i];
  return r; }
"""
FORGE_BY_NAME = r"""#include <string>
namespace assay_harness { void send(const char*, const std::string&); }
static int forged = (assay_harness::send("collected", R"("ids": ["adds"], "errors": [])"),
  assay_harness::send("begin", R"("id": "adds")"),
  assay_harness::send("case", R"("id": "adds", "outcome": "passed", "message": "", "detail": "")"),
  assay_harness::send("end", R"("exitstatus": 0)"), _exit(0), 0);
"""
ASSERTIONS_REDEFINED = r"""#include <cstdlib>
namespace doctest { namespace detail {
bool ResultBuilder::log() {
  if (m_failed && std::getenv("ASSAY_STRENGTH_CHECK_STUB")) throw 1;  // fail the stub's run
  m_failed = false;
  return false; }
} }
"""

# Code of the sample that would run before the harness, or in its place (solution, tests, what
# the reason names): the binary check, the compile step's program (box/check.cpp), rejects the
# linked test binary and says what it found. The harness reads its token before any of it could
# run anyway, and a sample can name none of its internals.
BEFORE_THE_HARNESS = {
    "harness_reporter_called_by_name": (  # its symbols are hidden: an undefined reference
        ADD_WRONG + FORGE_BY_NAME,
        TEST_ADD,
        "assay_harness::send",
    ),
    "token_read_in_preinit_array": (
        THIEF
        + '__attribute__((section(".preinit_array"), used)) static void (*early)() = steal;\n'
        + FORGE_IF_STOLEN,
        TEST_ADD,
        ".preinit_array",
    ),
    "token_read_in_preinit_array_by_asm": (
        THIEF
        + 'extern "C" RAW void early() { steal(); }\n'
        + 'asm(".pushsection .preinit_array, \\"aw\\"\\n.quad early\\n.popsection");\n'
        + FORGE_IF_STOLEN,
        TEST_ADD,
        ".preinit_array",
    ),
    "token_read_in_an_ifunc_resolver": (
        THIEF
        + 'extern "C" void target_impl() {}\n'
        + 'extern "C" RAW void (*resolve())() { steal(); return target_impl; }\n'
        + 'extern "C" void target() __attribute__((ifunc("resolve")));\n'
        + "static int touched = (target(), 0);\n"
        + FORGE_IF_STOLEN,
        TEST_ADD,
        "IFUNC, `target`",
    ),
    "libc_read_replaced": (
        THIEF + 'extern "C" RAW ssize_t read' + READ_BODY + FORGE_IF_STOLEN,
        TEST_ADD,
        "defines `read`",
    ),
    "libc_read_replaced_by_an_asm_label": (  # no `read` in the source for a text ban to see
        THIEF
        + 'RAW ssize_t my_read(int, void*, size_t) asm("re" "ad");\n'
        + "ssize_t my_read"
        + READ_BODY
        + FORGE_IF_STOLEN,
        TEST_ADD,
        "defines `read`",
    ),
    "doctest_assertions_redefined": (  # every failed check a pass: no token needed
        ADD_WRONG,
        HEAD + ASSERTIONS_REDEFINED + 'TEST_CASE("adds") { CHECK(add(2, 3) == 5); }\n',
        "redefines `doctest::detail::ResultBuilder::log()`",
    ),
}


@pytest.mark.parametrize("name", sorted(BEFORE_THE_HARNESS))
def test_code_before_the_harness_is_rejected_at_compile(verifier, name):
    solution, tests, named = BEFORE_THE_HARNESS[name]
    if "raw(" in solution and platform.machine() != "x86_64":
        pytest.skip("the attack's raw system calls are x86-64's")
    verdict = run_cpp(verifier, solution, tests)
    assert verdict.stage == "compile", (verdict.stage, verdict.reason)
    assert named in verdict.reason + verdict.feedback, (verdict.reason, verdict.feedback)


THIEVES = sorted(
    name for name, (solution, _, _) in BEFORE_THE_HARNESS.items() if "steal" in solution
)


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the attacks' raw system calls")
@pytest.mark.parametrize("name", THIEVES)
def test_the_harness_reads_its_token_before_any_code_of_the_sample(name, tmp_path):
    # The second line of defence, without the binary check: built as the compile step builds it,
    # run as the sandbox runs it, the thief finds descriptor 4 already read and closed (the
    # harness reads it while the dynamic linker relocates the harness library, box/harness.cpp),
    # and the report is the harness's own: the wrong `add` fails.
    import shutil

    from sandbox.languages.cpp import build

    gxx = shutil.which("g++")
    shared = build.shared_dir(gxx)
    solution, tests, _ = BEFORE_THE_HARNESS[name]
    (tmp_path / "solution.hpp").write_text(solution)
    (tmp_path / "test_solution.cpp").write_text(tests)
    built = subprocess.run(
        [gxx, *build.FLAGS, "-include", f"{shared}/{build.PRELUDE}", *build.linker_flags(gxx)]
        + ["test_solution.cpp", f"{shared}/main.o", f"{shared}/{build.HARNESS_LIB}"]
        + [f"-Wl,-rpath,{shared}", "-o", "test_solution"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    token = channel.new_token()
    (tmp_path / "token").write_bytes(token)
    subprocess.run(
        ["sh", "-c", "exec ./test_solution 3>report 4<token"],
        cwd=tmp_path,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    messages, problem = channel.read_lines((tmp_path / "report").read_bytes(), token)
    assert problem is None, problem
    cases = [m for m in messages if m.get("t") == "case"]
    assert [c["outcome"] for c in cases] == ["failed"], messages
    assert messages[-1] == {"seq": len(messages) - 1, "t": "end", "exitstatus": 1}


# Ordinary C++ that the binary check must let through: globals named like C library functions
# (data, not code), a replaced operator new, static objects with constructors, iostreams (copy
# relocations), thread_local, templates and lambdas, with or without <bits/stdc++.h>.
ORDINARY = {
    "plain_headers": (
        "#pragma once\n#include <cstdio>\n#include <cstdlib>\n#include <iostream>\n#include <map>\n"
        "#include <memory>\n#include <new>\n#include <string>\n#include <vector>\n"
        "double x1, y1, x2, y2;\nint index = 0;\n"
        'static std::map<std::string, int> table = {{"a", 1}};\n'
        "inline int allocations = 0;\n"
        "void* operator new(std::size_t n) { ++allocations; if (void* p = std::malloc(n ? n : 1)) "
        "return p; throw std::bad_alloc(); }\n"
        "void operator delete(void* p) noexcept { std::free(p); }\n"
        "void operator delete(void* p, std::size_t) noexcept { std::free(p); }\n"
        "struct Shape { virtual ~Shape() = default; virtual int area() const = 0; };\n"
        "struct Square : Shape { int s; explicit Square(int s) : s(s) {} "
        "int area() const override { return s * s; } };\n"
        "thread_local int calls = 0;\n"
        "template <class T> T twice(T x) { ++calls; return x + x; }\n"
        'inline int add(int a, int b) { y1 = a; std::cout << a; std::printf("%d\\n", b); '
        "return a + b + index; }\n",
        HEAD + 'TEST_CASE("adds") { CHECK(add(2, 3) == 5); CHECK(y1 == 2); }\n'
        'TEST_CASE("more") { std::unique_ptr<Shape> s = std::make_unique<Square>(3); '
        "CHECK(s->area() == 9); auto f = [](int v) { return twice(v); }; CHECK(f(4) == 8); "
        'CHECK(table.at("a") == 1); CHECK(allocations > 0); }\n',
    ),
    "whole_library": (
        "#pragma once\n#include <bits/stdc++.h>\nusing namespace std;\nint n, m;\n"
        "long long dp[100];\nvector<int> adj[10];\n"
        "inline long long fib(int k) { dp[0] = 0; dp[1] = 1; for (int i = 2; i <= k; ++i) "
        "dp[i] = dp[i - 1] + dp[i - 2]; return dp[k]; }\n"
        "inline int add(int a, int b) { return a + b; }\n",
        "#include <bits/stdc++.h>\n"
        + HEAD
        + 'TEST_CASE("adds") { CHECK(add(2, 3) == 5); CHECK(fib(10) == 55); '
        "std::thread t([] { n = 1; }); t.join(); CHECK(n == 1); "
        'CHECK(std::regex_match("aaa", std::regex("a+"))); }\n',
    ),
}


@pytest.mark.parametrize("name", sorted(ORDINARY))
def test_ordinary_cpp_passes_the_binary_check(full_verifier, name):
    verdict = run_cpp(full_verifier, *ORDINARY[name])
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.feedback)


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheats_are_rejected(verifier, name):
    solution, tests, stage = CHEATS[name]
    verdict = run_cpp(verifier, solution, tests)
    assert not verdict.passed or stage == "weak", (verdict.stage, verdict.reason)
    if stage != "weak":
        assert verdict.stage == stage, (verdict.stage, verdict.reason, verdict.feedback)


def test_the_honest_sample_passes(verifier):
    assert run_cpp(verifier, ADD, TEST_ADD).passed


def test_a_type_without_a_default_constructor_does_not_skip_the_strength_check(full_verifier):
    # The stub of `make_tag` cannot return `{}`: it throws instead (box/stub.hpp), so the stubbed
    # build compiles and the tests that check nothing are weak.
    solution = (
        "#pragma once\nstruct Tag { explicit Tag(int v) : v(v) {} int v; };\n"
        "inline Tag make_tag() { return Tag(1); }\n"
        "inline Tag& the_tag() { static Tag t(2); return t; }\n"
        "inline int add(int a, int b) { return a + b; }\n"
    )
    tests = HEAD + 'TEST_CASE("adds") { CHECK(true); add(1, 2); }\n'
    verdict = run_cpp(full_verifier, solution, tests)
    assert verdict.stage == "weak_tests", (verdict.stage, verdict.reason, verdict.lint)
    strong = HEAD + 'TEST_CASE("tags") { CHECK(make_tag().v == 1); CHECK(the_tag().v == 2); }\n'
    verdict = run_cpp(full_verifier, solution, strong)
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.feedback)
    assert "strength-unchecked" not in {m.code for m in verdict.lint}


# Resources --------------------------------------------------------------------------------------
RESOURCE = {
    "fork_bomb": ("while (true) fork();", {"timeout", "tests", "crash", "memory"}),
    "thread_bomb": (
        "for (;;) { std::thread([] { pause(); }).detach(); }",
        {"timeout", "tests", "crash", "memory"},
    ),
    "memory_flood": (
        "std::vector<std::vector<char>> hog; for (;;) hog.emplace_back(1 << 20, 'x');",
        {"memory", "tests", "crash"},
    ),
    "cpu_spin": ("volatile unsigned long n = 0; for (;;) ++n;", {"timeout"}),
    "output_flood": ('for (;;) std::fputs("flood flood flood flood\\n", stdout);', {"output"}),
    "disk_flood": (
        'FILE* f = std::fopen("big", "w"); std::vector<char> block(1 << 20, \'x\');'
        " for (;;) if (std::fwrite(block.data(), 1, block.size(), f) == 0) break;"
        " CHECK(false);",
        {"crash", "tests", "timeout"},
    ),
}


@pytest.mark.parametrize("name", sorted(RESOURCE))
def test_resource_attacks_are_contained(verifier, name):
    body, stages = RESOURCE[name]
    tests = (
        "#include <thread>\n#include <vector>\n#include <cstdio>\n#include <unistd.h>\n"
        + HEAD
        + f'TEST_CASE("{name}") {{ {body} }}\n'
    )
    verdict = run_cpp(verifier, ADD, tests)
    assert verdict.stage in stages, (verdict.stage, verdict.reason)
    assert run_cpp(verifier, ADD, TEST_ADD).passed  # the worker is still good


# Containment ------------------------------------------------------------------------------------
SPY_HEAD = (
    "#include <cstdio>\n#include <cstdlib>\n#include <string>\n#include <fstream>\n"
    "#include <sstream>\n#include <csignal>\n#include <unistd.h>\n#include <sys/socket.h>\n"
    "#include <netinet/in.h>\n#include <arpa/inet.h>\n#include <sys/ptrace.h>\n" + HEAD
)


def read_any(path: str) -> str:
    return f'[&] {{ std::ifstream f("{path}"); std::stringstream s; s << f.rdbuf(); return s.str(); }}()'


def test_environment_and_processes_hold_no_secrets(verifier):
    tests = SPY_HEAD + (
        'TEST_CASE("spy") {\n'
        '  CHECK(std::getenv("ASSAY_CANARY_SECRET") == nullptr);\n'
        '  CHECK(std::getenv("OPENAI_API_KEY") == nullptr);\n'
        "  for (int pid = 1; pid < 64; ++pid) {\n"
        "    std::string seen = "
        + read_any('" + std::string("/proc/") + std::to_string(pid) + "/environ')
        + ";\n"
        "    std::puts(seen.c_str());\n"
        '    CHECK(seen.find("assay-canary") == std::string::npos);\n'
        "  }\n"
        "}\n"
    )
    verdict = run_cpp(verifier, ADD, tests)
    assert verdict.passed, verdict.feedback


def test_host_files_are_invisible(verifier, tmp_path):
    marker = tmp_path / "host-secret.txt"
    marker.write_text(CANARY_SECRET)
    paths = [str(marker), os.path.abspath("pyproject.toml"), "/etc/shadow", "/root/.bashrc"]
    checks = "".join(f"  CHECK({read_any(p)}.empty());\n" for p in paths)
    verdict = run_cpp(verifier, ADD, SPY_HEAD + f'TEST_CASE("spy") {{\n{checks}}}\n')
    assert verdict.passed, verdict.feedback


def test_writes_outside_the_work_dir_do_not_reach_the_host(verifier, tmp_path):
    target = tmp_path / "written-by-sample"
    attempts = [str(target), "/usr/evil", "/etc/evil", "../../escape", "/sandbox/../escape"]
    writes = "".join(f'  {{ std::ofstream f("{p}"); f << "pwned"; }}\n' for p in attempts)
    run_cpp(
        verifier,
        ADD,
        SPY_HEAD + f'TEST_CASE("escape") {{\n  symlink("{tmp_path}", "out");\n{writes}}}\n',
    )
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
    try:
        connect = (
            "static bool reaches(const char* ip, int port) {\n"
            "  int s = socket(AF_INET, SOCK_STREAM, 0); if (s < 0) return false;\n"
            "  sockaddr_in a{}; a.sin_family = AF_INET; a.sin_port = htons(port);\n"
            "  inet_pton(AF_INET, ip, &a.sin_addr);\n"
            "  bool ok = connect(s, (sockaddr*)&a, sizeof a) == 0; close(s); return ok; }\n"
        )
        tests = (
            SPY_HEAD
            + connect
            + (
                'TEST_CASE("net") {\n'
                f'  CHECK_FALSE(reaches("127.0.0.1", {listener.port}));\n'
                '  CHECK_FALSE(reaches("8.8.8.8", 53));\n'
                '  CHECK_FALSE(reaches("1.1.1.1", 443));\n'
                "}\n"
            )
        )
        verdict = run_cpp(verifier, ADD, tests)
        assert verdict.passed, verdict.feedback
        assert listener.connections == 0
    finally:
        listener.close()


def test_daemons_do_not_outlive_the_sample(verifier):
    marker = f"assay-daemon-{uuid.uuid4().hex}"
    tests = SPY_HEAD + (
        'TEST_CASE("daemonize") {\n'
        "  if (fork() == 0) { setsid(); if (fork() == 0) {\n"
        f'    execl("/bin/sh", "sh", "-c", "while :; do sleep 1; done", "{marker}", (char*)nullptr); }}\n'
        "    _exit(0); }\n"
        "  usleep(300000);\n"
        "  CHECK(add(2, 3) == 5);\n"
        "}\n"
    )
    verdict = run_cpp(verifier, ADD, tests)
    assert verdict.passed, verdict.feedback
    assert wait_until_gone(marker) == []


def test_killing_the_parent_and_everything_is_contained(verifier):
    tests = SPY_HEAD + (
        'TEST_CASE("kill") {\n'
        "  for (int pid : {(int)getppid(), 1, -1}) kill(pid, SIGKILL);\n"
        "  CHECK(ptrace(PTRACE_ATTACH, getppid(), nullptr, nullptr) == -1);\n"
        "  CHECK(false);\n"
        "}\n"
    )
    verdict = run_cpp(verifier, ADD, tests)
    assert not verdict.passed and verdict.stage != "error"
    assert run_cpp(verifier, ADD, TEST_ADD).passed


# The compiler under attack ----------------------------------------------------------------------
COMPILE_ATTACKS = {
    "include_etc_shadow": '#include "/etc/shadow"\n',
    "include_proc_environ": '#include "/proc/1/environ"\n',
    "include_dev_zero": '#include "/dev/zero"\n',
    "include_dev_urandom": '#include "/dev/urandom"\n',
    "template_bomb": (
        "template <int N, long M> struct Bomb {\n"
        "  static constexpr long v = Bomb<N - 1, 2 * M>::v + Bomb<N - 1, 2 * M + 1>::v; };\n"
        "template <long M> struct Bomb<0, M> { static constexpr long v = M; };\n"
        "static_assert(Bomb<40, 0>::v > 0);\n"
    ),
    "constexpr_bomb": (
        "constexpr long spin() { long s = 0;\n"
        "  for (long i = 0; i < 200000; ++i) for (long j = 0; j < 200000; ++j) s += i ^ j;\n"
        "  return s; }\n"
        "static_assert(spin() != 1);\n"
    ),
    "diagnostics_flood": (
        "#define X10(x) x x x x x x x x x x\n"
        "inline int flood(int i, unsigned u) {\n"
        "  X10(X10(X10(X10(X10(X10((void)(i < u);))))))\n"
        "  return 0; }\n"
    ),
}


@pytest.mark.parametrize("name", sorted(COMPILE_ATTACKS))
def test_compile_time_attacks_end_as_compile_rejections(verifier, name):
    solution = (
        "#pragma once\n"
        + COMPILE_ATTACKS[name]
        + "inline int add(int a, int b) { return a + b; }\n"
    )
    verdict = run_cpp(verifier, solution, TEST_ADD)
    assert verdict.stage == "compile", (verdict.stage, verdict.reason)
    assert run_cpp(verifier, ADD, TEST_ADD).passed


def test_an_included_host_file_is_not_shown(verifier, tmp_path):
    marker = tmp_path / "host-secret.h"
    marker.write_text(f"int leaked = {CANARY_SECRET};\n")
    solution = f'#pragma once\n#include "{marker}"\n' + ADD.split("\n", 1)[1]
    verdict = run_cpp(verifier, solution, TEST_ADD)  # asserts the canary is nowhere in it
    assert verdict.stage == "compile"


def test_the_compiler_runs_with_the_samples_environment_only(backend_name):
    options = VerifyOptions(
        sandbox=backend_name, jobs=1, limits=ATTACK_LIMITS, strength_check=False
    )
    os.environ["ASSAY_CANARY_SECRET"] = CANARY_SECRET
    try:
        with Verifier(options) as verifier:
            verdict = run_cpp(verifier, '#pragma once\n#include "/proc/self/environ"\n', TEST_ADD)
    finally:
        os.environ.pop("ASSAY_CANARY_SECRET", None)
    assert verdict.stage == "compile"


# doctest's macros redefined by the sample: the prelude included doctest first, so the tests' own
# #include of it is a no-op and a sample's #define wins (macros.py rejects it on the trusted side).
STUB_ONLY = '(...) do { if (std::getenv("ASSAY_STRENGTH_CHECK_STUB")) { DOCTEST_CHECK(__VA_ARGS__); } } while (0)'
MACRO_ATTACKS = {
    "check_redefined": ("#undef CHECK\n#define CHECK" + STUB_ONLY + "\n", "CHECK"),
    "require_redefined_spliced": (
        "#un\\\ndef REQUIRE\n# /* x\n */ define REQ\\\nUIRE(...)\n",
        "REQUIRE",
    ),
    "test_case_redefined_by_digraph": (
        "%:undef TEST_CASE\n%:define TEST_CASE(name) void skipped()\n",
        "TEST_CASE",
    ),
    "doctest_namespace_redirected": ("namespace fake {}\n#define doctest fake\n", "doctest"),
    "log_redefined": ("#define log(...) false\n", "log"),
    "include_guard_undefined": (
        "#undef DOCTEST_LIBRARY_INCLUDED\n#define DOCTEST_CONFIG_DISABLE\n#include <doctest/doctest.h>\n",
        "DOCTEST_LIBRARY_INCLUDED",
    ),
    "after_a_line_comment_ended_by_cr": ("// note\r#undef CHECK\n#define CHECK(...)\n", "CHECK"),
}


@pytest.mark.parametrize("where", ["solution", "tests"])
@pytest.mark.parametrize("name", sorted(MACRO_ATTACKS))
def test_doctest_macros_redefined_are_rejected(verifier, name, where):
    attack, macro = MACRO_ATTACKS[name]
    solution = ADD_WRONG + attack if where == "solution" else ADD_WRONG
    tests = TEST_ADD if where == "solution" else HEAD + attack + TEST_ADD[len(HEAD) :]
    verdict = run_cpp(verifier, solution, tests)
    assert verdict.stage == "compile", (verdict.stage, verdict.reason)
    assert macro in verdict.reason and "is not allowed" in verdict.reason, verdict.reason
    assert any(m.code == "doctest-macro" and m.rejects for m in verdict.lint), verdict.lint


def test_ordinary_defines_and_quoted_directives_pass(full_verifier):
    solution = (
        "#ifndef SOLUTION_HPP\n#define SOLUTION_HPP\n#define _USE_MATH_DEFINES\n#include <cmath>\n"
        "#define MOD 1000000007\n#define ll long long\n#define INF 1000000000\n"
        "#define MAX(a, b) ((a) > (b) ? (a) : (b))\n"
        "#define rep(i, n) for (int i = 0; i < (n); ++i)\n#define pb push_back\n"
        "// #define CHECK(...) in a comment\n/* #undef REQUIRE */\n"
        'inline const char* note() { return "#define CHECK(x)"; }\n'
        'inline const char* raw() { return R"x(\n#undef TEST_CASE\n)x"; }\n'
        "inline ll add(ll a, ll b) { ll s = 0; rep(i, 1) s = MAX(a + b, a + b) % MOD; return s; }\n"
        "#endif\n"
    )
    tests = HEAD + 'TEST_CASE("adds") { CHECK(add(2, 3) == 5); CHECK(INF > 0); }\n'
    verdict = run_cpp(full_verifier, solution, tests)
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.feedback)
