"""PHP tests: PHPUnit, `final class SolutionTest extends TestCase` with one `testXxx` method per
source test; the solution's functions come from `solution.php` (`require_once`).

Values: ints (64-bit), floats, double-quoted strings (`$` escaped), true/false/null, and arrays
for lists, tuples and dicts (`["a" => 1]`). Checks use `assertSame` (strict: 1 and "1" differ),
except where a float or a dict is in the expected value: there `assertEquals`, since PHP's `/`
gives an int when it divides evenly (Python's a float) and a dict compares without its order.
Function names stay as they are (snake_case is usual in PHP).
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
from pipeline.translate.targets import Target, escape, float_literal, int_in_range
from pipeline.translate.targets.javascript import tolerance
from pipeline.translate.values import UNKNOWN, Type, Unsupported

RESERVED = frozenset(
    """abstract and array as break callable case catch class clone const continue declare default
    die do echo else elseif empty enddeclare endfor endforeach endif endswitch endwhile eval exit
    extends final finally fn for foreach function global goto if implements include instanceof
    insteadof interface isset list match namespace new or print private protected public readonly
    require return static switch throw trait try unset use var while xor yield""".split()
)


def string(text: str) -> str:
    simple = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "$": "\\$", "\x0b": "\\v", "\x1b": "\\e",
              "\f": "\\f"}  # fmt: skip
    return '"' + escape(text, unicode="\\u{{{:x}}}", simple=simple) + '"'


class Php(Target):
    language = "php"
    solution_file = "solution.php"
    tests_file = "SolutionTest.php"
    naming = "snake"
    reserved = RESERVED
    typed = False
    check_pattern = r"(?:->|::)(?:assert[A-Z]\w*|expectException\w*|fail)\s*\("
    comments = (r"//[^\n]*", r"#[^\n]*", r"/\*.*?\*/")
    indent = "        "

    def type_name(self, t: Type) -> str:
        kind = t.kind
        if kind in ("int", "float", "str", "bool"):
            return {"int": "int", "float": "float", "str": "string", "bool": "bool"}[kind]
        if kind in ("list", "tuple", "dict"):
            return "array"
        if kind == "optional":
            return "?" + self.type_name(t.args[0])
        if kind == "none":
            return "null"
        return "mixed"

    def value(self, v: Any, t: Type) -> str:
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            text = int_in_range(v, 64, "PHP")
            return float_literal(v) if _inner(t).kind == "float" else text
        if isinstance(v, float):
            return float_literal(v)
        if isinstance(v, str):
            return string(v)
        if isinstance(v, list | tuple):
            items = _items(_inner(t), len(v))
            return "[" + ", ".join(self.value(x, it) for x, it in zip(v, items, strict=True)) + "]"
        if isinstance(v, dict):
            inner = _inner(t)
            vt = inner.args[1] if inner.kind == "dict" else UNKNOWN
            pairs = ", ".join(
                f"{self.value(k, UNKNOWN)} => {self.value(x, vt)}" for k, x in v.items()
            )
            return f"[{pairs}]"
        raise Unsupported(f"a {type(v).__name__} value")

    def signature(self, function: Function) -> str:
        params = ", ".join(f"{self.type_name(p.type)} ${p.name}" for p in function.params)
        name = self.function_name(function.name)
        return f"function {name}({params}): {self.type_name(function.returns)}"

    def check(self, check: Check, function: Function) -> list[str]:
        call = self.call(check, function)
        t = function.returns
        loose = t.contains("float") or t.contains("dict") or t.kind in ("unknown", "mixed")
        if check.kind in (EQUAL, NOT_EQUAL):
            expected = self.value(check.expected, t)
            how = "Equals" if loose else "Same"
            negation = "Not" if check.kind == NOT_EQUAL else ""
            return [f"$this->assert{negation}{how}({expected}, {call});"]
        if check.kind == TRUE:
            return [f"$this->assertTrue({call});"]
        if check.kind == FALSE:
            return [f"$this->assertFalse({call});"]
        if check.kind == IS_NONE:
            return [f"$this->assertNull({call});"]
        if check.kind == NOT_NONE:
            return [f"$this->assertNotNull({call});"]
        if check.kind == CLOSE:
            expected = float_literal(check.expected)
            tol, op = tolerance(check, "$actual", "abs", "max")
            how = "assertLessThan" if op == "<" else "assertLessThanOrEqual"
            return [f"$actual = {call};", f"$this->{how}({tol}, abs($actual - {expected}));"]
        raise Unsupported(f"a {check.kind} check")

    def test_name(self, case, taken: set[str]) -> str:
        parts = [p for p in case.name.split("_") if p]
        base = "test" + "".join(p[:1].upper() + p[1:] for p in parts)
        base = "test" + base[8:] if base.startswith("testTest") else base
        name, i = base, 2
        while name in taken:
            name, i = f"{base}{i}", i + 1
        taken.add(name)
        return name

    def tests(self, suite: Suite) -> str:
        lines = [
            "<?php",
            "",
            "use PHPUnit\\Framework\\TestCase;",
            "",
            f"require_once __DIR__ . '/{self.solution_file}';",
            "",
            "final class SolutionTest extends TestCase",
            "{",
        ]
        taken: set[str] = set()
        for i, case in enumerate(suite.cases):
            lines += [""] if i else []
            lines += [f"    public function {self.test_name(case, taken)}(): void", "    {"]
            for check in case.checks:
                function = suite.functions[check.call.function]
                lines += [self.indent + line for line in self.check(check, function)]
            lines.append("    }")
        return "\n".join(lines + ["}"]) + "\n"


def _inner(t: Type) -> Type:
    return t.args[0] if t.kind == "optional" else t


def _items(t: Type, n: int) -> list[Type]:
    if t.kind == "list":
        return [t.args[0]] * n
    if t.kind == "tuple" and len(t.args) == n:
        return list(t.args)
    return [UNKNOWN] * n


TARGET = Php()
