"""JavaScript: a CommonJS module `solution.js` and `node:test` tests in `solution.test.js`.

Static checks on the trusted side: a warm ESLint parses every file of a chunk in one request (a
parse error is the `syntax` stage, with file:line:col) and lints it; bug rules reject, style rules
are reported (eslint.config.cjs); the same request says where the solution's functions lie, from
which the strength check's stub is made. In the box, each run is a fresh `node` process started on assay's harness
(box/assay_harness.js), which reads the run's token before any of the sample's code loads, serves
`node:test` itself (box/assay_node_test.js) and reports every test on the authenticated channel.
"""

from __future__ import annotations

import functools
import os
import subprocess
import threading
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sandbox.languages import Language, Prechecked, Toolchain, register
from sandbox.languages.javascript import checks, eslint
from sandbox.languages.stubs import StubCache
from sandbox.records import Sample
from sandbox.requests import Phase, RunRequest, RunResult, Step

if TYPE_CHECKING:
    from sandbox.options import VerifyOptions

CONVENTIONS = """\
- Use only Node.js's standard library: no npm packages, no network.
- The solution is a CommonJS module, file `solution.js`, that exports its functions with
  `module.exports = { ... }`; write clean, idiomatic modern JavaScript with JSDoc comments.
  Do not modify built-in objects (prototypes, JSON, Math, ...).
- Write the tests in a separate file, `solution.test.js`, with `node:test` and
  `node:assert/strict`: `const { test } = require("node:test");`,
  `const assert = require("node:assert/strict");`, and the functions from the solution
  (for example `const { myFunction } = require("./solution.js");`). Test the examples, edge cases
  and error cases (`assert.throws`); each `test(...)` (or `describe`/`it`) asserts on concrete
  expected values with `assert.equal`, `assert.deepEqual` and the like.
- Answer with exactly two ```javascript code blocks: first the solution, then the tests."""

BOX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "box")
HARNESS = "assay_harness.js"
# Node's own flags for every run: an unhandled rejection is an error (node:test's behaviour too,
# and not a listener's to swallow).
NODE_FLAGS = ("--unhandled-rejections=strict",)


def heap_flags(node: str, options: VerifyOptions) -> tuple[str, ...]:
    """V8's heap limit for a run where its own would stop a memory flood before the kernel's limit
    does: V8's out-of-memory abort is a crash, the kernel's kill a `memory` verdict. Twice the
    box's limit (Docker's container limit is the sample's plus the server's share). Only where
    needed: with any heap flag node rejects its built-in code cache and compiles its own modules
    from source, ~6 ms of a ~25 ms start. In the process backend's full box V8 cannot see the
    cgroup and sizes its heap by the machine's memory, at least what it gets here, outside
    (where a cgroup of the verifier's own may make it less); in Docker and in the weak box it
    sees the cgroup, so the flag is always given."""
    wanted = 2 * options.limits.memory_mb
    sizes_by_machine = options.sandbox == "process" and options.isolation == "full"
    if sizes_by_machine and _default_heap_mb(node) >= wanted:
        return ()
    return (f"--max-old-space-size={wanted}",)


_HEAP_LOCK = threading.Lock()


def _default_heap_mb(node: str) -> float:
    """The heap limit V8 gives itself in `node` here (MB), or 0 if node cannot say; asked once,
    however many threads want it at once."""
    with _HEAP_LOCK:
        return _probe_heap_mb(node)


@functools.cache
def _probe_heap_mb(node: str) -> float:
    """node's own answer (it runs no sample code), with an environment of PATH alone."""
    probe = "process.stdout.write(String(require('v8').getHeapStatistics().heap_size_limit))"
    try:
        done = subprocess.run(
            [node, "-e", probe],
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            capture_output=True,
            text=True,
            timeout=30,
        )
        return int(done.stdout) / (1 << 20) if done.returncode == 0 else 0.0
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return 0.0


def _box_files() -> dict[str, str]:
    files = {}
    for name in sorted(os.listdir(BOX)):
        if name.endswith(".js"):
            with open(os.path.join(BOX, name), encoding="utf-8") as fh:
                files[name] = fh.read()
    return files


