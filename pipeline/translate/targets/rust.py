"""Rust tests: a `#[cfg(test)] mod tests` with `use super::*;` and one `#[test]` per source test.

Types: int -> i64, float -> f64, str -> String, bool -> bool, list -> Vec<T>, dict ->
HashMap<K, V>, tuple -> (A, B), Optional -> Option<T>. Parameters take owned values
(`String`, `Vec<T>`), so literals are written `String::from("a")`, `vec![1, 2]`. A composite
expected value is bound with its type first (`let expected: Vec<i64> = vec![];`), which also
types an empty vector. A list of an int and a str has no Rust type; floats cannot be map keys.
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
    """as break const continue crate else enum extern false fn for if impl in let loop match mod
    move mut pub ref return self static struct super trait true type unsafe use where while async
    await dyn abstract become box do final macro override priv typeof unsized virtual yield try
    tests""".split()
)


def string(text: str) -> str:
    return (
        '"'
        + escape(
            text, unicode="\\u{{{:x}}}", simple={"\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}
        )
        + '"'
    )


class Rust(Target):
    language = "rust"
    solution_file = "solution.rs"
    tests_file = "tests.rs"
    naming = "snake"
    reserved = RESERVED
    check_pattern = r"\b(?:assert|assert_eq|assert_ne|debug_assert|debug_assert_eq|debug_assert_ne)!\s*[(\[]|#\[should_panic"
    indent = "        "

    def type_name(self, t: Type) -> str:
        kind = t.kind
        if kind in ("int", "float", "str", "bool"):
            return {"int": "i64", "float": "f64", "str": "String", "bool": "bool"}[kind]
        if kind == "list":
            return f"Vec<{self.type_name(t.args[0])}>"
        if kind == "dict":
            if t.args[0].kind not in ("int", "str"):
                raise Unsupported(f"a map keyed by {t.args[0]} (Rust hashes ints and strings)")
            return f"HashMap<{self.type_name(t.args[0])}, {self.type_name(t.args[1])}>"
        if kind == "tuple":
            return "(" + "".join(f"{self.type_name(a)}, " for a in t.args).rstrip(" ") + ")"
        if kind == "optional":
            return f"Option<{self.type_name(t.args[0])}>"
        if kind == "none":
            raise Unsupported("a value that is always None (Rust's Option needs its type)")
        raise Unsupported(f"no Rust type for {t}")

    def value(self, v: Any, t: Type) -> str:
        kind = t.kind
        if kind == "optional":
            return "None" if v is None else f"Some({self.value(v, t.args[0])})"
        if kind == "int":
            return int_in_range(v, 64, "Rust")
        if kind == "float":
            return float_literal(v)
        if kind == "str":
            return f"String::from({string(v)})"
        if kind == "bool":
            return "true" if v else "false"
        if kind == "list":
            return "vec![" + ", ".join(self.value(x, t.args[0]) for x in v) + "]"
        if kind == "tuple":
            items = [self.value(x, a) for x, a in zip(v, t.args, strict=True)]
            return "(" + "".join(f"{i}, " for i in items).rstrip(" ") + ")"
        if kind == "dict":
            kt, vt = t.args
            pairs = ", ".join(f"({self.value(k, kt)}, {self.value(x, vt)})" for k, x in v.items())
            return f"HashMap::from([{pairs}])"
        return self.type_name(t)  # raises

    def signature(self, function: Function) -> str:
        params = ", ".join(f"{p.name}: {self.type_name(p.type)}" for p in function.params)
        return f"pub fn {function.name}({params}) -> {self.type_name(function.returns)}"

    def check(self, check: Check, function: Function) -> list[str]:
        call = self.call(check, function)
        t = function.returns
        if check.kind in (EQUAL, NOT_EQUAL):
            macro = "assert_eq!" if check.kind == EQUAL else "assert_ne!"
            expected = self.value(check.expected, t)
            if t.kind in ("int", "float", "bool"):
                return [f"{macro}({call}, {expected});"]
            return [
                f"let expected: {self.type_name(t)} = {expected};",
                f"{macro}({call}, expected);",
            ]
        if check.kind in (TRUE, FALSE):
            return [f"assert_eq!({call}, {'true' if check.kind == TRUE else 'false'});"]
        if check.kind in (IS_NONE, NOT_NONE):
            if t.kind != "optional":
                raise Unsupported(f"an `is None` check of a {t}")
            how = "is_none" if check.kind == IS_NONE else "is_some"
            return [
                f'assert!({call}.{how}(), "{_quoted(call)} should be {"None" if how == "is_none" else "Some"}");'
            ]
        if check.kind == CLOSE:
            expected = float_literal(check.expected)
            tol, op = tolerance(check, "actual", "f64::abs", "f64::max")
            return [
                "{",
                f"    let actual: f64 = {call};",
                f'    assert!((actual - {expected}).abs() {op} {tol}, "{{}} is not close to {expected}", actual);',
                "}",
            ]
        raise Unsupported(f"a {check.kind} check")

    def tests(self, suite: Suite) -> str:
        lines = ["#[cfg(test)]", "mod tests {", "    use super::*;"]
        body: list[str] = []
        taken: set[str] = set()
        for case in suite.cases:
            body += ["", "    #[test]", f"    fn {self.test_name(case, taken)}() {{"]
            for check in case.checks:
                function = suite.functions[check.call.function]
                body += [self.indent + line for line in self.check(check, function)]
            body.append("    }")
        if "HashMap" in "\n".join(body):
            lines.append("    #[allow(unused_imports)]\n    use std::collections::HashMap;")
        return "\n".join(lines + body + ["}"]) + "\n"


def _quoted(text: str) -> str:
    """Code shown inside a Rust format string."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("{", "{{").replace("}", "}}")


TARGET = Rust()
