"""Reading the teacher's answers: the problem statement, and the solution and tests as code.

An answer holds code blocks fenced with its language's tags (`fences`, e.g. ```python, or no
tag at all); the block that matches the language's `tests_pattern` (Python: it defines `test_`
functions) is the tests, the other block is the solution. Prose around the blocks stays in the raw
answer only. An answer that cannot be verified (cut off, no code, one block only) gets a verdict
here, with feedback that tells the teacher what to do, instead of a trip to the sandbox.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from pipeline.generators import Completion
from pipeline.languages import DEFAULT, fence, language
from sandbox import Verdict

# ```tag ... ``` (and untagged fences); an unclosed last fence runs to the end of the text.
FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+.#-]*)[^\n]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.S | re.M)

# Stages of attempts rejected before the sandbox (the sandbox's own stages are in sandbox.STAGES).
TRUNCATED, NO_CODE, NO_TESTS = "truncated", "no_code", "no_tests"
NO_PROBLEM = "no_problem"


@dataclass
class Answer:
    """The code of one teacher answer, in `language`."""

    solution: str | None
    tests: str | None
    blocks: int
    language: str = DEFAULT


@functools.cache
def _reader(name: str) -> tuple[frozenset[str], re.Pattern[str]]:
    cls = language(name)
    tags = frozenset({"", *(tag.lower() for tag in cls.fences)})
    return tags, re.compile(cls.tests_pattern, re.M)


def code_blocks(text: str, lang: str = DEFAULT) -> list[str]:
    """The code of each block fenced with one of the language's tags (or none), in order."""
    tags, _ = _reader(lang)
    return [
        body.strip("\n") + "\n"
        for tag, body in FENCE.findall(text)
        if tag.lower() in tags and body.strip()
    ]


def parse_answer(text: str, lang: str = DEFAULT) -> Answer:
    blocks = code_blocks(text, lang)
    _, is_tests = _reader(lang)
    tests = [b for b in blocks if is_tests.search(b)]
    others = [b for b in blocks if not is_tests.search(b)]
    return Answer(
        solution=max(others, key=len) if others else None,
        tests=tests[-1] if tests else None,
        blocks=len(blocks),
        language=language(lang).name,
    )


def parse_problem(completion: Completion) -> str | None:
    """The problem statement: the whole answer, trimmed; None when empty or cut off."""
    text = completion.text.strip()
    if not text or completion.finish_reason == "length":
        return None
    return text


def format_hint(lang: str = DEFAULT) -> str:
    """What a well-formed answer looks like, in the language's own fence and file names."""
    cls = language(lang)
    return (
        f"Answer with exactly two ```{fence(lang)} code blocks: first the solution "
        f"(`{cls.solution_file}`), then the tests (`{cls.tests_file}`), which use the solution."
    )


def unverifiable(completion: Completion, answer: Answer, max_tokens: int) -> Verdict | None:
    """The verdict of an answer that cannot go to the sandbox, or None when it can."""
    hint, tag = format_hint(answer.language), fence(answer.language)
    tests_file = language(answer.language).tests_file
    if completion.finish_reason == "length":
        return _reject(
            TRUNCATED,
            f"the answer was cut off at the token limit ({max_tokens} tokens)",
            f"Your answer was cut off at the token limit ({max_tokens} tokens) before it was "
            "complete, so it could not be checked. Write a shorter answer: less prose, fewer and "
            f"smaller tests. {hint}",
        )
    if answer.blocks == 0:
        return _reject(
            NO_CODE,
            "the answer has no code",
            f"Your answer contained no ```{tag} code block, so there was nothing to check. {hint}",
        )
    if answer.solution is None:
        return _reject(
            NO_CODE,
            "no solution block",
            "Your answer has test code but no separate solution block (a block that looks like "
            f"the tests, `{tests_file}`, is taken as the tests). {hint}",
        )
    if answer.tests is None:
        return _reject(
            NO_TESTS,
            "no tests block",
            f"Your answer has no tests: no ```{tag} block holds the tests (`{tests_file}`). {hint}",
        )
    return None


def _reject(stage: str, reason: str, feedback: str) -> Verdict:
    return Verdict(passed=False, stage=stage, reason=reason, feedback=feedback)
