"""JavaScript: the checks before the box (ESLint, the stub) and runs in the box (the harness)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from sandbox import Limits, Sample, Verifier, VerifyOptions, languages
from sandbox.languages.javascript import eslint
from sandbox.languages.javascript.language import JavaScript
from tests.sandbox.js_helpers import (
    ADD_OK,
    ADD_WRONG,
    HEAD,
    TEST_ADD,
    d,
    node_test_outcomes,
    run_js,
)


@pytest.fixture(scope="module")
def js() -> JavaScript:
    return JavaScript(VerifyOptions())


def precheck(js: JavaScript, solution: str, tests: str = TEST_ADD):
    (pre,) = js.precheck([Sample(solution=solution, tests=tests, language="javascript")])
    return pre


def test_the_language_is_registered_with_its_layout():
    assert languages.lookup("js") is JavaScript
    assert languages.lookup("javascript").solution_file == "solution.js"
    assert JavaScript.tests_file == "solution.test.js"
    assert "node:test" in JavaScript.conventions and "module.exports" in JavaScript.conventions


def test_v8_gets_a_heap_limit_only_where_its_own_would_stop_a_flood_first():
    """V8's out-of-memory abort would be a crash where the kernel's kill is a `memory` verdict
    (test_javascript_attacks floods memory on both backends). In the process backend's full box V8
    sizes its heap by the machine; a box larger than half of that, the weak box and Docker (V8
    sees their cgroups) get the limit."""
    from sandbox.languages.javascript.language import _default_heap_mb, heap_flags

    node = JavaScript(VerifyOptions()).toolchain.find("node", "nodejs")
    machine = _default_heap_mb(node)
    assert machine > 0
    small, huge = Limits(memory_mb=int(machine // 4)), Limits(memory_mb=int(machine))
    assert heap_flags(node, VerifyOptions(limits=small)) == ()
    assert heap_flags(node, VerifyOptions(limits=huge)) == (
        f"--max-old-space-size={2 * int(machine)}",
    )
    for other in (
        VerifyOptions(limits=small, isolation="weak"),
        VerifyOptions(limits=small, sandbox="docker"),
    ):
        assert heap_flags(node, other) == (f"--max-old-space-size={2 * small.memory_mb}",)


# Parse and lint ---------------------------------------------------------------------------------
def test_a_syntax_error_names_file_line_and_column(js):
    pre = precheck(js, "const add = (a, b) => { return a +; };\nmodule.exports = { add };\n")
    assert pre.verdict.stage == "syntax"
    assert "solution.js:1:35" in pre.verdict.reason
    assert "return a +;" in pre.verdict.feedback
    pre = precheck(js, ADD_OK, HEAD + "test('x', () => {\n  assert.equal(add(1, 1) 2);\n});\n")
    assert pre.verdict.stage == "syntax"
    assert "solution.test.js:6:" in pre.verdict.reason


def test_es_modules_do_not_parse_as_commonjs(js):
    pre = precheck(js, "export const add = (a, b) => a + b;\n")
    assert pre.verdict.stage == "syntax"
    assert "sourceType" in pre.verdict.reason or "import" in pre.verdict.reason


BUGS = {
    "assay/no-undef": "const f = () => missingName + 1;\n",
    "no-const-assign": "const f = () => { const x = 1; x = 2; return x; };\n",
    "no-dupe-keys": "const f = () => ({ a: 1, a: 2 });\n",
    "no-unreachable": "const f = () => { return 1; console.log('never'); };\n",
    "use-isnan": "const f = (x) => x === NaN;\n",
    "valid-typeof": "const f = (x) => typeof x === 'strnig';\n",
    "no-self-assign": "const f = (x) => { x = x; return x; };\n",
    "no-unsafe-negation": "const f = (k, o) => !k in o;\n",
    "getter-return": "const o = { get x() { 1; } };\nconst f = () => o.x;\n",
    "no-func-assign": "function f() { return 1; }\nf = 2;\n",
    "no-extend-native": "Array.prototype.sum = function () { return 0; };\nconst f = () => 1;\n",
    "no-dupe-else-if": "const f = (a) => { if (a) return 1; else if (a) return 2; return 3; };\n",
}


@pytest.mark.parametrize("rule", sorted(BUGS))
def test_bug_rules_reject_with_their_location(js, rule):
    pre = precheck(js, BUGS[rule] + "module.exports = { f };\n")
    assert pre.verdict is not None and pre.verdict.stage == "lint", (rule, pre.lint)
    assert pre.verdict.reason.startswith(rule)
    rejecting = [m for m in pre.lint if m.rejects]
    assert rejecting[0].code == rule and rejecting[0].file == "solution.js"
    assert rejecting[0].line >= 1 and rejecting[0].column >= 1


def test_style_rules_are_reported_without_rejecting(js):
    pre = precheck(js, "const unused = 1;\nconst add = (a, b) => { if (a) {} return a + b; };\n"
                       "module.exports = { add };\n")  # fmt: skip
    assert pre.verdict is None
    codes = {m.code for m in pre.lint}
    assert {"no-unused-vars", "no-empty"} <= codes
    assert not any(m.rejects for m in pre.lint)


def test_comments_cannot_switch_rules_off_or_declare_globals(js):
    for head in ("/* eslint-disable */\n", "/* global missingName */\n",
                 "// eslint-disable-next-line\n"):  # fmt: skip
        pre = precheck(js, head + "const f = () => missingName;\nmodule.exports = { f };\n")
        assert pre.verdict is not None and pre.verdict.stage == "lint", head
        assert "missingName" in pre.verdict.reason


def test_an_implicit_global_is_reported_in_sloppy_code_and_rejected_in_strict(js):
    sloppy = "const f = () => { total = 1; return total; };\nmodule.exports = { f };\n"
    pre = precheck(js, sloppy)
    assert pre.verdict is None
    assert [m.code for m in pre.lint if m.code.startswith("assay/")] == ["assay/implicit-global"]
    pre = precheck(js, '"use strict";\n' + sloppy)
    assert pre.verdict.stage == "lint" and "total" in pre.verdict.reason


def test_a_missing_require_in_the_tests_is_caught_before_running(js):
    pre = precheck(js, ADD_OK, 'const { add } = require("./solution.js");\n'
                               'test("x", () => { assert.equal(add(1, 1), 2); });\n')  # fmt: skip
    assert pre.verdict.stage == "lint"
    assert {m.message for m in pre.lint if m.rejects} >= {"'test' is not defined."}
    assert all(m.file == "solution.test.js" for m in pre.lint if m.rejects)


def test_one_eslint_call_checks_many_samples_each_on_its_own(js):
    samples = [
        Sample(solution=ADD_OK, tests=TEST_ADD, language="javascript"),
        Sample(solution="const add = (;\n", tests=TEST_ADD, language="javascript"),
        Sample(
            solution="const add = () => nope;\nmodule.exports = { add };\n",
            tests=TEST_ADD,
            language="javascript",
        ),  # fmt: skip
        Sample(solution=ADD_OK, tests="x" * 40, language="javascript"),
    ]
    small = JavaScript(VerifyOptions(max_source_bytes=30))
    verdicts = [p.verdict for p in js.precheck(samples[:3])]
    assert verdicts[0] is None
    assert verdicts[1].stage == "syntax" and verdicts[2].stage == "lint"
    (big,) = small.precheck(samples[3:])
    assert big.verdict.stage == "syntax" and "larger than 30 bytes" in big.verdict.reason


def test_the_warm_eslint_normalizes_its_configuration_once_with_the_same_answers(tmp_path):
    """warm_eslint.js gives the warm ESLint its configuration normalized (ESLint would normalize
    it again for every file); an ESLint that keeps no FlatConfigArray where ESLint 9 does gets
    the configuration as written."""
    node = shutil.which("node") or shutil.which("nodejs")
    program = shutil.which("eslint")
    if node is None or program is None:
        pytest.skip("node and eslint are needed")
    script = (
        "const [warm, dir, elsewhere] = process.argv.slice(1);"
        "const { normalized } = require(warm);"
        "const config = require(require('path').join(require('path').dirname(warm),"
        " 'eslint.config.cjs'));"
        "const once = normalized(dir, config);"
        "const linter = new (require(dir).Linter)({ configType: 'flat' });"
        "const text = 'const add = (a, b) => a + c;\\nmodule.exports = { add };\\n';"
        "const lint = (c) => linter.verify(text, c, { filename: 'solution.js' });"
        "console.log(JSON.stringify([typeof once.getConfig, normalized(elsewhere, config) === config,"
        " lint(once), lint(config)]));"
    )
    warm = os.path.join(os.path.dirname(os.path.abspath(eslint.__file__)), "warm_eslint.js")
    package = eslint.package_dir(program)
    done = subprocess.run(
        [node, "-e", script, warm, package, str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    kind, plain, with_once, with_plain = json.loads(done.stdout)
    assert (kind, plain) == ("function", True)
    assert with_once == with_plain
    assert any(m["ruleId"] == "assay/no-undef" for m in with_once), with_once


# The strength check's stub ----------------------------------------------------------------------
STUBS = [
    (
        "function add(a, b) {\n  return a + b;\n}\nmodule.exports = { add };\n",
        "function add(a, b) { return undefined; }\nmodule.exports = { add };\n",
    ),
    (
        "const add = (a, b) => a + b;\nconst sq = async (x) => { return x * x; };\n",
        "const add = (a, b) => undefined;\nconst sq = async (x) => { return undefined; };\n",
    ),
    (
        "const obj = () => ({ a: 1 });\nmodule.exports = { m(x) { return x; }, "
        "n: function () { return 2; } };\n",
        "const obj = () => (undefined);\nmodule.exports = { m(x) { return undefined; }, "
        "n: function () { return undefined; } };\n",
    ),
    (
        "class Stack {\n  constructor() { this.items = []; }\n  get size() { return 1; }\n"
        "  push(x) { this.items.push(x); }\n}\n",
        "class Stack {\n  constructor() { return undefined; }\n  get size() { return undefined; }\n"
        "  push(x) { return undefined; }\n}\n",
    ),
    (  # functions inside functions go with their outer one
        "function outer(xs) {\n  return xs.map((x) => x + 1);\n}\nexports.f = function* g() { yield 1; };\n",
        "function outer(xs) { return undefined; }\nexports.f = function* g() { return undefined; };\n",
    ),
    (  # offsets past characters outside the Basic Multilingual Plane, and a byte order mark
        "\ufeffconst e = '😀😀';\nconst f = (s) => s + e;\n",
        "\ufeffconst e = '😀😀';\nconst f = (s) => undefined;\n",
    ),
]


@pytest.mark.parametrize(("solution", "expected"), STUBS)
def test_the_stub_replaces_every_outermost_function_body(js, solution, expected):
    stub = js.stub(solution)
    assert stub == expected
    checked = precheck(js, stub, "")
    assert checked.verdict is None or checked.verdict.stage != "syntax"


def test_a_solution_without_functions_is_stubbed_as_an_empty_module(js):
    precheck(js, "const TABLE = [1, 2, 3];\nmodule.exports = { TABLE };\n")
    assert js.stub("const TABLE = [1, 2, 3];\nmodule.exports = { TABLE };\n") == ""


def test_tests_that_use_nothing_of_a_solution_without_functions_are_weak(js_verifier):
    """An empty solution, or one of constants, is stubbed as an empty module: tests that still
    pass use nothing of it; tests of its constants fail against it."""
    unused = (
        'const { test } = require("node:test");\nconst assert = require("node:assert/strict");\n'
        'test("math", () => { assert.equal(2 * 2, 4); });\n'
    )
    table = "const TABLE = [1, 2, 3];\nmodule.exports = { TABLE };\n"
    for solution in ("", table):
        verdict = run_js(js_verifier, solution, unused)
        assert verdict.stage == "weak_tests", (solution, verdict.reason)
    uses = unused.replace('test("math"', 'const { TABLE } = require("./solution.js");\ntest("math"')
    uses += 'test("table", () => { assert.deepEqual(TABLE, [1, 2, 3]); });\n'
    assert run_js(js_verifier, table, uses).passed


def test_the_stub_made_during_prechecks_is_the_one_used(js):
    solution = "const twice = (x) => 2 * x;\nmodule.exports = { twice };\n"
    precheck(js, solution)
    assert solution in js._stubs  # made with the chunk's one ESLint request
    expected = "const twice = (x) => undefined;\nmodule.exports = { twice };\n"
    assert js.stub(solution) == expected
    assert js.stub(solution) == expected  # a repeated solution finds it too


# Runs in the box --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def js_verifier(backend_name):
    options = VerifyOptions(sandbox=backend_name, jobs=2, limits=Limits(timeout_s=10.0))
    with Verifier(options) as verifier:
        yield verifier


def test_a_correct_sample_passes_with_its_tests_named(js_verifier):
    tests = HEAD + d("""
        describe("add", () => {
          it("adds", () => { assert.equal(add(2, 3), 5); });
          it("adds negatives", () => { assert.equal(add(-2, -3), -5); });
        });
        test("is commutative", () => { assert.equal(add(1, 2), 3); assert.equal(add(2, 1), 3); });
        """)
    verdict = run_js(js_verifier, ADD_OK, tests)
    assert verdict.passed, verdict.feedback
    assert [c.name for c in verdict.tests.cases] == [
        "add > adds", "add > adds negatives", "is commutative",
    ]  # fmt: skip
    assert verdict.weak_tests == []


def test_failures_name_the_test_and_show_expected_and_actual(js_verifier):
    verdict = run_js(js_verifier, ADD_WRONG, TEST_ADD)
    assert verdict.stage == "tests" and verdict.reason == "AssertionError"
    assert verdict.tests.failed == 1
    assert "- adds two numbers failed: AssertionError: Expected values to be strictly equal" in (
        verdict.feedback
    )
    assert "-1 !== 5" in verdict.feedback
    assert "solution.test.js:6:" in verdict.feedback  # where the assertion is


def test_deep_equality_failures_show_the_difference(js_verifier):
    solution = "const pairs = () => [[1, 2], [3, 5]];\nmodule.exports = { pairs };\n"
    tests = HEAD.replace("{ add }", "{ pairs }") + (
        'test("pairs", () => {\n  assert.deepEqual(pairs(), [[1, 2], [3, 4]]);\n});\n'
    )
    verdict = run_js(js_verifier, solution, tests)
    assert verdict.stage == "tests"
    assert "strictly deep-equal" in verdict.feedback
    assert "+     5" in verdict.feedback and "-     4" in verdict.feedback


def test_tests_that_pass_against_stubs_are_weak(js_verifier):
    tests = HEAD + d("""
        test("runs", () => { add(1, 2); });
        test("is a function", () => { assert.equal(typeof add, "function"); });
        """)
    verdict = run_js(js_verifier, ADD_OK, tests)
    assert verdict.stage == "weak_tests"
    assert verdict.weak_tests == ["runs", "is a function"]
    verdict = run_js(
        js_verifier, ADD_OK, tests + 'test("adds", () => assert.equal(add(1, 2), 3));\n'
    )
    assert verdict.passed
    assert verdict.weak_tests == ["runs", "is a function"]


# The strength check's run -----------------------------------------------------------------------
# Forked from the node zygote, the sample's tests run in a child of the run's process, and the stub's
# follow in that process after a clean pass; elsewhere the stub runs in a fresh process. Either way
# nothing the first run leaves may sway the second. Each test below returns early, passing even on
# the stub, when it sees what an earlier run of it left behind; in a fresh process it sees nothing,
# fails on the stub, and the sample passes. A leftover outside the process (a file, a timer's
# process) makes the stub run in a fresh process.
LEAVES = d("""
    const fs = require("fs");

    test("adds", () => {{
      if ({seen}) return;
      {leave};
      assert.equal(add(2, 3), 5);
    }});
    """)
LEFTOVERS = {
    "a_global": ("globalThis.seen", "globalThis.seen = 1"),
    "an_implicit_global": ("typeof seenImplicitly !== 'undefined'", "seenImplicitly = 1"),
    "an_environment_variable": ("process.env.SEEN", "process.env.SEEN = '1'"),
    "another_cwd": ("!fs.existsSync('solution.js')", "process.chdir('/')"),
    "a_file_in_the_work_dir": ("fs.existsSync('seen')", "fs.writeFileSync('seen', '')"),
    "a_file_in_tmp": ("fs.existsSync('/tmp/seen')", "fs.writeFileSync('/tmp/seen', '')"),
    "a_timer": ("globalThis.seenTimer", "globalThis.seenTimer = setInterval(() => {}, 1000)"),
    "its_solution_changed": (
        "fs.readFileSync('solution.js', 'utf8').includes('seen')",
        "fs.appendFileSync('solution.js', '// seen')",
    ),
    "a_property_of_a_built_in_module": ("fs.seen", "fs.seen = 1"),
    "a_property_of_process": ("process.seen", "process.seen = 1"),
    "a_knob_of_error": ("Error.stackTraceLimit === 11", "Error.stackTraceLimit = 11"),
    "a_default_of_events": (
        "require('events').defaultMaxListeners === 11",
        "require('events').defaultMaxListeners = 11",
    ),
    "an_option_of_util_inspect": (
        "require('util').inspect.defaultOptions.depth === 3",
        "require('util').inspect.defaultOptions.depth = 3",
    ),
    "a_property_of_buffer": ("Buffer.poolSize === 9000", "Buffer.poolSize = 9000"),
    "a_module_in_the_cache": (
        "Object.keys(require.cache).some((k) => k.endsWith('/seen.js'))",
        "fs.writeFileSync('/dev/shm/seen.js', ''), require('/dev/shm/seen.js'), "
        "fs.unlinkSync('/dev/shm/seen.js')",
    ),
    "the_umask": ("process.umask() === 0o077", "process.umask(0o077)"),
}


@pytest.mark.parametrize("name", sorted(LEFTOVERS))
def test_what_the_first_run_leaves_does_not_sway_the_stub_run(js_verifier, name):
    seen, leave = LEFTOVERS[name]
    verdict = run_js(js_verifier, ADD_OK, HEAD + LEAVES.format(seen=seen, leave=leave))
    assert verdict.passed, (verdict.stage, verdict.reason)
    assert verdict.weak_tests == []


def test_the_stub_run_cannot_be_told_from_the_samples(js_verifier):
    """Tests that fail where they could tell the strength check's run (by what an earlier run
    left in the process: a built-in module's property, a knob of Error, a module's default) still
    pass there, so the strength check names them weak."""
    tests = HEAD + d("""
        const fs = require("fs");
        const told = fs.told || process.told || Error.stackTraceLimit === 12 ||
          require("util").inspect.defaultOptions.depth === 4;
        fs.told = process.told = true;
        Error.stackTraceLimit = 12;
        require("util").inspect.defaultOptions.depth = 4;

        test("adds", () => { assert.equal(add(2, 3), 5); });
        test("zero", () => { assert.ok(!told); });
        """)
    verdict = run_js(js_verifier, ADD_OK, tests)
    assert verdict.passed and verdict.weak_tests == ["zero"], verdict.feedback


def test_the_stub_runs_after_a_clean_pass_in_the_process_the_samples_run_forked_from(
    backend_name, is_root
):
    """Where the run is forked from the node zygote (the process backend, as root), the stub's
    run follows in the process the sample's run was forked from, its output going nowhere; after
    a leftover (a file), and wherever there is no zygote, it runs in a fresh process, whose
    output is its own."""
    from sandbox.judge import judge
    from sandbox.workers import make_backend

    options = VerifyOptions(sandbox=backend_name, limits=Limits(timeout_s=10.0))
    js = JavaScript(options)
    printing = 'console.log("ran");\n'
    zygote = backend_name == "process" and is_root
    backend = make_backend(options, 0)
    try:
        for tests, follows in (
            (printing + TEST_ADD, zygote),
            (printing + TEST_ADD + 'require("fs").writeFileSync("left", "");\n', False),
        ):
            sample = Sample(solution=ADD_OK, tests=tests, language="javascript")
            (pre,) = js.precheck([sample])
            request = js.request(sample, pre, js.stub(ADD_OK))
            assert request.phases[0].steps[-1].chains
            result = backend.run(request)
            assert judge(result, options.limits).passed
            assert result.phases[0].last.stdout == "ran\n"
            stub = judge(result, options.limits, phase=1)
            assert [c.outcome for c in stub.tests.cases] == ["failed"]
            assert result.phases[1].last.stdout == ("" if follows else "ran\n")
    finally:
        backend.close()
        js.close()


NODE_TEST_FEATURES = d("""
    const { before, beforeEach, afterEach, after, mock } = require("node:test");
    let log = [];
    before(() => { log.push("before"); });
    beforeEach(() => { log.push("each"); });
    afterEach(() => { log.push("after each"); });
    after(() => { assert.equal(log[0], "before"); });
    describe("hooks", () => {
      it("ran before", () => { assert.deepEqual(log, ["before", "each"]); });
    });
    test("async", async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(add(1, 1), 2);
    });
    test("done callback", (t, done) => {
      setImmediate(() => { assert.equal(add(2, 2), 4); done(); });
    });
    test("subtests", async (t) => {
      await t.test("one", () => assert.equal(add(0, 1), 1));
      await t.test("two", () => assert.equal(add(0, 2), 2));
    });
    test("mock", (t) => {
      const spy = t.mock.fn(add);
      assert.equal(spy(1, 2), 3);
      assert.equal(spy.mock.callCount(), 1);
      assert.equal(mock.fn(() => 7)(), 7);
    });
    test("throws", () => {
      assert.throws(() => { throw new TypeError("bad"); }, TypeError);
    });
    """)


def test_node_test_hooks_async_callbacks_subtests_and_mocks(js_verifier):
    verdict = run_js(js_verifier, ADD_OK, HEAD + NODE_TEST_FEATURES)
    assert verdict.passed, verdict.feedback
    assert verdict.tests.collected == 6


def test_a_failing_hook_is_an_error_of_its_test_or_of_the_run(js_verifier):
    tests = HEAD + d("""
        const { beforeEach, after } = require("node:test");
        describe("group", () => {
          beforeEach(() => { throw new RangeError("no setup"); });
          it("adds", () => assert.equal(add(1, 2), 3));
        });
        """)
    verdict = run_js(js_verifier, ADD_OK, tests)
    assert [c.outcome for c in verdict.tests.cases] == ["error"]
    assert (
        "RangeError: no setup" in verdict.feedback
        and "(in the beforeEach hook)" in verdict.feedback
    )
    tests = (
        HEAD
        + 'const { after } = require("node:test");\nafter(() => { throw new Error("late"); });\n'
    )
    verdict = run_js(
        js_verifier, ADD_OK, tests + 'test("adds", () => assert.equal(add(1, 2), 3));\n'
    )
    assert verdict.stage == "tests" and verdict.tests.passed == 1
    assert "Error: late" in verdict.stderr and "(in the after hook)" in verdict.stderr


def test_a_failing_subtest_fails_its_parent_by_name(js_verifier):
    tests = HEAD + d("""
        test("parent", async (t) => {
          await t.test("fine", () => assert.equal(add(1, 1), 2));
          await t.test("broken", () => assert.equal(add(1, 1), 3));
        });
        """)
    verdict = run_js(js_verifier, ADD_OK, tests)
    assert verdict.stage == "tests"
    assert verdict.reason == "AssertionError"
    assert "- parent failed: AssertionError: Expected values" in verdict.feedback
    assert '(in subtest "broken")' in verdict.feedback


# A test's own hooks (t.before, t.after, t.beforeEach, t.afterEach), as node 20 runs them --------
RELEASE = (
    "let open = 0;\nconst acquire = () => { open += 1; return () => { open -= 1; }; };\n"
    "module.exports = { acquire, count: () => open };\n"
)
RELEASED_BY_T_AFTER = d("""
    const { test } = require("node:test");
    const assert = require("node:assert/strict");
    const { acquire, count } = require("./solution.js");
    test("acquire", (t) => { t.after(acquire()); assert.equal(count(), 1); });
    test("released by t.after", () => { assert.equal(count(), 0); });
    """)


def test_a_test_s_own_after_hook_runs_when_it_ends(js_verifier):
    verdict = run_js(js_verifier, RELEASE, RELEASED_BY_T_AFTER)
    assert verdict.passed, verdict.feedback


HOOK_ORDER = HEAD + d("""
    const { beforeEach, afterEach } = require("node:test");
    const log = [];
    describe("group", () => {
      beforeEach(() => { log.push("group beforeEach"); });
      afterEach(() => { log.push("group afterEach 1"); });
      afterEach(() => { log.push("group afterEach 2"); });
      it("outer", async (t) => {
        t.before(() => { log.push("t.before"); });
        t.after(() => { log.push("t.after"); });
        t.beforeEach((s) => { log.push(`t.beforeEach ${s.name}`); });
        t.afterEach((s) => { log.push(`t.afterEach ${s.name}`); });
        log.push("body");
        await t.test("one", (s) => {
          s.after(() => { log.push("one after"); });
          log.push("one");
          assert.equal(add(1, 1), 2);
        });
        await t.test("two", () => { log.push("two"); });
        log.push("body end");
      });
    });
    test("hooks ran in node's order", () => {
      assert.deepEqual(log, [
        "group beforeEach", "t.before", "body",
        "group beforeEach", "t.beforeEach one", "one", "t.afterEach one",
        "group afterEach 1", "group afterEach 2", "one after",
        "group beforeEach", "t.beforeEach two", "two", "t.afterEach two",
        "group afterEach 1", "group afterEach 2",
        "body end", "group afterEach 1", "group afterEach 2", "t.after",
      ]);
    });
    """)
FAILING_HOOKS = HEAD + d("""
    const ran = [];
    test("before fails", async (t) => {
      t.before(() => { throw new RangeError("no setup"); });
      t.after(() => { ran.push("after of before fails"); });
      await t.test("sub", () => { ran.push("sub"); });
      ran.push("body goes on");
    });
    test("fails", (t) => {
      t.after(() => { ran.push("after of fails"); });
      assert.equal(add(1, 1), 3);
    });
    test("after fails", (t) => {
      t.after(() => { throw new TypeError("no teardown"); });
      assert.equal(add(1, 1), 2);
    });
    test("afterEach fails a subtest", async (t) => {
      t.afterEach(() => { throw new Error("no cleanup"); });
      await t.test("inner", () => {});
    });
    test("what ran", () => {
      assert.deepEqual(ran, ["body goes on", "after of before fails", "after of fails"]);
    });
    """)


def test_a_test_s_own_hooks_run_in_node_s_order(js_verifier, tmp_path):
    verdict = run_js(js_verifier, ADD_OK, HOOK_ORDER)
    assert verdict.passed, verdict.feedback
    assert node_test_outcomes(tmp_path, ADD_OK, HOOK_ORDER) == {
        "group": True, "hooks ran in node's order": True,
    }  # fmt: skip


def test_a_failing_hook_of_a_test_fails_it_as_node_does(js_verifier, tmp_path):
    """t.before fails its test and the subtests that start after it, the body goes on; t.after
    runs pass or fail, and fails a test that passed; a test's afterEach fails its subtest."""
    verdict = run_js(js_verifier, ADD_OK, FAILING_HOOKS)
    cases = {c.name: c for c in verdict.tests.cases}
    assert {name: c.outcome for name, c in cases.items()} == {
        "before fails": "error", "fails": "failed", "after fails": "error",
        "afterEach fails a subtest": "failed", "what ran": "passed",
    }  # fmt: skip
    assert "RangeError: no setup" in cases["before fails"].message
    assert "(in the before hook)" in cases["before fails"].message
    assert "TypeError: no teardown" in cases["after fails"].message
    assert "(in the after hook)" in cases["after fails"].message
    assert '(in subtest "inner")' in cases["afterEach fails a subtest"].message
    reference = node_test_outcomes(tmp_path, ADD_OK, FAILING_HOOKS)
    assert reference == {name: c.outcome == "passed" for name, c in cases.items()}


