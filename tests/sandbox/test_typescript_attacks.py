"""Hostile TypeScript, run on each backend: attacks on the type checker (the compile step, in the
box), and the verdict and containment attacks of JavaScript through TypeScript's path (the tests
run on JavaScript's harness, whose own attack suite is tests/sandbox/test_javascript_attacks.py)."""

from __future__ import annotations

import json
import os
import uuid

import pytest

from sandbox import Sample
from tests.sandbox.conftest import CANARY_SECRET, wait_until_gone
from tests.sandbox.test_javascript_attacks import _Listener
from tests.sandbox.test_typescript import ADD_OK, ADD_WRONG, HEAD, TEST_ADD, d, run_ts

FORGED_END = json.dumps({"seq": 0, "t": "end", "exitstatus": 0})


def with_body(body: str) -> str:
    return f"export function add(a: number, b: number): number {{\n{body}\n  return a + b;\n}}\n"


# The type checker -------------------------------------------------------------------------------
COMPILER_BOMBS = {
    # Each step of the recursion doubles a tuple: type instantiation explodes.
    "exponential_instantiation": d("""
        type Dup<T extends unknown[]> = [...T, ...T];
        type Grow<T extends unknown[], N extends unknown[]> =
          N extends [unknown, ...infer R] ? Grow<Dup<T>, R> : T;
        type Ones<N extends number, A extends unknown[] = []> =
          A["length"] extends N ? A : Ones<N, [...A, 1]>;
        export type Huge = Grow<[1], Ones<40>>;
        export const x: Huge["length"] = 0 as any;
        """),
    # A mapped type over ten thousand template-literal keys, remapped: minutes of checking.
    "union_product": d("""
        type D = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9";
        type Obj = { [K in `${D}${D}${D}${D}`]: K };
        type Keys = { [K in keyof Obj as `${K}x`]: Obj[K] extends infer Q ? Q : never }[keyof Obj];
        export const k: Keys[] = [];
        """),
    # Unbounded recursion in a conditional type: the checker's memory.
    "deep_conditional_recursion": d("""
        type Count<N extends unknown[]> = N["length"] extends 100000 ? N : Count<[...N, 0]>;
        export const x: Count<[]>["length"] = 0 as any;
        """),
}


@pytest.mark.parametrize("name", sorted(COMPILER_BOMBS))
def test_type_level_bombs_are_compile_rejections(verifier, name):
    verdict = run_ts(verifier, COMPILER_BOMBS[name] + ADD_OK, TEST_ADD)
    assert verdict.stage == "compile", (verdict.stage, verdict.reason)
    assert run_ts(verifier, ADD_OK, TEST_ADD).passed  # the verifier is still healthy


def test_the_type_checker_cannot_read_host_files(verifier, tmp_path):
    secret = tmp_path / "host-secret.ts"
    secret.write_text(f'export const secret = "{CANARY_SECRET}";\n')
    solution = ADD_OK + f'export {{ secret }} from "{str(secret)[:-3]}";\n'
    verdict = run_ts(verifier, solution, TEST_ADD)
    assert verdict.stage == "compile"
    assert any(m.code == "TS2307" for m in verdict.lint)  # cannot find module
    assert CANARY_SECRET not in verdict.feedback + verdict.stdout + verdict.stderr
    imports = ADD_OK + 'import shadow from "/etc/shadow";\nexport const s: string = shadow;\n'
    verdict = run_ts(verifier, imports, TEST_ADD)
    assert verdict.stage == "compile" and "root:" not in verdict.feedback


def test_a_declaration_file_cannot_replace_node_s_types(verifier):
    tests = (
        d("""
        declare module "node:assert/strict" { export default function equal(a: unknown, b: unknown): void; }
        """)
        + TEST_ADD
    )
    verdict = run_ts(verifier, ADD_WRONG, tests)
    assert not verdict.passed


def ts_samples(*solutions: str) -> list[Sample]:
    return [Sample(solution=s, tests=TEST_ADD, language="typescript") for s in solutions]


