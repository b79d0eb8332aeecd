"""The loop on its own: a fake teacher and a fake judge, no sandbox, no store."""

from __future__ import annotations

import asyncio

import pytest

from pipeline.answers import parse_problem
from pipeline.generators import Completion
from pipeline.loop import solve_seed
from pipeline.prompts import Prompts
from pipeline.seeds import Seed
from sandbox import Verdict

CODE = "```python\ndef f():\n    return 1\n```\n```python\nfrom solution import f\n\ndef test_f():\n    assert f() == 1\n```"


def run(problem_text: str, verdicts: list[bool], k: int):
    asked = []

    async def ask(step, chat):
        asked.append((step, chat))
        return Completion(problem_text if step == "problem" else CODE)

    async def judge(round, completion, answer):
        passed = verdicts[round]
        return Verdict(
            passed=passed, stage="passed" if passed else "tests", feedback=f"feedback {round}"
        )

    outcome = asyncio.run(solve_seed(Seed("s.py:1-2", "x = 1"), ask, judge, Prompts(), k))
    return outcome, asked


@pytest.mark.parametrize(
    ("verdicts", "k", "accepted", "attempts"),
    [
        ([True], 3, True, 1),
        ([False, False, True], 3, True, 3),
        ([False, False, False], 2, False, 3),  # K + 1 attempts, then rejected
        ([False], 0, False, 1),
    ],
)
def test_attempts_and_outcome(verdicts, k, accepted, attempts):
    outcome, asked = run("Write f.", verdicts, k)
    assert outcome.accepted is accepted and len(outcome.attempts) == attempts
    assert [step for step, _ in asked] == ["problem", *range(attempts)]
    if not accepted:
        assert outcome.reason == "tests"


def test_each_revision_quotes_the_last_feedback_in_one_dialog():
    outcome, asked = run("Write f.", [False, False, True], 3)
    for round in (1, 2):
        chat = asked[round + 1][1]
        assert len(chat) == 1 + 2 * round  # the whole dialog so far
        assert f"feedback {round - 1}" in chat[-1]["content"] and "Write f." in chat[-1]["content"]
        assert chat[-2] == {"role": "assistant", "content": CODE}


def test_no_problem_rejects_without_attempts():
    outcome, asked = run("", [True], 3)
    assert not outcome.accepted and outcome.reason == "no_problem" and len(asked) == 1
    assert parse_problem(Completion("")) is None
