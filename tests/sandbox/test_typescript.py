"""TypeScript: the checks before the box (ESLint with typescript-eslint, the transpile, the stub)
and the runs in the box (tsc --strict as the compile step, then node:test on the JavaScript)."""

from __future__ import annotations

import subprocess
import textwrap

import pytest

from sandbox import Limits, Sample, Verdict, Verifier, VerifyOptions, languages
from sandbox.languages.typescript import checks, emit, toolchain
from sandbox.languages.typescript.language import TypeScript
from sandbox.languages.warm import ServerError

ADD_OK = "export function add(a: number, b: number): number {\n  return a + b;\n}\n"
ADD_WRONG = "export function add(a: number, b: number): number {\n  return a - b;\n}\n"
HEAD = (
    'import { test, describe, it } from "node:test";\n'
    'import assert from "node:assert/strict";\n'
    'import { add } from "./solution";\n\n'
)
TEST_ADD = HEAD + 'test("adds two numbers", () => {\n  assert.equal(add(2, 3), 5);\n});\n'


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def run_ts(verifier: Verifier, solution: str, tests: str) -> Verdict:
    (verdict,) = verifier.verify([Sample(solution=solution, tests=tests, language="typescript")])
    return verdict


@pytest.fixture(scope="module")
def ts() -> TypeScript:
    return TypeScript(VerifyOptions())


@pytest.fixture(scope="module")
def checked(backend_name):
    """A verifier with the strength check on, per backend."""
    options = VerifyOptions(sandbox=backend_name, jobs=2, limits=Limits(timeout_s=20))
    with Verifier(options) as verifier:
        yield verifier


def precheck(ts: TypeScript, solution: str, tests: str = TEST_ADD):
    (pre,) = ts.precheck([Sample(solution=solution, tests=tests, language="typescript")])
    return pre


def test_the_language_is_registered_with_its_layout():
    assert languages.lookup("ts") is TypeScript
    assert TypeScript.solution_file == "solution.ts"
    assert TypeScript.tests_file == "solution.test.ts"
    assert 'from "./solution"' in TypeScript.conventions
    assert "tsc --strict" in TypeScript.conventions


def test_its_toolchain_is_ready_here(ts):
    assert ts.unavailable() is None


# Before the box ---------------------------------------------------------------------------------
def test_a_syntax_error_names_file_line_and_column(ts):
    pre = precheck(ts, "export function add(a: number, b: number): number {\n  return a +;\n}\n")
    assert pre.verdict.stage == "syntax"
    assert "solution.ts:2:" in pre.verdict.reason
    assert "return a +;" in pre.verdict.feedback
    pre = precheck(ts, ADD_OK, HEAD + "test('x', () => {\n  assert.equal(add(1, 1) 2);\n});\n")
    assert pre.verdict.stage == "syntax" and "solution.test.ts:6:" in pre.verdict.reason


@pytest.mark.parametrize(
    "rule, code",
    [
        (
            "@typescript-eslint/ban-ts-comment",
            "// @ts-nocheck\nexport const f = (): number => 1;\n",
        ),
        ("@typescript-eslint/ban-ts-comment", "// @ts-ignore\nexport const f: number = 'x';\n"),
        ("@typescript-eslint/triple-slash-reference", '/// <reference path="x.d.ts" />\n'),
        ("use-isnan", "export const f = (x: number): boolean => x === NaN;\n"),
        ("no-self-assign", "export function f(x: number): number { x = x; return x; }\n"),
        (
            "no-dupe-else-if",
            "export function f(a: boolean) { if (a) return 1; else if (a) return 2; return 3; }\n",
        ),  # noqa: E501
        ("@typescript-eslint/no-duplicate-enum-values", "export enum E { A = 1, B = 1 }\n"),
    ],
)
def test_bug_rules_and_type_check_switches_reject(ts, rule, code):
    pre = precheck(ts, code)
    assert pre.verdict is not None and pre.verdict.stage == "lint", (rule, pre.lint)
    assert pre.verdict.reason.startswith(rule)


def test_inline_configuration_cannot_switch_rules_off(ts):
    code = "/* eslint-disable */\n// @ts-nocheck\nexport const f = (): number => 1;\n"
    assert precheck(ts, code).verdict.stage == "lint"


