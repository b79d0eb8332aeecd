"""TypeScript: a module `solution.ts` and `node:test` tests in `solution.test.ts`.

Trusted side: one warm server (ts_server.js) per verifier parses and lints every file of a chunk
with ESLint and typescript-eslint (a parse error is the `syntax` stage, bug rules and comments that
switch the type checker off reject) and makes the strength check's stub; one call of TypeScript's
native compiler emits the chunk's files as CommonJS JavaScript (emit.py). In the box: `tsc
--strict --noEmit` (the same compiler), first for the whole chunk at once on the language's own
worker (batch.py: a pass there is a pass), and for a sample it did not pass, as the first step of
its own run, so type errors reject with the compiler's file:line:col messages of the sample's own
check; then the tests run on the emitted JavaScript in a fresh node process on JavaScript's harness
(sandbox/languages/javascript/box), which serves `node:test` and reports every test on the
authenticated channel. The stub's phase runs the stub's JavaScript with no type check: a stub
needs no types to fail a test.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sandbox.languages import Language, Prechecked, Toolchain, register
from sandbox.languages.batchworker import BatchWorker
from sandbox.languages.javascript import eslint
from sandbox.languages.javascript.checks import ESLINT_MAJOR
from sandbox.languages.javascript.language import HARNESS, NODE_FLAGS, _box_files, heap_flags
from sandbox.languages.stubs import StubCache
from sandbox.languages.typescript import batch, checks, toolchain
from sandbox.records import LintMessage, Sample
from sandbox.requests import COMPILE, Phase, RunRequest, RunResult, Step

if TYPE_CHECKING:
    from sandbox.options import VerifyOptions

CONVENTIONS = """\
- Use only the ECMAScript standard library and Node.js's built-in modules: no npm packages, no
  network.
- The solution is a TypeScript module, file `solution.ts`, that exports its functions
  (`export function myFunction(...): ReturnType { ... }`), with types on parameters and return
  values. It must type-check under `tsc --strict`; `@ts-ignore` and `@ts-nocheck` are not allowed.
  Do not modify built-in objects (prototypes, JSON, Math, ...).
- Write the tests in a separate file, `solution.test.ts`, with `node:test` and
  `node:assert/strict`: `import { test, describe, it } from "node:test";`,
  `import assert from "node:assert/strict";`, and the functions from the solution
  (for example `import { myFunction } from "./solution";`). Test the examples, edge cases and
  error cases (`assert.throws`); each `test(...)` (or `describe`/`it`) asserts on concrete
  expected values with `assert.equal`, `assert.deepEqual` and the like.
