"""HumanEval-X C++ records as assay C++ samples (solution.hpp + doctest tests).

The record's test is a whole program: helper functions, then `int main(){ assert(...); ... }`,
judged by CodeGeeX as `g++ -std=c++11` and exit status 0, which an `exit(0)` anywhere in the
solution fools. Here the program's `main` becomes a function that one doctest test case calls and
that must return 0, and each `assert` becomes a `REQUIRE`: a failed assert is that test's failure
with the values it compared ("REQUIRE( 6 == 5 )"), not a bare abort, and the test passes only
when the whole former main ran to its end.

Three canonical solutions need libraries outside the standard one and fail to compile, as the
reference harness's do without them: CPP/22 and CPP/137 (Boost's any.hpp), CPP/162 (OpenSSL).
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.humaneval_x import ConversionError

NEEDS_LIBRARIES = {"CPP/22": "Boost", "CPP/137": "Boost", "CPP/162": "OpenSSL"}
ENTRY = "humaneval_x_main"
MAIN = re.compile(r"\bint\s+main\s*\(\s*(?:void\s*)?\)\s*\{")
_ASSERT_H = re.compile(r"^[^\S\n]*#\s*include\s*[<\"](?:assert\.h|cassert)[>\"][^\n]*$", re.M)
ASSERT_AS_REQUIRE = "#undef assert\n#define assert(...) REQUIRE(__VA_ARGS__)\n"


def convert(record: dict[str, Any], body: str) -> tuple[str, str]:
    """(solution.hpp, test_solution.cpp) of a record, with `body` as the function's body."""
    name = str(record.get("task_id", "humaneval-x"))
    return doctest_files(str(record["prompt"]) + body, str(record["test"]), name)


def doctest_files(source: str, test: str, name: str) -> tuple[str, str]:
    """(solution.hpp, test_solution.cpp): `source` as the header, and the program `test`, whose
    `int main()` becomes a function that one doctest test case, `name`, calls."""
    solution = "#pragma once\n" + source
    found = MAIN.search(test)
    if found is None:
        raise ConversionError(f"{name}: the test has no `int main()`")
    close = _closing_brace(test, found.end() - 1)
    if close is None:
        raise ConversionError(f"{name}: the test's main() has no closing brace")
    program = (
        test[: found.start()]
        + f"static int {ENTRY}() {{"
        + test[found.end() : close]
        + "    return 0;\n}"
        + test[close + 1 :]
    )
    # After the program's own #include <assert.h> (which defines assert anew), or at its top.
    includes = list(_ASSERT_H.finditer(program))
    cut = includes[-1].end() + 1 if includes else 0
    program = program[:cut] + ASSERT_AS_REQUIRE + program[cut:]
    tests = (
        '#include "solution.hpp"\n#include <doctest/doctest.h>\n'
        + program.rstrip()
        + f'\n\nTEST_CASE("{name}") {{\n    CHECK({ENTRY}() == 0);\n}}\n'
    )
    return solution, tests


def _closing_brace(text: str, opening: int) -> int | None:
    """The index of the brace that closes the one at `opening`, skipping strings, characters and
    comments."""
    depth = 0
    i = opening
    while i < len(text):
        c = text[i]
        if c in "\"'":
            i = _skip_literal(text, i)
            continue
        if text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                return None
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return None
            i = end + 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _skip_literal(text: str, start: int) -> int:
    quote = text[start]
    i = start + 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" else 1
    return i + 1
