"""Reading the teacher's answers: which block is the solution, which the tests, what is refused.
Each language's answers are read by its own fences and tests pattern (`snake`: a test language)."""

from __future__ import annotations

import pytest

from pipeline.answers import parse_answer, parse_problem, unverifiable
from pipeline.generators import Completion
from sandbox.languages import Language, LanguageError, lookup, register

SOL = "def f():\n    return 1\n"
SHELL = "pip install x\n"
TESTS = "from solution import f\n\n\ndef test_f():\n    assert f() == 1\n"


def fenced(code: str, tag: str = "python") -> str:
    return f"```{tag}\n{code}```\n"


PARSE = [
    # text -> (solution, tests, blocks)
    (f"Sure!\n{fenced(SOL)}\nAnd tests:\n{fenced(TESTS)}Done.", (SOL, TESTS, 2)),
    (f"{fenced(TESTS)}{fenced(SOL)}", (SOL, TESTS, 2)),  # order does not matter
    (f"{fenced(SOL, 'py')}{fenced(TESTS, '')}", (SOL, TESTS, 2)),  # ```py and bare fences
    (f"{fenced(SOL)}{fenced(SHELL, 'bash')}{fenced(TESTS)}", (SOL, TESTS, 2)),
    (f"{fenced(SOL)}```python\n{TESTS}", (SOL, TESTS, 2)),  # unclosed last fence
    ("class TestX: pass", (None, None, 0)),  # code outside fences is not code
    ("I can't help with that.", (None, None, 0)),
    (fenced(SOL), (SOL, None, 1)),
    (fenced(TESTS), (None, TESTS, 1)),
    (f"  ```python\n{SOL}  ```\n{fenced(TESTS)}", (SOL, TESTS, 2)),  # indented fences
]


@pytest.mark.parametrize(("text", "expected"), PARSE)
def test_parse_answer(text, expected):
    answer = parse_answer(text)
    assert (answer.solution, answer.tests, answer.blocks) == expected


UNVERIFIABLE = [
    # (text, finish_reason) -> stage, words of the feedback
    (f"{fenced(SOL)}{fenced(TESTS)}", "length", "truncated", "cut off at the token limit"),
    ("Sorry, no.", "stop", "no_code", "no ```python code block"),
    (fenced(TESTS), "stop", "no_code", "no separate solution block"),
    (fenced(SOL), "stop", "no_tests", "no tests"),
    (f"{fenced(SOL)}{fenced(TESTS)}", "stop", None, None),
]


@pytest.mark.parametrize(("text", "finish", "stage", "words"), UNVERIFIABLE)
def test_unverifiable_answers_fail_with_feedback(text, finish, stage, words):
    completion = Completion(text, finish_reason=finish)
    verdict = unverifiable(completion, parse_answer(text), max_tokens=100)
    if stage is None:
        assert verdict is None
    else:
        assert verdict.passed is False and verdict.stage == stage and words in verdict.feedback
        assert "two ```python code blocks" in verdict.feedback


SNAKE_PARSE = [
    # text -> (solution, tests, blocks) when the answer is read as `snake`
    (f"{fenced(SOL, 'snake')}{fenced(TESTS, 'snake')}", (SOL, TESTS, 2)),
    (f"{fenced(SOL, 'SNK')}{fenced(TESTS, '')}", (SOL, TESTS, 2)),  # an alias tag, any case; bare
    (f"{fenced(SOL)}{fenced(TESTS)}", (None, None, 0)),  # ```python is not this language's
    (f"{fenced(SOL)}{fenced(TESTS, 'snake')}", (None, TESTS, 1)),
]


@pytest.mark.parametrize(("text", "expected"), SNAKE_PARSE)
def test_answers_are_read_by_the_languages_fences(text, expected):
    answer = parse_answer(text, "snake")
    assert (answer.solution, answer.tests, answer.blocks, answer.language) == (*expected, "snake")


def test_tests_are_chosen_by_the_languages_pattern():
    # A language whose tests are recognised by `TEST_CASE(`: the Python-looking block is the
    # solution there, and the block with TEST_CASE the tests.
    register(
        type(
            "Cases",
            (Language,),
            {"name": "cases", "fences": ("cases",), "tests_pattern": r"^\s*TEST_CASE\("},
        )
    )
    cases = 'TEST_CASE("f") {\n  CHECK(f() == 1);\n}\n'
    answer = parse_answer(f"{fenced(cases, 'cases')}{fenced(TESTS, 'cases')}", "cases")
    assert (answer.solution, answer.tests) == (TESTS, cases)


def test_feedback_names_the_languages_fence_and_files():
    answer = parse_answer("No code today.", "snake")
    verdict = unverifiable(Completion("No code today."), answer, max_tokens=100)
    snake = lookup("snake")
    assert "no ```snake code block" in verdict.feedback
    assert (
        "two ```snake code blocks" in verdict.feedback and snake.solution_file in verdict.feedback
    )
    assert "```python" not in verdict.feedback
    only_solution = parse_answer(fenced(SOL, "snake"), "snake")
    verdict = unverifiable(Completion(""), only_solution, max_tokens=100)
    assert verdict.stage == "no_tests" and snake.tests_file in verdict.feedback


def test_an_unknown_language_is_a_named_error():
    with pytest.raises(LanguageError, match="unknown language 'cobol': use one of .*python"):
        parse_answer("x", "cobol")


@pytest.mark.parametrize(
    ("text", "finish", "expected"),
    [("  Write f().  \n", "stop", "Write f()."), ("", "stop", None), ("Write f", "length", None)],
)
def test_parse_problem(text, finish, expected):
    assert parse_problem(Completion(text, finish_reason=finish)) == expected