def test_style_is_reported_not_rejected(ts):
    pre = precheck(ts, "export function f(x: any): number {\n  let y = 1;\n  return x + y;\n}\n")
    assert pre.verdict is None
    codes = {m.code for m in pre.lint}
    assert {"@typescript-eslint/no-explicit-any", "prefer-const"} <= codes
    assert not any(m.rejects for m in pre.lint)


def test_each_file_is_transpiled_to_commonjs(ts):
    pre = precheck(ts, ADD_OK + "export enum Color { Red, Green }\n")
    js = pre.prepared["js"]
    assert set(js) == {"solution.js", "solution.test.js"}
    assert "exports.add = add" in js["solution.js"] and ": number" not in js["solution.js"]
    assert 'require("./solution")' in js["solution.test.js"]
    assert "sourceMappingURL=data:" in js["solution.js"]


def test_a_chunk_is_emitted_in_one_call_and_each_file_gets_its_own_javascript(ts):
    solutions = [
        f"export function f{i}(x: number): number {{\n  return x + {i};\n}}\n" for i in range(3)
    ]
    solutions.append(
        "\ufeffexport function bom(s: string): string {\r\n  return s + 'é✓';\r\n}\r\n"
    )
    solutions.append("export function broken(: number {\n")  # a syntax error: nothing emitted
    pres = ts.precheck(
        [Sample(solution=s, tests=TEST_ADD, language="typescript") for s in solutions]
    )
    for i in range(3):
        js = pres[i].prepared["js"]["solution.js"]
        assert f"exports.f{i} = f{i};" in js and f"return x + {i};" in js
        assert all(f"f{j}" not in js for j in range(3) if j != i)
        stub_ts, stub_js = ts._stubs.get(solutions[i])[1]
        assert f"function f{i}(x) {{ return undefined; }}" in stub_js, stub_js
        assert f"return x + {i}" not in stub_ts
    assert "return s + 'é✓';" in pres[3].prepared["js"]["solution.js"]
    assert pres[4].verdict.stage == "syntax" and not pres[4].prepared["js"]


def test_the_emitter_follows_no_reference_out_of_its_chunk(ts, tmp_path):
    """The trusted side's compiler must not read, or emit JavaScript beside, a file a sample names."""
    target = tmp_path / "target.ts"
    target.write_text("export const secret = 1;\n")
    solution = (
        f'/// <reference path="{target}" />\n'
        f'import {{ secret }} from "{tmp_path}/target";\n'
        "export const f = (): number => secret;\n"
    )
    (js,) = emit.emit(ts._packages().tsc, [("solution.ts", solution)])
    assert f'require("{tmp_path}/target")' in js
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target.ts"]


def test_an_emitter_that_fails_is_named_and_does_not_pass_as_a_sample_s_fault(ts, tmp_path):
    with pytest.raises(ServerError, match="emitter failed"):
        emit.emit(str(tmp_path / "no-tsc"), [("solution.ts", ADD_OK)])
    with pytest.raises(ServerError, match="emitter wrote no JavaScript"):
        emit.emit("/bin/true", [("solution.ts", ADD_OK)])
    samples = [Sample(solution=ADD_OK, tests=TEST_ADD, language="typescript")] * 2
    with pytest.raises(ServerError, match="wrote no JavaScript"):  # broken for all: the checker's
        checks.check(samples, ts._linter(), "/bin/true", 1 << 20)


def test_the_stub_replaces_every_outermost_body_and_still_type_checks(ts, tmp_path):
    solution = d("""
        export function f(x: number): number { return x + 1; }
        export const g = (s: string): string[] => s.split("");
        export class Box {
          constructor(private value: number) {}
          get doubled(): number { return this.value * 2; }
          add(n: number): Box { const inner = () => n; return new Box(this.value + inner()); }
        }
        export function overloaded(x: string): string;
        export function overloaded(x: number): number;
        export function overloaded(x: string | number) { return x; }
        """)
    stub = ts.stub(solution)
    assert stub.count("{ return undefined as any; }") == 5
    assert "(undefined as any)" in stub and "return x + 1" not in stub
    assert "overloaded(x: string): string;" in stub  # signatures have no body
    assert ts.stub("export const n = 1;\n") == "export {};\n"  # nothing to stub: empty module
    (tmp_path / "solution.ts").write_text(stub)
    (tmp_path / "solution.test.ts").write_text("import { f } from './solution';\nf(1);\n")
    argv = toolchain.compile_argv(ts._packages(), full_isolation=False)
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


