"""The strength check's stub of a Java solution: every method's body returns at once.

tree-sitter's Java grammar finds each method with a body, in every class, interface, enum and
record of the solution (nested and anonymous classes outside method bodies included); its body
becomes, by what it returns: nothing (`void`), `false`, `0` (every numeric type and `char`), or
`null` (objects, arrays, type variables). Constructors, field initializers and lambdas stay as
they are. The result compiles wherever the solution did.

Reads text only; never compiles or runs the sample.
"""

from __future__ import annotations

from sandbox.languages.stubs import tree_sitter_parser

NUMERIC = ("integral_type", "floating_point_type")


def _parser():  # one per thread (`tree_sitter_parser`)
    return tree_sitter_parser("java")


def stub_solution(source: str) -> str | None:
    """The solution with every method stubbed; None when it has no method with a body."""
    data = source.encode("utf-8", "surrogatepass")
    tree = _parser().parse(data)
    edits: list[tuple[int, int, bytes]] = []
    _collect(tree.root_node, edits)
    if not edits:
        return None
    out = data
    for start, end, text in sorted(edits, reverse=True):
        out = out[:start] + text + out[end:]
    return out.decode("utf-8", "surrogatepass")


def _collect(node, edits: list[tuple[int, int, bytes]]) -> None:
    for child in node.children:
        if child.type == "method_declaration":
            body = child.child_by_field_name("body")
            if body is not None:
                edits.append((body.start_byte, body.end_byte, _stub_body(child)))
            continue  # nothing inside a method's body is stubbed on its own
        if child.type in ("constructor_declaration", "compact_constructor_declaration"):
            continue
        _collect(child, edits)


def _stub_body(method) -> bytes:
    returns = method.child_by_field_name("type")
    if method.child_by_field_name("dimensions") is not None:  # int f()[]
        return b"{ return null; }"
    kind = returns.type if returns is not None else "void_type"
    if kind == "void_type":
        return b"{ }"
    if kind == "boolean_type":
        return b"{ return false; }"
    if kind in NUMERIC:
        return b"{ return 0; }"
    return b"{ return null; }"
