"""MultiPL-E's test programs as one test of each language's framework (see pipeline.multipl_e).

Every converter takes a record and its completion (already cut at the stop tokens) and returns
(solution, tests). The solution is the prompt and the completion, what MultiPL-E runs before the
tests; the tests file holds the record's whole test program inside one test named by the record,
so that the test passes only when the program ran to its end, and an assertion that fails is
that test's failure with the framework's message (pytest's and node:assert's values, doctest's
REQUIRE, PHPUnit's assertSame on the values of PHP's failed check).

What MultiPL-E's programs look like (dataset_builder/humaneval_to_<code>.py): Python defines
`check(candidate)` and `test_check()` and calls it; JavaScript and TypeScript require
`node:assert`, define `test()` with `let candidate = f;` and `assert.deepEqual`s, and call it
(TypeScript first declares `require`); C++ starts with the `}` that closes the function (the
stop token `\\n}` cut it off) and then `int main() { auto candidate = f; assert(...); }`; PHP
defines `candidate(...$args)` and `test(): void` of `if (...) { throw new Exception("Test
failed!"); }`, and calls it.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.humaneval_x import ConversionError
from pipeline.humaneval_x_cpp import MAIN, doctest_files
from pipeline.humaneval_x_js import commonjs_solution, declared_names, js_string
from pipeline.multipl_e import entry_point

_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")


def _identifier(name: str) -> str:
    return _IDENTIFIER.sub("_", name)


def _indent(program: str, prefix: str) -> str:
    """Every line of `program` under `prefix`. MultiPL-E writes each literal on one line, so no
    multi-line string changes."""
    return "".join(prefix + line if line.strip() else line for line in program.splitlines(True))


def python(record: dict[str, Any], completion: str) -> tuple[str, str]:
    """solution.py and test_solution.py: the program in the body of one pytest test."""
    name, solution = record["name"], record["prompt"] + completion
    entry = entry_point(name)
    imports = "from solution import *  # noqa: F403\n"
    if entry and re.search(rf"^def {re.escape(entry)}\b", solution, re.M):
        imports += f"from solution import {entry}\n"
    tests = (
        f"{imports}\n\n"
        f"def test_{_identifier(name)}():\n"
        f'    """MultiPL-E\'s test program for {name}: it passes when the program ran to its end."""\n'
        + _indent(record["tests"].rstrip("\n") + "\n", "    ")
    )
    return solution, tests


_JS_TEST = """\
// MultiPL-E's test program for {name}, as one node:test test: it passes when the program ran to
// its end and every assertion held.
{header}
test({title}, () => {{
{program}}});
"""


def javascript(record: dict[str, Any], completion: str) -> tuple[str, str]:
    """solution.js (CommonJS, every top-level name exported) and solution.test.js."""
    name = record["name"]
    solution, names = commonjs_solution(record["prompt"] + completion, name)
    header = (
        'const { test } = require("node:test");\n'
        f'const {{ {", ".join(names)} }} = require("./solution.js");\n'
    )
    return solution, _node_test(name, header, record["tests"])


_DECLARE = re.compile(r"^declare\s[^\n]*\n?", re.M)


def typescript(record: dict[str, Any], completion: str) -> tuple[str, str]:
    """solution.ts (a module exporting every top-level name) and solution.test.ts. The program's
    ambient declarations (`declare var require: any;`) move to the top level of the tests file,
    the only place TypeScript allows them."""
    name = record["name"]
    source = record["prompt"] + completion
    names = declared_names(source, name)
    solution = source.rstrip("\n") + f"\n\nexport {{ {', '.join(names)} }};\n"
    program = record["tests"]
    declarations = "".join(m.group(0).rstrip("\n") + "\n" for m in _DECLARE.finditer(program))
    header = (
        'import { test } from "node:test";\n'
        f'import {{ {", ".join(names)} }} from "./solution";\n' + declarations
    )
    return solution, _node_test(name, header, _DECLARE.sub("", program))


def _node_test(name: str, header: str, program: str) -> str:
    return _JS_TEST.format(
        name=name,
        header=header,
        title=js_string(name),
        program=_indent(program.rstrip("\n") + "\n", "  "),
    )


def cpp(record: dict[str, Any], completion: str) -> tuple[str, str]:
    """solution.hpp and test_solution.cpp: the program's `main` becomes the doctest test (as for
    HumanEval-X). What precedes `main` in the tests (the function's closing brace) stays with the
    solution, as in MultiPL-E's program."""
    name, tests = record["name"], record["tests"]
    found = MAIN.search(tests)
    if found is None:
        raise ConversionError(f"{name}: the tests have no `int main()`")
    source = record["prompt"] + completion + "\n" + tests[: found.start()]
    return doctest_files(source, tests[found.start() :], name)


_PHP_TEST = """\
<?php
// MultiPL-E's test program for {name}, as one PHPUnit test: it passes when the program ran to
// its end. A failed check (MultiPL-E's `throw new Exception("Test failed!")`) fails it with the
// check and its values, which each check keeps in $GLOBALS["multipl_e_check"].
use PHPUnit\\Framework\\TestCase;

require_once __DIR__ . '/solution.php';

final class SolutionTest extends TestCase
{{
    public function test_{method}(): void
    {{
        $GLOBALS["multipl_e_check"] = null;
        try {{
{program}        }} catch (\\Exception $e) {{
            if ($e->getMessage() !== "Test failed!" || $e->getFile() !== __FILE__) {{
                throw $e;
            }}
            $where = "SolutionTest.php:" . $e->getLine();
            $check = $GLOBALS["multipl_e_check"];
            if (is_array($check) && $check[0] !== $check[1]) {{
                $this->assertSame($check[1], $check[0], "$where: expected $check[2]");
            }}
            $line = trim(file(__FILE__)[$e->getLine() - 1] ?? "");
            $this->fail("Test failed at $where: $line");
        }}
        $this->addToAssertionCount(1);
    }}
}}
"""
# MultiPL-E's check, one a line: `if (ACTUAL !== EXPECTED) { throw new Exception("Test failed!"); }`.
_PHP_CHECK = re.compile(
    r'^([ \t]*)if \((.*)\) \{ throw new Exception\("Test failed!"\); \}[ \t]*$', re.M
)


def _php_check(found: re.Match[str]) -> str:
    """The check with its values kept: the same operands, evaluated in the same order, compared
    the same way. A condition that does not split in one place stays as it is."""
    indent, condition = found.group(1), found.group(2)
    if condition.count(" !== ") != 1:
        return found.group(0)
    actual, expected = condition.split(" !== ")
    text = f"{actual} === {expected}".replace("\\", "\\\\").replace("'", "\\'")
    keep = f"($GLOBALS[\"multipl_e_check\"] = [{actual}, {expected}, '{text}'])"
    return (
        f'{indent}if ({keep}[0] !== $GLOBALS["multipl_e_check"][1])'
        ' { throw new Exception("Test failed!"); }'
    )


def php(record: dict[str, Any], completion: str) -> tuple[str, str]:
    """solution.php and SolutionTest.php: the program in the body of one PHPUnit test method (its
    functions are declared when the test runs)."""
    name = record["name"]
    solution = record["prompt"] + completion
    if not solution.lstrip().startswith("<?php"):
        raise ConversionError(f"{name}: the prompt does not start with <?php")
    program = _indent(_PHP_CHECK.sub(_php_check, record["tests"]).rstrip("\n") + "\n", " " * 12)
    tests = _PHP_TEST.format(name=name, method=_identifier(name), program=program)
    return solution, tests
