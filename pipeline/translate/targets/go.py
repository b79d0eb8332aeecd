"""Go tests: package `solution`, `testing`, one `TestXxx` per source test.

Types: int -> int (64-bit), float -> float64, str -> string, bool -> bool, list -> []T,
dict -> map[K]V; a tuple only as a function's result, as several results
(`func DivMod(a int, b int) (int, int)`). None has no Go value without a pointer type, and a
tuple inside a value would need a named struct: both are refused. Results compare with a small
reflect-based equality in the test file that takes a nil slice or map as equal to an empty one
(reflect.DeepEqual does not). Functions are exported (PascalCase).
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
    """break case chan const continue default defer else fallthrough for func go goto if import
    interface map package range return select struct switch type var""".split()
)
EQUAL_HELPER = """
// assayEqual is reflect.DeepEqual, except that a nil slice or map equals an empty one.
func assayEqual(a, b any) bool {
	return assayDeep(reflect.ValueOf(a), reflect.ValueOf(b))
}

func assayDeep(a, b reflect.Value) bool {
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !assayDeep(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, key := range a.MapKeys() {
			other := b.MapIndex(key)
			if !other.IsValid() || !assayDeep(a.MapIndex(key), other) {
				return false
			}
		}
		return true
	case reflect.Interface, reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return assayDeep(a.Elem(), b.Elem())
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}
"""


def string(text: str) -> str:
    return '"' + escape(text, unicode="\\U{:08x}") + '"'


class Go(Target):
    language = "go"
    solution_file = "solution.go"
    tests_file = "solution_test.go"
    naming = "pascal"
    reserved = RESERVED
    check_pattern = r"\bt\.(?:Error|Errorf|Fatal|Fatalf|Fail|FailNow)\s*\("

    def type_name(self, t: Type) -> str:
        kind = t.kind
        if kind in ("int", "float", "str", "bool"):
            return {"int": "int", "float": "float64", "str": "string", "bool": "bool"}[kind]
        if kind == "list":
            return "[]" + self.type_name(t.args[0])
        if kind == "dict":
            return f"map[{self.type_name(t.args[0])}]{self.type_name(t.args[1])}"
        if kind in ("none", "optional"):
            raise Unsupported("None has no Go value without a pointer type")
        if kind == "tuple":
            raise Unsupported("a tuple inside a value has no Go type (it would need a struct)")
        raise Unsupported(f"no Go type for {t}")

    def results(self, t: Type) -> list[Type]:
        """A tuple result is several results; anything else one."""
        return list(t.args) if t.kind == "tuple" else [t]

    def value(self, v: Any, t: Type) -> str:
        kind = t.kind
        if kind == "int":
            return int_in_range(v, 64, "Go")
        if kind == "float":
            return float_literal(v)
        if kind == "str":
            return string(v)
        if kind == "bool":
            return "true" if v else "false"
        if kind == "list":
            items = ", ".join(self.value(x, t.args[0]) for x in v)
            return f"{self.type_name(t)}{{{items}}}"
        if kind == "dict":
            kt, vt = t.args
            items = ", ".join(f"{self.value(k, kt)}: {self.value(x, vt)}" for k, x in v.items())
            return f"{self.type_name(t)}{{{items}}}"
        return self.type_name(t)  # raises: what has no Go type has no value

    def require_types(self, function: Function) -> None:
        for param in function.params:
            self.require_type(function, f"parameter {param.name}", param.type)
        for result in self.results(function.returns):
            self.require_type(function, "result", result)

    def result_types(self, t: Type) -> str:
        parts = [self.type_name(r) for r in self.results(t)]
        return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ")"

    def signature(self, function: Function) -> str:
        params = ", ".join(f"{p.name} {self.type_name(p.type)}" for p in function.params)
        name = self.function_name(function.name)
        return f"func {name}({params}) {self.result_types(function.returns)}"

    def check(self, check: Check, function: Function) -> list[str]:
        call = self.call(check, function)
        results = self.results(function.returns)
        got = ", ".join(f"got{i}" if len(results) > 1 else "got" for i in range(len(results)))
        if check.kind in (EQUAL, NOT_EQUAL):
            expected = check.expected if len(results) > 1 else (check.expected,)
            want = [self.value(v, t) for v, t in zip(expected, results, strict=True)]
            names = got.split(", ")
            same = " && ".join(f"assayEqual({g}, {w})" for g, w in zip(names, want, strict=True))
            cond = f"!({same})" if check.kind == EQUAL else same
            shown = ", ".join(want)
            verb = "want" if check.kind == EQUAL else "want anything but"
            fmt = ", ".join(["%#v"] * len(names))
            return [
                f"if {got} := {call}; {cond} {{",
                f'\tt.Errorf("{_quoted(call)} = {fmt}, {verb} {_quoted(shown)}", {got})',
                "}",
            ]
        if check.kind in (TRUE, FALSE):
            cond = "!got" if check.kind == TRUE else "got"
            want = "true" if check.kind == TRUE else "false"
            return [
                f"if got := {call}; {cond} {{",
                f'\tt.Errorf("{_quoted(call)} = %v, want {want}", got)',
                "}",
            ]
        if check.kind == CLOSE:
            expected = float_literal(check.expected)
            tol, op = tolerance(check, "got", "math.Abs", "math.Max")
            negated = ">=" if op == "<" else ">"
            return [
                f"if got := {call}; math.Abs(got-{expected}) {negated} {tol} {{",
                f'\tt.Errorf("{_quoted(call)} = %v, want {expected} within {_quoted(tol)}", got)',
                "}",
            ]
        if check.kind in (IS_NONE, NOT_NONE):
            raise Unsupported("None has no Go value without a pointer type")
        raise Unsupported(f"a {check.kind} check")

    def tests(self, suite: Suite) -> str:
        body: list[str] = []
        taken: set[str] = set()
        for case in suite.cases:
            name = self.test_name(case, taken)
            body += ["", f"func {name}(t *testing.T) {{"]
            for check in case.checks:
                function = suite.functions[check.call.function]
                body += ["\t" + line for line in self.check(check, function)]
            body.append("}")
        text = "\n".join(body)
        imports = ['"math"'] if "math." in text else []
        imports += ['"reflect"', '"testing"']
        header = ["package solution", "", "import (", *(f"\t{i}" for i in imports), ")"]
        return "\n".join(header) + "\n" + text + "\n" + EQUAL_HELPER

    def test_name(self, case, taken: set[str]) -> str:
        base = "Test" + "".join(p[:1].upper() + p[1:] for p in case.name.split("_") if p)
        base = base if base != "Test" else "TestCase"
        base = "Test" + base[4:] if not base.startswith("TestTest") else base[4:]
        name, i = base, 2
        while name in taken:
            name, i = f"{base}{i}", i + 1
        taken.add(name)
        return name


def _quoted(text: str) -> str:
    """Code shown inside a Go format string: quotes escaped, % doubled."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")


TARGET = Go()
