"""The strength check's stub of a Rust solution: every function returns a default value at once.

tree-sitter's Rust grammar finds each function (free, in `impl` and `trait` blocks, in modules;
not those nested in another function's body). Instead of a second source to build, each gets a
switch at the start of its body, asked of the harness (`assay_harness::stubbed()`, on when the
test binary runs with the strength check's variable set):

- `-> T`: `return (&&Pick::<T>::new()).value();`: `T::default()` where T has a Default (0,
  false, "", empty collections, None, tuples of those), a panic where it has none (method
  resolution picks between the two: `box/harness.rs`, `stub`);
- no return type: `return;`; `-> impl Trait`: a panic.

A `const fn` cannot call the switch: its `const` becomes five spaces (every position stays), and
it gets the switch as any function. Where a constant context calls it (a `const` or `static`
item, an array length), that build fails with E0015, and the sample runs again without the
strength check (`Rust.stub_broke_compile`). `-> !` runs as it is. The switch goes at the end of
the line of the body's `{` where nothing else is on it, else right after the brace (the rest of
that line's columns then shift). Reads text only; never compiles or runs the sample.
"""

from __future__ import annotations

from sandbox.languages.stubs import tree_sitter_parser, with_switches

ASK = "::assay_harness::stubbed()"
TRAITS = "#[allow(unused_imports)] use ::assay_harness::stub::{ByDefault as _, ByPanic as _};"
PANIC = 'panic!("assay strength check: a stubbed function")'
CONTAINERS = ("source_file", "declaration_list", "impl_item", "trait_item", "mod_item")


def parser():  # one per thread (`tree_sitter_parser`)
    return tree_sitter_parser("rust")


def instrument(source: str) -> str | None:
    """The solution with the stub's switch in every function; None when it defines none."""
    data = source.encode("utf-8", "surrogatepass")
    edits: list[tuple[int, bytes]] = []
    consts: list[int] = []
    _collect(parser().parse(data).root_node, data, edits, consts)
    for at in consts:  # `const` to five spaces: the same length, every position kept
        data = data[:at] + b" " * len(b"const") + data[at + len(b"const") :]
    return with_switches(data, edits) if edits else None


def _collect(node, data: bytes, edits: list[tuple[int, bytes]], consts: list[int]) -> None:
    for child in node.children:
        if child.type == "function_item":
            switch = _switch(child, data)
            body = child.child_by_field_name("body")
            if switch is not None and body is not None:
                edits.append((body.start_byte, switch.encode()))
                consts += _const_keywords(child)
        elif child.type in CONTAINERS:
            _collect(child, data, edits, consts)


def _const_keywords(function) -> list[int]:
    """Where the function's `const` keyword starts, if it is a `const fn`."""
    return [
        token.start_byte
        for modifiers in function.children
        if modifiers.type == "function_modifiers"
        for token in modifiers.children
        if token.type == "const"
    ]


def _switch(function, data: bytes) -> str | None:
    result = function.child_by_field_name("return_type")
    if result is None:
        return f" if {ASK} {{ return; }}"
    kind = _bytes(result, data).decode("utf-8", "replace").strip()
    if kind == "!":
        return None
    if result.type == "abstract_type" or "impl " in kind:
        return f" if {ASK} {{ {PANIC} }}"
    value = f"(&&::assay_harness::stub::Pick::<{kind}>::new()).value()"
    return f" if {ASK} {{ {TRAITS} return {value}; }}"


def _bytes(node, data: bytes) -> bytes:
    return data[node.start_byte : node.end_byte]
