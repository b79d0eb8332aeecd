"""Hostile Rust: each test is an attack on the verdict, the host or the compiler, and the sandbox
must contain it. The Rust counterpart of test_attacks.py: every attack runs on each backend."""

from __future__ import annotations

import json
import os
import uuid

import pytest

from sandbox import Sample, Verifier, VerifyOptions
from sandbox.languages.rust.forbidden import forbidden
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
    "exit_0_before_main": (  # `#[link_section]` is not allowed (below)
        ADD_WRONG + before_main("std::process::exit(0)"),
        TEST_ADD,
        "compile",
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


# Code before the harness, or in its place --------------------------------------------------------
# Each forger takes the run's token before the harness does (or as it does) and writes a complete
# passing report for a wrong solution, then exits: a pass on a verifier without the check.
REPORT = [
    '{"seq": 0, "t": "start"}',
    '{"seq": 1, "t": "collected", "ids": ["adds"], "errors": []}',
    '{"seq": 2, "t": "begin", "id": "adds"}',
    '{"seq": 3, "t": "case", "id": "adds", "outcome": "passed", "message": "", "detail": ""}',
    '{"seq": 4, "t": "end", "exitstatus": 0}',
]
FORGE = (
    'extern "C" {\n    fn syscall(n: i64, ...) -> i64;\n}\n'
    f"const REPORT: [&str; 5] = [{', '.join(json.dumps(' ' + m + chr(10)) for m in REPORT)}];\n"
    "unsafe fn forge(token: *const u8) -> ! {\n"
    "    for line in REPORT.iter() {\n"
    "        syscall(1, 3i64, token, 32usize);\n"
    "        syscall(1, 3i64, line.as_ptr(), line.len());\n"
    "    }\n"
    "    syscall(231, 0i64);\n"
    "    loop {}\n"
    "}\n"
)


def in_section(attribute: str) -> str:
    """A static function pointer in a section the loader runs before main."""
    return (
        f"#[used]\n{attribute}\n"
        'static BEFORE_MAIN: unsafe extern "C" fn() = {\n'
        '    unsafe extern "C" fn f() {\n'
        "        let mut token = [0u8; 32];\n"
        "        if syscall(0, 4i64, token.as_mut_ptr(), 32usize) == 32 { forge(token.as_ptr()); }\n"
        "    }\n    f\n};\n"
    )


def assembly() -> str:
    """The forger in x86-64 assembly, with its `.init_array` entry (braces doubled: a template)."""
    lines = [
        '.pushsection .text.forge,"ax",@progbits',
        "forge:",
        "    sub rsp, 40",
        "    xor eax, eax",
        "    mov edi, 4",
        "    mov rsi, rsp",
        "    mov edx, 32",
        "    syscall",
        "    lea rbx, [rip + report]",
        "2:",
        "    mov r13, qword ptr [rbx]",
        "    test r13, r13",
        "    jz 3f",
        "    mov eax, 1",
        "    mov edi, 3",
        "    mov rsi, rsp",
        "    mov edx, 32",
        "    syscall",
        "    mov eax, 1",
        "    mov edi, 3",
        "    mov rsi, r13",
        "    mov rdx, qword ptr [rbx + 8]",
        "    syscall",
        "    add rbx, 16",
        "    jmp 2b",
        "3:",
        "    mov eax, 231",
        "    xor edi, edi",
        "    syscall",
        ".popsection",
        '.pushsection .rodata.forge,"a",@progbits',
    ]
    for i, message in enumerate(REPORT):
        text = (" " + message).replace('"', '\\"') + "\\n"
        lines += [f'line{i}: .ascii "{text}"', f"line{i}_end:"]
    lines += [".popsection", '.pushsection .data.rel.ro.forge,"aw",@progbits', "report:"]
    for i in range(len(REPORT)):
        lines += [f".quad line{i}", f".quad line{i}_end - line{i}"]
    lines += [".quad 0", ".quad 0", ".popsection"]
    lines += ['.pushsection .init_array,"aw",@init_array', ".quad forge", ".popsection"]
    return "\n".join(lines).replace("{", "{{").replace("}", "}}")


BEFORE_HARNESS = {
    # the red team's: a function pointer in .init_array
    "init_array": (
        ADD_WRONG + FORGE + in_section('#[link_section = ".init_array"]'),
        "#[link_section]",
        "solution.rs:17",
    ),
    "preinit_array": (
        ADD_WRONG + FORGE + in_section('#[link_section = ".preinit_array"]'),
        "#[link_section]",
        "solution.rs:17",
    ),
    "raw_identifier": (
        ADD_WRONG + FORGE + in_section('#[r#link_section = ".init_array"]'),
        "#[link_section]",
        "solution.rs:17",
    ),
    "cfg_attr": (
        ADD_WRONG + FORGE + in_section('#[cfg_attr(all(), link_section = ".init_array")]'),
        "#[link_section]",
        "solution.rs:17",
    ),
    "attribute_through_a_macro": (
        ADD_WRONG
        + FORGE
        + "macro_rules! placed { ($a:meta) => {\n"
        + in_section("#[$a]")
        + '}; }\nplaced!(link_section = ".init_array");\n',
        "#[link_section]",
        "solution.rs:27",
    ),
    # libc's `read`, replaced for the whole process: the harness's read of the token comes here
    "no_mangle_read": (
        ADD_WRONG
        + FORGE
        + "#[no_mangle]\n"
        + 'pub unsafe extern "C" fn read(fd: i32, buf: *mut u8, n: usize) -> isize {\n'
        + "    let got = syscall(0, fd as i64, buf, n) as isize;\n"
        + "    if fd == 4 && got == 32 { forge(buf); }\n"
        + "    got\n}\n",
        "#[no_mangle]",
        "solution.rs:16",
    ),
    # libc's `write`: the harness's first line on descriptor 3 starts with the token
    "export_name_write": (
        ADD_WRONG
        + FORGE
        + '#[export_name = "write"]\n'
        + 'pub unsafe extern "C" fn spy(fd: i32, buf: *const u8, n: usize) -> isize {\n'
        + "    if fd == 3 && n > 32 {\n"
        + "        let mut token = [0u8; 32];\n"
        + "        std::ptr::copy_nonoverlapping(buf, token.as_mut_ptr(), 32);\n"
        + "        forge(token.as_ptr());\n"
        + "    }\n"
        + "    syscall(1, fd as i64, buf, n) as isize\n}\n",
        "#[export_name]",
        "solution.rs:16",
    ),
    # stable, and no `unsafe`
    "global_asm": (
        ADD_WRONG + f'std::arch::global_asm!(r#"\n{assembly()}\n"#);\n',
        "global_asm!",
        "solution.rs:4",
    ),
    "inline_asm": (
        ADD_WRONG.replace(
            "    a - b",
            f'    #[allow(named_asm_labels)]\n    unsafe {{ std::arch::asm!(r#"\n{assembly()}\n"#) }};\n'
            "    a - b",
        ),
        "asm!",
        "solution.rs:3",
    ),
    # `asm` is found whatever brings it in: here a glob import and a macro that calls `$m!`
    "asm_named_through_a_macro": (
        ADD_WRONG
        + "use std::arch::*;\n"
        + 'macro_rules! call { ($m:ident) => { unsafe { $m!("nop") } }; }\n'
        + "pub fn nop() { call!(asm) }\n",
        "asm!",
        "solution.rs:6",
    ),
}


@pytest.mark.parametrize("name", sorted(BEFORE_HARNESS))
def test_code_before_the_harness_or_in_its_place_is_rejected(verifier, name):
    solution, what, where = BEFORE_HARNESS[name]
    verdict = run_rust(verifier, solution, TEST_ADD)
    assert not verdict.passed and verdict.stage == "compile", (verdict.stage, verdict.reason)
    assert verdict.reason.startswith(f"`{what}` is not allowed ({where})"), verdict.reason
    assert f"{where}:" in verdict.feedback


def test_the_tests_may_not_hold_it_either(verifier):
    tests = TEST_ADD + f'std::arch::global_asm!(r#"\n{assembly()}\n"#);\n'
    verdict = run_rust(verifier, ADD_WRONG, tests)
    assert verdict.stage == "compile", (verdict.stage, verdict.reason)
    assert verdict.reason.startswith("`global_asm!` is not allowed (tests.rs:5)")


# The same words where they are not those identifiers: in comments, strings, literals, lifetimes
MENTIONS = r"""
//! asm! and global_asm! are assembly; #[no_mangle], #[export_name] and #[link_section] too.
/// Adds (no #[no_mangle] here). /* asm */
pub fn add(a: i32, b: i32) -> i32 {
    let used = 1; // a variable named `used`; global_asm!("...") in a comment
    let text = "asm! no_mangle export_name link_section \" #[no_mangle]"; /* a /* nested */ asm */
    let raw = r#"#[link_section = ".init_array"] "quoted" global_asm!"#;
    let (quote, byte, escaped) = ('"', b'\'', '\x22');
    let plasma = longest(text, raw).len() + used + quote.len_utf8() + byte as usize;
    let _ = (plasma, escaped, chasm());
    a + b
}
fn longest<'asm>(x: &'asm str, y: &'asm str) -> &'asm str { if x.len() > y.len() { x } else { y } }
fn chasm() -> &'static str { "/* not a comment" }
"""


def test_the_words_in_comments_strings_and_lifetimes_are_not_rejected(verifier):
    assert forbidden(MENTIONS) == []
    verdict = run_rust(verifier, MENTIONS, TEST_ADD)
    assert verdict.passed, verdict.feedback


def test_the_scan_reads_literals_as_rustc_does():
    # what hides in a comment or a string stays there; what only looks like one is code
    assert forbidden("let c = '\"'; #[no_mangle] fn f() {}") == [("no_mangle", 1, 16)]
    assert forbidden("let c = '\\''; asm!(\"\");") == [("asm", 1, 15)]
    assert forbidden("fn f<'a>(x: &'a str) {} // '\n#[no_mangle] fn g() {}") == [
        ("no_mangle", 2, 3)
    ]
    assert forbidden('let s = r##"a "# asm"##; global_asm!("");') == [("global_asm", 1, 26)]
    assert forbidden("/* a /* b */ asm */ /***/ asm!()") == [("asm", 1, 27)]
    assert forbidden('let s = "/*"; #[r#export_name = "f"] fn f() {} // */') == [
        ("export_name", 1, 17)
    ]
    # a first line `#!...` rustc may skip: read both ways
    assert forbidden('#!/bin/" \n#[no_mangle] fn f() {}') == [("no_mangle", 2, 3)]


# The strength check's switch under the sample's own lint levels and constants --------------------
WEAKLY_TESTED = {
    # the red team's: the stub's `#[allow(unused_imports)]` was refused (E0453)
    "forbid_unused_imports": "#![forbid(unused_imports)]\n" + ADD_WRONG,
    "forbid_warnings_and_clippy": "#![forbid(warnings, clippy::all, clippy::pedantic)]\n"
    + ADD_WRONG.replace("pub fn", "#[must_use]\npub fn"),
    # the red team's: a constant calls a `const fn` (E0015 where the stub made it a plain fn)
    "const_fn_in_a_constant": "pub const fn square(x: u32) -> u32 {\n    x * x\n}\n"
    "pub const N: u32 = square(3);\n" + ADD_WRONG.replace("pub fn", "pub const fn"),
    "const_fn_taking_a_string": "pub struct W(pub String);\n"
    "pub const fn wrap(s: String) -> W {\n    W(s)\n}\n"
    "pub const EMPTY: W = wrap(String::new());\n" + ADD_WRONG,
    # a type declared in the body, named as the return type: the switch does not name it
    "return_type_shadowed_in_the_body": ADD_WRONG.replace(
        "    a - b", "    #[allow(non_camel_case_types, dead_code)]\n    type i32 = u8;\n    a - b"
    ),
    # an empty body is not switched: a switch there is the body's last expression
    "deny_needless_return_and_an_empty_function": "#![deny(clippy::needless_return)]\n"
    "pub fn noop() {}\n" + ADD_WRONG,
}


@pytest.mark.parametrize("name", sorted(WEAKLY_TESTED))
def test_the_strength_check_is_made_whatever_the_solution_sets(full_verifier, name):
    weak = rust_test("let _ = add(2, 3);")
    verdict = run_rust(full_verifier, WEAKLY_TESTED[name], weak)
    assert verdict.stage == "weak_tests", (verdict.stage, verdict.reason, verdict.feedback)
    right = WEAKLY_TESTED[name].replace("a - b", "a + b")
    assert run_rust(full_verifier, right, TEST_ADD).passed


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
