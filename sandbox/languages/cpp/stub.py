"""The strength check's stub of a C++ solution: every function gives up at once, behind a switch.

tree-sitter's C++ grammar finds each function definition outside other functions' bodies (free
functions, templates, members defined in a class or outside it, in any namespace). Instead of a
second program to build, each gets a switch at the start of its body, asked of the harness
(`assay_stubbed()`, declared by the prelude, on when the test binary runs with the strength
check's variable set, `box/harness.cpp`). With the switch on it returns, by what it returns:

- nothing (void, constructors, destructors): `return;` (a constructor keeps its member
  initializers);
- a value of a type it names (before the name, after `->`, or a conversion operator's):
  `assay_stub_value<T>()` (`box/stub.hpp`), the value-initialised result (0, false, "", an empty
  container), or for a reference one to a value-initialised static; where T has no default
  constructor (or is abstract) that throws instead, so the stub compiles whatever T is;
- a pointer: `return {};`, nullptr;
- a deduced type (`auto`, `decltype(auto)`): nothing it could name before its first return, so it
  throws.

A `constexpr` function asks only outside constant evaluation (`__builtin_is_constant_evaluated`),
so it stays a constant expression. `[[noreturn]]` functions run as they are. The switch goes at
the end of the line of the body's `{` where nothing else is on it, else right after the brace:
lines keep their numbers (only the columns after the brace on that line shift). Reads text only;
never compiles or runs the sample. Does not stub lambdas stored in variables.
"""

from __future__ import annotations

from sandbox.languages.stubs import tree_sitter_parser, with_switches

SWITCH = "assay_stubbed()"
THROW = '{ throw std::logic_error("assay strength check: stubbed function"); }'


def parser():  # one per thread (`tree_sitter_parser`)
    return tree_sitter_parser("cpp")


def instrument(source: str) -> str | None:
    """The solution with the stub's switch in every function; None when it defines none."""
    data = source.encode("utf-8", "surrogatepass")
    edits: list[tuple[int, bytes]] = []
    _collect(parser().parse(data).root_node, data, edits)
    return with_switches(data, edits) if edits else None


def _collect(node, data: bytes, edits: list[tuple[int, bytes]]) -> None:
    for child in node.children:
        if child.type == "function_definition":
            body = child.child_by_field_name("body")
            if body is not None and body.type == "try_statement":  # a function-try-block
                body = body.child_by_field_name("body")
            if body is not None and body.type == "compound_statement":
                switch = _switch(child, data)
                if switch is not None:
                    edits.append((body.start_byte, switch.encode()))
            continue  # nothing inside a function body is stubbed on its own
        _collect(child, data, edits)


def _switch(function, data: bytes) -> str | None:
    declarator = function.child_by_field_name("declarator")
    head = data[function.start_byte : declarator.start_byte]
    if b"noreturn" in head:
        return None
    ask = SWITCH
    if b"constexpr" in head.split():
        ask = f"!__builtin_is_constant_evaluated() && {SWITCH}"
    return f" if ({ask}) {_stub_body(function, declarator, data)}"


def _stub_body(function, declarator, data: bytes) -> str:
    kind = function.child_by_field_name("type")
    if kind is None:  # constructor, destructor, conversion operator
        if declarator.type != "operator_cast":
            return "{ return; }"
        target, shape = (
            declarator.child_by_field_name("type"),
            declarator.child_by_field_name("declarator"),
        )
        if target is None or shape is None or shape.type != "abstract_function_declarator":
            return "{ return {}; }"  # operator T*(): nullptr
        return _value(_text(target, data))
    if declarator.type == "function_declarator":
        trailing = _trailing_return(declarator, data)
        if trailing is not None:
            return "{ return; }" if trailing == "void" else _value(trailing)
    if kind.type == "placeholder_type_specifier":
        return THROW
    type_text = _text(kind, data)
    if declarator.type == "reference_declarator":
        ref = "&&" if _text(declarator, data).lstrip().startswith("&&") else "&"
        return _value(type_text + ref)
    if declarator.type != "function_declarator":  # a pointer: nullptr
        return "{ return {}; }"
    return "{ return; }" if type_text == "void" else _value(type_text)


def _value(type_text: str) -> str:
    """Return T's stub value (`box/stub.hpp`): a default, or a throw where T has none."""
    return f"{{ return assay_stub_value<{type_text}>(); }}"


def _trailing_return(declarator, data: bytes) -> str | None:
    for child in declarator.children:
        if child.type == "trailing_return_type":
            return _text(child, data).removeprefix("->").strip()
    return None


def _text(node, data: bytes) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")
