"""Mechanical test translation, table-driven over literal kinds x target languages, run for real.

Each kind is a function `pick_<kind>(a: T, b: T) -> T` and a Python test `assert pick(A, B) == A`
(or `is True`, `is None`, `math.isclose`, `!=`, a truth value), A and B two values of the kind that
differ somewhere deep inside. For every language the kinds it cannot carry are refused with a
reason (REFUSED); the others are written as one test file, compiled and run with the language's
real toolchain against a correct solution (`return a`: every test passes) and a wrong one
(`return b`: every test fails). So each kind's values are written correctly both as arguments and
as expected values, and each check tells them apart.
"""

from __future__ import annotations

import pytest

from pipeline.translate.literals import read_suite
from pipeline.translate.targets import carry, target
from pipeline.translate.values import Unsupported
from tests.pipeline import translate_toolchains as toolchains

LANGUAGES = ["javascript", "typescript", "go", "rust", "java", "php", "cpp", "python"]

# kind: (annotation, A, B, the assert of the Python test, with {call} for pick_<kind>(A, B))
KINDS = {
    "int": ("int", "7", "-12", "{call} == 7"),
    "big_int": ("int", "-1099511627776", "1099511627776", "{call} == -1099511627776"),
    "huge_int": ("int", "1152921504606846976", "3", "{call} == 1152921504606846976"),
    "float": ("float", "2.5", "-0.125", "{call} == 2.5"),
    "float_close": ("float", "0.30000000000000004", "0.31", "math.isclose({call}, 0.3)"),
    "float_abs": ("float", "1e-07", "0.001", "abs({call} - 0.0) < 1e-06"),
    "int_as_float": ("float", "2", "3", "{call} == 2.0"),
    "str": ("str", '"hello"', '"hellO"', '{call} == "hello"'),
    "str_escapes": (
        "str",
        r'"tab\there\nq\"b\\s $v {x} %d \x01 \u00e9\u2603 \U0001F600"',
        r'"tab\there\nq\"b\\s $v {x} %d \x01 \u00e9\u2603 \U0001F601"',
        r'{call} == "tab\there\nq\"b\\s $v {x} %d \x01 \u00e9\u2603 \U0001F600"',
    ),
    "bool": ("bool", "True", "False", "{call} is True"),
    "truthy": ("bool", "False", "True", "not {call}"),
    "list": ("list[int]", "[1, 2, 3]", "[1, 2, 4]", "{call} == [1, 2, 3]"),
    "empty_list": ("list[int]", "[]", "[0]", "{call} == []"),
    "nested_list": (
        "list[list[str]]",
        '[["a", "b"], []]',
        '[["a"], ["b"]]',
        '{call} == [["a", "b"], []]',
    ),
    "float_list": ("list[float]", "[1, 2.5]", "[1, 2.25]", "{call} == [1.0, 2.5]"),
    "dict": (
        "dict[str, int]",
        '{"a": 1, "b": 2}',
        '{"a": 1, "b": 3}',
        '{call} == {"b": 2, "a": 1}',
    ),
    "int_keys": ("dict[int, str]", '{1: "x", -2: "y"}', '{1: "x"}', '{call} == {1: "x", -2: "y"}'),
    "dict_of_lists": (
        "dict[str, list[int]]",
        '{"k": [1]}',
        '{"k": [2]}',
        '{call} == {"k": [1]}',
    ),
    "tuple": ("tuple[int, str]", '(1, "x")', '(1, "y")', '{call} == (1, "x")'),
    "none": ("Optional[int]", "None", "5", "{call} is None"),
    "optional_value": ("Optional[int]", "4", "None", "{call} == 4"),
    "not_equal": ("int", "1", "2", "{call} != 2"),
    "mixed_list": ("list", '[1, "a"]', '[1, "b"]', '{call} == [1, "a"]'),
}

REFUSED = {
    "javascript": {"huge_int"},
    "typescript": {"huge_int", "mixed_list"},
    "go": {"none", "optional_value", "tuple", "mixed_list"},
    "rust": {"mixed_list"},
    "java": {"tuple", "mixed_list"},
    "php": set(),
    "cpp": {"mixed_list"},
    "python": set(),
}


