"""Hostile C++: each test is an attack on the verdict, the host or the compiler, and the sandbox
must contain it. The C++ counterpart of test_attacks.py: every attack runs on each backend."""

from __future__ import annotations

import os
import socket
import threading
import uuid

import pytest

from sandbox import Sample, Verifier, VerifyOptions
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


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheats_are_rejected(verifier, name):
    solution, tests, stage = CHEATS[name]
    verdict = run_cpp(verifier, solution, tests)
    assert not verdict.passed or stage == "weak", (verdict.stage, verdict.reason)
    if stage != "weak":
        assert verdict.stage == stage, (verdict.stage, verdict.reason, verdict.feedback)


def test_the_honest_sample_passes(verifier):
    assert run_cpp(verifier, ADD, TEST_ADD).passed


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