@register
class JavaScript(Language):
    name = "javascript"
    fences = ("javascript", "js", "node", "cjs")
    extensions = (".js", ".cjs")
    solution_file = checks.SOLUTION_FILE
    tests_file = checks.TESTS_FILE
    tests_pattern = r"require\(\s*[\"']node:test[\"']\s*\)|^\s*(?:test|it|describe)\s*\("
    conventions = CONVENTIONS
    toolchain = Toolchain(
        programs=(("node", "nodejs"), ("eslint",)),
        debian=("nodejs",),
        npm=(f"eslint@{checks.ESLINT_MAJOR}",),
    )

    def __init__(self, options: VerifyOptions) -> None:
        super().__init__(options)
        self._box = _box_files()
        self._stubs: StubCache[str] = StubCache()
        self._lock = threading.Lock()
        self._eslint: eslint.ESLint | None = None
        self._node: str | None = None

    def unavailable(self) -> str | None:
        missing = super().unavailable()
        if missing is not None:
            return missing
        version = eslint.version(self.toolchain.find("eslint"))
        if version is None or version.split(".")[0] != str(checks.ESLINT_MAJOR):
            return (
                f"javascript: eslint {checks.ESLINT_MAJOR} is needed, found {version or 'unknown'}."
                f" Fix: npm install -g eslint@{checks.ESLINT_MAJOR}"
            )
        return None

    def precheck(self, samples: Sequence[Sample]) -> list[Prechecked]:
        """Parse and lint every sample in one ESLint call; the stubs of those that passed."""
        results = checks.check(samples, self._linter(), self.options.max_source_bytes)
        out = []
        for sample, result in zip(samples, results, strict=True):
            out.append(Prechecked(verdict=result.verdict, lint=result.lint))
            if result.verdict is None and self.options.strength_check:
                self._stubs.put(
                    sample.solution, checks.stub_solution(sample.solution, result.functions)
                )
        return out

    def stub(self, solution: str) -> str | None:
        kept, stub = self._stubs.get(solution)
        if kept:
            return stub
        # Not prechecked here (or pushed out of the cache): ESLint on this solution alone.
        (result,) = checks.check([Sample(solution=solution, tests="")], self._linter(), 1 << 30)
        if result.verdict is not None and result.verdict.stage == "syntax":
            return None
        return checks.stub_solution(solution, result.functions)

    def request(self, sample: Sample, prechecked: Prechecked, stub: str | None) -> RunRequest:
        if self._node is None:
            self._node = self.toolchain.find("node", "nodejs")
        node = self._node
        argv = (node, *NODE_FLAGS, *heap_flags(node, self.options), HARNESS, self.tests_file)
        files = {**self._box, self.solution_file: sample.solution, self.tests_file: sample.tests}
        # With a stub, the harness goes on to it in the same process after a clean pass. Forked
        # from the worker's node zygote where it has one (`zygote.py`), else a fresh node.
        phases = [Phase(files=files, steps=(Step(argv=argv, chains=stub is not None, warm=True),))]
        if stub is not None:
            stub_files = {**files, self.solution_file: stub}
            phases.append(
                Phase(
                    files=stub_files,
                    steps=(Step(argv=(*argv, "--outcomes-only"), warm=True),),
                    outcomes_only=True,
                )
            )
        return RunRequest(language=self.name, phases=tuple(phases), limits=self.options.limits)

    def details(self, result: RunResult) -> dict[str, str]:
        from sandbox.judge import case_details

        return case_details(result)

    def _linter(self) -> eslint.ESLint:
        """The warm ESLint of this verifier's prechecks, started on first use; it ends with this
        language object (or the interpreter)."""
        with self._lock:
            if self._eslint is None:
                node = self.toolchain.find("node", "nodejs")
                self._eslint = eslint.ESLint(node, self.toolchain.find("eslint"))
                weakref.finalize(self, self._eslint.close)
            return self._eslint


__all__ = ["JavaScript"]
