"""Python tests again: pytest functions over the same literals. A source in Python needs no
translation; this target writes the suite of a Python-like language (a plugin, the test language
`snake`) and shows what the other targets write, in the source's own terms."""

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
    count_checks,
)
from pipeline.translate.targets import Target
from pipeline.translate.values import Type, Unsupported


class Python(Target):
    language = "python"
    solution_file = "solution.py"
    tests_file = "test_solution.py"
    typed = False

    def count_checks(self, tests: str) -> int:
        return count_checks(tests)

    def type_name(self, t: Type) -> str:
        return str(t)

    def value(self, v: Any, t: Type) -> str:
        return repr(v)

    def signature(self, function: Function) -> str:
        params = ", ".join(p.name for p in function.params)
        return f"def {function.name}({params})"

    def check(self, check: Check, function: Function) -> list[str]:
        call = self.call(check, function)
        expected = repr(check.expected)
        if check.kind in (EQUAL, NOT_EQUAL):
            return [f"assert {call} {'==' if check.kind == EQUAL else '!='} {expected}"]
        if check.kind in (TRUE, FALSE, IS_NONE):
            return [f"assert {call} is {dict(true=True, false=False, none=None)[check.kind]}"]
        if check.kind == NOT_NONE:
            return [f"assert {call} is not None"]
        if check.kind == CLOSE:
            if check.scale == "both":
                return [
                    f"assert math.isclose({call}, {expected}, rel_tol={check.rel!r}, abs_tol={check.abs!r})"
                ]
            tol = max(check.rel * abs(check.expected), check.abs)
            return [f"assert abs({call} - {expected}) {'<' if check.strict else '<='} {tol!r}"]
        raise Unsupported(f"a {check.kind} check")

    def tests(self, suite: Suite) -> str:
        names = ", ".join(f.name for f in suite.called())
        lines = ["import math", "", f"from solution import {names}"]
        taken: set[str] = set()
        for case in suite.cases:
            lines += ["", "", f"def {self.test_name(case, taken)}():"]
            for check in case.checks:
                lines += [
                    "    " + line
                    for line in self.check(check, suite.functions[check.call.function])
                ]
        return "\n".join(lines) + "\n"


TARGET = Python()