# In the box -------------------------------------------------------------------------------------
def test_a_passing_sample_passes(checked):
    verdict = run_ts(checked, ADD_OK, TEST_ADD)
    assert verdict.passed, verdict.feedback
    assert verdict.tests.collected == 1 and verdict.tests.cases[0].name == "adds two numbers"


def test_type_errors_reject_at_compile_with_file_line_and_column(checked):
    wrong = 'export function add(a: number, b: number): number {\n  return "x" + a;\n}\n'
    verdict = run_ts(checked, wrong, TEST_ADD)
    assert verdict.stage == "compile" and verdict.reason == "compile error"
    errors = [m for m in verdict.lint if m.rejects]
    assert (errors[0].file, errors[0].line, errors[0].column, errors[0].code) == (
        "solution.ts",
        2,
        3,
        "TS2322",
    )
    assert "solution.ts:2:3: TS2322 Type 'string' is not assignable to type 'number'" in (
        verdict.feedback
    )
    # --strict: an implicit any and a possibly undefined value are errors too
    loose = "export function add(a, b) {\n  return a + b;\n}\n"
    assert "TS7006" in run_ts(checked, loose, TEST_ADD).feedback
    verdict = run_ts(checked, ADD_OK, HEAD + 'test("x", () => { add(1, "2"); });\n')
    assert verdict.stage == "compile" and "solution.test.ts:5:" in verdict.feedback


def test_per_test_outcomes_name_expected_and_actual_at_typescript_lines(checked):
    tests = HEAD + d("""
        describe("add", () => {
          it("adds", () => { assert.equal(add(2, 3), 5); });
          it("is commutative", () => { assert.equal(add(1, 4), add(4, 1)); });
        });
        test("deep", () => { assert.deepEqual([add(1, 1)], [3]); });
        """)
    verdict = run_ts(checked, ADD_WRONG, tests)
    assert verdict.stage == "tests"
    cases = {c.name: c for c in verdict.tests.cases}
    assert set(cases) == {"add > adds", "add > is commutative", "deep"}
    assert cases["add > adds"].outcome == "failed" and "-1 !== 5" in cases["add > adds"].message
    assert "solution.test.ts:6:" in verdict.feedback  # the stack names the TypeScript line


def test_weak_tests_are_found_by_the_stub(checked):
    weak = HEAD + 'test("runs", () => { add(1, 2); assert.ok(true); });\n'
    verdict = run_ts(checked, ADD_OK, weak)
    assert verdict.stage == "weak_tests" and verdict.weak_tests == ["runs"]
    strong = TEST_ADD + 'test("throws nothing", () => { assert.doesNotThrow(() => add(1, 2)); });\n'
    verdict = run_ts(checked, ADD_OK, strong)
    assert verdict.passed and verdict.weak_tests == ["throws nothing"]


def test_the_stub_run_cannot_be_told_from_the_samples(checked):
    # What an earlier run left in the process (a built-in module's property, a knob of Error)
    # must not tell the strength check's run: tests that fail there still pass, and are weak.
    tests = HEAD + d("""
        import * as fs from "fs";
        const mark = fs as unknown as { told?: boolean };
        const told = mark.told === true || Error.stackTraceLimit === 12;
        mark.told = true;
        Error.stackTraceLimit = 12;

        test("adds", () => { assert.equal(add(2, 3), 5); });
        test("zero", () => { assert.ok(!told); });
        """)
    verdict = run_ts(checked, ADD_OK, tests)
    assert verdict.passed and verdict.weak_tests == ["zero"], verdict.feedback


