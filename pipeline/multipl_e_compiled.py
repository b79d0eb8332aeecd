"""MultiPL-E's Go, Rust and Java test programs as one test of each language's framework (see
pipeline.multipl_e and pipeline.multipl_e_langs for the other languages).

What MultiPL-E's programs look like (dataset_builder/humaneval_to_<code>.py):
- Go (`go_test.go`): the prompt is `package <name>_test`, an `import ( "testing" "fmt" )` block,
  a doc comment and the signature; the tests are `func TestXxx(t *testing.T)` with a table of
  `{ actual, expected }` checked in `t.Run` subtests by `fmt.Sprintf("%v")` and `t.Errorf`.
- Rust (`rs`): the prompt is a doc comment and the signature (after `use
  std::collections::HashMap;` where a type needs it); the tests are `}` (the stop token `\\n}` cut
  the function's closing brace) and `fn main() { let candidate = f; assert_eq!(...); }`.
- Java (`java`): the prompt is imports (`org.javatuples.*` among them), `class Problem {` and a
  `public static` method; the tests are `    }` (the stop token `\\n    }\\n` cut it), then
  `public static void main(String[] args) { assert(...); }` and the class's `}`, run with `java
  -ea`.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.humaneval_x import ConversionError
from pipeline.humaneval_x_go import IMPORT_PATH, go_file
from pipeline.humaneval_x_java import IMPORT as JAVA_IMPORT

_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")
_GO_PACKAGE = re.compile(r"^\s*package\s+\w+[^\S\n]*\n", re.M)
_GO_IMPORTS = re.compile(r"^import\s*(?:\([^)]*\)|\"[^\"\n]*\")[^\S\n]*\n?", re.M)
_GO_TEST = re.compile(r"^func\s+(Test\w*)\s*\(", re.M)


def _identifier(name: str) -> str:
    return _IDENTIFIER.sub("_", name)


def go(record: dict[str, Any], completion: str) -> tuple[str, str]:
    """solution.go and solution_test.go, both `package solution`: the prompt's imports go to the
    file that uses them (Go rejects an unused import, and the solution uses neither `testing`
    nor, usually, `fmt`), and the test function is renamed after the record. A completion can
    use only what the prompt imports, as in MultiPL-E's one file."""
    name, prompt, tests = record["name"], record["prompt"], record["tests"]
    found = _GO_TEST.search(tests)
    if found is None:
        raise ConversionError(f"{name}: the tests have no `func TestXxx(t *testing.T)`")
    if _GO_PACKAGE.search(prompt) is None:
        raise ConversionError(f"{name}: the prompt does not start with a `package` line")
    imports = [p for block in _GO_IMPORTS.findall(prompt) for p in IMPORT_PATH.findall(block)]
    code = _GO_IMPORTS.sub("", _GO_PACKAGE.sub("", prompt, count=1)).lstrip("\n")
    program = tests[: found.start(1)] + f"Test_{_identifier(name)}" + tests[found.end(1) :]
    header = f"// MultiPL-E's test program for {name}: one test function.\n"
    return go_file(code + completion, imports, ()), go_file(header + program, imports, ())


_RUST_MAIN = re.compile(r"^fn\s+main\s*\(\s*\)\s*\{", re.M)
_RUST_TEST = """\
#[cfg(test)]
mod tests {{
    use super::*;

    /// MultiPL-E's test program for {name}: it passes when `main`'s body ran to its end.
    #[test]
    #[allow(non_snake_case)]
    fn {function}() {{
{body}    }}
}}
"""


def rust(record: dict[str, Any], completion: str) -> tuple[str, str]:
    """solution.rs and tests.rs: everything before the program's `main` (the function's closing
    brace) stays with the solution; `main`'s body becomes one `#[test]`."""
    name, tests = record["name"], record["tests"]
    found = _RUST_MAIN.search(tests)
    end = tests.rstrip().rfind("}")
    if found is None or end < found.end():
        raise ConversionError(f"{name}: the tests have no `fn main() {{ ... }}`")
    solution = record["prompt"] + completion + "\n" + tests[: found.start()]
    body = _reindent(tests[found.end() : end], " " * 8)
    return solution.rstrip() + "\n", _RUST_TEST.format(
        name=name, function=_identifier(name), body=body
    )


