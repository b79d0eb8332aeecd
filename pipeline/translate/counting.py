"""Counting the checks of Python tests (the teacher route's bar: a translation's tests must hold
at least as many)."""

from __future__ import annotations

import ast

from pipeline.translate.suite import _qualified


def count_checks(tests: str) -> int:
    """How many checks Python tests hold: assert statements (each parametrize row counts them
    again), `pytest.raises` blocks and unittest's `self.assert*` calls. A check inside a loop
    counts once. A file that does not parse counts by its `assert` lines."""
    try:
        tree = ast.parse(tests)
    except SyntaxError:
        return sum(1 for line in tests.splitlines() if line.lstrip().startswith("assert"))
    total = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            rows = 1
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and _qualified(decorator.func).endswith("parametrize")
                    and len(decorator.args) >= 2
                    and isinstance(decorator.args[1], ast.List | ast.Tuple)
                ):
                    rows *= max(1, len(decorator.args[1].elts))
            total += rows * _checks_in(node)
    helpers = [
        n for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("test")
    ]
    total += sum(_checks_in(helper) for helper in helpers)
    return total


def _checks_in(node: ast.AST) -> int:
    n = 0
    for child in ast.walk(node):
        if isinstance(child, ast.Assert):
            n += not (isinstance(child.test, ast.Constant) and child.test.value is True)
        elif isinstance(child, ast.withitem) and "raises" in _qualified(
            getattr(child.context_expr, "func", child.context_expr)
        ):
            n += 1
        elif (
            isinstance(child, ast.Call)
            and isinstance(child.func, ast.Attribute)
            and child.func.attr.startswith("assert")
        ):
            n += 1
    return n