def test_modern_typescript_type_checks(checked):
    solution = d("""
        export type Shape = { kind: "circle"; r: number } | { kind: "square"; side: number };
        const unit = { kind: "square", side: 1 } satisfies Shape;
        export function area(s: Shape): number {
          switch (s.kind) {
            case "circle": return Math.PI * s.r ** 2;
            case "square": return s.side ** 2;
          }
        }
        export function defined<T>(xs: (T | undefined)[]): T[] {
          return xs.filter((x) => x !== undefined);
        }
        export const unitArea = area(unit);
        export enum Level { Low = 1, High }
        """)
    tests = d("""
        import { test } from "node:test";
        import * as assert from "node:assert";
        import { area, defined, unitArea, Level } from "./solution.js";
        test("area", () => {
          assert.strictEqual(area({ kind: "square", side: 3 }), 9);
          assert.deepStrictEqual(defined([1, undefined, 2]), [1, 2]);
          assert.strictEqual(unitArea, 1);
          assert.strictEqual(Level.High, 2);
        });
        """)
    verdict = run_ts(checked, solution, tests)
    assert verdict.passed, verdict.feedback


def test_what_node_18_runs_beyond_es2022_type_checks_and_no_more(checked):
    """findLast and findLastIndex (ES2023, in Node 18) type-check, for arrays, read-only arrays
    and typed arrays; toSorted (Node 20) stays a type error, as the Docker image's Node 18
    cannot run it."""
    solution = d("""
        export function lastEven(xs: readonly number[]): number | undefined {
          return xs.findLast((x) => x % 2 === 0);
        }
        export function lastBig(xs: number[], ys: Int32Array): [number, number | undefined] {
          return [xs.findLastIndex((x) => x > 1), ys.findLast((y) => y > 1)];
        }
        """)
    tests = d("""
        import { test } from "node:test";
        import assert from "node:assert/strict";
        import { lastEven, lastBig } from "./solution";
        test("from the end", () => {
          assert.equal(lastEven([2, 3, 4, 5]), 4);
          assert.deepEqual(lastBig([3, 1], Int32Array.of(5, 2, 0)), [0, 2]);
        });
        """)
    verdict = run_ts(checked, solution, tests)
    assert verdict.passed, verdict.feedback
    newer = solution.replace("xs.findLast((x) => x % 2 === 0)", "xs.toSorted()[0]")
    verdict = run_ts(checked, newer, tests)
    assert verdict.stage == "compile" and "'toSorted' does not exist" in verdict.feedback


def test_extensionless_and_default_imports_resolve(checked):
    tests = d("""
        import test from "node:test";
        import assert = require("node:assert/strict");
        import { add } from "./solution";
        test("adds", () => assert.equal(add(2, 3), 5));
        """)
    verdict = run_ts(checked, ADD_OK, tests)
    assert verdict.passed, verdict.feedback


def test_no_tests_and_skipped_tests(checked):
    assert run_ts(checked, ADD_OK, HEAD + "export const x = add(1, 2);\n").stage == "no_tests"
    skipped = HEAD + 'test.skip("adds", () => { assert.equal(add(2, 3), 5); });\n'
    assert run_ts(checked, ADD_OK, skipped).stage == "no_tests"


def test_a_test_s_own_after_hook_and_mocks_of_built_ins_the_tests_make(checked):
    """As in JavaScript (test_javascript.py): t.after runs when the test ends, and a mock of
    Math.random through node:test's mock API, in place or restored, is no tampering."""
    release = d("""
        let open = 0;
        export const acquire = (): (() => void) => {
          open += 1;
          return () => {
            open -= 1;
          };
        };
        export const count = (): number => open;
        """)
    released = d("""
        import { test } from "node:test";
        import assert from "node:assert/strict";
        import { acquire, count } from "./solution";

        test("acquire", (t) => {
          t.after(acquire());
          assert.equal(count(), 1);
        });
        test("released by t.after", () => {
          assert.equal(count(), 0);
        });
        """)
    verdict = run_ts(checked, release, released)
    assert verdict.passed, verdict.feedback
    roll = "export const roll = (): number => Math.floor(Math.random() * 6) + 1;\n"
    mocking = d("""
        import { test, mock } from "node:test";
        import assert from "node:assert/strict";
        import { roll } from "./solution";

        test("roll uses Math.random", () => {
          mock.method(Math, "random", () => 0.99);
          assert.equal(roll(), 6);
        });
        test("a test's own mock", (t) => {
          const random = t.mock.method(Math, "random", () => 0);
          t.after(() => random.mock.restore());
          assert.equal(roll(), 1);
        });
        """)
    verdict = run_ts(checked, roll, mocking)
    assert verdict.passed, verdict.feedback


