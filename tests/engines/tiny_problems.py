"""What the tiny coder learns: seed snippets, the problem each inspires, and the answers to it.

Each `Task` is one seed line of `seeds.jsonl`. The teacher turns the snippet into `statement`
(the problem prompt), answers the solve prompt with `answers[0]` and each revision prompt with the
next answer. Tasks with two answers get a wrong first answer (a bug the tests catch, or a missing
name ruff catches), so the loop's revision round runs through the real engine too. The revision
prompt carries the verifier's report on that answer: `tiny_model` asks the verifier for it when
it builds the training set, and teaches a short form beside it, so that a change of wording does
not throw the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    name: str
    snippet: str
    statement: str
    answers: tuple[str, ...]


def answer(solution: str, tests: str) -> str:
    return f"```python\n{solution.strip()}\n```\n\n```python\n{tests.strip()}\n```"


RUNNING_SUM_TESTS = """
from solution import running_sum


def test_examples():
    assert running_sum([1, 2, 3]) == [1, 3, 6]
    assert running_sum([5, -5, 2]) == [5, 0, 2]


def test_empty():
    assert running_sum([]) == []
"""

CLAMP_TESTS = """
import pytest

from solution import clamp


def test_inside_and_outside():
    assert clamp(5, 0, 10) == 5
    assert clamp(-3, 0, 10) == 0
    assert clamp(42, 0, 10) == 10


def test_bad_bounds():
    with pytest.raises(ValueError):
        clamp(1, 5, 2)
"""

CHUNK_TESTS = """
import pytest

from solution import chunk


