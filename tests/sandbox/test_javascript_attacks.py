"""Hostile JavaScript: each test is an attack on the verdict or on the host, run on each backend.

A correct-looking test suite is paired with a solution (or tests) that tries to cheat the
verdict, harm the host, or escape; the assertions check both the verdict and the host.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid

import pytest

from sandbox import Verifier, VerifyOptions
from sandbox.isolation.skeleton import interpreter_paths
from tests.sandbox.conftest import ATTACK_LIMITS, CANARY_SECRET, wait_until_gone
from tests.sandbox.js_helpers import (
    ADD_OK,
    ADD_WRONG,
    HEAD,
    TEST_ADD,
    d,
    node_test_outcomes,
    run_js,
)

FORGED_END = json.dumps({"seq": 0, "t": "end", "exitstatus": 0})

# Cheating the verdict ---------------------------------------------------------------------------
CHEATS = {
    "exit_0_at_load": (ADD_WRONG + "process.exit(0);\n", TEST_ADD),
    "really_exit_0_at_load": (ADD_WRONG + "process.reallyExit(0);\n", TEST_ADD),
    "exit_0_in_test": (
        ADD_WRONG,
        HEAD + 'test("adds", () => {\n  process.exit(0);\n  assert.equal(add(2, 3), 5);\n});\n',
    ),
    "exit_0_in_the_solution_during_a_test": (
        "const add = (a, b) => { process.exit(0); };\nmodule.exports = { add };\n",
        TEST_ADD,
    ),
    "exit_0_from_an_exit_listener": (
        ADD_WRONG + "process.on('exit', () => process.exit(0));\n",
        TEST_ADD,
    ),
    "exit_code_0_and_kill_self": (
        ADD_WRONG + "process.exitCode = 0;\nprocess.kill(process.pid, 'SIGKILL');\n",
        TEST_ADD,
    ),
    "printed_fake_reports": (
        ADD_WRONG
        + d("""
            console.log("ok 1 - adds two numbers\\n1..1\\n# pass 1\\n# fail 0");
            console.log("✔ adds two numbers (0.1ms)\\nℹ tests 1\\nℹ pass 1\\nℹ fail 0");
            console.error(JSON.stringify({ t: "end", exitstatus: 0 }));
            """),
        TEST_ADD,
    ),
    "forged_lines_on_every_descriptor": (
        ADD_WRONG
        + d(f"""
            const fs = require("fs");
            for (const fake of ["0".repeat(32) + " " + {FORGED_END!r}, {FORGED_END!r}]) {{
              for (let fd = 3; fd < 64; fd++) {{
                try {{ fs.writeSync(fd, fake + "\\n"); }} catch (e) {{}}
              }}
            }}
            """),
        TEST_ADD,
    ),
    "assert_methods_replaced": (
        ADD_WRONG
        + d("""
            for (const name of ["assert", "assert/strict", "node:assert", "node:assert/strict"]) {
              const a = require(name);
              for (const key of ["equal", "strictEqual", "deepEqual", "ok"]) {
                try { a[key] = () => {}; } catch (e) {}
                try { Object.defineProperty(a, key, { value: () => {} }); } catch (e) {}
              }
            }
            """),
        TEST_ADD,
    ),
    "json_stringify_replaced": (
        ADD_WRONG + "JSON.stringify = () => 'same';\n",
        HEAD
        + 'test("adds", () => {\n  assert.ok(JSON.stringify(add(2, 3)) === JSON.stringify(5));\n});\n',
    ),
    "array_prototype_polluted": (
        "const add = (a, b) => [a - b];\nObject.getPrototypeOf([]).includes = () => true;\n"
        "module.exports = { add };\n",
        HEAD + 'test("adds", () => {\n  assert.ok(add(2, 3).includes(5));\n});\n',
    ),
    "object_prototype_to_json": (
        "const add = (a, b) => ({ sum: a - b });\n"
        "Object.getPrototypeOf({}).toJSON = function () { return 'x'; };\n"
        "module.exports = { add };\n",
        HEAD + 'test("adds", () => {\n'
        "  assert.equal(JSON.stringify(add(2, 3)), JSON.stringify({ sum: 5 }));\n});\n",
    ),
    "pollution_inside_the_solution_call": (
        "const add = (a, b) => { [].constructor.prototype.every = () => true; return [a - b]; };\n"
        "module.exports = { add };\n",
        HEAD + 'test("adds", () => {\n  assert.ok(add(2, 3).every((x) => x === 5));\n});\n',
    ),
    "iterator_pollution": (
        "const add = (a, b) => { const it = [][Symbol.iterator]();\n"
        "  Object.getPrototypeOf(it).next = () => ({ done: true }); return [a - b]; };\n"
        "module.exports = { add };\n",
        HEAD + 'test("adds", () => {\n  assert.deepEqual([...add(2, 3)].length, 0);\n'
        "  assert.equal(add(2, 3)[0], 5);\n});\n",
    ),
    "node_test_replaced_by_the_solution": (
        ADD_WRONG
        + d("""
            const nodeTest = require("node:test");
            const fake = (name) => nodeTest.test(name, () => {});
            try { nodeTest.test = fake; } catch (e) {}
            try { Object.defineProperty(nodeTest, "test", { value: fake }); } catch (e) {}
            const Module = require("module");
            const load = Module._load;
            try {
              Module._load = function (request, ...rest) {
                return request === "node:test" ? { test: fake } : load.call(this, request, ...rest);
              };
            } catch (e) {}
            try { Object.defineProperty(module.parent, "require", { value: () => ({ test: fake }) }); } catch (e) {}
            try { Module.prototype.require = () => ({ test: fake }); } catch (e) {}
            """),
        'const { add } = require("./solution.js");\nconst { test } = require("node:test");\n'
        'const assert = require("node:assert/strict");\n'
        'test("adds two numbers", () => {\n  assert.equal(add(2, 3), 5);\n});\n',
    ),
    "tests_defined_by_the_solution": (
        ADD_WRONG + 'require("node:test").test("adds two numbers", () => {});\n',
        TEST_ADD,
    ),
    "uncaught_errors_swallowed": (
        ADD_OK
        + d("""
            process.on("uncaughtException", () => {});
            process.on("unhandledRejection", () => {});
            try { process.setUncaughtExceptionCaptureCallback(() => {}); } catch (e) {}
            """),
        HEAD + 'test("adds", () => {\n  Promise.reject(new Error("never awaited"));\n'
        '  setImmediate(() => { throw new Error("later"); });\n});\n',
    ),
    "assertion_caught_and_exit": (
        ADD_WRONG,
        HEAD + 'test("adds", () => {\n  try { assert.equal(add(2, 3), 5); }\n'
        "  catch (e) { process.exit(0); }\n});\n",
    ),
    "native_prototype_extended": (
        ADD_WRONG + "Array.prototype.sum = function () { return 5; };\n",
        TEST_ADD,
    ),
    "internal_bindings": (
        ADD_WRONG
        + d("""
            try {
              const fsb = process.binding("fs");
              fsb.writeString = () => 0;
            } catch (e) {}
            """),
        TEST_ADD,
    ),
    # The check once looked its list of Error's own knobs up with Set.prototype.has: patched to
    # say yes, it skipped every property.
    "set_has_patched_to_hide_the_rest": (
        "const add = (a, b) => [a - b];\nObject.getPrototypeOf(new Set()).has = () => true;\n"
        "Object.getPrototypeOf([]).includes = () => true;\nmodule.exports = { add };\n",
        HEAD + 'test("adds", () => {\n  assert.ok(add(2, 3).includes(5));\n});\n',
    ),
}


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheats_are_rejected(verifier, name):
    solution, tests = CHEATS[name]
    verdict = run_js(verifier, solution, tests)
    assert not verdict.passed, f"{name} was accepted: {verdict}"
    assert verdict.stage in {"tests", "crash", "lint"}, (verdict.stage, verdict.reason)
    assert verdict.feedback


def test_the_same_sample_without_the_cheat_is_judged_normally(verifier):
    assert run_js(verifier, ADD_OK, TEST_ADD).passed
    verdict = run_js(verifier, ADD_WRONG, TEST_ADD)
    assert verdict.stage == "tests" and "-1 !== 5" in verdict.feedback


def test_an_early_exit_is_rejected_with_its_reason(verifier):
    verdict = run_js(verifier, *CHEATS["exit_0_in_test"])
    assert verdict.stage == "tests"
    assert "before the test report was complete (while running adds)" in verdict.reason
    assert verdict.exit_code == 0


def test_a_modified_built_in_is_named(verifier):
    verdict = run_js(verifier, *CHEATS["array_prototype_polluted"])
    assert "modified the built-in Array.prototype.includes" in verdict.reason
    verdict = run_js(verifier, *CHEATS["pollution_inside_the_solution_call"])
    assert "modified the built-in Array.prototype.every" in verdict.feedback


# Mocks of built-ins: the tests' are allowed (test_javascript.py), the solution's are not ------------
# Each cheat makes JSON.stringify (or Math.random) say what the tests expect, through node:test's
# mock API, where a tampering check that trusted any mock would let it pass.
SAME = "  const sum = add(2, 3);\n  assert.equal(JSON.stringify(sum), JSON.stringify(5));\n"
MOCKING_HEAD = HEAD.replace("{ test, describe, it }", "{ test, describe, it, mock }")
STRINGIFY = HEAD + 'test("adds", () => {\n' + SAME + "});\n"
STRINGIFY_MOCKING = MOCKING_HEAD + 'test("adds", () => {\n' + SAME + "});\n"
WRONG_LIST = "const add = (a, b) => [a - b];\n"
MOCK_STRINGIFY = 'require("node:test").mock.method(JSON, "stringify", () => "same")'
ROLL_TESTS = MOCKING_HEAD.replace("{ add }", "{ roll }") + d("""
    test("roll", (t) => {
      t.mock.method(Math, "random", () => 0);
      assert.equal(roll(), 1);
    });
    """)
OFF_BY_ONE = "Math.floor(Math.random() * 6) + 2"  # wrong: 2 with Math.random() at 0
CALLER_T = (
    "function add(a, b) {\n  const t = add.caller.arguments[0];\n"
    "  t.mock.method(JSON, 'stringify', () => 'same');\n  return [a - b];\n}\n"
    "module.exports = { add };\n"
)
MOCK_CHEATS = {
    "the_mock_api_at_load": (
        WRONG_LIST + MOCK_STRINGIFY + ";\nmodule.exports = { add };\n",
        STRINGIFY,
    ),
    "the_mock_api_in_the_call": (
        f"const add = (a, b) => {{ {MOCK_STRINGIFY}; return [a - b]; }};\nmodule.exports = {{ add }};\n",
        STRINGIFY_MOCKING,
    ),
    # t.mock is reset before the check: what it changed is looked at before the reset.
    "the_test_s_t_mock_through_the_caller": (
        CALLER_T,
        HEAD + 'test("adds", function (t) {\n' + SAME + "});\n",
    ),
    "the_test_s_t_mock_through_the_caller_where_the_tests_mock": (
        CALLER_T,
        MOCKING_HEAD + 'test("adds", function (t) {\n' + SAME + "});\n",
    ),
    "a_solution_callback_run_as_the_test_s_hook": (
        WRONG_LIST
        + f"const setup = () => {{ {MOCK_STRINGIFY}; }};\nmodule.exports = {{ add, setup }};\n",
        MOCKING_HEAD.replace("{ add }", "{ add, setup }")
        + 'test("adds", (t) => {\n  t.before(setup);\n'
        + SAME
        + "});\n",
    ),
    # Restored by the tests' own afterEach before the check: the mock API call itself counts.
    "restored_by_the_tests_before_the_check": (
        f"const add = (a, b) => {{ {MOCK_STRINGIFY}; return [a - b]; }};\nmodule.exports = {{ add }};\n",
        STRINGIFY_MOCKING.replace(
            'test("adds"',
            'const { afterEach } = require("node:test");\n'
            'afterEach(() => mock.restoreAll());\ntest("adds"',
        ),
    ),
    "the_stack_apis_lied_to": (
        WRONG_LIST
        + d("""
            const tests = require.resolve("./solution.test.js");
            Error.prepareStackTrace = (error, sites) => sites;
            const site = Object.getPrototypeOf(new Error().stack[0]);
            for (const [name, value] of [["getFileName", () => tests], ["isEval", () => false]]) {
              try { site[name] = value; } catch (e) {}
              try { Object.defineProperty(site, name, { value }); } catch (e) {}
            }
            const fake = () => [];
            Object.defineProperty(Error, "prepareStackTrace", { get: () => fake, set() {}, configurable: false });
            Error.stackTraceLimit = 0;
            Error.captureStackTrace = (holder) => { holder.stack = []; };
            """)
        + MOCK_STRINGIFY
        + ";\nmodule.exports = { add };\n",
        STRINGIFY_MOCKING,
    ),
    # Node 18 drops the frames above the last one named __node_internal_... from a stack.
    "node_s_internal_function_names": (
        d(f"""
            function __node_internal_add(a, b) {{
              {MOCK_STRINGIFY};
              return [a - b];
            }}
            const method = require("node:test").mock.method;
            try {{ Object.defineProperty(method, "name", {{ value: "__node_internal_m" }}); }} catch (e) {{}}
            module.exports = {{ add: __node_internal_add }};
            """),
        STRINGIFY_MOCKING,
    ),
    # Every way to compile code as the tests file or as node's own is refused; the one that
    # compiles (a getter that names the tests file on its second read) compiles it as x.js.
    "code_compiled_under_the_tests_name": (
        d("""
            const vm = require("vm");
            const Module = require("module");
            const tests = require.resolve("./solution.test.js");
            const code = "(m) => (a, b) => { m.method(JSON, 'stringify', () => 'same'); return [a - b]; }";
            let add = (a, b) => [a - b];
            const tries = [
              () => vm.runInThisContext(code, { filename: tests }),
              () => vm.runInThisContext(code, tests),
              () => new vm.Script(code, { filename: tests }).runInThisContext(),
              () => new (new vm.Script("1").constructor)(code, { filename: tests }).runInThisContext(),
              () => new (Object.getPrototypeOf(vm.Script.prototype).constructor)(code, tests).runInThisContext(),
              () => vm.compileFunction("return " + code, [], { filename: tests })(),
              () => vm.runInThisContext(code, { filename: "node:internal/test_runner/test" }),
              () => { const m = new Module(tests); m._compile("module.exports = " + code, tests); return m.exports; },
              () => vm.runInThisContext(code, { get filename() { this.n = (this.n || 0) + 1; return this.n > 1 ? tests : "x.js"; } }),
            ];
            for (const make of tries) {
              try { add = make()(require("node:test").mock); break; } catch (e) {}
            }
            module.exports = { add };
            """),
        STRINGIFY_MOCKING,
    ),
    # Rewritten, then loaded again by require() or by import(), which node 18 and 20 compile
    # through Module.prototype._compile too: refused.
    "the_tests_file_rewritten_and_required_again": (
        d("""
            const fs = require("fs");
            const tests = require.resolve("./solution.test.js");
            fs.writeFileSync(tests, "module.exports = (m) => (a, b) => { m.method(JSON, 'stringify', () => 'same'); return [a - b]; };\\n");
            delete require.cache[tests];
            module.exports = { add: require(tests)(require("node:test").mock) };
            """),
        STRINGIFY_MOCKING,
    ),
    "the_tests_file_rewritten_and_imported": (
        d("""
            const fs = require("fs");
            const tests = require.resolve("./solution.test.js");
            fs.writeFileSync(tests, "module.exports = (m) => (a, b) => { m.method(JSON, 'stringify', () => 'same'); return [a - b]; };\\n");
            delete require.cache[tests];
            let forged = null;
            const ready = import(require("url").pathToFileURL(tests).href + "?again").then(
              (m) => { forged = m.default(require("node:test").mock); },
              (e) => { forged = () => { throw e; }; },
            );
            module.exports = { add: (a, b) => forged(a, b), ready };
            """),
        STRINGIFY_MOCKING.replace("{ add }", "{ add, ready }").replace(
            'test("adds", () => {\n', 'test("adds", async () => {\n  await ready;\n'
        ),
    ),
    "a_mock_of_the_tests_reprogrammed": (
        f"const roll = () => {{ Math.random.mock.mockImplementation(() => -1 / 6); return {OFF_BY_ONE}; }};\n"
        "module.exports = { roll };\n",
        ROLL_TESTS,
    ),
    "a_mock_of_the_tests_reprogrammed_with_node_s_own_node_test": (
        d(f"""
            let original = null;
            import("node:test").then((real) => {{
              original = Object.getPrototypeOf(real.mock.fn().mock).mockImplementation;
            }});
            const roll = () => {{
              original.call(Math.random.mock, () => -1 / 6);
              return {OFF_BY_ONE};
            }};
            module.exports = {{ roll }};
            """),
        ROLL_TESTS.replace(
            'test("roll", (t) => {',
            'test("roll", async (t) => {\n  await new Promise((r) => setTimeout(r, 10));',
        ),
    ),
    "a_mock_of_the_tests_replaced": (
        f"const roll = () => {{ Math.random = () => -1 / 6; return {OFF_BY_ONE}; }};\nmodule.exports = {{ roll }};\n",
        ROLL_TESTS,
    ),
    "a_built_in_patched_before_the_tests_spy_on_it": (
        f"const setup = () => {{ Math.random = () => -1 / 6; }};\nconst roll = () => {OFF_BY_ONE};\n"
        "module.exports = { roll, setup };\n",
        MOCKING_HEAD.replace("{ add }", "{ roll, setup }")
        + 'test("roll", (t) => {\n  setup();\n  t.mock.method(Math, "random");\n  assert.equal(roll(), 1);\n});\n',
    ),
}


@pytest.mark.parametrize("name", sorted(MOCK_CHEATS))
def test_a_solution_s_mocks_of_built_ins_are_rejected(verifier, name):
    solution, tests = MOCK_CHEATS[name]
    verdict = run_js(verifier, solution, tests)
    assert not verdict.passed, f"{name} was accepted: {verdict}"
    assert verdict.stage == "tests", (verdict.stage, verdict.reason)
    if "rewritten" in name:
        assert "solution.test.js may not be compiled again" in verdict.feedback, verdict.feedback
    else:
        assert "modified the built-in" in verdict.feedback, verdict.feedback
        assert ("Math.random" if "roll" in tests else "JSON.stringify") in verdict.feedback


@pytest.mark.parametrize("tests", [STRINGIFY, STRINGIFY_MOCKING, ROLL_TESTS])
def test_the_mock_cheats_tests_pass_a_right_solution(verifier, tests):
    roll = "const roll = () => Math.floor(Math.random() * 6) + 1;\nmodule.exports = { roll };\n"
    verdict = run_js(verifier, roll if "roll" in tests else ADD_OK, tests)
    assert verdict.passed, verdict.feedback


# Tests that end before their assertions ran ------------------------------------------------------
# Each test passes on the right solution; the wrong one (a - b) makes it end, or look ended, before
# its assertion runs: the harness must still run the assertion and fail the test, as node's own
# runner does (`node --test` fails every one of these).
DONE_BY_CALLER = d("""
    function add(a, b) {
      try {
        const done = add.caller.arguments[1];
        if (typeof done === "function") done();
      } catch (e) {}
      return a - b;
    }
    module.exports = { add };
    """)
LATER = (
    "function addLater(a, b, callback) {{\n  setTimeout(() => callback(null, {sum}), {ms});\n}}\n"
)
CALLBACK_TESTS = HEAD.replace("{ add }", "{ add, addLater }") + d("""
    test("adds", () => {
      assert.equal(add(2, 3), 5);
    });
    test("adds later", () => {
      addLater(2, 3, (err, sum) => {
        assert.equal(err, null);
        assert.equal(sum, 5);
      });
    });
    """)


def with_later(sum_: str, ms: int = 10, extra: str = "") -> str:
    return (
        "const add = (a, b) => a + b;\n"
        + extra
        + LATER.format(sum=sum_, ms=ms)
        + "module.exports = { add, addLater };\n"
    )


ENDED_EARLY = {
    # The solution calls the test's `done` through the caller, then the test's assertion throws.
    "done_called_by_the_solution": (
        DONE_BY_CALLER,
        HEAD
        + d("""
            test("adds", function (t, done) {
              assert.equal(add(2, 3), 5);
              done();
            });
            """),
        "-1 !== 5",
    ),
    "done_called_by_the_solution_in_an_it_then_the_tests_go_on": (
        DONE_BY_CALLER,
        HEAD
        + d("""
            describe("add", () => {
              it("adds", function (t, done) {
                assert.equal(add(2, 3), 5);
                done();
              });
              it("is a function", () => assert.equal(typeof add, "function"));
            });
            """),
        "-1 !== 5",
    ),
    # The test never waits for the callback: it runs after the last test ended.
    "a_callback_never_waited_for": (
        with_later("a - b"),
        CALLBACK_TESTS,
        "-1 !== 5",
    ),
    # ... and in an earlier test: it fails the test that runs when it throws.
    "a_callback_never_waited_for_in_an_earlier_test": (
        with_later("a - b"),
        CALLBACK_TESTS
        + 'test("waits", async () => {\n  await new Promise((r) => setTimeout(r, 100));\n});\n',
        "-1 !== 5",
    ),
    "a_promise_never_waited_for": (
        "const add = (a, b) => new Promise((r) => setTimeout(() => r(a - b), 10));\n"
        "module.exports = { add };\n",
        HEAD + 'test("adds", () => {\n  add(2, 3).then((sum) => assert.equal(sum, 5));\n});\n',
        "-1 !== 5",
    ),
    # The loop is not empty when the solution emits beforeExit itself: the drain goes on.
    "before_exit_emitted_by_the_solution": (
        with_later(
            "a - b",
            50,
            "for (let i = 1; i < 40; i++) setTimeout(() => process.emit('beforeExit', 0), i);\n",
        ),
        CALLBACK_TESTS,
        "-1 !== 5",
    ),
    # A thenable that is no native promise is awaited as node awaits it.
    "a_thenable_returned": (
        ADD_WRONG,
        HEAD
        + d("""
            test("adds", () => {
              return { then(resolve) { setTimeout(() => { assert.equal(add(2, 3), 5); resolve(); }, 1); } };
            });
            """),
        "-1 !== 5",
    ),
}


@pytest.mark.parametrize("name", sorted(ENDED_EARLY))
def test_assertions_after_a_test_ended_still_fail_it(verifier, tmp_path, name):
    solution, tests, shown = ENDED_EARLY[name]
    verdict = run_js(verifier, solution, tests)
    assert not verdict.passed, f"{name} was accepted: {verdict}"
    assert verdict.stage == "tests", (verdict.stage, verdict.reason)
    assert shown in verdict.feedback, verdict.feedback
    right = solution.replace("a - b", "a + b")
    if "caller" in solution:
        right = ADD_OK
    verdict = run_js(verifier, right, tests)
    assert verdict.passed, (name, verdict.feedback)
    assert not all(node_test_outcomes(tmp_path, solution, tests).values())  # node fails it too


def test_an_error_after_the_tests_ended_says_so(verifier):
    verdict = run_js(verifier, with_later("a - b", 300), CALLBACK_TESTS)
    assert [c.outcome for c in verdict.tests.cases] == ["passed", "failed"]
    assert "thrown after the tests ended" in verdict.feedback, verdict.feedback


def test_a_subtest_started_after_its_parent_ended_fails(verifier, tmp_path):
    late = 'setTimeout(() => t.test("late", () => assert.equal(add(2, 3), 5)), 1);\n'
    tests = (
        HEAD
        + 'test("adds", (t) => {\n  assert.equal(typeof add(1, 1), "number");\n  '
        + late
        + "});\n"
    )
    verdict = run_js(verifier, ADD_WRONG, tests)
    assert verdict.stage == "tests"
    assert (
        'the subtest "late" was started after its parent test "adds" had ended' in verdict.feedback
    )
    # Node fails it whatever the solution (its parent finished): so does the harness, also when
    # the parent was reported already (the run fails).
    waits = 'test("waits", async () => {\n  await new Promise((r) => setTimeout(r, 100));\n});\n'
    for right_tests in (tests, tests + waits):
        verdict = run_js(verifier, ADD_OK, right_tests)
        assert verdict.stage == "tests", (verdict.stage, verdict.reason)
        assert 'the subtest "late" was started after' in verdict.feedback, verdict.feedback
    assert not all(node_test_outcomes(tmp_path, ADD_OK, tests).values())


def test_the_drain_after_the_tests_is_bounded_and_free_when_nothing_is_pending(verifier):
    verdict = run_js(verifier, ADD_OK, TEST_ADD)
    assert verdict.passed and verdict.duration_s < 1.5  # no fixed wait: the drain bound is 2 s
    forever = HEAD + d("""
        test("adds", () => {
          setInterval(() => {}, 5);
          require("net").createServer().listen(0);
          assert.equal(add(2, 3), 5);
        });
        """)
    verdict = run_js(verifier, ADD_OK, forever)
    assert verdict.passed, verdict.feedback  # what is still pending at the bound never runs
    assert verdict.duration_s < 5, verdict.duration_s


def test_forged_lines_are_a_tampered_channel(verifier):
    verdict = run_js(verifier, *CHEATS["forged_lines_on_every_descriptor"])
    assert "result channel tampered with" in verdict.reason


def test_skipped_todo_and_missing_tests_are_no_tests(verifier):
    skipped = HEAD + d("""
        test.skip("adds", () => { assert.equal(add(2, 3), 5); });
        it.todo("adds negatives");
        describe.skip("more", () => { it("x", () => {}); });
        test("skips itself", (t) => { t.skip(); });
        """)
    assert run_js(verifier, ADD_WRONG, skipped).stage == "no_tests"
    assert (
        run_js(verifier, ADD_WRONG, HEAD + "const check = () => add(2, 3);\n").stage == "no_tests"
    )


def test_unhandled_rejections_fail_the_test_that_left_them(verifier):
    verdict = run_js(verifier, *CHEATS["uncaught_errors_swallowed"])
    assert verdict.stage == "tests"
    assert verdict.tests.cases[0].outcome == "failed"
    assert "never awaited" in verdict.tests.cases[0].message


# Resource attacks -------------------------------------------------------------------------------
def solution_doing(body: str) -> str:
    return f"const add = (a, b) => {{\n{body}\n}};\nmodule.exports = {{ add }};\n"


RESOURCE = {
    "fork_bomb": (
        solution_doing(
            '  const { spawn } = require("child_process");\n'
            "  for (;;) { try { spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']); }"
            " catch (e) {} }"
        ),
        {"timeout", "tests", "crash", "memory"},
    ),
    "exec_bomb": (
        solution_doing(
            '  const { execSync } = require("child_process");\n'
            "  execSync(':(){ :|:& };:', { shell: '/bin/sh' });"
        ),
        {"timeout", "tests", "crash", "memory"},
    ),
    "worker_thread_bomb": (
        solution_doing(
            '  const { Worker } = require("worker_threads");\n'
            "  for (;;) new Worker('setInterval(() => {}, 1000)', { eval: true });"
        ),
        {"timeout", "tests", "crash", "memory"},
    ),
    "memory_flood_arrays": (
        solution_doing("  const hog = [];\n  for (;;) hog.push(new Array(1 << 20).fill(1.5));"),
        {"memory"},
    ),
    "memory_flood_buffers": (
        solution_doing("  const hog = [];\n  for (;;) hog.push(Buffer.alloc(16 << 20, 1));"),
        {"memory"},
    ),
    "cpu_spin": (solution_doing("  for (;;) {}"), {"timeout"}),
    "sigterm_ignored_spin": (
        solution_doing("  process.on('SIGTERM', () => {});\n  for (;;) {}"),
        {"timeout"},
    ),
    "output_flood": (
        solution_doing("  const s = 'x'.repeat(65536);\n  for (;;) process.stdout.write(s);"),
        {"output"},
    ),
    "stderr_flood_without_newlines": (
        solution_doing(
            "  const fs = require('fs');\n  const s = 'y'.repeat(65536);\n  for (;;) fs.writeSync(2, s);"
        ),
        {"output"},
    ),
    # One print over the limit, and the tests pass: the harness's stdout does not queue it (to
    # be dropped when the run ends), it reaches the sandbox, which counts it.
    "one_big_print": (
        solution_doing("  console.log('x'.repeat(5_000_000));\n  return a + b;"),
        {"output"},
    ),
    "one_big_stderr_print": (
        solution_doing("  console.error('y'.repeat(3_000_000));\n  return a + b;"),
        {"output"},
    ),
    "disk_flood": (
        solution_doing(
            "  const fs = require('fs');\n  const mb = Buffer.alloc(8 << 20);\n"
            "  for (let i = 0; ; i++) fs.writeFileSync(`fill${i}`, mb);"
        ),
        {"tests", "crash", "memory"},
    ),
    "inode_flood": (
        solution_doing(
            "  const fs = require('fs');\n  for (let i = 0; ; i++) fs.writeFileSync(`f${i}`, '');"
        ),
        {"tests"},
    ),
    "stack_overflow": (
        solution_doing("  const f = (n) => f(n + 1) + 1;\n  return f(0);"),
        {"tests"},
    ),
    "abort": (solution_doing("  process.abort();"), {"crash"}),
}


@pytest.mark.parametrize("name", sorted(RESOURCE))
def test_resource_attacks_are_contained(verifier, name):
    solution, stages = RESOURCE[name]
    verdict = run_js(verifier, solution, TEST_ADD)
    assert verdict.stage in stages, f"{name}: {verdict.stage} {verdict.reason}"
    assert run_js(verifier, ADD_OK, TEST_ADD).passed  # the verifier is still healthy


def test_a_memory_flood_is_a_memory_verdict(verifier):
    verdict = run_js(verifier, RESOURCE["memory_flood_arrays"][0], TEST_ADD)
    assert verdict.stage == "memory" and "memory limit" in verdict.reason


def test_output_is_truncated_not_buffered(verifier):
    verdict = run_js(verifier, RESOURCE["output_flood"][0], TEST_ADD)
    assert len(verdict.stdout) < 10_000


# Escaping and spying ----------------------------------------------------------------------------
def test_runs_unprivileged_with_no_capabilities(verifier):
    tests = HEAD + d("""
        const fs = require("fs");
        test("identity", () => {
          assert.notEqual(process.getuid(), 0);
          assert.notEqual(process.geteuid(), 0);
          const status = fs.readFileSync("/proc/self/status", "utf8");
          for (const kind of ["CapEff", "CapPrm", "CapInh", "CapAmb"]) {
            assert.match(status, new RegExp(`${kind}:\\\\s+0000000000000000`));
          }
          assert.match(status, /NoNewPrivs:\\s+1/);
        });
        """)
    verdict = run_js(verifier, ADD_OK, tests)
    assert verdict.passed, verdict.feedback


def test_environment_is_empty_of_secrets(verifier):
    tests = HEAD + d("""
        const fs = require("fs");
        test("spy", () => {
          const found = { env: { ...process.env } };
          for (const pid of fs.readdirSync("/proc").filter((p) => /^\\d+$/.test(p))) {
            try { found[pid] = fs.readFileSync(`/proc/${pid}/environ`, "latin1"); } catch (e) {}
          }
          try { found.self = fs.readFileSync("/proc/self/environ", "latin1"); } catch (e) {}
          const blob = JSON.stringify(found);
          console.log(blob);
          assert.ok(!blob.includes("assay-canary"));
          assert.ok(!blob.includes("API_KEY"));
        });
        """)
    verdict = run_js(verifier, ADD_OK, tests)
    assert CANARY_SECRET not in verdict.stdout + verdict.stderr
    assert verdict.passed, verdict.feedback


def test_host_files_are_invisible(verifier, tmp_path):
    marker = tmp_path / "host-secret.txt"
    marker.write_text(CANARY_SECRET)
    probes = [str(marker), os.path.abspath("pyproject.toml"), "/etc/shadow", "/root/.bashrc",
              "/var/run/docker.sock", "/proc/1/root/etc/shadow"]  # fmt: skip
    # Directory listings may show only the way to what the sandbox binds (the interpreter).
    on_the_way = sorted({part for p in interpreter_paths() for part in p.split("/") if part})
    tests = HEAD + d(f"""
        const fs = require("fs");
        const onTheWay = new Set({json.dumps(on_the_way)});
        test("spy", () => {{
          const seen = [];
          for (const path of {json.dumps(probes)}) {{
            try {{ seen.push([path, fs.readFileSync(path, "latin1").slice(0, 200)]); }} catch (e) {{}}
          }}
          for (const dir of ["/home", "/root"]) {{
            try {{ seen.push([dir, fs.readdirSync(dir).filter((n) => !onTheWay.has(n))]); }} catch (e) {{}}
          }}
          console.log(JSON.stringify(seen));
          assert.deepEqual(seen.filter(([, c]) => typeof c === "string" || c.length), []);
        }});
        """)
    verdict = run_js(verifier, ADD_OK, tests)
    assert CANARY_SECRET not in verdict.stdout
    assert verdict.passed, verdict.feedback


def test_writes_outside_the_work_dir_do_not_reach_the_host(verifier, tmp_path):
    target = tmp_path / "written-by-sample"
    tests = HEAD + d(f"""
        const fs = require("fs");
        test("escape", () => {{
          try {{ fs.symlinkSync({json.dumps(str(tmp_path))}, "out"); }} catch (e) {{}}
          try {{ fs.symlinkSync("/", "root"); }} catch (e) {{}}
          for (const path of ["out/written-by-sample", {json.dumps(str(target))},
                              "root/usr/lib/evil", "/usr/evil", "/etc/evil", "../../escape"]) {{
            try {{ fs.writeFileSync(path, "pwned"); }} catch (e) {{}}
          }}
        }});
        """)
    run_js(verifier, ADD_OK, tests)
    assert not target.exists()
    assert not os.path.exists("/usr/evil") and not os.path.exists("/etc/evil")


class _Listener:
    """A real TCP server on the host's loopback that counts connections."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
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