def test_many_samples_at_once_in_a_fresh_verifier(backend_name):
    """The first requests of a verifier come from several threads at once."""
    samples = [
        Sample(
            solution=ADD_OK, tests=TEST_ADD.replace("adds two", f"adds #{i}"), language="typescript"
        )
        for i in range(6)
    ]
    with Verifier(VerifyOptions(sandbox=backend_name, jobs=2)) as verifier:
        verdicts = list(verifier.verify(samples))
    assert [v.stage for v in verdicts] == ["passed"] * 6


# One type check for a chunk ---------------------------------------------------------------------
TYPE_ERROR = 'export function add(a: number, b: number): number {\n  return "x" + a;\n}\n'


def ts_samples(*solutions: str) -> list[Sample]:
    return [Sample(solution=s, tests=TEST_ADD, language="typescript") for s in solutions]


def test_a_chunk_shares_one_type_check_and_each_error_is_the_sample_s_own(checked):
    alone = run_ts(checked, TYPE_ERROR, TEST_ADD)
    verdicts = list(checked.verify(ts_samples(ADD_OK, TYPE_ERROR, ADD_OK, ADD_OK)))
    assert [v.stage for v in verdicts] == ["passed", "compile", "passed", "passed"]
    # The messages of its own type check: its own file names, lines and columns.
    assert verdicts[1].lint == alone.lint and verdicts[1].feedback == alone.feedback
    assert [m.file for m in verdicts[1].lint if m.rejects] == ["solution.ts"]


def test_the_batch_takes_only_samples_that_cannot_reach_past_their_own_files(backend_name):
    language = TypeScript(VerifyOptions(sandbox=backend_name))
    try:
        prechecked = language.precheck(
            ts_samples(
                ADD_OK,
                TYPE_ERROR,  # the batch finds an error: checked again alone
                ADD_OK + "declare global {\n  interface Number {\n    magic(): number;\n  }\n}\n",
                "/// a comment as a directive would be\n" + ADD_OK,
                ADD_OK + 'export { add as again } from "./0.solution";\n',
                ADD_OK + 'export const s = "\\u0041";\n',
                ADD_OK.replace("add", "plus") + "export const add = plus;\n",
            )
        )
    finally:
        language.close()
    assert [p.verdict for p in prechecked] == [None] * 7
    typed = [p.prepared["typed"] for p in prechecked]
    assert typed == [True, False, False, False, False, False, True]


def test_a_batch_worker_that_died_costs_a_chunk_its_batch_only():
    """The batch's sandbox worker killed between two chunks: the next chunk's samples keep their
    own type checks (in their runs), and the chunk after that has a fresh batch worker."""
    language = TypeScript(VerifyOptions(sandbox="process"))
    try:
        assert [p.prepared["typed"] for p in language.precheck(ts_samples(ADD_OK, ADD_OK))] == [
            True,
            True,
        ]
        language._worker._backend._kill()
        again = language.precheck(ts_samples(ADD_OK, TYPE_ERROR))
        assert [p.prepared["typed"] for p in again] == [False, False]
        assert language._worker._backend is None  # dropped, for a fresh one
        after = language.precheck(ts_samples(ADD_OK, ADD_OK, TYPE_ERROR))
        assert [p.prepared["typed"] for p in after] == [True, True, False]
    finally:
        language.close()


def test_a_large_chunk_is_type_checked_in_batches_of_bounded_size():
    from sandbox.languages.typescript import batch

    big = "x" * (batch.MAX_BYTES // 3)
    samples = [Sample(solution=big, tests="", language="typescript") for _ in range(7)]
    samples.insert(3, Sample(solution="x" * (batch.MAX_BYTES + 1), tests="", language="typescript"))
    parts = batch.batches(samples, list(range(8)))
    assert [i for part in parts for i in part] == list(range(8))
    assert [3] in parts  # over the bound alone: its own run type-checks it
    for part in parts:
        size = sum(len(samples[i].solution) for i in part)
        assert size <= batch.MAX_BYTES or len(part) == 1
