"""A sample's own definitions of what the test harness provides: `main`, and doctest's
implementation (`DOCTEST_CONFIG_IMPLEMENT*`). Trusted side; reads text, never compiles.

`main` counts only as a global function, defined or declared (at the top level, in `extern "C"`,
or in a preprocessor conditional): tree-sitter's C++ grammar tells it from a member function
`main`, a `main` in a namespace, and `int main()` inside a comment or a string literal. Where the
grammar cannot parse the code around a `main` (an `ERROR` node) it is not reported here: the link
then rejects it (`multiple definition of main`, at `compile`). The `#define` is matched by line,
with comments and string, character and raw string literals blanked first, so a directive the
parser misplaces is still found.
"""

from __future__ import annotations

import re

from sandbox.languages.cpp.stub import parser

MAIN, IMPLEMENT = "main", "DOCTEST_CONFIG_IMPLEMENT"
_IMPLEMENT = re.compile(r"^[^\S\n]*#\s*define\s+DOCTEST_CONFIG_IMPLEMENT\w*", re.M)
_OPAQUE = frozenset({"comment", "string_literal", "raw_string_literal", "char_literal"})
# What a declaration can sit in and still be in the global namespace (besides extern "C").
_GLOBAL = frozenset(
    {"preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef"}
)
_WRAPPERS = frozenset(
    {
        "parenthesized_declarator",
        "pointer_declarator",
        "reference_declarator",
        "attributed_declarator",
    }
)


def harness_definitions(source: str) -> list[tuple[str, int, int]]:
    """(`MAIN` or `IMPLEMENT`, line, column), 1-based, in the order of the source."""
    if MAIN not in source and IMPLEMENT not in source:  # most samples: nothing to parse for
        return []
    data = source.encode("utf-8", "surrogatepass")
    root = parser().parse(data).root_node
    found = [(MAIN, *_position(node)) for node in _global_mains(root)]
    blank = _blanked(root, data).decode("utf-8", "surrogatepass")
    for match in _IMPLEMENT.finditer(blank):
        found.append((IMPLEMENT, blank.count("\n", 0, match.start()) + 1, 1))
    return sorted(found, key=lambda item: item[1:])


def _global_mains(scope):
    """Declarations and definitions of `main` in `scope` and the global scopes inside it."""
    for child in scope.children:
        if _declares_main(child):
            yield child
        elif child.type in _GLOBAL:
            yield from _global_mains(child)
        elif child.type == "linkage_specification":  # extern "C" { ... } or extern "C" int ...
            body = child.child_by_field_name("body")
            if body is not None and body.type == "declaration_list":
                yield from _global_mains(body)
            elif body is not None and _declares_main(body):
                yield body


def _declares_main(node) -> bool:
    return node.type in ("function_definition", "declaration") and any(
        map(_is_main, node.children_by_field_name("declarator"))
    )


def _is_main(declarator) -> bool:
    while declarator is not None and declarator.type in _WRAPPERS:
        declarator = declarator.child_by_field_name("declarator") or declarator.named_children[-1]
    if declarator is None or declarator.type != "function_declarator":
        return False
    name = declarator.child_by_field_name("declarator")
    while name is not None and name.type == "parenthesized_declarator":
        name = name.named_children[0] if name.named_children else None
    return name is not None and name.type == "identifier" and name.text == b"main"


def _position(node) -> tuple[int, int]:
    row, column = node.start_point
    return row + 1, column + 1


def _blanked(root, data: bytes) -> bytes:
    """The source with every comment and literal's bytes spaces, its newlines kept."""
    out = bytearray(data)
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in _OPAQUE:
            for i in range(node.start_byte, node.end_byte):
                if out[i] != 0x0A:
                    out[i] = 0x20
        else:
            stack.extend(node.children)
    return bytes(out)