def test_no_network_neither_host_loopback_nor_outside(verifier):
    listener = _Listener()
    try:
        tests = HEAD + d(f"""
            const net = require("net");
            const dns = require("dns");
            const attempt = (host, port) => new Promise((resolve) => {{
              const socket = net.connect({{ host, port, timeout: 1000 }});
              socket.on("connect", () => {{ socket.destroy(); resolve(`${{host}}:${{port}}`); }});
              socket.on("error", () => resolve(null));
              socket.on("timeout", () => {{ socket.destroy(); resolve(null); }});
            }});
            test("connect", async () => {{
              const reached = [];
              for (const [host, port] of [["127.0.0.1", {listener.port}], ["8.8.8.8", 53],
                                          ["1.1.1.1", 443]]) {{
                const got = await attempt(host, port);
                if (got) reached.push(got);
              }}
              const resolved = await new Promise((resolve) =>
                dns.lookup("registry.npmjs.org", (err) => resolve(!err)));
              if (resolved) reached.push("dns");
              assert.deepEqual(reached, []);
            }});
            """)
        verdict = run_js(verifier, ADD_OK, tests)
        assert verdict.passed, verdict.feedback
        assert listener.connections == 0
    finally:
        listener.close()


def test_killing_the_parent_and_everything_is_contained(verifier):
    tests = HEAD + d("""
        test("kill", () => {
          for (const pid of [process.ppid, 1, -1]) {
            try { process.kill(pid, "SIGKILL"); } catch (e) {}
          }
          assert.fail("still here");
        });
        """)
    verdict = run_js(verifier, ADD_OK, tests)
    assert not verdict.passed and verdict.stage != "error"
    assert run_js(verifier, ADD_OK, TEST_ADD).passed


