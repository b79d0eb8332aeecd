"""A scripted translator: the source problem names its scenario (`[scenario NAME]`), the prompt its
target language; the answer is that scenario's answer for the round (assistant turns so far).

Source samples (verified by `assay verify` in the tests' fixtures):
- `add`: right the first time (mechanical tests);
- `running_sum`: off by one first, fixed after the test feedback (mechanical);
- `count_vowels`: an undefined name first (a compile, lint or runtime error), then fixed;
- `clamp`: tests that `pytest.raises`, so the teacher translates them: first with two of the four
  checks (`fewer_checks`), then all four;
- `clamp_weak`: the same, always weakened: rejected.
"""

from __future__ import annotations

import json
import re

from tests.pipeline.translate_answers import ANSWERS, FENCES

SOURCES = {
    "add": (
        "def add(a: int, b: int) -> int:\n    return a + b\n",
        "from solution import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
        "    assert add(-1, 1) == 0\n",
    ),
    "running_sum": (
        "def running_sum(xs: list[int]) -> list[int]:\n    out, total = [], 0\n"
        "    for x in xs:\n        total += x\n        out.append(total)\n    return out\n",
        "from solution import running_sum\n\n\ndef test_running_sum():\n"
        "    assert running_sum([1, 2, 3]) == [1, 3, 6]\n    assert running_sum([]) == []\n",
    ),
    "count_vowels": (
        'VOWELS = "aeiou"\n\n\ndef count_vowels(text: str) -> int:\n'
        "    return sum(1 for ch in text.lower() if ch in VOWELS)\n",
        "from solution import count_vowels\n\n\ndef test_count_vowels():\n"
        '    assert count_vowels("banana") == 3\n    assert count_vowels("xyz") == 0\n',
    ),
    "clamp": (
        "def clamp(x: int, lo: int, hi: int) -> int:\n    if lo > hi:\n"
        '        raise ValueError("empty range")\n    return max(lo, min(x, hi))\n',
        "import pytest\n\nfrom solution import clamp\n\n\ndef test_clamp():\n"
        "    assert clamp(5, 0, 3) == 3\n    assert clamp(-1, 0, 3) == 0\n"
        "    assert clamp(2, 0, 3) == 2\n    with pytest.raises(ValueError):\n"
        "        clamp(1, 3, 0)\n",
    ),
}
SOURCES["clamp_weak"] = SOURCES["clamp"]
MARKER = re.compile(r"\[scenario ([\w-]+)\]")


def write_sources(path: str, names: list[str]) -> str:
    """Samples to verify, as JSONL (`assay verify` checks them)."""
    with open(path, "w") as fh:
        for name in names:
            solution, tests = SOURCES[name.split("-")[0]]
            problem = f"[scenario {name}] Write the function of this scenario, with tests."
            fh.write(json.dumps({"problem": problem, "solution": solution, "tests": tests}) + "\n")
    return path


def teacher(messages: list[dict[str, str]]) -> str:
    first = messages[0]["content"]
    name = MARKER.search(first).group(1)
    language = re.search(r"into (\w+)", first).group(1)
    if first.startswith("You are translating"):
        return f"[{language}] [scenario {name}] Write the function of this scenario, with tests."
    round = sum(1 for m in messages if m["role"] == "assistant")
    base = name.split("-")[0]  # "add-3" plays "add", with a solution of its own (snake only)
    answers = ANSWERS[language][base]
    solution, tests = answers[min(round, len(answers) - 1)]
    if base != name:
        solution = f"# variant {name}\n{solution}"
    fence = FENCES[language]
    text = f"Here is the translation.\n\n```{fence}\n{solution.strip()}\n```\n"
    if tests is not None:
        text += f"\n```{fence}\n{tests.strip()}\n```\n"
    return text