# Mocks of built-ins the tests make (node:test's mock API) are not tampering ---------------------
ROLL = "const roll = () => Math.floor(Math.random() * 6) + 1;\nmodule.exports = { roll };\n"
MOCKING_TESTS = {
    "node_test_s_mock_left_in_place": (
        ROLL,
        d("""
            const { test, mock } = require("node:test");
            const assert = require("node:assert/strict");
            const { roll } = require("./solution.js");
            test("roll uses Math.random", () => {
              mock.method(Math, "random", () => 0.99);
              assert.equal(roll(), 6);
            });
            """),
    ),
    "t_mock_restored_by_t_after": (
        ROLL,
        d("""
            const { test } = require("node:test");
            const assert = require("node:assert/strict");
            const { roll } = require("./solution.js");
            test("roll uses Math.random", (t) => {
              const random = t.mock.method(Math, "random", () => 0);
              t.after(() => random.mock.restore());
              assert.equal(roll(), 1);
            });
            """),
    ),
    "top_level_mock_restored_by_after": (
        "const stamp = () => Date.now();\nmodule.exports = { stamp };\n",
        d("""
            const { test, mock, after } = require("node:test");
            const assert = require("node:assert/strict");
            const { stamp } = require("./solution.js");
            mock.method(Date, "now", () => 42);
            after(() => mock.restoreAll());
            test("stamp", () => { assert.equal(stamp(), 42); });
            """),
    ),
    "in_hooks_after_await_in_a_timer_getters_inherited_methods": (
        "const size = (m) => m.size;\nconst fixed = () => 0.5;\n"
        "const roll = () => Math.floor(Math.random() * 6) + 1;\n"
        "module.exports = { roll, size, fixed };\n",
        d("""
            const { test, beforeEach } = require("node:test");
            const assert = require("node:assert/strict");
            const { roll, size, fixed } = require("./solution.js");
            beforeEach((t) => { t.mock.method(Math, "random", () => 0); });
            test("in a hook", () => { assert.equal(roll(), 1); });
            test("later", async (t) => {
              await Promise.resolve();
              t.mock.getter(Map.prototype, "size", () => 3);
              assert.equal(size(new Map()), 3);
              await new Promise((resolve) => setTimeout(() => {
                t.mock.method(Uint8Array, "from", () => "from");
                resolve();
              }, 1));
              assert.equal(Uint8Array.from([1]), "from");
            });
            test("the solution's function as the mock, over the hook's", (t) => {
              t.mock.method(Math, "random", fixed);
              assert.equal(roll(), 4);
            });
            """),
    ),
}


