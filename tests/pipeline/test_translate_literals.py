"""Reading Python tests as literal checks (pipeline/translate/literals.py): what is carried over,
with which types, and what is refused with which reason."""

from __future__ import annotations

import pytest

from pipeline.translate.literals import count_checks, read_suite
from pipeline.translate.values import FLOAT, INT, STR, Dict, List, Optional, Tuple, Unsupported

SOLUTION = """
from typing import Optional


def add(a: int, b: int = 10) -> int:
    return a + b


def mean(xs):
    return sum(xs) / len(xs)


def find(xs: list[str], x: str) -> Optional[int]:
    return xs.index(x) if x in xs else None


def pair(a, b):
    return (a, b)


class Box:
    pass
"""


def suite(tests: str):
    return read_suite(SOLUTION, tests)


@pytest.mark.parametrize(
    "tests, kinds",
    [
        ("from solution import add\ndef test_a():\n    assert add(1, 2) == 3\n", ["equal"]),
        ("from solution import add\ndef test_a():\n    assert 3 == add(1, b=2)\n", ["equal"]),
        ("from solution import add\ndef test_a():\n    assert add(1) != 3\n", ["not_equal"]),
        ("import solution\ndef test_a():\n    assert solution.add(1, 2) == 3\n", ["equal"]),
        ("from solution import find\ndef test_a():\n    assert find([], 'x') is None\n"
         "    assert find(['x'], 'x') is not None\n", ["none", "not_none"]),
        ("import math\nfrom solution import mean\ndef test_a():\n"
         "    assert math.isclose(mean([1, 2]), 1.5, rel_tol=1e-6)\n"
         "    assert abs(mean([1.0]) - 1.0) < 1e-9\n    assert mean([2]) == pytest.approx(2.0)\n",
         ["close", "close", "close"]),
        ("from solution import *\nX = [1, 2]\ndef test_a():\n    r = mean(X)\n    assert r == 1.5\n",
         ["equal"]),
        # HumanEval: a helper called with the solution's function.
        ("METADATA = {}\n\ndef check(candidate):\n    assert candidate(1, 2) == 3\n"
         "    assert True\n\nfrom solution import add\ndef test_check():\n    check(add)\n",
         ["equal"]),
    ],
)  # fmt: skip
def test_accepted_forms(tests, kinds):
    read = suite(tests)
    assert [c.kind for case in read.cases for c in case.checks] == kinds
    assert read.checks == len(kinds) == count_checks(tests)


def test_parametrize_rows_are_cases_and_types_join_over_calls():
    read = suite(
        "import pytest\nfrom solution import mean, pair, add\n\n"
        "@pytest.mark.parametrize('xs, want', [([1, 2], 1.5), ([4], 4)])\n"
        "def test_mean(xs, want):\n    assert mean(xs) == want\n\n"
        "def test_pair():\n    assert pair('a', [1]) == ('a', [1])\n    assert pair('b', []) == ('b', [])\n"
        "    assert add(1) == 11\n"
    )
    assert [case.name for case in read.cases] == ["test_mean_0", "test_mean_1", "test_pair"]
    mean, pair, add = (read.functions[n] for n in ("mean", "pair", "add"))
    assert mean.params[0].type == List(INT) and mean.returns == FLOAT
    assert [p.type for p in pair.params] == [STR, List(INT)]
    assert pair.returns == Tuple(STR, List(INT))
    assert read.cases[2].checks[2].call.args == (1, 10)  # the default filled in
    find = suite("from solution import find\ndef test_a():\n    assert find(['a'], 'a') == 0\n")
    assert find.functions["find"].returns == Optional(INT)
    counts = suite(
        "from solution import pair\ndef test_a():\n    assert pair({'a': 1}, 2) == ({'a': 1}, 2)\n"
    )
    assert counts.functions["pair"].params[0].type == Dict(STR, INT)


@pytest.mark.parametrize(
    "tests, reason",
    [
        ("from solution import add\ndef test_a():\n    for x in [1]:\n        assert add(x, 1) == 2\n",
         "`for` loop"),
        ("import pytest\nfrom solution import add\ndef test_a():\n    with pytest.raises(ValueError):\n"
         "        add(1, 2)\n", "`with` block"),
        ("from solution import add\ndef test_a(tmp_path):\n    assert add(1, 2) == 3\n", "fixtures"),
        ("from solution import add\ndef test_a():\n    assert len(str(add(1, 2))) == 1\n",
         "not a call of a solution function"),
        ("from solution import add\ndef test_a():\n    add(1, 2)\n", "side effect"),
        ("from solution import Box\ndef test_a():\n    assert Box() == 1\n", "not a plain function"),
        ("from solution import add\ndef test_a():\n    assert add(1, 2) > 0\n", "ordering comparison"),
        ("from solution import add\ndef test_a():\n    assert add(1, 'x') == 3\n", "whose type is int"),
        ("from solution import add\ndef test_a():\n    assert add({1, 2}, 1) == 3\n", "not a literal"),
        ("from solution import add\ndef test_a():\n    pass\n", "no check"),
        ("from solution import find\ndef test_a():\n    assert find(['a'], 'a')\n", "truth value"),
    ],
)  # fmt: skip
def test_refused_with_a_reason(tests, reason):
    with pytest.raises(Unsupported, match=reason):
        suite(tests)