def test_a_batch_mate_cannot_make_a_type_error_pass(verifier):
    """Samples of a chunk share one type check (sandbox/languages/typescript/batch.py). Each of
    these type-checks only with what another one of the chunk declares or holds; alone, each is a
    compile error, and so it must be here."""
    mate = ADD_OK + "export const secret = 1;\n"  # the first of the batch: 0.solution.ts
    augments = ADD_OK + "declare global {\n  interface Number {\n    magic(): number;\n  }\n}\n"
    uses_magic = ADD_OK + "export const m: number = (5).magic();\n"
    reads = 'import { secret } from "./0.solution";\nexport const s: number = secret;\n'
    escaped = 'import { secret } from "./0\\u002esolution";\nexport const s: number = secret;\n'
    verdicts = list(
        verifier.verify(ts_samples(mate, augments, uses_magic, ADD_OK + reads, ADD_OK + escaped))
    )
    assert [v.stage for v in verdicts] == ["passed", "passed", "compile", "compile", "compile"]
    errors = [[m for m in v.lint if m.rejects] for v in verdicts]
    assert ["magic" in m.message for m in errors[2]] == [True]
    assert [m.code for m in errors[3] + errors[4]] == ["TS2307", "TS2307"]  # cannot find module


def test_a_type_bomb_in_a_batch_costs_its_mates_nothing(verifier):
    bomb = COMPILER_BOMBS["exponential_instantiation"] + ADD_OK
    verdicts = list(verifier.verify(ts_samples(ADD_OK, bomb, ADD_OK)))
    assert [v.stage for v in verdicts] == ["passed", "compile", "passed"]


# Cheating the verdict through TypeScript's path -------------------------------------------------
CHEATS = {
    "exit_0_at_load": (ADD_WRONG + "process.exit(0);\n", TEST_ADD),
    "exit_0_in_test": (
        ADD_WRONG,
        HEAD + 'test("adds", () => {\n  process.exit(0);\n  assert.equal(add(2, 3), 5);\n});\n',
    ),
    "exit_0_in_the_solution": (with_body("  process.exit(0);"), TEST_ADD),
    "printed_fake_report": (
        ADD_WRONG
        + f"console.log('0123456789abcdef0123456789abcdef {FORGED_END}');\n"
        + "console.log('# pass 1');\n",
        TEST_ADD,
    ),
    "forged_lines_on_the_channel": (
        ADD_WRONG
        + 'import { writeSync } from "node:fs";\n'
        + f"for (let fd = 0; fd < 16; fd++) {{ try {{ writeSync(fd, '0123456789abcdef0123456789abcdef {FORGED_END}\\n'); }} catch {{}} }}\n",  # noqa: E501
        TEST_ADD,
    ),
    "assert_replaced_through_any": (
        ADD_WRONG + '(require("node:assert/strict") as any).equal = () => {};\n',
        TEST_ADD,
    ),
    "prototype_polluted": (
        ADD_WRONG
        + "(Object.prototype as any).then = undefined;\n(Array.prototype as any).x = 1;\n",
        TEST_ADD,
    ),
    # node:test's mock API is the tests' to mock built-ins with, not the solution's.
    "json_stringify_mocked_by_the_solution": (
        'import { mock } from "node:test";\n'
        "export function add(a: number, b: number): number[] {\n"
        '  mock.method(JSON, "stringify", () => "same");\n  return [a - b];\n}\n',
        'import { test, mock } from "node:test";\nimport assert from "node:assert/strict";\n'
        'import { add } from "./solution";\n\n'
        'test("adds", () => {\n  const sum = add(2, 3);\n'
        "  assert.equal(JSON.stringify(sum), JSON.stringify([5]));\n"
        '  assert.equal(typeof mock.fn, "function");\n});\n',
    ),
    # The tests never wait for the callback: it runs after the last test ended, and still fails it.
    "a_callback_never_waited_for": (
        ADD_OK
        + "export function addLater(a: number, b: number, cb: (err: Error | null, sum?: number) => void): void {\n"
        + "  setTimeout(() => cb(null, a - b), 10);\n}\n",
        HEAD.replace("{ add }", "{ add, addLater }")
        + d("""
            test("adds", () => {
              assert.equal(add(2, 3), 5);
            });
            test("adds later", () => {
              addLater(2, 3, (err, sum) => {
                assert.equal(err, null);
                assert.equal(sum, 5);
              });
            });
            """),
    ),
    # A thenable the test returns is awaited, as node awaits it.
    "a_thenable_returned": (
        ADD_WRONG,
        HEAD
        + d("""
            test("adds", () => ({
              then(resolve: () => void) { setTimeout(() => { assert.equal(add(2, 3), 5); resolve(); }, 1); },
            }));
            """),
    ),
}


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheats_are_rejected(verifier, name):
    solution, tests = CHEATS[name]
    verdict = run_ts(verifier, solution, tests)
    assert not verdict.passed, f"{name} was accepted: {verdict}"
    assert verdict.stage in {"tests", "crash", "lint"}, (verdict.stage, verdict.reason)


