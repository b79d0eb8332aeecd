"""Java tests: JUnit 5, `class SolutionTest` with one `@Test` method per source test, calling
the static methods of `class Solution`.

Types: int -> long (Long inside generics), float -> double, str -> String, bool -> boolean,
list -> List<T>, dict -> Map<K, V>, Optional -> Optional<T>. Arguments are mutable
(`new ArrayList<>(List.of(...))`, `new HashMap<>(Map.of(...))`), since a Python function may
change the list it gets; expected values are `List.of(...)` and `Map.ofEntries(...)`, which
equal any List or Map of the same items. Tuples have no Java type and are refused. Method names
are camelCase.
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
from pipeline.translate.values import Type, Unsupported

RESERVED = frozenset(
    """abstract assert boolean break byte case catch char class const continue default do double
    else enum extends final finally float for goto if implements import instanceof int interface
    long native new package private protected public return short static strictfp super switch
    synchronized this throw throws transient try void volatile while true false null var record
    yield""".split()
)
BOXED = {"long": "Long", "double": "Double", "boolean": "Boolean"}


def string(text: str) -> str:
    # \\u escapes are read before Java's lexer: never one for a line break, quote or backslash
    # (those are ASCII and escaped by letter or octal here).
    simple = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b", "\f": "\\f"}
    simple.update({chr(c): f"\\{c:03o}" for c in range(0x20) if chr(c) not in simple})
    simple["\x7f"] = "\\177"
    return '"' + escape(text, unicode="\\u{:04x}", simple=simple, astral=True) + '"'


class Java(Target):
    language = "java"
    solution_file = "Solution.java"
    tests_file = "SolutionTest.java"
    naming = "camel"
    reserved = RESERVED
    check_pattern = r"\bassert[A-Z]\w*\s*\(|\bfail\s*\("
    indent = "        "

    def type_name(self, t: Type, boxed: bool = False) -> str:
        kind = t.kind
        if kind in ("int", "float", "bool"):
            name = {"int": "long", "float": "double", "bool": "boolean"}[kind]
            return BOXED[name] if boxed else name
        if kind == "str":
            return "String"
        if kind == "list":
            return f"List<{self.type_name(t.args[0], True)}>"
        if kind == "dict":
            return f"Map<{self.type_name(t.args[0], True)}, {self.type_name(t.args[1], True)}>"
        if kind == "optional":
            return f"Optional<{self.type_name(t.args[0], True)}>"
        if kind == "tuple":
            raise Unsupported("a tuple has no Java type (it would need a record)")
        if kind == "none":
            raise Unsupported("a value that is always None")
        raise Unsupported(f"no Java type for {t}")

    def value(self, v: Any, t: Type, mutable: bool = False) -> str:
        kind = t.kind
        if kind == "optional":
            return "Optional.empty()" if v is None else f"Optional.of({self.value(v, t.args[0])})"
        if kind == "int":
            return int_in_range(v, 64, "Java") + "L"
        if kind == "float":
            return float_literal(v)
        if kind == "str":
            return string(v)
        if kind == "bool":
            return "true" if v else "false"
        if kind == "list":
            items = ", ".join(self.value(x, t.args[0], mutable) for x in v)
            if mutable:
                return f"new ArrayList<{self.type_name(t.args[0], True)}>(List.of({items}))"
            return f"List.<{self.type_name(t.args[0], True)}>of({items})"
        if kind == "dict":
            kt, vt = t.args
            entries = ", ".join(
                f"Map.entry({self.value(k, kt)}, {self.value(x, vt, mutable)})"
                for k, x in v.items()
            )
            types = f"{self.type_name(kt, True)}, {self.type_name(vt, True)}"
            if mutable:
                return f"new HashMap<{types}>(Map.ofEntries({entries}))"
            return f"Map.<{types}>ofEntries({entries})"
        return self.type_name(t)  # raises

    def call(self, check: Check, function: Function) -> str:
        args = ", ".join(
            self.value(v, p.type, mutable=True)
            for v, p in zip(check.call.args, function.params, strict=True)
        )
        return f"Solution.{self.function_name(function.name)}({args})"

    def signature(self, function: Function) -> str:
        params = ", ".join(f"{self.type_name(p.type)} {p.name}" for p in function.params)
        name = self.function_name(function.name)
        return f"public static {self.type_name(function.returns)} {name}({params})  (in class Solution)"

    def check(self, check: Check, function: Function) -> list[str]:
        call = self.call(check, function)
        t = function.returns
        if check.kind == EQUAL:
            return [f"assertEquals({self.value(check.expected, t)}, {call});"]
        if check.kind == NOT_EQUAL:
            return [f"assertNotEquals({self.value(check.expected, t)}, {call});"]
        if check.kind in (TRUE, FALSE):
            return [f"assert{'True' if check.kind == TRUE else 'False'}({call});"]
        if check.kind in (IS_NONE, NOT_NONE):
            if t.kind != "optional":
                raise Unsupported(f"an `is None` check of a {t}")
            how = "assertTrue" if check.kind == IS_NONE else "assertFalse"
            return [f"{how}({call}.isEmpty());"]
        if check.kind == CLOSE:
            expected = float_literal(check.expected)
            tol, op = tolerance(check, "actual", "Math.abs", "Math.max")
            return [
                "{",
                f"    double actual = {call};",
                f"    assertTrue(Math.abs(actual - {expected}) {op} {tol}, "
                f'actual + " is not close to {expected}");',
                "}",
            ]
        raise Unsupported(f"a {check.kind} check")

    def test_name(self, case, taken: set[str]) -> str:
        parts = [p for p in case.name.split("_") if p]
        base = parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:]) if parts else "test"
        name, i = base, 2
        while name in taken:
            name, i = f"{base}{i}", i + 1
        taken.add(name)
        return name

    def tests(self, suite: Suite) -> str:
        lines = [
            "import java.util.*;",
            "import org.junit.jupiter.api.Test;",
            "import static org.junit.jupiter.api.Assertions.*;",
            "",
            "class SolutionTest {",
        ]
        taken: set[str] = set()
        for i, case in enumerate(suite.cases):
            lines += [""] if i else []
            lines += ["    @Test", f"    void {self.test_name(case, taken)}() {{"]
            for check in case.checks:
                function = suite.functions[check.call.function]
                lines += [self.indent + line for line in self.check(check, function)]
            lines.append("    }")
        return "\n".join(lines + ["}"]) + "\n"


TARGET = Java()
