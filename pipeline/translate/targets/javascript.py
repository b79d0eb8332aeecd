"""JavaScript tests: `node:test` and `node:assert/strict`, the solution a CommonJS module.

Values: numbers (integers only up to 2**53 - 1, where doubles stop being exact), strings,
booleans, null for None, arrays for lists and tuples, plain objects for dicts (keys written as
strings, which is what an object's keys are). Lists and dicts compare with `assert.deepEqual`
(strict: `1` and `"1"` differ), scalars with `assert.equal`.
"""

from __future__ import annotations

from typing import Any

from pipeline.translate.literals import (
    CLOSE,
    EQUAL,
    FALSE,
    IS_NONE,
    NOT_EQUAL,
    NOT_NONE,
    TRUE,
    Check,
    Function,
    Suite,
)
from pipeline.translate.targets import Target, escape, float_literal
from pipeline.translate.values import UNKNOWN, Type, Unsupported

SAFE_INT = 2**53 - 1
RESERVED = frozenset(
    """break case catch class const continue debugger default delete do else export extends
    false finally for function if import in instanceof new null return super switch this throw
    true try typeof var void while with yield let static enum await implements package protected
    interface private public arguments eval test assert require module exports""".split()
)


def string(text: str) -> str:
    return '"' + escape(text, unicode="\\u{{{:x}}}") + '"'


class JavaScript(Target):
    language = "javascript"
    solution_file = "solution.js"
    tests_file = "solution.test.js"
    naming = "camel"
    reserved = RESERVED
    typed = False
    check_pattern = r"\bassert(?:\.\w+)?\s*\(|\bexpect\s*\("
    indent = "  "

    # --- types, for the signature the prompt shows -------------------------------------------
    def type_name(self, t: Type) -> str:
        kind = t.kind
        if kind in ("int", "float"):
            return "number"
        if kind == "str":
            return "string"
        if kind == "bool":
            return "boolean"
        if kind == "none":
            return "null"
        if kind == "list":
            inner = self.type_name(t.args[0])
            return f"({inner})[]" if "|" in inner else f"{inner}[]"
        if kind == "tuple":
            return "[" + ", ".join(self.type_name(a) for a in t.args) + "]"
        if kind == "dict":
            key = "number" if t.args[0].kind == "int" else "string"
            return f"{{ [key: {key}]: {self.type_name(t.args[1])} }}"
        if kind == "optional":
            return f"{self.type_name(t.args[0])} | null"
        return self.unknown_type(t)

    def unknown_type(self, t: Type) -> str:
        return "any"

    # --- values -------------------------------------------------------------------------------
    def value(self, v: Any, t: Type) -> str:
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            if abs(v) > SAFE_INT:
                raise Unsupported(
                    f"the integer {v} is past {self.language}'s exact integers (2**53)"
                )
            return str(v)
        if isinstance(v, float):
            return repr(v)
        if isinstance(v, str):
            return string(v)
        if isinstance(v, list | tuple):
            types = _items(t, len(v))
            return "[" + ", ".join(self.value(x, xt) for x, xt in zip(v, types, strict=True)) + "]"
        if isinstance(v, dict):
            vt = t.args[1] if t.kind == "dict" else UNKNOWN
            return (
                "{"
                + ", ".join(f"{string(str(k))}: {self.value(x, vt)}" for k, x in v.items())
                + "}"
            )
        raise Unsupported(f"a {type(v).__name__} value")

    # --- declarations and checks ------------------------------------------------------------
    def signature(self, function: Function) -> str:
        params = ", ".join(f"{p.name}: {self.type_name(p.type)}" for p in function.params)
        return (
            f"{self.function_name(function.name)}({params}): {self.type_name(function.returns)}"
            "  (exported from the module)"
        )

    def check(self, check: Check, function: Function) -> list[str]:
        call = self.call(check, function)
        t = function.returns
        if check.kind == EQUAL:
            expected = self.value(check.expected, t)
            how = "deepEqual" if isinstance(check.expected, list | tuple | dict) else "equal"
            return [f"assert.{how}({call}, {expected});"]
        if check.kind == NOT_EQUAL:
            return [f"assert.notDeepEqual({call}, {self.value(check.expected, t)});"]
        if check.kind in (TRUE, FALSE):
            return [f"assert.equal({call}, {'true' if check.kind == TRUE else 'false'});"]
        if check.kind == IS_NONE:
            return [f"assert.equal({call}, null);"]
        if check.kind == NOT_NONE:
            return [f"assert.notEqual({call}, null);"]
        if check.kind == CLOSE:
            expected = float_literal(check.expected)
            tol, op = tolerance(check, "actual", "Math.abs", "Math.max")
            return [
                "{",
                f"{self.indent}const actual = {call};",
                f"{self.indent}assert.ok(Math.abs(actual - {expected}) {op} {tol}, "
                f"`${{actual}} is not close to {expected}`);",
                "}",
            ]
        raise Unsupported(f"a {check.kind} check")

    def header(self, names: list[str]) -> list[str]:
        return [
            'const { test } = require("node:test");',
            'const assert = require("node:assert/strict");',
            f'const {{ {", ".join(names)} }} = require("./{self.solution_file}");',
        ]

    def tests(self, suite: Suite) -> str:
        names = [self.function_name(f.name) for f in suite.called()]
        lines = self.header(names)
        taken: set[str] = set()
        for case in suite.cases:
            lines += ["", f'test("{self.test_name(case, taken)}", () => {{']
            for check in case.checks:
                function = suite.functions[check.call.function]
                lines += [self.indent + line for line in self.check(check, function)]
            lines.append("});")
        return "\n".join(lines) + "\n"


def _items(t: Type, n: int) -> list[Type]:
    if t.kind == "list":
        return [t.args[0]] * n
    if t.kind == "tuple" and len(t.args) == n:
        return list(t.args)
    if t.kind == "optional":
        return _items(t.args[0], n)
    return [UNKNOWN] * n


def tolerance(
    check: Check, actual: str, abs_fn: str, max_fn: str, lit=float_literal
) -> tuple[str, str]:
    """The bound of a float check and its operator: a constant when it does not depend on the
    actual value, else `max(rel * max(|actual|, |expected|), abs)` in the language's words."""
    op = "<" if check.strict else "<="
    if check.scale == "expected" or check.rel == 0:
        return lit(max(check.rel * abs(check.expected), check.abs)), op
    expected = lit(check.expected)
    scale = f"{max_fn}({abs_fn}({actual}), {abs_fn}({expected}))"
    return f"{max_fn}({lit(check.rel)} * {scale}, {lit(check.abs)})", op


TARGET = JavaScript()