_JAVA_MAIN = re.compile(
    r"^[^\S\n]*public\s+static\s+void\s+main\s*\(\s*String\s*\[\]\s*\w+\s*\)\s*\{", re.M
)
_JAVA_ASSERT = re.compile(r"^([^\S\n]*)assert\s*\((.*)\)\s*;[^\S\n]*$", re.M)
_JAVATUPLES_IMPORT = re.compile(r"^[^\S\n]*import\s+org\.javatuples\.\*\s*;[^\S\n]*\n?", re.M)
_JAVATUPLES = re.compile(
    r"\b(Unit|Pair|Triplet|Quartet|Quintet|Sextet|Septet|Octet|Ennead|Decade"
    r"|KeyValue|LabelValue)\b"
)
_JAVA_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_JAVA_TEST = """\
{imports}
import org.junit.jupiter.api.AssertionFailureBuilder;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.*;

// MultiPL-E's test program for {name}: `main`'s body as one test. A subclass reaches
// the problem's static methods as `main` did; `assert(x)` is a JUnit check of `x`.
class SolutionTest extends {cls} {{
    @Test
    void {method}() {{
{body}    }}
}}
"""
_JAVA_CLASS = re.compile(r"^\s*(?:final\s+)?class\s+(\w+)", re.M)


def java(record: dict[str, Any], completion: str) -> tuple[str, str]:
    """Solution.java (the prompt's class, ended) and SolutionTest.java: `main`'s body as one JUnit
    5 test. assay's box has no javatuples: its import is dropped when no code names it, and a
    record that uses it is a bad record (rejected here, with the class named)."""
    name, prompt, tests = record["name"], record["prompt"], record["tests"]
    found = _JAVA_MAIN.search(tests)
    end = tests.rstrip().rfind("}")
    close = tests.rfind("}", 0, end)
    cls = _JAVA_CLASS.search(prompt)
    if found is None or close < found.end():
        raise ConversionError(f"{name}: the tests have no `public static void main(String[] args)`")
    if cls is None:
        raise ConversionError(f"{name}: the prompt declares no class")
    prompt = _JAVATUPLES_IMPORT.sub("", prompt)
    used = _JAVATUPLES.search(_JAVA_COMMENT.sub("", prompt + completion + tests))
    if used is not None:
        raise ConversionError(
            f"{name}: uses {used.group(1)} from org.javatuples, which the Java sandbox does not"
            " have (the standard library and JUnit 5 only)"
        )
    solution = prompt + completion + "\n" + tests[: found.start()].rstrip() + "\n}\n"
    body = _JAVA_ASSERT.sub(_assert_true, tests[found.end() : close])
    imports = "\n".join(m.group(0).strip() for m in JAVA_IMPORT.finditer(prompt))
    test = _JAVA_TEST.format(
        imports=imports,
        name=name,
        cls=cls.group(1),
        method=_identifier(name),
        body=_reindent(body, " " * 8),
    )
    return solution, test


def _assert_true(found: re.Match[str]) -> str:
    """`assert(x);` as a JUnit check naming `x`. `assert(a == b)` and `assert(a.equals(b))`, the
    forms MultiPL-E writes, keep their two values (evaluated once, in order, compared as written)
    for JUnit's `expected: <b> but was: <a>`; any other check is `assertTrue(x, "x")`."""
    indent, check = found.group(1), found.group(2)
    text = '"' + check.replace("\\", "\\\\").replace('"', '\\"') + '"'
    skeleton = _skeleton(check)
    compared = _EQUALS.fullmatch(skeleton) or _SAME.fullmatch(skeleton)
    sides = compared and [check[compared.start(i) : compared.end(i)].strip() for i in (1, 2)]
    if not sides or not all(sides):
        return f"{indent}assertTrue({check}, {text});"
    actual, expected = sides
    test = "actual$.equals(expected$)" if compared.re is _EQUALS else "actual$ == expected$"
    return (
        f"{indent}{{ var actual$ = {actual}; var expected$ = {expected}; if (!({test})) {{"
        f" AssertionFailureBuilder.assertionFailure().message({text}).expected(expected$)"
        ".actual(actual$).buildAndThrow(); } }"
    )


# A check's text at its top level: what is inside brackets or literals is `#`.
_PLAIN = r"[\w.\s()\[\]#]*"
_SAME = re.compile(rf"({_PLAIN}?)==({_PLAIN})")
_EQUALS = re.compile(rf"({_PLAIN})\.equals\((#+)\)")


def _skeleton(check: str) -> str:
    out, depth, quote, escaped = [], 0, "", False
    for char in check:
        if quote:
            out.append("#")
            escaped, quote = (
                (not escaped and char == "\\"),
                ("" if char == quote and not escaped else quote),
            )
            continue
        if char in "([{":
            depth += 1
            out.append(char if depth == 1 else "#")
        elif char in ")]}":
            out.append(char if depth == 1 else "#")
            depth -= 1
        elif char in "\"'":
            quote = char
            out.append("#")
        else:
            out.append(char if depth == 0 else "#")
    return "".join(out)


def _reindent(body: str, prefix: str) -> str:
    """The lines of a function's body, blank ones dropped at its ends, under `prefix`."""
    lines = body.strip("\n").splitlines()
    return "".join(prefix + line.strip() + "\n" for line in lines if line.strip())
