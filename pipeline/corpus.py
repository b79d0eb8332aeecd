"""The corpus: RUN_DIR/corpus/part-*.jsonl, verified samples only, append-only and fsynced.

A sample whose normalised problem or normalised solution is already in the corpus in the same
language is not added again (one problem solved in two languages is two samples). Normalising is
deliberately plain (case and whitespace for problems; blank lines, trailing spaces and indentation
depth for code): it catches exact repeats, not paraphrases.
"""

from __future__ import annotations

import glob
import hashlib
import os
import textwrap
import time
from typing import TYPE_CHECKING, Any

from pipeline.jsonl import AppendLog, iter_jsonl
from pipeline.languages import DEFAULT, code_answer
from sandbox import Sample

if TYPE_CHECKING:
    from pipeline.loop import Outcome

PART_RECORDS = 50_000  # records per part file
ADDED, PRESENT, DUPLICATE_PROBLEM, DUPLICATE_SOLUTION = (
    "added",
    "present",
    "duplicate_problem",
    "duplicate_solution",
)


def problem_key(problem: str, language: str = DEFAULT) -> str:
    return _digest(" ".join(problem.casefold().split()), language)


def solution_key(solution: str, language: str = DEFAULT) -> str:
    lines = [line.rstrip() for line in textwrap.dedent(solution).splitlines()]
    return _digest("\n".join(line for line in lines if line), language)


def _digest(text: str, language: str) -> str:
    return hashlib.sha256(f"{language}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()


class Corpus:
    """The corpus directory of one run; `add` returns what happened to the record."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.ids: dict[str, Any] = {}  # id -> the problem slot that added it
        self.problems: dict[str, str] = {}  # key -> id
        self.solutions: dict[str, str] = {}
        parts = sorted(glob.glob(os.path.join(directory, "part-*.jsonl")))
        count = 0
        for path in parts:
            count = 0
            for record in iter_jsonl(path):
                count += 1
                self._remember(record)
        self._index = len(parts) - 1 if parts else 0
        self._count = count
        self._log: AppendLog | None = None

    def _remember(self, record: dict[str, Any]) -> None:
        self.ids[record["id"]] = record.get("meta", {}).get("problem_index")
        language = record.get("language") or DEFAULT
        self.problems.setdefault(problem_key(record.get("problem", ""), language), record["id"])
        self.solutions.setdefault(solution_key(record.get("solution", ""), language), record["id"])

    def __len__(self) -> int:
        return len(self.ids)

    def check(self, record: dict[str, Any]) -> tuple[str, str]:
        """(what `add` would do, the id of the record it duplicates or its own)."""
        if record["id"] in self.ids:
            # The same slot again (a rerun after a kill) is already in; another slot is a duplicate.
            slot = record.get("meta", {}).get("problem_index")
            return (PRESENT if self.ids[record["id"]] == slot else DUPLICATE_PROBLEM), record["id"]
        language = record.get("language") or DEFAULT
        if (found := self.problems.get(problem_key(record["problem"], language))) is not None:
            return DUPLICATE_PROBLEM, found
        if (found := self.solutions.get(solution_key(record["solution"], language))) is not None:
            return DUPLICATE_SOLUTION, found
        return ADDED, record["id"]

    def add(self, record: dict[str, Any]) -> tuple[str, str]:
        """Append `record` (fsynced) unless it is already there or duplicates one."""
        outcome = self.check(record)
        if outcome[0] != ADDED:
            return outcome
        if self._log is None or self._count >= PART_RECORDS:
            if self._log is not None:
                self._log.close()
                self._index += 1
                self._count = 0
            path = os.path.join(self.directory, f"part-{self._index:05d}.jsonl")
            self._log = AppendLog(path, sync_every_s=0.0)
        self._log.write(record)
        self._count += 1
        self._remember(record)
        return outcome

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def final_answer(solution: str, tests: str, language: str = DEFAULT) -> str:
    """The assistant turn of the SFT record: the verified code, without the teacher's asides,
    fenced with the language's canonical tag."""
    return code_answer(solution, tests, language)


def make_record(
    outcome: Outcome, *, slot: int, teacher: dict[str, Any], verifier_version: str
) -> dict[str, Any]:
    """The corpus record of an accepted outcome (DESIGN.md, "The sample"), with provenance."""
    final = outcome.final
    assert outcome.accepted and final is not None and outcome.problem is not None
    solution, tests = final.answer.solution or "", final.answer.tests or ""
    sample = Sample(
        solution=solution, tests=tests, problem=outcome.problem, language=outcome.language
    )
    trail = [
        {
            "round": a.round,
            "answer": a.completion.text,
            "finish_reason": a.completion.finish_reason,
            "solution": a.answer.solution,
            "tests": a.answer.tests,
            "stage": a.verdict.stage,
            "reason": a.verdict.reason,
            "feedback": a.verdict.feedback,
            "tokens_in": a.completion.tokens_in,
            "tokens_out": a.completion.tokens_out,
        }
        for a in outcome.attempts
    ]
    return {
        "id": sample.id,
        "language": outcome.language,
        "problem": outcome.problem,
        "solution": solution,
        "tests": tests,
        "messages": [
            {"role": "user", "content": outcome.problem},
            {"role": "assistant", "content": final_answer(solution, tests, outcome.language)},
        ],
        "meta": {
            "source": outcome.seed.source,
            "seed": outcome.seed.text,
            "problem_index": slot,
            **teacher,
            "attempts": len(outcome.attempts),
            "revisions": len(outcome.attempts) - 1,
            "trail": trail,
            "verifier_version": verifier_version,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
        "verdict": final.verdict.to_dict(),
    }
