"""Reading the teacher's answers: the problem statement, and the solution and tests as code.

An answer holds fenced ```python blocks; the block that defines `test_` functions is the tests,
the other block is the solution. Prose around the blocks stays in the raw answer only. An answer
that cannot be verified (cut off, no code, one block only) gets a verdict here, with feedback that
tells the teacher what to do, instead of a trip to the sandbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.generators import Completion
from sandbox import Verdict

# ```python ... ``` (also ```py, ```python3 and untagged fences); an unclosed last fence runs to
# the end of the text.
FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+.-]*)[^\n]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.S | re.M)
PYTHON_TAGS = {"", "python", "py", "python3", "py3"}
TEST_DEF = re.compile(r"^\s*(?:async\s+)?def\s+test\w*\s*\(|^\s*class\s+Test\w*", re.M)

# Stages of attempts rejected before the sandbox (the sandbox's own stages are in sandbox.STAGES).
TRUNCATED, NO_CODE, NO_TESTS = "truncated", "no_code", "no_tests"
NO_PROBLEM = "no_problem"


@dataclass
class Answer:
    """The code of one teacher answer."""

    solution: str | None
    tests: str | None
    blocks: int


def code_blocks(text: str) -> list[str]:
    """The Python code of each fenced block, in order."""
    return [
        body.strip("\n") + "\n"
        for tag, body in FENCE.findall(text)
        if tag.lower() in PYTHON_TAGS and body.strip()
    ]


def parse_answer(text: str) -> Answer:
    blocks = code_blocks(text)
    tests = [b for b in blocks if TEST_DEF.search(b)]
    others = [b for b in blocks if not TEST_DEF.search(b)]
    return Answer(
        solution=max(others, key=len) if others else None,
        tests=tests[-1] if tests else None,
        blocks=len(blocks),
    )


def parse_problem(completion: Completion) -> str | None:
    """The problem statement: the whole answer, trimmed; None when empty or cut off."""
    text = completion.text.strip()
    if not text or completion.finish_reason == "length":
        return None
    return text


FORMAT_HINT = (
    "Answer with exactly two ```python code blocks: first the solution (module `solution`), then "
    "the pytest tests that import from `solution`."
)


def unverifiable(completion: Completion, answer: Answer, max_tokens: int) -> Verdict | None:
    """The verdict of an answer that cannot go to the sandbox, or None when it can."""
    if completion.finish_reason == "length":
        return _reject(
            TRUNCATED,
            f"the answer was cut off at the token limit ({max_tokens} tokens)",
            f"Your answer was cut off at the token limit ({max_tokens} tokens) before it was "
            "complete, so it could not be checked. Write a shorter answer: less prose, fewer and "
            f"smaller tests. {FORMAT_HINT}",
        )
    if answer.blocks == 0:
        return _reject(
            NO_CODE,
            "the answer has no code",
            f"Your answer contained no ```python code block, so there was nothing to check. "
            f"{FORMAT_HINT}",
        )
    if answer.solution is None:
        return _reject(
            NO_CODE,
            "no solution block",
            "Your answer has test code but no separate solution block (the block that defines "
            f"`test_` functions is taken as the tests). {FORMAT_HINT}",
        )
    if answer.tests is None:
        return _reject(
            NO_TESTS,
            "no tests block",
            "Your answer has no tests: no ```python block defines `test_` functions. "
            f"{FORMAT_HINT}",
        )
    return None


def _reject(stage: str, reason: str, feedback: str) -> Verdict:
    return Verdict(passed=False, stage=stage, reason=reason, feedback=feedback)
