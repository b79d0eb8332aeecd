"""C++ tests: doctest, one `TEST_CASE` per source test, against the header `solution.hpp`.

Types: int -> long long, float -> double, str -> std::string, bool -> bool, list ->
std::vector<T>, dict -> std::map<K, V>, tuple -> std::tuple<...>, Optional -> std::optional<T>.
Every literal is written with its type (`std::vector<long long>{1, 2}`), so overloads and
comparisons see the declared types. Strings are UTF-8: characters past ASCII are written as
octal bytes. doctest prints only what has an `operator<<`: the test file teaches it vectors, maps,
tuples and optionals (a `StringMaker` each), so a failed check shows both values.
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
from pipeline.translate.targets import Target, float_literal, int_in_range
from pipeline.translate.targets.javascript import tolerance
from pipeline.translate.values import Type, Unsupported

RESERVED = frozenset(
    """alignas alignof and and_eq asm auto bitand bitor bool break case catch char class compl
    const constexpr const_cast continue decltype default delete do double dynamic_cast else enum
    explicit export extern false float for friend goto if inline int long mutable namespace new
    noexcept not not_eq nullptr operator or or_eq private protected public register
    reinterpret_cast return short signed sizeof static static_assert static_cast struct switch
    template this thread_local throw true try typedef typeid typename union unsigned using virtual
    void volatile wchar_t while xor xor_eq main""".split()
)
PRINTERS = """
// How doctest shows the values of a failed check (it prints only what has an operator<<).
namespace doctest {
template <typename T>
struct StringMaker<std::vector<T>> {
    static String convert(const std::vector<T>& items) {
        String out = "{";
        for (std::size_t i = 0; i < items.size(); ++i) {
            out += (i ? ", " : "") + toString(items[i]);
        }
        return out + "}";
    }
};
template <typename K, typename V>
struct StringMaker<std::map<K, V>> {
    static String convert(const std::map<K, V>& items) {
        String out = "{";
        bool first = true;
        for (const auto& item : items) {
            out += (first ? "" : ", ") + toString(item.first) + ": " + toString(item.second);
            first = false;
        }
        return out + "}";
    }
};
template <typename T>
struct StringMaker<std::optional<T>> {
    static String convert(const std::optional<T>& value) {
        return value ? toString(*value) : String("nullopt");
    }
};
template <typename... T>
struct StringMaker<std::tuple<T...>> {
    static String convert(const std::tuple<T...>& items) {
        String out = "(";
        std::apply([&out](const auto&... item) {
            bool first = true;
            ((out += (first ? "" : ", ") + toString(item), first = false), ...);
        }, items);
        return out + ")";
    }
};
}  // namespace doctest
"""


def string(text: str) -> str:
    simple = {"\n": "\\n", "\t": "\\t", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
    out = []
    for ch in text:
        code = ord(ch)
        if ch in simple:
            out.append(simple[ch])
        elif 0x20 <= code < 0x7F and ch != "?":  # '?': no trigraph can start
            out.append(ch)
        elif 0xD800 <= code <= 0xDFFF:
            raise Unsupported("a string with a lone surrogate")
        else:
            out.extend(f"\\{b:03o}" for b in ch.encode("utf-8"))
    return 'std::string("' + "".join(out) + '")'


class Cpp(Target):
    language = "cpp"
    solution_file = "solution.hpp"
    tests_file = "test_solution.cpp"
    naming = "snake"
    reserved = RESERVED
    check_pattern = r"\b(?:CHECK|REQUIRE)(?:_[A-Z_]+)?\s*\("
    indent = "    "

    def type_name(self, t: Type) -> str:
        kind = t.kind
        if kind in ("int", "float", "str", "bool"):
            names = {"int": "long long", "float": "double", "str": "std::string", "bool": "bool"}
            return names[kind]
        if kind == "list":
            return f"std::vector<{self.type_name(t.args[0])}>"
        if kind == "dict":
            return f"std::map<{self.type_name(t.args[0])}, {self.type_name(t.args[1])}>"
        if kind == "tuple":
            return "std::tuple<" + ", ".join(self.type_name(a) for a in t.args) + ">"
        if kind == "optional":
            return f"std::optional<{self.type_name(t.args[0])}>"
        if kind == "none":
            raise Unsupported("a value that is always None (std::optional needs its type)")
        raise Unsupported(f"no C++ type for {t}")

    def value(self, v: Any, t: Type) -> str:
        kind = t.kind
        if kind == "optional":
            inner = "" if v is None else self.value(v, t.args[0])
            return f"{self.type_name(t)}{{{inner}}}"
        if kind == "int":
            text = int_in_range(v, 64, "C++")
            return f"{text}LL" if v >= 0 else f"({text}LL)"
        if kind == "float":
            return float_literal(v)
        if kind == "str":
            return string(v)
        if kind == "bool":
            return "true" if v else "false"
        if kind == "list":
            items = ", ".join(self.value(x, t.args[0]) for x in v)
            return f"{self.type_name(t)}{{{items}}}"
        if kind == "tuple":
            items = ", ".join(self.value(x, a) for x, a in zip(v, t.args, strict=True))
            return f"{self.type_name(t)}{{{items}}}"
        if kind == "dict":
            kt, vt = t.args
            pairs = ", ".join(f"{{{self.value(k, kt)}, {self.value(x, vt)}}}" for k, x in v.items())
            return f"{self.type_name(t)}{{{pairs}}}"
        return self.type_name(t)  # raises

    def signature(self, function: Function) -> str:
        params = ", ".join(f"{self.type_name(p.type)} {p.name}" for p in function.params)
        return f"{self.type_name(function.returns)} {function.name}({params});"

    def check(self, check: Check, function: Function) -> list[str]:
        call = self.call(check, function)
        t = function.returns
        if check.kind in (EQUAL, NOT_EQUAL):
            op = "==" if check.kind == EQUAL else "!="
            return [f"CHECK({call} {op} {self.value(check.expected, t)});"]
        if check.kind == TRUE:
            return [f"CHECK({call});"]
        if check.kind == FALSE:
            return [f"CHECK_FALSE({call});"]
        if check.kind in (IS_NONE, NOT_NONE):
            if t.kind != "optional":
                raise Unsupported(f"an `is None` check of a {t}")
            how = "CHECK_FALSE" if check.kind == IS_NONE else "CHECK"
            return [f"{how}({call}.has_value());"]
        if check.kind == CLOSE:
            expected = float_literal(check.expected)
            tol, op = tolerance(check, "actual", "std::abs", "std::max")
            return [
                "{",
                f"    const double actual = {call};",
                f"    CHECK_MESSAGE(std::abs(actual - {expected}) {op} {tol}, "
                f'actual, " is not close to {expected}");',
                "}",
            ]
        raise Unsupported(f"a {check.kind} check")

    def tests(self, suite: Suite) -> str:
        body: list[str] = []
        taken: set[str] = set()
        for case in suite.cases:
            body += ["", f'TEST_CASE("{self.test_name(case, taken)}") {{']
            for check in case.checks:
                function = suite.functions[check.call.function]
                body += [self.indent + line for line in self.check(check, function)]
            body.append("}")
        headers = ["<cmath>", "<map>", "<optional>", "<string>", "<tuple>", "<vector>"]
        lines = ['#include "solution.hpp"', "", "#include <doctest/doctest.h>", ""]
        lines += [f"#include {h}" for h in headers]
        return "\n".join(lines) + "\n" + PRINTERS + "\n".join(body) + "\n"


TARGET = Cpp()
