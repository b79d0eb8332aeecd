"""A scripted teacher: each seed names a scenario; each scenario is a list of answers by round.

The seed `# scenario: NAME` yields the problem `[scenario NAME] ...`; solve and revise chats are
recognised by that marker, and the round is the number of assistant turns already in the chat.
The same chat always gets the same answer, so a rerun would get identical answers.
"""

from __future__ import annotations

import json
import re
from typing import Any


def answer(solution: str, tests: str, prose: str = "Here is my answer.") -> str:
    return f"{prose}\n\n```python\n{solution.strip()}\n```\n\n```python\n{tests.strip()}\n```\n"


RIGHT = answer(
    '''
def add(a: int, b: int) -> int:
    """Return the sum of a and b."""
    # Python ints do not overflow, so + is all we need.
    return a + b
''',
    """
from solution import add


def test_add():
    assert add(2, 3) == 5
    assert add(-1, 1) == 0
""",
)

RUNNING_SUM_TESTS = """
from solution import running_sum


def test_running_sum():
    assert running_sum([1, 2, 3]) == [1, 3, 6]
    assert running_sum([]) == []
"""
WRONG_VALUE = [
    answer(
        '''
def running_sum(xs: list[int]) -> list[int]:
    """Prefix sums."""
    total = 1  # off by one: the bug the feedback must show
    out = []
    for x in xs:
        total += x
        out.append(total)
    return out
''',
        RUNNING_SUM_TESTS,
    ),
    answer(
        '''
def running_sum(xs: list[int]) -> list[int]:
    """Prefix sums."""
    total = 0
    out = []
    for x in xs:
        total += x
        out.append(total)
    return out
''',
        RUNNING_SUM_TESTS,
        prose="You are right: the running total must start at 0.",
    ),
]

VOWEL_TESTS = """
from solution import count_vowels


def test_count_vowels():
    assert count_vowels("banana") == 3
    assert count_vowels("xyz") == 0
"""
UNDEFINED_NAME = [
    answer(
        '''
def count_vowels(text: str) -> int:
    """Count the vowels of text."""
    return sum(1 for ch in text.lower() if ch in VOWELS)
''',
        VOWEL_TESTS,
    ),
    answer(
        '''
VOWELS = frozenset("aeiou")


def count_vowels(text: str) -> int:
    """Count the vowels of text."""
    return sum(1 for ch in text.lower() if ch in VOWELS)
''',
        VOWEL_TESTS,
    ),
]

GCD_TESTS = """
from solution import gcd


def test_gcd():
    assert gcd(12, 18) == 6
    assert gcd(7, 0) == 7
"""
INFINITE_LOOP = [
    answer(
        '''
def gcd(a: int, b: int) -> int:
    """Greatest common divisor."""
    while b:
        a, b = b, a % b if a < 0 else b  # never shrinks b
    return a
''',
        GCD_TESTS,
    ),
    answer(
        '''
def gcd(a: int, b: int) -> int:
    """Greatest common divisor (Euclid)."""
    while b:
        a, b = b, a % b
    return abs(a)
''',
        GCD_TESTS,
    ),
]

PALINDROME = '''
def is_palindrome(text: str) -> bool:
    """True when text reads the same backwards, ignoring case."""
    folded = text.casefold()
    return folded == folded[::-1]
'''
WRONG_TEST = [
    answer(
        PALINDROME,
        """
from solution import is_palindrome


def test_is_palindrome():
    assert is_palindrome("Level") is True
    assert is_palindrome("abc") is True
""",
    ),
    answer(
        PALINDROME,
        """
from solution import is_palindrome


def test_is_palindrome():
    assert is_palindrome("Level") is True
    assert is_palindrome("abc") is False
""",
        prose="The test was wrong: 'abc' is not a palindrome.",
    ),
]

NEVER_FIXED = [
    answer(
        '''
def clamp(x: int, lo: int, hi: int) -> int:
    """Clamp x into [lo, hi]."""
    return x
''',
        """
from solution import clamp


def test_clamp():
    assert clamp(5, 0, 3) == 3
    assert clamp(-1, 0, 3) == 0
""",
    )
]

REVERSE = answer(
    '''
def reverse_words(text: str) -> str:
    """The words of text in reverse order."""
    return " ".join(reversed(text.split()))
''',
    """
from solution import reverse_words


def test_reverse_words():
    assert reverse_words("a b c") == "c b a"
    assert reverse_words("") == ""
""",
)
REFUSAL = ["I'm sorry, but I can't help with that request.", REVERSE]

SQUARE = answer(
    '''
def square(x: int) -> int:
    """x squared."""
    return x * x
''',
    """
from solution import square


def test_square():
    assert square(3) == 9
    assert square(-2) == 4
""",
)
TRUNCATED = [{"content": SQUARE[:60], "finish_reason": "length"}, SQUARE]

SCENARIOS: dict[str, list[Any]] = {
    "right": [RIGHT],
    "wrong_value": WRONG_VALUE,
    "undefined_name": UNDEFINED_NAME,
    "infinite_loop": INFINITE_LOOP,
    "wrong_test": WRONG_TEST,
    "never_fixed": NEVER_FIXED,
    "refusal": REFUSAL,
    "truncated": TRUNCATED,
}

MARKER = re.compile(r"scenario[: ]+([\w-]+)")


def problem_text(name: str) -> str:
    return f"[scenario {name}] Write the function this scenario needs, with pytest tests."


def teacher(messages: list[dict[str, str]]) -> str | dict[str, Any]:
    """The script: the problem for a problem prompt, else the answer of this scenario's round."""
    first = messages[0]["content"]
    name = MARKER.search(first).group(1)
    if "programming problem inspired by this snippet" in first:
        return problem_text(name)
    base = name.split("-")[0]  # "right-3" plays "right" with a problem and solution of its own
    answers = SCENARIOS[base]
    round = sum(1 for m in messages if m["role"] == "assistant")
    chosen = answers[min(round, len(answers) - 1)]
    if name != base:
        variant = f"```python\n# variant {name}\n"
        if isinstance(chosen, dict):
            return {**chosen, "content": chosen["content"].replace("```python\n", variant, 1)}
        return chosen.replace("```python\n", variant, 1)
    return chosen


def write_seeds(path: str, names: list[str]) -> str:
    with open(path, "w") as fh:
        for name in names:
            fh.write(json.dumps({"code": f"# scenario: {name}\nprint('{name}')\n"}) + "\n")
    return path
