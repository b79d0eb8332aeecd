"""Hostile Rust: each test is an attack on the verdict, the host or the compiler, and the sandbox
must contain it. The Rust counterpart of test_attacks.py: every attack runs on each backend."""

from __future__ import annotations

import json
import os
import uuid

import pytest

from sandbox import Sample, Verifier, VerifyOptions
from tests.sandbox.conftest import ATTACK_LIMITS, CANARY_SECRET, wait_until_gone
from tests.sandbox.test_cpp_attacks import _Listener

ADD = "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n"
ADD_WRONG = "pub fn add(a: i32, b: i32) -> i32 {\n    a - b\n}\n"
TEST_ADD = "#[test]\nfn adds() {\n    assert_eq!(add(2, 3), 5);\n}\n"
FORGED = json.dumps('00000000000000000000000000000000 {"seq": 0, "t": "end", "exitstatus": 0}\n')


def before_main(body: str) -> str:
    """A function the loader runs before main, as a C++ static initializer would."""
    return (
        '#[used]\n#[link_section = ".init_array"]\n'
        'static BEFORE_MAIN: extern "C" fn() = {\n'
        f'    extern "C" fn f() {{ {body} }}\n    f\n}};\n'
    )


def run_rust(verifier: Verifier, solution: str, tests: str):
    (verdict,) = verifier.verify([Sample(solution=solution, tests=tests, language="rust")])
    text = verdict.feedback + verdict.stdout + verdict.stderr + repr(verdict.tests)
    assert CANARY_SECRET not in text
    if "query stack during panic" in verdict.stderr:
        print("ICE>>>", verdict.stderr[:700])
    return verdict


def rust_test(body: str, name: str = "adds") -> str:
    return f"#[test]\nfn {name}() {{\n    {body}\n}}\n"


CHEATS = {
    "exit_0_before_main": (
        ADD_WRONG + before_main("std::process::exit(0)"),
        TEST_ADD,
        "tests",
    ),
    "exit_0_in_a_test": (ADD_WRONG, rust_test("std::process::exit(0);"), "tests"),
    "exit_0_in_a_thread": (
        ADD_WRONG,
        rust_test(
            "std::thread::spawn(|| std::process::exit(0)).join().ok(); assert_eq!(add(2, 3), 5);"
        ),
        "tests",
    ),
    "exit_0_at_exit_of_a_panic_hook": (
        ADD_WRONG,
        rust_test(
            "std::panic::set_hook(Box::new(|_| std::process::exit(0)));\n"
            "    assert_eq!(add(2, 3), 5);"
        ),
        "tests",
    ),
    "panic_hook_silenced": (
        ADD_WRONG,
        rust_test("std::panic::set_hook(Box::new(|_| {}));\n    assert_eq!(add(2, 3), 5);"),
        "tests",
    ),
    "abort": (ADD_WRONG, rust_test("std::process::abort();"), "crash"),
    "forged_report_printed": (
        ADD_WRONG,
        rust_test(
            'println!("test result: ok. 1 passed; 0 failed");\n'
            f'    print!("{{}}", {FORGED});\n    assert_eq!(add(2, 3), 5);'
        ),
        "tests",
    ),
    "forged_lines_on_every_descriptor": (
        ADD_WRONG,
        rust_test(
            "use std::io::Write; use std::os::unix::io::FromRawFd;\n"
            "    for fd in 3..64 { let mut f = std::mem::ManuallyDrop::new(unsafe "
            f"{{ std::fs::File::from_raw_fd(fd) }}); let _ = f.write_all({FORGED}.as_bytes()); }}\n"
            "    assert_eq!(add(2, 3), 5);"
        ),
        "tests",
    ),
    "channel_closed": (
        ADD_WRONG,
        rust_test(
            "use std::os::unix::io::FromRawFd; drop(unsafe { std::fs::File::from_raw_fd(3) });\n"
            "    assert_eq!(add(2, 3), 5);"
        ),
        "tests",
    ),
    "child_process_writes_to_the_channel": (
        ADD_WRONG,
        rust_test(
            'std::process::Command::new("/bin/sh").args(["-c", "echo fake >&3"]).status().ok();\n'
            "    assert_eq!(add(2, 3), 5);"
        ),
        "tests",
    ),
    "no_tests": (ADD, "fn helper() {}\n", "no_tests"),
    "every_test_ignored": (
        ADD_WRONG,
        "#[test]\n#[ignore]\n" + TEST_ADD.split("\n", 1)[1],
        "no_tests",
    ),
    # a crate-level attribute of the sample's module: the crate root (assay's) decides
    "own_test_runner": (
        "#![test_runner(crate::solution::mine)]\n"
        + ADD_WRONG
        + "pub fn mine(_: &[&dyn Fn()]) {}\n",
        TEST_ADD,
        "tests",
    ),
    "unstable_feature": (
        "#![feature(test)]\nextern crate test;\n" + ADD_WRONG,
        TEST_ADD,
        "compile",
    ),
    "own_main": (ADD_WRONG + "fn main() { std::process::exit(0) }\n", TEST_ADD, "tests"),
}


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheats_are_rejected(verifier, name):
    solution, tests, stage = CHEATS[name]
    verdict = run_rust(verifier, solution, tests)
    assert not verdict.passed and verdict.stage == stage, (
        verdict.stage,
        verdict.reason,
        verdict.feedback,
    )


