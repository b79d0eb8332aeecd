"""A Rust sample's `crate::` paths, pointed at the module its solution is compiled as.

The crate root is assay's (`language.ROOT`): it names the harness as the test runner, and
crate-level attributes (`#![feature]`, `#![test_runner]`, `#![no_main]`) stay out of the
sample's hands. The solution is its module `solution`, the tests included at its end. A path
the sample starts at the crate (`use crate::add;`, `crate::helpers::f()`, `$crate::` in a
macro, `pub(in crate::m)`) means the solution, as in a crate of its own: each gets `::solution`
after `crate`, where private items resolve too (a glob re-export in the root would reach only
public ones), and the rest of that line's columns shift by 10. Lines keep their numbers.

Left as they are: `pub(crate)`, `extern crate`, `use crate as name`, macro patterns, strings and
comments, and `crate::m` where `m` is a `#[macro_export]` macro, which is at the crate root
(a function of the same name there is then not found). Reads text only.
"""

from __future__ import annotations

from sandbox.languages.rust.stub import parser

MODULE = "solution"
INSERT = f"::{MODULE}".encode()
ATTACHED = ("attribute_item", "line_comment", "block_comment")  # what may precede an item


def in_module(solution: str, tests: str) -> tuple[str, str]:
    """The solution and the tests with their `crate::` paths into the module `solution`."""
    if "crate" not in solution and "crate" not in tests:
        return solution, tests
    trees = []
    for source in (solution, tests):
        data = source.encode("utf-8", "surrogatepass")
        trees.append((data, parser().parse(data).root_node))
    exported = set().union(*(_exported_macros(root, data) for data, root in trees))
    solution, tests = (_rewritten(root, data, exported) for data, root in trees)
    return solution, tests


def _rewritten(root, data: bytes, exported: set[bytes]) -> str:
    edits = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "token_tree_pattern":  # what a macro matches: tokens, not paths
            continue
        if node.type == "crate" or (
            node.type == "metavariable" and _bytes(node, data) == b"$crate"
        ):
            after = node.next_sibling
            name = after.next_sibling if after is not None and after.type == "::" else None
            if name is not None and _bytes(name, data) not in exported:
                edits.append(node.end_byte)
        stack.extend(node.children)
    for at in sorted(edits, reverse=True):
        data = data[:at] + INSERT + data[at:]
    return data.decode("utf-8", "surrogatepass")


def _exported_macros(root, data: bytes) -> set[bytes]:
    """The names of `#[macro_export]` macros, wherever they are defined."""
    names = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "macro_definition":
            name = node.child_by_field_name("name")
            before = node.prev_named_sibling
            while name is not None and before is not None and before.type in ATTACHED:
                if before.type == "attribute_item" and b"macro_export" in _bytes(before, data):
                    names.add(_bytes(name, data))
                    break
                before = before.prev_named_sibling
        stack.extend(node.children)
    return names


def _bytes(node, data: bytes) -> bytes:
    return data[node.start_byte : node.end_byte]
