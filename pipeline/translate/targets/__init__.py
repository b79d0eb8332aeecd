"""Writing a `Suite` (literals.py) as another language's tests: one small module per language.

Each module defines a `Target`: how the language names the solution's functions, how it writes
each type and literal value, how it states a check in its test framework, and the declarations
the teacher's translated solution must have (`signature`), which the translate prompt shows. A
value or type the language cannot carry (None in Go, a list of an int and a str in Rust, an int
past 2**53 in JavaScript) raises `Unsupported` naming it, and the sample takes the teacher route.

The file layout follows each language's conventions in the sandbox (`sandbox/languages/<name>`):
when a language is installed its `solution_file` and `tests_file` are used, else the ones below.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from pipeline.translate.literals import Case, Check, Function, Suite
from pipeline.translate.values import Type, Unsupported

# Target language -> its module here. Adding a language is a module and a line.
MODULES = {
    "javascript": "pipeline.translate.targets.javascript",
    "typescript": "pipeline.translate.targets.typescript",
    "go": "pipeline.translate.targets.go",
    "rust": "pipeline.translate.targets.rust",
    "java": "pipeline.translate.targets.java",
    "php": "pipeline.translate.targets.php",
    "cpp": "pipeline.translate.targets.cpp",
    "python": "pipeline.translate.targets.python",
}


class Target:
    """One language's way of writing tests. Subclasses fill the class attributes and the
    `type_name`, `value`, `check` and `tests` methods."""

    language: ClassVar[str] = ""
    solution_file: ClassVar[str] = ""
    tests_file: ClassVar[str] = ""
    naming: ClassVar[str] = "snake"  # snake | camel | pascal
    reserved: ClassVar[frozenset[str]] = frozenset()
    typed: ClassVar[bool] = True
    # What counts as one check in this language's tests (the teacher route's count).
    check_pattern: ClassVar[str] = ""
    comments: ClassVar[tuple[str, ...]] = (r"//[^\n]*", r"/\*.*?\*/")

    # --- names ------------------------------------------------------------------------------
    def function_name(self, name: str) -> str:
        parts = [p for p in name.split("_") if p]
        if self.naming == "camel" and parts:
            out = parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
        elif self.naming == "pascal":
            out = "".join(p[:1].upper() + p[1:] for p in parts)
        else:
            out = name
        if not out or out in self.reserved:
            raise Unsupported(f"the function name {name!r} is reserved in {self.language}")
        return out

    def names(self, functions: list[str]) -> dict[str, str]:
        """Source name -> this language's name, for the prompts (reserved names kept as they are:
        the teacher renames those)."""
        out = {}
        for name in functions:
            try:
                out[name] = self.function_name(name)
            except Unsupported:
                out[name] = name
        return out

    def test_name(self, case: Case, taken: set[str]) -> str:
        base = re.sub(r"\W", "_", case.name)
        name, i = base, 2
        while name in taken:
            name, i = f"{base}_{i}", i + 1
        taken.add(name)
        return name

    # --- what a subclass writes -----------------------------------------------------------------
    def type_name(self, t: Type) -> str:
        raise NotImplementedError

    def value(self, v: Any, t: Type) -> str:
        raise NotImplementedError

    def signature(self, function: Function) -> str:
        raise NotImplementedError

    def check(self, check: Check, function: Function) -> list[str]:
        raise NotImplementedError

    def tests(self, suite: Suite) -> str:
        raise NotImplementedError

    # --- shared -----------------------------------------------------------------------------
    def call(self, check: Check, function: Function) -> str:
        args = ", ".join(
            self.value(v, p.type) for v, p in zip(check.call.args, function.params, strict=True)
        )
        return f"{self.function_name(function.name)}({args})"

    def require_types(self, function: Function) -> None:
        """Typed languages: every parameter and the result need a known type here."""
        for param in function.params:
            self.require_type(function, f"parameter {param.name}", param.type)
        self.require_type(function, "result", function.returns)

    def require_type(self, function: Function, what: str, t: Type) -> None:
        if t.contains("mixed"):
            raise Unsupported(
                f"{function.name}'s {what} mixes types ({t}), which {self.language} cannot hold"
            )
        if not t.known:
            raise Unsupported(
                f"{function.name}'s {what} has no type: annotate it, or give the tests a "
                f"non-empty value ({t})"
            )
        self.type_name(t)

    def count_checks(self, tests: str) -> int:
        """How many checks tests in this language hold (comments left out)."""
        text = tests
        for pattern in self.comments:
            text = re.sub(pattern, "", text, flags=re.S)
        return len(re.findall(self.check_pattern, text))


def target(language: str) -> Target:
    """The target of `language`; Unsupported when no module writes its tests."""
    module = MODULES.get(language)
    if module is None:
        raise Unsupported(f"no mechanical test translation into {language}")
    return importlib.import_module(module).TARGET


@dataclass(frozen=True)
class Carried:
    """Tests carried over into a language, and what the solution must declare for them."""

    tests: str
    signatures: str
    checks: int
    names: dict[str, str]


def carry(suite: Suite, language: str) -> Carried:
    """`suite` as `language`'s tests; Unsupported with the reason when it cannot be."""
    out = target(language)
    functions = suite.called()
    if out.typed:
        for function in functions:
            out.require_types(function)
    tests = out.tests(suite)
    signatures = "\n".join(out.signature(f) for f in functions)
    names = {f.name: out.function_name(f.name) for f in functions}
    return Carried(tests=tests, signatures=signatures, checks=suite.checks, names=names)


# --- string literals ----------------------------------------------------------------------------


def escape(
    text: str,
    *,
    quote: str = '"',
    unicode: str,
    simple: dict[str, str] | None = None,
    astral: bool = False,
) -> str:
    """A string literal's body: printable ASCII as it is (backslash and the quote escaped), the
    usual control characters by their letters, anything else by `unicode` (a format of the code
    point, e.g. "\\u{{{:x}}}"; with `astral`, a code point past U+FFFF as its UTF-16 pair, for
    Java). A lone surrogate is Unsupported: no UTF-8 language holds it."""
    simple = simple if simple is not None else {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\\" or ch == quote:
            out.append("\\" + ch)
        elif ch in simple:
            out.append(simple[ch])
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif 0xD800 <= code <= 0xDFFF:
            raise Unsupported("a string with a lone surrogate")
        elif astral and code > 0xFFFF:
            high, low = divmod(code - 0x10000, 0x400)
            out.append(unicode.format(0xD800 + high) + unicode.format(0xDC00 + low))
        else:
            out.append(unicode.format(code))
    return "".join(out)


def int_in_range(v: int, bits: int, language: str) -> str:
    limit = 1 << (bits - 1)
    if not -limit <= v < limit:
        raise Unsupported(f"the integer {v} does not fit {language}'s {bits}-bit integers")
    return str(v)


def float_literal(v: float) -> str:
    """A float as every C-like language reads it: always with a point or an exponent."""
    text = repr(float(v))
    return text if any(c in text for c in ".e") else text + ".0"