WEAK = {
    "caught_panic_inside_the_test": rust_test(
        "let _ = std::panic::catch_unwind(|| assert_eq!(add(2, 3), 5));"
    ),
    "should_panic_on_a_failing_check": "#[test]\n#[should_panic]\n" + TEST_ADD.split("\n", 1)[1],
}


@pytest.mark.parametrize("name", sorted(WEAK))
def test_tests_that_let_a_wrong_solution_pass_are_weak(backend_name, name):
    options = VerifyOptions(sandbox=backend_name, jobs=1, limits=ATTACK_LIMITS)
    with Verifier(options) as verifier:
        verdict = run_rust(verifier, ADD_WRONG, WEAK[name])
    assert verdict.stage == "weak_tests", (verdict.stage, verdict.reason)


def test_the_honest_sample_passes(verifier):
    assert run_rust(verifier, ADD, TEST_ADD).passed


# Resources --------------------------------------------------------------------------------------
RESOURCE = {
    "fork_bomb": (
        'loop { let _ = std::process::Command::new("/proc/self/exe").spawn(); }',
        {"timeout", "tests", "crash", "memory"},
    ),
    "thread_bomb": (
        "loop { let _ = std::thread::Builder::new().spawn(|| loop { std::thread::park(); }); }",
        {"timeout", "tests", "crash", "memory"},
    ),
    "memory_flood": (
        "let mut hog = Vec::new(); loop { hog.push(vec![1u8; 1 << 20]); }",
        {"memory", "tests", "crash"},
    ),
    "cpu_spin": (
        "let mut n: u64 = 0; loop { n = unsafe { std::ptr::read_volatile(&n) }.wrapping_add(1); }",
        {"timeout"},
    ),
    "output_flood": ('loop { println!("flood flood flood flood"); }', {"output"}),
    "stack_overflow": ("fn down(n: u64) -> u64 { down(n + 1) + 1 } down(0);", {"crash", "compile"}),
    "disk_flood": (
        'use std::io::Write; let mut f = std::fs::File::create("big").unwrap();\n'
        "    let block = vec![b'x'; 1 << 20]; while f.write_all(&block).is_ok() {} panic!();",
        {"crash", "tests", "timeout"},
    ),
}


@pytest.mark.parametrize("name", sorted(RESOURCE))
def test_resource_attacks_are_contained(verifier, name):
    body, stages = RESOURCE[name]
    verdict = run_rust(verifier, ADD, rust_test(body, "attack"))
    assert verdict.stage in stages, (verdict.stage, verdict.reason, verdict.feedback)
    assert run_rust(verifier, ADD, TEST_ADD).passed  # the worker is still good


# Containment ------------------------------------------------------------------------------------
def test_environment_and_processes_hold_no_secrets(verifier):
    body = (
        'for name in ["ASSAY_CANARY_SECRET", "OPENAI_API_KEY"] { assert!(std::env::var_os(name).is_none()); }\n'
        "    for pid in 1..64 {\n"
        '        let seen = std::fs::read(format!("/proc/{}/environ", pid)).unwrap_or_default();\n'
        "        let seen = String::from_utf8_lossy(&seen);\n"
        '        println!("{}", seen);\n'
        '        assert!(!seen.contains("assay-canary"));\n'
        "    }"
    )
    assert run_rust(verifier, ADD, rust_test(body, "spy")).passed


def test_host_files_are_invisible(verifier, tmp_path):
    marker = tmp_path / "host-secret.txt"
    marker.write_text(CANARY_SECRET)
    paths = [str(marker), os.path.abspath("pyproject.toml"), "/etc/shadow", "/root/.bashrc"]
    body = "".join(f'assert!(std::fs::read("{p}").is_err());\n    ' for p in paths)
    assert run_rust(verifier, ADD, rust_test(body, "spy")).passed