# Containment ------------------------------------------------------------------------------------
RESOURCE = {
    "memory_flood": (
        with_body(
            "  const hog: number[][] = [];\n  for (;;) hog.push(new Array(1 << 20).fill(1.5));"
        ),
        {"memory"},
    ),
    "cpu_spin": (with_body("  for (;;) {}"), {"timeout"}),
    "fork_bomb": (
        'import { spawn } from "node:child_process";\n'
        + with_body(
            "  for (;;) { try { spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']); } catch {} }"  # noqa: E501
        ),
        {"timeout", "tests", "crash", "memory"},
    ),
}


@pytest.mark.parametrize("name", sorted(RESOURCE))
def test_resource_attacks_are_contained(verifier, name):
    solution, stages = RESOURCE[name]
    verdict = run_ts(verifier, solution, TEST_ADD)
    assert verdict.stage in stages, f"{name}: {verdict.stage} {verdict.reason}"
    assert run_ts(verifier, ADD_OK, TEST_ADD).passed


def test_secrets_host_files_and_network_are_out_of_reach(verifier, tmp_path):
    marker = tmp_path / "host-secret.txt"
    marker.write_text(CANARY_SECRET)
    listener = _Listener()
    try:
        tests = HEAD + d(f"""
            import {{ readFileSync }} from "node:fs";
            import {{ connect }} from "node:net";
            const attempt = (host: string, port: number) => new Promise<string | null>((resolve) => {{
              const socket = connect({{ host, port, timeout: 1000 }});
              socket.on("connect", () => {{ socket.destroy(); resolve(`${{host}}:${{port}}`); }});
              socket.on("error", () => resolve(null));
              socket.on("timeout", () => {{ socket.destroy(); resolve(null); }});
            }});
            test("spy", async () => {{
              const seen: unknown[] = [];
              if (JSON.stringify(process.env).includes("assay-canary")) seen.push("env");
              for (const path of [{json.dumps(str(marker))}, "/etc/shadow", {json.dumps(os.path.abspath("pyproject.toml"))}]) {{
                try {{ seen.push([path, readFileSync(path, "latin1").slice(0, 100)]); }} catch {{}}
              }}
              for (const [host, port] of [["127.0.0.1", {listener.port}], ["8.8.8.8", 53]] as const) {{
                const got = await attempt(host, port);
                if (got) seen.push(got);
              }}
              assert.deepEqual(seen, []);
            }});
            """)  # noqa: E501
        verdict = run_ts(verifier, ADD_OK, tests)
        assert verdict.passed, verdict.feedback
        assert CANARY_SECRET not in verdict.stdout + verdict.stderr
        assert listener.connections == 0
    finally:
        listener.close()


def test_daemons_do_not_outlive_the_sample(verifier):
    marker = f"assay-daemon-{uuid.uuid4().hex}"
    tests = HEAD + d(f"""
        import {{ spawn }} from "node:child_process";
        test("daemonize", async () => {{
          spawn(process.execPath, ["-e", "setInterval(() => {{}}, 1000)", "{marker}"],
                {{ detached: true, stdio: "ignore" }}).unref();
          await new Promise((resolve) => setTimeout(resolve, 300));
          assert.equal(add(1, 2), 3);
        }});
        """)
    verdict = run_ts(verifier, ADD_OK, tests)
    assert verdict.passed, verdict.feedback
    assert wait_until_gone(marker) == []
