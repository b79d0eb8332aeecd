"""The record types that flow from input to verdict, shared by `sandbox` and `pipeline`.

Everything here is plain data: it serialises to the JSON of DESIGN.md with `to_dict` and back with
`from_dict`, so a verdict written to disk reads back equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.languages.python.box.report import (
    sha256,  # Python's own: hashlib's loads OpenSSL (~3 ms of start-up)
)

# Stages in the order the checks run; `passed` when every check passed.
STAGES = (
    "syntax",
    "compile",
    "lint",
    "tests",
    "no_tests",
    "weak_tests",
    "timeout",
    "memory",
    "output",
    "crash",
    "error",
)


def sample_id(problem: str, solution: str, tests: str) -> str:
    digest = sha256()
    for part in (problem, solution, tests):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()[:16]


@dataclass
class Sample:
    """One problem with its solution and tests; the unit the verifier judges."""

    solution: str
    tests: str
    problem: str = ""
    id: str = ""
    language: str = "python"
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.id:
            self.id = sample_id(self.problem, self.solution, self.tests)


@dataclass
class LintMessage:
    code: str
    message: str
    line: int
    column: int = 0
    file: str = "solution.py"
    rejects: bool = False


@dataclass
class TestCase:
    __test__ = False  # not a pytest class
    name: str
    outcome: str  # passed | failed | error | skipped | xfailed | xpassed
    message: str = ""
    duration_s: float = 0.0


@dataclass
class TestSummary:
    __test__ = False
    collected: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    cases: list[TestCase] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestSummary:
        cases = [TestCase(**c) for c in data.get("cases", [])]
        return cls(**{**data, "cases": cases})


@dataclass
class Verdict:
    """The verifier's judgement of one sample. `stage` is the first check that failed, or `passed`."""

    passed: bool
    stage: str
    reason: str = ""
    lint: list[LintMessage] = field(default_factory=list)
    tests: TestSummary | None = None
    weak_tests: list[str] = field(default_factory=list)
    exit_code: int | None = None
    signal: int | None = None
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    max_rss_mb: float | None = None
    isolation: str = "full"
    feedback: str = ""
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        """What `dataclasses.asdict` gives, built directly: asdict deep-copies field by field,
        which costs more than the rest of the verifier's work on a passing sample."""
        data = dict(vars(self))
        data["lint"] = [dict(vars(m)) for m in self.lint]
        data["weak_tests"] = list(self.weak_tests)
        if self.tests is not None:
            tests = dict(vars(self.tests))
            tests["cases"] = [dict(vars(c)) for c in self.tests.cases]
            data["tests"] = tests
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        data = dict(data)
        data["lint"] = [LintMessage(**m) for m in data.get("lint", [])]
        if data.get("tests") is not None:
            data["tests"] = TestSummary.from_dict(data["tests"])
        return cls(**data)