@pytest.mark.parametrize("name", sorted(MOCKING_TESTS))
def test_mocks_of_built_ins_the_tests_make_are_no_tampering(js_verifier, tmp_path, name):
    solution, tests = MOCKING_TESTS[name]
    verdict = run_js(js_verifier, solution, tests)
    assert verdict.passed, verdict.feedback
    assert verdict.weak_tests == []
    assert all(node_test_outcomes(tmp_path, solution, tests).values())


def test_errors_are_named_by_their_type(js_verifier):
    solution = "const add = (a, b) => a.missing.field + b;\nmodule.exports = { add };\n"
    verdict = run_js(js_verifier, solution, TEST_ADD)
    assert verdict.reason == "TypeError"
    assert "at add (solution.js:1:" in verdict.feedback  # the frame in the solution


def test_an_error_while_loading_is_a_collection_error(js_verifier):
    solution = "const add = (a, b) => a + b;\nsetup();\nfunction setup() { null.x; }\n"
    verdict = run_js(js_verifier, solution + "module.exports = { add };\n", TEST_ADD)
    assert verdict.stage == "tests"
    assert verdict.reason.startswith("collection error: TypeError: Cannot read properties of null")


# The done callback as node's runner takes it: the call decides first, then `done`.
DONE_MISUSED = {
    "a_throw_after_done": 'test("adds", (t, done) => {\n  done();\n  assert.equal(add(2, 3), 6);\n});\n',
    "done_called_twice": 'test("adds", (t, done) => {\n  assert.equal(add(2, 3), 5);\n  done();\n  done();\n});\n',
    "done_and_a_promise": 'test("adds", async (t, done) => {\n  assert.equal(add(2, 3), 5);\n  done();\n});\n',
    "a_throw_after_done_in_a_hook": d("""
        const { beforeEach } = require("node:test");
        beforeEach((t, done) => { done(); throw new RangeError("no setup"); });
        test("adds", () => assert.equal(add(2, 3), 5));
        """),
}


