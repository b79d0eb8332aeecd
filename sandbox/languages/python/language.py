"""Python: a module `solution` (solution.py) and pytest tests that import from it.

Static checks on the trusted side: the files compile (as the sandbox's import compiles them; the
code goes to the process backend's runner ready-made), then one ruff call for many samples, whose
bug rules reject and style rules are reported. In the box the tests run in-process, forked from a
warm interpreter: plain test modules on the fast path (`sandbox/languages/python/box/fastpath.py`), everything else
under a parked pytest session; that is this language's own business, behind one in-process step.
"""

from __future__ import annotations

from collections.abc import Sequence

from sandbox.languages import Language, Prechecked, register
from sandbox.languages.python import checks
from sandbox.records import Sample
from sandbox.requests import Phase, RunRequest, RunResult, Step

CONVENTIONS = """\
- The solution is the module `solution` (file `solution.py`), with type hints and docstrings.
- The tests are a pytest module (file `test_solution.py`) that imports from `solution` (for example
  `from solution import my_function`); every test function's name starts with `test_`.
- Only the standard library (and pytest in the tests); no network."""


@register
class Python(Language):
    name = "python"
    fences = ("python", "py", "python3", "py3")
    extensions = (".py",)
    solution_file = checks.SOLUTION_FILE
    tests_file = checks.TESTS_FILE
    tests_pattern = r"^\s*(?:async\s+)?def\s+test\w*\s*\(|^\s*class\s+Test\w*"
    conventions = CONVENTIONS

    def precheck(self, samples: Sequence[Sample]) -> list[Prechecked]:
        """Syntax per sample, then one ruff call over every sample that parsed."""
        out: list[Prechecked] = []
        ship = self.options.sandbox == "process"  # only its runner imports shipped code
        for sample in samples:
            code: dict[str, tuple[str, bytes]] = {}
            verdict = checks.syntax_error(
                sample, self.options.max_source_bytes, code if ship else None
            )
            out.append(Prechecked(verdict=verdict, prepared={"code": code}))
        parsed = [i for i, p in enumerate(out) if p.verdict is None]
        linted = checks.lint([samples[i] for i in parsed], self.options)
        for i, messages in zip(parsed, linted, strict=True):
            out[i].lint = messages
            out[i].verdict = checks.lint_verdict(messages)
        return out

    def request(self, sample: Sample, prechecked: Prechecked, stub: str | None) -> RunRequest:
        code = prechecked.prepared.get("code") or {}
        files = {self.solution_file: sample.solution, self.tests_file: sample.tests}
        phases = [Phase(files=files, steps=(Step(),), code=code)]
        if stub is not None:
            stubbed = stub
            stub_code = {}
            if code:
                stub_code = {self.tests_file: code[self.tests_file]}
                if (shipped := checks.compiled(stubbed, self.solution_file)) is not None:
                    stub_code[self.solution_file] = shipped
            stub_files = {self.solution_file: stubbed, self.tests_file: sample.tests}
            phases.append(
                Phase(files=stub_files, steps=(Step(),), outcomes_only=True, code=stub_code)
            )
        return RunRequest(
            language=self.name,
            phases=tuple(phases),
            limits=self.options.limits,
            fast=self.options.fast_path,
        )

    def stub(self, solution: str) -> str | None:
        return checks.stub_solution(solution)

    def details(self, result: RunResult) -> dict[str, str]:
        from sandbox.judge import case_details

        return case_details(result)