- Answer with exactly two ```typescript code blocks: first the solution, then the tests."""

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ts_server.js")
JS_FLAGS = (*NODE_FLAGS, "--enable-source-maps")  # stack traces name the .ts files' lines


@register
class TypeScript(Language):
    name = "typescript"
    fences = ("typescript", "ts")
    extensions = (".ts", ".mts", ".cts")
    solution_file = toolchain.SOLUTION_FILE
    empty_solution = checks.EMPTY_SOLUTION
    tests_file = toolchain.TESTS_FILE
    tests_pattern = (
        r"from\s+[\"']node:test[\"']|require\(\s*[\"']node:test[\"']\s*\)"
        r"|^\s*(?:test|it|describe)\s*\("
    )
    conventions = CONVENTIONS
    toolchain = Toolchain(
        programs=(("node", "nodejs"), ("eslint",)),
        debian=("nodejs",),
        npm=(f"eslint@{ESLINT_MAJOR}", *toolchain.NPM),
    )

    def __init__(self, options: VerifyOptions) -> None:
        super().__init__(options)
        self._box = _box_files()
        self._stubs: StubCache[tuple[str, str]] = StubCache()
        self._lock = threading.Lock()
        self._server: eslint.ESLint | None = None
        self._node: str | None = None
        self._compile: tuple[str, ...] | None = None
        self._batch: tuple[str, ...] = ()
        self._worker = BatchWorker(options, self.name)

    def _packages(self) -> toolchain.Packages:
        package = eslint.package_dir(self.toolchain.find("eslint")) or ""
        return toolchain.Packages(os.path.dirname(package))

    def unavailable(self) -> str | None:
        missing = super().unavailable()
        if missing is not None:
            return missing
        version = eslint.version(self.toolchain.find("eslint"))
        if version is None or version.split(".")[0] != str(ESLINT_MAJOR):
            return (
                f"typescript: eslint {ESLINT_MAJOR} is needed, found {version or 'unknown'}."
                f" Fix: npm install -g eslint@{ESLINT_MAJOR}"
            )
        absent = self._packages().missing()
        if absent:
            return (
                f"typescript: {', '.join(absent)} not installed. Fix: npm install -g "
                + " ".join(absent)
            )
        return None

    def precheck(self, samples: Sequence[Sample]) -> list[Prechecked]:
        """Parse, lint and emit every sample in one request each, and keep the stubs of those
        that passed; then type-check those that may share a `tsc` in one batch (`batch.py`)."""
        results = self._check(samples, self.options.max_source_bytes)
        clean = [i for i, r in enumerate(results) if r.verdict is None]
        typed = self._type_check([i for i in clean if not batch.alone(samples[i])], samples)
        out = []
        for i, (sample, result) in enumerate(zip(samples, results, strict=True)):
            prepared = {"js": result.js, "typed": i in typed}
            out.append(Prechecked(verdict=result.verdict, lint=result.lint, prepared=prepared))
            if result.verdict is None and self.options.strength_check:
                self._stubs.put(sample.solution, result.stub)
        return out

    def _type_check(self, indices: list[int], samples: Sequence[Sample]) -> set[int]:
        """Which of `indices` a batch `tsc` in the box found nothing in."""
        batch_argv = self._argvs()[1]

        def argv(files: list[str]) -> tuple[str, ...]:
            return (*batch_argv, *files)

        typed: set[int] = set()
        for chosen in batch.batches(samples, indices):
            if len(chosen) < batch.MIN_BATCH:
                continue
            request = batch.request([samples[i] for i in chosen], argv, self.options.limits)
            result = self._worker.run(request)
            if result.error:
                self._worker.replace()
            typed.update(chosen[k] for k in batch.passed(result, len(chosen)))
        return typed

    def _argvs(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The type check's command lines, made once for every thread that asks: a sample's own
        (its two files), and the batch's without its files."""
        if self._compile is None:
            with self._lock:
                if self._compile is None:
                    full = self.options.sandbox == "docker" or self.options.isolation == "full"
                    packages = self._packages()
                    self._batch = toolchain.compile_argv(packages, full, (), fallback=False)
                    self._node = self.toolchain.find("node", "nodejs")
                    self._compile = toolchain.compile_argv(packages, full)
        return self._compile, self._batch

    def _stub_pair(self, solution: str) -> tuple[str, str] | None:
        kept, pair = self._stubs.get(solution)
        if kept:
            return pair
        sample = Sample(solution=solution, tests="", language=self.name)
        (result,) = self._check([sample], 1 << 30)
        if result.verdict is not None and result.verdict.stage == "syntax":
            return None
        self._stubs.put(solution, result.stub)
        return result.stub

    def stub(self, solution: str) -> str | None:
        pair = self._stub_pair(solution)
        return pair[0] if pair else None

    def request(self, sample: Sample, prechecked: Prechecked, stub: str | None) -> RunRequest:
        compile_argv = self._argvs()[0]
        assert self._node is not None
        js = prechecked.prepared.get("js")
        if not js:  # not prechecked by this language object: emit now
            (checked,) = self._check([sample], 1 << 30)
            js = checked.js
        heap = heap_flags(self._node, self.options)
        argv = (self._node, *JS_FLAGS, *heap, HARNESS, checks.JS_TESTS)
        files = {
            **self._box,
            self.solution_file: sample.solution,
            self.tests_file: sample.tests,
            **js,
        }
        pair = self._stub_pair(sample.solution) if stub is not None else None
        # With a stub, JavaScript's harness goes on to it in the same process after a clean pass;
        # both forked from the worker's node zygote where it has one (javascript/zygote.py).
        test = Step(argv=argv, chains=pair is not None, warm=True)
        steps: tuple[Step, ...] = (test,)
        if not prechecked.prepared.get("typed"):  # the batch did not pass it: its own type check
            steps = (Step(name=COMPILE, argv=compile_argv, reports=False), test)
        phases = [Phase(files=files, steps=steps)]
        if pair is not None:
            stub_files = {**self._box, checks.JS_TESTS: js[checks.JS_TESTS]}
            stub_files[checks.JS_SOLUTION] = pair[1]
            phases.append(
                Phase(
                    files=stub_files,
                    steps=(Step(argv=(*argv, "--outcomes-only"), warm=True),),
                    outcomes_only=True,
                )
            )
        return RunRequest(language=self.name, phases=tuple(phases), limits=self.options.limits)

    def diagnostics(self, result: RunResult) -> list[LintMessage]:
        if not result.phases:
            return []
        for step in result.phases[0].steps:
            if step.name == COMPILE:
                return checks.tsc_messages(step.stdout + "\n" + step.stderr)
        return []

    def details(self, result: RunResult) -> dict[str, str]:
        from sandbox.judge import case_details

        return case_details(result)

    def close(self) -> None:
        self._worker.close()

    def _check(self, samples: Sequence[Sample], max_bytes: int) -> list[checks.Checked]:
        return checks.check(samples, self._linter(), self._packages().tsc, max_bytes)

    def _linter(self) -> eslint.ESLint:
        """The warm server of this verifier's prechecks, started on first use; it ends with this
        language object (or the interpreter)."""
        with self._lock:
            if self._server is None:
                node = self.toolchain.find("node", "nodejs")
                program = self.toolchain.find("eslint")
                self._server = eslint.ESLint(
                    node, program, server=SERVER, args=(self._packages().modules,)
                )
                weakref.finalize(self, self._server.close)
            return self._server


__all__ = ["TypeScript"]