@pytest.mark.parametrize("name", sorted(DONE_MISUSED))
def test_a_misused_done_callback_fails_as_in_node(js_verifier, tmp_path, name):
    tests = HEAD + DONE_MISUSED[name]
    verdict = run_js(js_verifier, ADD_OK, tests)
    assert verdict.stage == "tests", (verdict.stage, verdict.reason)
    assert [c.outcome for c in verdict.tests.cases] in (["failed"], ["error"])
    assert not any(node_test_outcomes(tmp_path, ADD_OK, tests).values())


def test_a_thenable_a_test_returns_is_awaited(js_verifier, tmp_path):
    thenable = "({{ then(resolve, reject) {{ setTimeout(() => {}, 5); }} }})"
    passes = (
        HEAD
        + f'test("adds", () => {thenable.format("{ assert.equal(add(2, 3), 5); resolve(); }")});\n'
    )
    assert run_js(js_verifier, ADD_OK, passes).passed
    rejects = HEAD + f'test("adds", () => {thenable.format("reject(new RangeError(`no`))")});\n'
    verdict = run_js(js_verifier, ADD_OK, rejects)
    assert verdict.stage == "tests" and "RangeError: no" in verdict.feedback
    never = HEAD + 'test("adds", () => ({ then() {} }));\n'
    verdict = run_js(js_verifier, ADD_OK, never)
    assert verdict.stage == "tests" and "never settled" in verdict.feedback
    assert node_test_outcomes(tmp_path, ADD_OK, rejects) == {"adds": False}


