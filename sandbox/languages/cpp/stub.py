"""The strength check's stub of a C++ solution: every function's body gives up at once.

tree-sitter's C++ grammar finds each function definition outside other functions' bodies (free
functions, templates, members defined in a class or outside it, in any namespace); its body
becomes, by what the function returns:

- nothing (void, constructors, destructors): `{}` (a constructor keeps its member initializers);
- a value: `{ return {}; }`, the value-initialised result (0, false, "", an empty container);
- a reference: a reference to a value-initialised static of the type;
- a deduced type (`auto`, `decltype(auto)`): the default of the type the original body returns
  (the body inside a lambda that is never called, only asked its type), or, where the body names
  the function itself (recursion needs its own deduced type), a throw ahead of the body.

Reads text only; never compiles or runs the sample. Does not stub lambdas stored in variables.
"""

from __future__ import annotations

import threading

_local = threading.local()
PREAMBLE = "#include <stdexcept>\n#include <type_traits>\n"
THROW = 'throw std::logic_error("assay strength check: stubbed function");'


def _parser():  # one per thread: a tree-sitter parser is not thread-safe
    parser = getattr(_local, "parser", None)
    if parser is None:
        import tree_sitter_cpp
        from tree_sitter import Language, Parser

        parser = _local.parser = Parser(Language(tree_sitter_cpp.language()))
    return parser


def stub_solution(source: str) -> str | None:
    """The solution with every function stubbed; None when it defines no function."""
    data = source.encode("utf-8", "surrogatepass")
    tree = _parser().parse(data)
    edits: list[tuple[int, int, bytes]] = []
    _collect(tree.root_node, data, edits)
    if not edits:
        return None
    out = data
    for start, end, text in sorted(edits, reverse=True):
        out = out[:start] + text + out[end:]
    return _with_preamble(out.decode("utf-8", "surrogatepass"))


def _collect(node, data: bytes, edits: list[tuple[int, int, bytes]]) -> None:
    for child in node.children:
        if child.type == "function_definition":
            body = child.child_by_field_name("body")
            if body is not None:
                edits.append((body.start_byte, body.end_byte, _stub_body(child, body, data)))
            continue  # nothing inside a function body is stubbed on its own
        _collect(child, data, edits)


def _stub_body(function, body, data: bytes) -> bytes:
    kind = function.child_by_field_name("type")
    declarator = function.child_by_field_name("declarator")
    if kind is None:  # constructor, destructor, conversion operator
        return b"{ return {}; }" if declarator.type == "operator_cast" else b"{}"
    type_text = _text(kind, data)
    trailing = _trailing_return(declarator, data)
    if declarator.type == "reference_declarator":
        if kind.type == "placeholder_type_specifier":
            return _throw_ahead(body, data)
        ref = "&&" if _text(declarator, data).lstrip().startswith("&&") else "&"
        cast = f"static_cast<{type_text}{ref}>(assay_stub_value)"
        return f"{{ static {type_text} assay_stub_value{{}}; return {cast}; }}".encode()
    if declarator.type != "function_declarator":  # a pointer: nullptr
        return b"{ return {}; }"
    if trailing is not None:
        return b"{}" if trailing == "void" else b"{ return {}; }"
    if type_text == "void":
        return b"{}"
    if kind.type == "placeholder_type_specifier":
        name = _name(declarator, data)
        if name and name.encode() in data[body.start_byte : body.end_byte]:
            return _throw_ahead(body, data)
        return (
            b"{ auto assay_stub_original = [&]() "
            + data[body.start_byte : body.end_byte]
            + b"; using assay_stub_result = decltype(assay_stub_original());"
            b" if constexpr (std::is_void_v<assay_stub_result>) return;"
            b" else return assay_stub_result{}; }"
        )
    return b"{ return {}; }"


def _throw_ahead(body, data: bytes) -> bytes:
    """A throw, then the original body: its return statements still give the deduced type."""
    inner = data[body.start_byte : body.end_byte]
    if body.type != "compound_statement":
        return b"{ " + THROW.encode() + b" }"
    return b"{ " + THROW.encode() + b" " + inner[1:]


def _trailing_return(declarator, data: bytes) -> str | None:
    for child in declarator.children:
        if child.type == "trailing_return_type":
            return _text(child, data).removeprefix("->").strip()
    return None


def _name(declarator, data: bytes) -> str:
    inner = declarator.child_by_field_name("declarator")
    if inner is None:
        return ""
    return _text(inner, data).rsplit("::", 1)[-1].strip()


def _text(node, data: bytes) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _with_preamble(text: str) -> str:
    """The headers the stubs use, after a leading `#pragma once` (the first line of a header)."""
    head, sep, rest = text.partition("#pragma once")
    if sep and not head.strip():
        return head + sep + "\n" + PREAMBLE + rest.removeprefix("\n")
    return PREAMBLE + text