def test_chunks():
    assert chunk([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunk([], 3) == []


def test_bad_size():
    with pytest.raises(ValueError):
        chunk([1], 0)
"""

VOWEL_TESTS = """
from solution import count_vowels


def test_count_vowels():
    assert count_vowels("Banana") == 3
    assert count_vowels("rhythm") == 0
    assert count_vowels("") == 0
"""

TASKS: tuple[Task, ...] = (
    Task(
        "running_sum",
        "totals = []\nacc = 0\nfor amount in payments:\n    acc += amount\n    totals.append(acc)",
        "Write `running_sum(xs: list[int]) -> list[int]` that returns the prefix sums of xs: "
        "element i is xs[0] + ... + xs[i]. An empty list gives an empty list.\n\n"
        "Example: running_sum([1, 2, 3]) == [1, 3, 6]",
        (
            answer(
                '''
def running_sum(xs: list[int]) -> list[int]:
    """Return the prefix sums of xs."""
    # Keep a running total and record it after each element.
    total = 1
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
    """Return the prefix sums of xs."""
    # The running total starts at zero, then grows by each element.
    total = 0
    out = []
    for x in xs:
        total += x
        out.append(total)
    return out
''',
                RUNNING_SUM_TESTS,
            ),
        ),
    ),
    Task(
        "is_palindrome",
        "def same_backwards(word):\n    return word == word[::-1]",
        "Write `is_palindrome(text: str) -> bool` that tells whether text reads the same "
        "backwards, ignoring case and every character that is not a letter or a digit.\n\n"
        'Example: is_palindrome("A man, a plan, a canal: Panama") is True',
        (
            answer(
                '''
def is_palindrome(text: str) -> bool:
    """True when text reads the same backwards, ignoring case and punctuation."""
    # Keep only letters and digits, folded to one case, then compare with the reverse.
    kept = [ch.casefold() for ch in text if ch.isalnum()]
    return kept == kept[::-1]
''',
                """
from solution import is_palindrome


def test_palindromes():
    assert is_palindrome("A man, a plan, a canal: Panama") is True
    assert is_palindrome("") is True


def test_not_palindromes():
    assert is_palindrome("assay") is False
""",
            ),
        ),
    ),
    Task(
        "count_vowels",
        "VOWELS = 'aeiou'\nn = len([c for c in name if c in VOWELS])",
        "Write `count_vowels(text: str) -> int` that counts the vowels (a, e, i, o, u, in "
        "either case) in text.\n\n"
        'Example: count_vowels("Banana") == 3',
        (
            answer(
                '''
def count_vowels(text: str) -> int:
    """Count the vowels of text, in either case."""
    # One pass over the lower-cased text.
    return sum(1 for ch in text.lower() if ch in VOWELS)
''',
                VOWEL_TESTS,
            ),
            answer(
                '''
VOWELS = frozenset("aeiou")


def count_vowels(text: str) -> int:
    """Count the vowels of text, in either case."""
    # One pass over the lower-cased text, checked against the vowel set.
    return sum(1 for ch in text.lower() if ch in VOWELS)
''',
                VOWEL_TESTS,
            ),
        ),
    ),
    Task(
        "clamp",
        "if speed > limit:\n    speed = limit\nif speed < 0:\n    speed = 0",
        "Write `clamp(x: int, low: int, high: int) -> int` that returns x limited to the range "
        "[low, high]. Raise ValueError when low > high.\n\n"
        "Example: clamp(42, 0, 10) == 10",
        (
            answer(
                '''
def clamp(x: int, low: int, high: int) -> int:
    """Return x limited to [low, high]."""
    # Reject an empty range first, then cut at both ends.
    if low > high:
        raise ValueError("low must not exceed high")
    return max(low, min(x, high))
''',
                CLAMP_TESTS,
            ),
        ),
    ),
    Task(
        "flatten",
        "rows = [[1, 2], [3]]\ncells = [cell for row in rows for cell in row]",
        "Write `flatten(nested: list[list[int]]) -> list[int]` that joins the inner lists "
        "into one list, in order.\n\n"
        "Example: flatten([[1, 2], [], [3]]) == [1, 2, 3]",
        (
            answer(
                '''
def flatten(nested: list[list[int]]) -> list[int]:
    """Join the inner lists of nested into one list, in order."""
    # Extend one output list with each inner list.
    out: list[int] = []
    for inner in nested:
        out.extend(inner)
    return out
''',
                """
from solution import flatten


def test_flatten():
    assert flatten([[1, 2], [], [3]]) == [1, 2, 3]
    assert flatten([]) == []
""",
            ),
        ),
    ),
    Task(
        "word_count",
        "counts = {}\nfor w in line.split():\n    counts[w] = counts.get(w, 0) + 1",
        "Write `word_count(text: str) -> dict[str, int]` that maps each whitespace-separated "
        "word of text to the number of times it occurs.\n\n"
        'Example: word_count("a b a") == {"a": 2, "b": 1}',
        (
            answer(
                '''
from collections import Counter


def word_count(text: str) -> dict[str, int]:
    """Map each word of text to its number of occurrences."""
    # str.split() without arguments splits on any run of whitespace.
    return dict(Counter(text.split()))
''',
                """
from solution import word_count


def test_word_count():
    assert word_count("a b a") == {"a": 2, "b": 1}
    assert word_count("  ") == {}
""",
            ),
        ),
    ),
    Task(
        "gcd",
        "while b:\n    a, b = b, a % b",
        "Write `gcd(a: int, b: int) -> int` that returns the greatest common divisor of a and "
        "b, always non-negative. gcd(0, 0) is 0.\n\n"
        "Example: gcd(12, 18) == 6",
        (
            answer(
                '''
def gcd(a: int, b: int) -> int:
    """Greatest common divisor of a and b, non-negative."""
    # Euclid's algorithm: replace (a, b) by (b, a mod b) until b is zero.
    while b:
        a, b = b, a % b
    return abs(a)
''',
                """
from solution import gcd


def test_gcd():
    assert gcd(12, 18) == 6
    assert gcd(7, 0) == 7
    assert gcd(0, 0) == 0
""",
            ),
        ),
    ),
    Task(
        "chunk",
        "for start in range(0, len(items), batch):\n    send(items[start:start + batch])",
        "Write `chunk(xs: list[int], size: int) -> list[list[int]]` that cuts xs into "
        "consecutive pieces of `size` elements (the last may be shorter). Raise ValueError "
        "when size < 1.\n\n"
        "Example: chunk([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]",
        (
            answer(
                '''
def chunk(xs: list[int], size: int) -> list[list[int]]:
    """Cut xs into consecutive pieces of size elements."""
    # Step through xs one piece at a time.
    if size < 1:
        raise ValueError("size must be at least 1")
    return [xs[i : i + size] for i in range(0, len(xs), size + 1)]
''',
                CHUNK_TESTS,
            ),
            answer(
                '''
def chunk(xs: list[int], size: int) -> list[list[int]]:
    """Cut xs into consecutive pieces of size elements."""
    # Step through xs by exactly size, so that no element is skipped.
    if size < 1:
        raise ValueError("size must be at least 1")
    return [xs[i : i + size] for i in range(0, len(xs), size)]
''',
                CHUNK_TESTS,
            ),
        ),
    ),
)


def write_seeds(path: str, tasks: tuple[Task, ...] = TASKS, extra: tuple[str, ...] = ()) -> str:
    """The tasks' snippets as a seeds JSONL file (one `code` line each), then `extra` snippets."""
    with open(path, "w", encoding="utf-8") as fh:
        for text in [t.snippet for t in tasks] + list(extra):
            fh.write(json.dumps({"code": text}) + "\n")
    return path