def test_a_test_that_never_settles_fails_and_the_run_goes_on(js_verifier):
    tests = HEAD + d("""
        test("waits forever", () => new Promise(() => {}));
        test("adds", () => { assert.equal(add(1, 2), 3); });
        """)
    verdict = run_js(js_verifier, ADD_OK, tests)
    assert verdict.stage == "tests"
    assert [c.outcome for c in verdict.tests.cases] == ["failed", "passed"]
    assert "never settled" in verdict.tests.cases[0].message


def test_a_per_test_timeout_fails_that_test(js_verifier):
    tests = HEAD + 'test("slow", { timeout: 50 }, () => new Promise((r) => setTimeout(r, 5000)));\n'
    verdict = run_js(js_verifier, ADD_OK, tests)
    assert verdict.stage == "tests"
    assert "timed out after 50 ms" in verdict.feedback


def test_a_run_past_the_wall_clock_names_the_running_test(js_verifier):
    tests = HEAD + 'test("spins", () => { for (;;) {} });\n'
    options = VerifyOptions(sandbox=js_verifier.options.sandbox, jobs=1,
                            limits=Limits(timeout_s=2.0), strength_check=False)  # fmt: skip
    with Verifier(options) as verifier:
        verdict = run_js(verifier, ADD_OK, tests)
    assert verdict.stage == "timeout"
    assert "while running spins" in verdict.reason
