"""The strength check's stub of a Go solution: every function returns its zero values at once.

tree-sitter's Go grammar finds each top-level function and method. Instead of a second source
to build, each function gets a switch ahead of its body, on the same line: `{ if
assayStrengthCheckStub { return }; ...the original body }`. A bare `return` names nothing the
sample could shadow (a parameter `new`, a parameter `point` of type `point`, a package-level
`len`): the results are named for it where they are not (`(int, error)` becomes
`(assayStrengthCheckResult0 int, assayStrengthCheckResult1 error)`, which leaves the function's
type as it was), and a named result is its zero value on entry. Every insertion is followed by a
`/*line*/` directive, so that every position the compiler, vet and a panic's stack report is the
original's. `STUB_FILE` declares the switch, on in the strength check's run: the harness reads
it after the run's token (`Step.stub`) and, as it initialises before the sample's package, puts it
in the process's copy of the environment as `STUB_ENV`; `STUB_FILE`, the package's first file, so
its variables initialise before any other of the package's, reads it and clears it again, so no
test sees it (nor /proc/self/environ, which Go's copy never reaches). No name of the universe or
an unaliased import (a solution may declare its own `os`). One build serves the sample's run
(switch off: the original code) and the strength check's (switch on). `init` functions run as
they are. Reads text only; never compiles or runs the sample. Does not stub function literals
stored in package-level variables.

The stub's names share a prefix (`PREFIX`, `assayStrengthCheck`) that neither the solution nor
the tests contain anywhere (`prefix`: the first of `assayStrengthCheck`, `assayStrengthCheck1`,
... absent from both texts): a sample that declares the switch, a result's name or the import's
alias cannot break the instrumented build (which would skip the strength check), and tests
cannot name the switch to notice the stub's run.
"""

from __future__ import annotations

import re

from sandbox.languages.stubs import tree_sitter_parser

_VERSION = re.compile(r"^v\d+$")
PREFIX = "assayStrengthCheck"  # every name of the stub's starts with it (or with `prefix`'s)
SWITCH = PREFIX + "Stub"  # the names, with the usual prefix
RESULT = PREFIX + "Result"  # the names of results that have none, numbered
OS = PREFIX + "OS"
STUB_ENV = "ASSAY_STRENGTH_CHECK_STUB"
STUB_FILE = "assay_stub.go"
_SWITCH_DECLARED = re.compile(r"^var (\w+)Stub = ", re.M)


def stub_source(names: str = PREFIX) -> str:
    """The switch's file (`STUB_FILE`), its names starting with `names`."""
    return (
        "// The strength check's switch (assay): every function of the solution returns its zero\n"
        "// values at once when it is on.\n"
        "package solution\n\n"
        f'import {names}OS "os"\n\n'
        f'var {names}Stub = {names}OS.Getenv("{STUB_ENV}") == "1"\n'
        f'var {names}Cleared = {names}OS.Unsetenv("{STUB_ENV}")\n'
    )


def prefix(*texts: str) -> str:
    """The first of `assayStrengthCheck`, `assayStrengthCheck1`, ... that none of `texts`
    contains: no name of the sample's (nor any other text of it) starts with it."""
    found, n = PREFIX, 0
    while any(found in text for text in texts):
        n += 1
        found = f"{PREFIX}{n}"
    return found


def switch_prefix(stub_file: str) -> str | None:
    """The prefix of the names the switch's file (`stub_source`) declares."""
    found = _SWITCH_DECLARED.search(stub_file)
    return found[1] if found else None


def _parser():  # one per thread (`tree_sitter_parser`)
    return tree_sitter_parser("go")


def instrument(source: str, file: str = "solution.go", names: str | None = None) -> str | None:
    """The solution with the stub's switch in every function; None when it defines none. The
    stub's names start with `names`, by default the first `prefix` the source does not contain
    (one the source contains would not be the stub's own)."""
    names = prefix(source) if names is None else names
    if names in source:
        raise ValueError(f"the stub's names ({names}...) are the solution's own")
    data = source.encode("utf-8", "surrogatepass")
    edits: list[tuple[int, bytes]] = []
    for node in _parser().parse(data).root_node.children:
        if node.type not in ("function_declaration", "method_declaration"):
            continue
        body = node.child_by_field_name("body")
        name = node.child_by_field_name("name")
        if body is None or (node.type == "function_declaration" and _text(name, data) == "init"):
            continue
        edits += _named_results(node, file, names)
        # A line directive after the switch: the compiler, vet and stack traces then count the
        # rest of the line at its own column, as if the switch were not there.
        at = body.start_byte + 1  # after the opening brace
        switch = f" if {names}Stub {{ return }};{directive(file, body.start_point, after=1)}"
        edits.append((at, switch.encode()))
    if not edits:
        return None
    for at, text in sorted(edits, reverse=True):
        data = data[:at] + text + data[at:]
    return data.decode("utf-8", "surrogatepass")


def _named_results(function, file: str, names: str) -> list[tuple[int, bytes]]:
    """Names for the function's results where they have none, each followed by a directive
    that puts its type back at its own position; nothing where they are named already."""
    result_name = names + "Result"
    result = function.child_by_field_name("result")
    if result is None:
        return []
    if result.type != "parameter_list":  # `T` alone: `(name T)`
        return [
            (result.start_byte, f"({result_name}0 {directive(file, result.start_point)}".encode()),
            (result.end_byte, f"){directive(file, result.end_point)}".encode()),
        ]
    declarations = [c for c in result.named_children if c.type == "parameter_declaration"]
    if any(c.child_by_field_name("name") is not None for c in declarations):
        return []
    return [
        (c.start_byte, f"{result_name}{i} {directive(file, c.start_point)}".encode())
        for i, c in enumerate(declarations)
    ]


def directive(file: str, point: tuple[int, int], after: int = 0) -> str:
    """The `/*line*/` directive that gives what follows it the position of tree-sitter's
    `point` (0-based row and byte column), `after` bytes on."""
    return f"/*line {file}:{point[0] + 1}:{point[1] + 1 + after}*/"


def used_names(source: str) -> set[str]:
    """The names `source` uses as packages (`math` of `math.Abs`, `strings` of
    `strings.Builder`), outside its imports (HumanEval-X's import of what a file uses)."""
    data = source.encode("utf-8", "surrogatepass")
    used: set[str] = set()
    stack = [_parser().parse(data).root_node]
    while stack:
        node = stack.pop()
        if node.type == "import_spec":
            continue
        if node.type == "selector_expression":
            operand = node.child_by_field_name("operand")
            if operand is not None and operand.type == "identifier":
                used.add(_text(operand, data))
        elif node.type == "package_identifier" and node.parent.type != "package_clause":
            used.add(_text(node, data))
        stack.extend(node.children)
    return used


def package_name(path: str) -> str:
    """The name a package is imported as by default, guessed from its path as go tools do for
    the common layouts (math/rand: rand; gopkg.in/yaml.v3: yaml; example.com/m/v2: m)."""
    parts = path.strip('"`').split("/")
    last = parts[-1]
    if _VERSION.match(last) and len(parts) > 1:
        last = parts[-2]
    last = re.sub(r"\.v\d+$", "", last)
    return last.removeprefix("go-").removesuffix("-go").replace("-", "_")


def _text(node, data: bytes) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")
