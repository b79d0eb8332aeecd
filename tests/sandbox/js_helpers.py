"""Shared by the JavaScript sandbox tests: running a JavaScript sample, common sources, and node's
own test runner as the reference."""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

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


def node_test_outcomes(tmp_path: Path, solution: str, tests: str) -> dict[str, bool]:
    """Each top-level test's pass (True) or fail under node's own `node --test` on the host: the
    reference for the harness's node:test. Node 20 or later (node 18 runs a test's `t.before`
    only before its first subtest); skipped where there is none."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("no node on this machine")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
    if int(version.lstrip("v").split(".")[0]) < 20:
        pytest.skip(f"node {version.strip()} here: node:test's reference semantics need node 20")
    (tmp_path / "solution.js").write_text(solution)
    (tmp_path / "solution.test.js").write_text(tests)
    done = subprocess.run(
        [node, "--test", "--test-reporter=tap", "solution.test.js"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return {
        m.group(2): m.group(1) is None
        for m in re.finditer(r"^(not )?ok \d+ - (.+)$", done.stdout, re.MULTILINE)
    }
