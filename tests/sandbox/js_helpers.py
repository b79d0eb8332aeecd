"""Shared by the JavaScript sandbox tests: running a JavaScript sample, common sources."""

from __future__ import annotations

import textwrap

from sandbox import Sample, Verdict, Verifier

ADD_OK = "const add = (a, b) => a + b;\n\nmodule.exports = { add };\n"
ADD_WRONG = "const add = (a, b) => a - b;\n\nmodule.exports = { add };\n"
HEAD = (
    'const { test, describe, it } = require("node:test");\n'
    'const assert = require("node:assert/strict");\n'
    'const { add } = require("./solution.js");\n\n'
)
TEST_ADD = HEAD + 'test("adds two numbers", () => {\n  assert.equal(add(2, 3), 5);\n});\n'


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def run_js(verifier: Verifier, solution: str, tests: str) -> Verdict:
    (verdict,) = verifier.verify([Sample(solution=solution, tests=tests, language="javascript")])
    return verdict
