"""The assertions literals.py reads: one `assert` statement's test as a `Check` (a mixin of its
reader, which knows the solution's functions and the names bound so far)."""

from __future__ import annotations

import ast
from typing import Any

from pipeline.translate.suite import (
    CLOSE,
    EQUAL,
    FALSE,
    IS_NONE,
    NOT_EQUAL,
    NOT_NONE,
    TRUE,
    Call,
    Check,
    _is_int,
    _qualified,
)
from pipeline.translate.values import BOOL, FLOAT, NONE, Type, Unsupported, literal, type_of


class Assertions:
    """Needs `call(node, env, line, quiet)`, `_returns(function, type, line)` and `_resolve(name)`."""

    def call(self, node: ast.expr, env: dict[str, Any], line: int, quiet: bool = False) -> Call:
        raise NotImplementedError

    def _returns(self, function: str, seen: Type, line: int, why: str = "") -> None:
        raise NotImplementedError

    def _resolve(self, qualified: str) -> str:
        raise NotImplementedError

    def check(self, test: ast.expr, env: dict[str, Any], line: int) -> Check | None:
        if isinstance(test, ast.Constant) and test.value is True:
            return None  # HumanEval's `assert True`: checks nothing
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self._truthy(test.operand, env, line, FALSE)
        if isinstance(test, ast.Call) and self._resolve(_qualified(test.func)) in (
            "math.isclose",
            "isclose",
        ):
            return self._isclose(test, env, line)
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            return self._compare(test.left, test.ops[0], test.comparators[0], env, line)
        return self._truthy(test, env, line, TRUE)

    def _truthy(self, node: ast.expr, env: dict[str, Any], line: int, kind: str) -> Check:
        call = self.call(node, env, line)
        self._returns(call.function, BOOL, line, why="its result is used as a truth value")
        return Check(kind, call, line=line)

    def _compare(
        self, left: ast.expr, op: ast.cmpop, right: ast.expr, env: dict[str, Any], line: int
    ) -> Check:
        if isinstance(op, ast.Is | ast.IsNot):
            call = self.call(left, env, line)
            value = literal(right, env)
            if isinstance(op, ast.IsNot) and value is None:
                return Check(NOT_NONE, call, line=line)
            if isinstance(op, ast.Is) and value in (True, False, None) and not _is_int(value):
                kind = {True: TRUE, False: FALSE, None: IS_NONE}[value]
                self._returns(call.function, NONE if value is None else BOOL, line)
                return Check(kind, call, line=line)
            raise Unsupported(f"line {line}: `is` with {ast.unparse(right)}")
        if isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE):
            return self._abs_diff(left, op, right, env, line)
        if not isinstance(op, ast.Eq | ast.NotEq):
            raise Unsupported(f"line {line}: a `{ast.unparse(op)}` comparison")  # type: ignore[arg-type]
        call = self.call(left, env, line, quiet=True)
        other = right
        if call is None:
            call, other = self.call(right, env, line), left
        if isinstance(other, ast.Call) and self._resolve(_qualified(other.func)).endswith("approx"):
            if isinstance(op, ast.NotEq):
                raise Unsupported(f"line {line}: `!= pytest.approx(...)`")
            expected = self._float(other.args[0] if other.args else None, env, line)
            keywords = {k.arg: self._float(k.value, env, line) for k in other.keywords}
            rel, tol = keywords.get("rel"), keywords.get("abs")
            self._returns(call.function, FLOAT, line)
            return Check(
                CLOSE, call, expected, rel=1e-6 if rel is None and tol is None else rel or 0.0,
                abs=1e-12 if tol is None else tol, scale="expected", line=line,
            )  # fmt: skip
        expected = literal(other, env)
        self._returns(call.function, type_of(expected), line)
        return Check(EQUAL if isinstance(op, ast.Eq) else NOT_EQUAL, call, expected, line=line)

    def _abs_diff(
        self, left: ast.expr, op: ast.cmpop, right: ast.expr, env: dict[str, Any], line: int
    ) -> Check:
        """`abs(f(x) - 0.5) < eps` (or `<=`, or `eps > abs(...)`)."""
        if isinstance(op, ast.Gt | ast.GtE):
            left, right = right, left
        diff = left
        if not (
            isinstance(diff, ast.Call)
            and _qualified(diff.func) == "abs"
            and len(diff.args) == 1
            and isinstance(diff.args[0], ast.BinOp)
            and isinstance(diff.args[0].op, ast.Sub)
        ):
            raise Unsupported(f"line {line}: an ordering comparison `{ast.unparse(left)}`")
        a, b = diff.args[0].left, diff.args[0].right
        call = self.call(a, env, line, quiet=True)
        if call is None:
            call, b = self.call(b, env, line), a
        expected = self._float(b, env, line)
        eps = self._float(right, env, line)
        self._returns(call.function, FLOAT, line)
        strict = isinstance(op, ast.Lt | ast.Gt)
        return Check(CLOSE, call, expected, abs=eps, scale="expected", strict=strict, line=line)

    def _isclose(self, node: ast.Call, env: dict[str, Any], line: int) -> Check:
        if len(node.args) != 2:
            raise Unsupported(f"line {line}: isclose with {len(node.args)} positional arguments")
        a, b = node.args
        call = self.call(a, env, line, quiet=True)
        if call is None:
            call, b = self.call(b, env, line), a
        keywords = {k.arg: self._float(k.value, env, line) for k in node.keywords}
        self._returns(call.function, FLOAT, line)
        return Check(
            CLOSE, call, self._float(b, env, line), rel=keywords.get("rel_tol", 1e-9),
            abs=keywords.get("abs_tol", 0.0), line=line,
        )  # fmt: skip

    def _float(self, node: ast.expr | None, env: dict[str, Any], line: int) -> float:
        value = literal(node, env) if node is not None else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Unsupported(f"line {line}: a tolerance or expected float that is not a number")
        return float(value)
