"""The records of a suite of literal checks (what literals.py reads and targets/ write)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from pipeline.translate.values import Type

SOLUTION_MODULE = "solution"
NO_DEFAULT = object()
EQUAL, NOT_EQUAL, TRUE, FALSE, IS_NONE, NOT_NONE, CLOSE = (
    "equal",
    "not_equal",
    "true",
    "false",
    "none",
    "not_none",
    "close",
)
MAX_INLINE_DEPTH = 4


@dataclass
class Param:
    name: str
    type: Type
    default: Any = NO_DEFAULT


@dataclass
class Function:
    """A function of the solution, typed from its annotations and the tests' literals."""

    name: str
    params: list[Param]
    returns: Type
    annotated: bool = False  # whether the return type came from an annotation


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Check:
    """One assertion. `close` compares floats: |actual - expected| <= max(rel * scale, abs),
    scale being max(|actual|, |expected|) (`math.isclose`) or |expected| (`pytest.approx`);
    `strict` makes it `<` (`abs(a - b) < eps`)."""

    kind: str
    call: Call
    expected: Any = None
    rel: float = 0.0
    abs: float = 0.0
    scale: str = "both"
    strict: bool = False
    line: int = 0


@dataclass
class Case:
    name: str
    checks: list[Check] = field(default_factory=list)


@dataclass
class Suite:
    functions: dict[str, Function]
    cases: list[Case]

    @property
    def checks(self) -> int:
        return sum(len(case.checks) for case in self.cases)

    def called(self) -> list[Function]:
        """The functions the tests call, in the solution's order."""
        used = {check.call.function for case in self.cases for check in case.checks}
        return [f for name, f in self.functions.items() if name in used]


@dataclass(frozen=True)
class FunctionRef:
    name: str


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _qualified(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_qualified(node.value)}.{node.attr}"
    return ""


def _what(node: ast.AST) -> str:
    names = {
        "For": "a `for` loop",
        "While": "a `while` loop",
        "With": "a `with` block (pytest.raises?)",
        "If": "an `if`",
        "Try": "a `try`",
        "ClassDef": "a class",
        "AugAssign": "an augmented assignment",
        "Subscript": "a subscript",
        "Attribute": "an attribute",
        "Tuple": "a tuple",
    }
    return names.get(type(node).__name__, f"a {type(node).__name__} statement")