def test_daemons_do_not_outlive_the_sample(verifier):
    marker = f"assay-daemon-{uuid.uuid4().hex}"
    tests = HEAD + d(f"""
        const {{ spawn }} = require("child_process");
        test("daemonize", async () => {{
          const child = spawn(process.execPath, ["-e", "setInterval(() => {{}}, 1000)", "{marker}"],
                              {{ detached: true, stdio: "ignore" }});
          child.unref();
          await new Promise((resolve) => setTimeout(resolve, 300));
          assert.equal(add(1, 2), 3);
        }});
        """)
    verdict = run_js(verifier, ADD_OK, tests)
    assert verdict.passed, verdict.feedback
    assert wait_until_gone(marker) == []


def test_the_strength_check_run_starts_clean(backend_name):
    """The stub's run follows the real run: nothing the real run left (files, a daemon) may reach
    it, or sound tests would turn into weak_tests."""
    token = uuid.uuid4().hex[:12]
    tests = d(f"""
        const {{ test }} = require("node:test");
        const assert = require("node:assert/strict");
        const fs = require("fs");
        const {{ spawn }} = require("child_process");
        const {{ real }} = require("./solution.js");
        test("leftovers", () => {{
          const paths = ["/tmp/left-{token}", "left-{token}"];
          if (real()) {{
            for (const p of paths) fs.writeFileSync(p, "x");
            spawn("sleep", ["600.{token}"], {{ detached: true, stdio: "ignore" }}).unref();
            return;
          }}
          assert.ok(paths.some((p) => fs.existsSync(p)));
        }});
        """)
    options = VerifyOptions(sandbox=backend_name, jobs=1, limits=ATTACK_LIMITS)
    with Verifier(options) as verifier:
        verdict = run_js(verifier, "const real = () => true;\nmodule.exports = { real };\n", tests)
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.weak_tests)
    assert verdict.weak_tests == []
    assert not wait_until_gone(f"600.{token}")