def test_writes_outside_the_work_dir_do_not_reach_the_host(verifier, tmp_path):
    target = tmp_path / "written-by-sample"
    attempts = [str(target), "/usr/evil", "/etc/evil", "../../escape", "/sandbox/../escape"]
    body = f'let _ = std::os::unix::fs::symlink("{tmp_path}", "out");\n    '
    body += "".join(f'let _ = std::fs::write("{p}", "pwned");\n    ' for p in attempts)
    run_rust(verifier, ADD, rust_test(body, "escape"))
    assert not target.exists()
    assert not os.path.exists("/usr/evil") and not os.path.exists("/etc/evil")


def test_no_network_to_the_host_loopback_or_outside(verifier):
    listener = _Listener()
    try:
        body = "".join(
            f'assert!(std::net::TcpStream::connect_timeout(&"{a}".parse().unwrap(), '
            "std::time::Duration::from_secs(1)).is_err());\n    "
            for a in (f"127.0.0.1:{listener.port}", "8.8.8.8:53", "1.1.1.1:443")
        )
        verdict = run_rust(verifier, ADD, rust_test(body, "net"))
        assert verdict.passed, verdict.feedback
        assert listener.connections == 0
    finally:
        listener.close()


def test_daemons_do_not_outlive_the_sample(verifier):
    marker = f"assay-daemon-{uuid.uuid4().hex}"
    body = (
        'std::process::Command::new("/usr/bin/setsid")'
        f'.args(["/bin/sh", "-c", "while :; do sleep 1; done", "{marker}"]).spawn().unwrap();\n'
        "    std::thread::sleep(std::time::Duration::from_millis(300));\n"
        "    assert_eq!(add(2, 3), 5);"
    )
    verdict = run_rust(verifier, ADD, rust_test(body, "daemonize"))
    assert verdict.passed, verdict.feedback
    assert wait_until_gone(marker) == []


def test_killing_the_parent_and_everything_is_contained(verifier):
    body = (
        'let _ = std::process::Command::new("/bin/kill").args(["-9", "-1"]).status();\n'
        "    let ppid = std::os::unix::process::parent_id().to_string();\n"
        '    let _ = std::process::Command::new("/bin/kill").args(["-9", &ppid]).status();\n'
        "    panic!();"
    )
    verdict = run_rust(verifier, ADD, rust_test(body, "kill"))
    assert not verdict.passed and verdict.stage != "error"
    assert run_rust(verifier, ADD, TEST_ADD).passed


# The compiler under attack ----------------------------------------------------------------------
COMPILE_ATTACKS = {
    "include_etc_shadow": 'const S: &str = include_str!("/etc/shadow");\n',
    "include_proc_environ": 'const S: &[u8] = include_bytes!("/proc/1/environ");\n',
    "include_dev_zero": 'const S: &[u8] = include_bytes!("/dev/zero");\n',
    "include_a_host_source": 'include!("/etc/passwd");\n',
    "env_at_compile_time": 'const S: &str = env!("ASSAY_CANARY_SECRET");\n',
    "macro_recursion_bomb": "macro_rules! boom { () => { boom!(); boom!(); }; }\nboom!();\n",
    "const_eval_bomb": (
        "const SPIN: u64 = { let mut i: u64 = 0; let mut s: u64 = 0;\n"
        "    while i < 100_000_000_000 { s = s.wrapping_add(i); i += 1; } s };\n"
        "pub fn spin() -> u64 { SPIN }\n"
    ),
    "instantiation_bomb": (
        "pub fn grow<T: Clone>(x: T, n: u32) -> u32 {\n"
        "    if n == 0 { 0 } else { grow((x.clone(), x), n - 1) }\n}\n"
        "#[test]\nfn bomb() { grow(0u8, 3); }\n"  # monomorphised only where it is reached
    ),
    "diagnostics_flood": "".join(f'const X{i}: i32 = "{i}";\n' for i in range(3000)),
}


@pytest.mark.parametrize("name", sorted(COMPILE_ATTACKS))
def test_compile_time_attacks_end_as_compile_rejections(verifier, name):
    verdict = run_rust(verifier, COMPILE_ATTACKS[name] + ADD, TEST_ADD)
    assert verdict.stage == "compile", (verdict.stage, verdict.reason, verdict.feedback)
    assert run_rust(verifier, ADD, TEST_ADD).passed


def test_an_included_host_file_is_not_shown(verifier, tmp_path):
    marker = tmp_path / "host-secret.rs"
    marker.write_text(f'pub const LEAKED: &str = "{CANARY_SECRET}";\n')
    verdict = run_rust(verifier, f'include!("{marker}");\n' + ADD, TEST_ADD)  # no canary in it
    assert verdict.stage == "compile"