def python_sample(kinds: list[str]) -> tuple[str, str]:
    solution = ["from typing import Optional", ""]
    tests = ["import math", "", "from solution import *  # noqa: F403", ""]
    for kind in kinds:
        annotation, a, b, check = KINDS[kind]
        solution += [f"def pick_{kind}(a: {annotation}, b: {annotation}) -> {annotation}:",
                     "    return a", ""]  # fmt: skip
        call = f"pick_{kind}({a}, {b})"
        tests += [f"def test_{kind}():", f"    assert {check.replace('{call}', call)}", ""]
    return "\n".join(solution), "\n".join(tests)


def solution_in(language: str, suite, body: str) -> str:
    """A solution that returns its parameter `body` ("a" or "b"), declared as the prompt says."""
    out = target(language)
    functions = suite.called()
    if language == "javascript":
        code = [
            f"function {out.function_name(f.name)}(a, b) {{ return {body}; }}" for f in functions
        ]
        names = ", ".join(out.function_name(f.name) for f in functions)
        return "\n".join(code) + f"\nmodule.exports = {{ {names} }};\n"
    if language == "python":
        return "\n".join(f"def {f.name}(a, b):\n    return {body}\n" for f in functions)
    decls = [out.signature(f) for f in functions]
    if language == "typescript":
        return "\n".join(f"{d} {{ return {body}; }}" for d in decls) + "\n"
    if language == "go":
        return (
            "package solution\n\n" + "\n".join(f"{d} {{\n\treturn {body}\n}}" for d in decls) + "\n"
        )
    if language == "rust":
        lines = ["#![allow(unused)]", "use std::collections::HashMap;"]
        return "\n".join(lines + [f"{d} {{ {body} }}" for d in decls]) + "\n"
    if language == "java":
        methods = [f"    {d.split('  (')[0]} {{ return {body}; }}" for d in decls]
        return "import java.util.*;\n\nclass Solution {\n" + "\n".join(methods) + "\n}\n"
    if language == "php":
        return "<?php\n\n" + "\n".join(f"{d} {{ return ${body}; }}" for d in decls) + "\n"
    if language == "cpp":
        headers = "#pragma once\n#include <map>\n#include <optional>\n#include <string>\n"
        headers += "#include <tuple>\n#include <vector>\n\n"
        return (
            headers
            + "\n".join(f"{d.rstrip(';')} {{ (void)a; (void)b; return {body}; }}" for d in decls)
            + "\n"
        )
    raise AssertionError(language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_kind_is_carried_or_refused_with_a_reason(language):
    carried = []
    for kind in KINDS:
        suite = read_suite(*python_sample([kind]))
        if kind in REFUSED[language]:
            with pytest.raises(Unsupported) as refused:
                carry(suite, language)
            assert str(refused.value), kind  # the reason is recorded, never empty
        else:
            result = carry(suite, language)
            assert result.checks == 1 and target(language).count_checks(result.tests) >= 1
            carried.append(kind)
    assert set(carried) | REFUSED[language] == set(KINDS)


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
def test_carried_tests_pass_a_right_solution_and_fail_a_wrong_one(language, tmp_path):
    if (reason := toolchains.missing(language)) is not None:
        pytest.skip(reason)
    kinds = [k for k in KINDS if k not in REFUSED[language]]
    suite = read_suite(*python_sample(kinds))
    carried = carry(suite, language)
    assert carried.checks == len(kinds)

    right = toolchains.run(
        language, solution_in(language, suite, "a"), carried.tests, str(tmp_path / "right")
    )
    assert len(right) == len(kinds), right
    assert all(right.values()), {name: ok for name, ok in right.items() if not ok}

    wrong = toolchains.run(
        language, solution_in(language, suite, "b"), carried.tests, str(tmp_path / "wrong")
    )
    assert len(wrong) == len(kinds), wrong
    assert not any(wrong.values()), {name: ok for name, ok in wrong.items() if ok}
