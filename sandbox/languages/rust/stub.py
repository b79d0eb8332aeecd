"""The strength check's stub of a Rust solution: every function returns a default value at once.

tree-sitter's Rust grammar finds each function (free, in `impl` and `trait` blocks, in modules;
not those nested in another function's body). Instead of a second source to build, each gets a
switch at the start of its body, asked of the harness (`box/harness.rs`, `stub`; on when the
test binary runs with the strength check's variable set), by absolute paths only:

- `-> T`: `return ::assay_harness::stub::value();`: `T::default()` where T has a Default (0,
  false, "", empty collections, None, tuples of those), a panic where it has none. The type is
  never written in the body (the harness picks by specialization where the function is
  instantiated): a type of the same name declared in the body cannot make the switch another's;
- no return type: `return;`; `-> impl Trait`: `::assay_harness::stub::fail()`, a panic;
- `-> !` runs as it is, and so does a body with nothing in it (nothing to stub; a switch there
  would be the body's last expression, which clippy's `needless_return` names).

Nothing is imported and nothing is `#[allow]`ed, so no lint level the sample sets (a crate that
forbids `unused_imports` or `warnings`) can refuse the switch. Every function the switch calls is
a `const fn`, and a `const fn` keeps its `const`: a constant (a `const` or `static` item, an array
length) that calls it still compiles, and the compiler evaluates it with the switch off (the
constant keeps the solution's value). On its early return a `const fn` first hands its arguments
to `stub::keep` (a `const fn` cannot drop them); where an argument is a pattern (`(a, b): (i32,
i32)`), the switch is `fail()` instead, which drops nothing. The switch goes at the end of the
line of the body's `{` where nothing else is on it, else right after the brace (the rest of that
line's columns then shift). Reads text only; never compiles or runs the sample.
"""

from __future__ import annotations

from sandbox.languages.stubs import tree_sitter_parser, with_switches

STUB = "::assay_harness::stub"
ASK = f"{STUB}::on()"
VALUE = f"return {STUB}::value();"
FAIL = f"{STUB}::fail()"
CONTAINERS = ("source_file", "declaration_list", "impl_item", "trait_item", "mod_item")
QUIET = ("line_comment", "block_comment")  # what an empty body may hold


def parser():  # one per thread (`tree_sitter_parser`)
    return tree_sitter_parser("rust")


def instrument(source: str) -> str | None:
    """The solution with the stub's switch in every function; None when no function has one (it
    defines none, or only empty ones and ones that return `!`)."""
    data = source.encode("utf-8", "surrogatepass")
    edits: list[tuple[int, bytes]] = []
    _collect(parser().parse(data).root_node, data, edits)
    return with_switches(data, edits) if edits else None


def _collect(node, data: bytes, edits: list[tuple[int, bytes]]) -> None:
    for child in node.children:
        if child.type == "function_item":
            body = child.child_by_field_name("body")
            switch = None if body is None else _switch(child, body, data)
            if switch is not None:
                edits.append((body.start_byte, switch.encode()))
        elif child.type in CONTAINERS:
            _collect(child, data, edits)


def _switch(function, body, data: bytes) -> str | None:
    result = function.child_by_field_name("return_type")
    kind = "" if result is None else _bytes(result, data).decode("utf-8", "replace").strip()
    if kind == "!" or all(part.type in QUIET for part in body.named_children):
        return None
    if result is not None and (result.type == "abstract_type" or "impl " in kind):
        return f" if {ASK} {{ {FAIL} }}"
    done = "return;" if kind in ("", "()") else VALUE
    if _is_const(function):
        names = _argument_names(function)
        if names is None:
            return f" if {ASK} {{ {FAIL} }}"
        if names:
            done = f"{STUB}::keep(({', '.join(names)},)); {done}"
    return f" if {ASK} {{ {done} }}"


def _is_const(function) -> bool:
    return any(
        token.type == "const"
        for modifiers in function.children
        if modifiers.type == "function_modifiers"
        for token in modifiers.children
    )


def _argument_names(function) -> list[str] | None:
    """The names a function's parameters bind (`self` too), or None where one is a pattern."""
    parameters = function.child_by_field_name("parameters")
    names: list[str] = []
    for parameter in parameters.named_children if parameters is not None else ():
        if parameter.type == "self_parameter":
            names.append("self")
        elif parameter.type == "parameter":
            pattern = parameter.child_by_field_name("pattern")
            if pattern is None or pattern.type not in ("identifier", "self"):
                return None
            names.append(pattern.text.decode("utf-8", "surrogatepass"))
        elif parameter.type not in QUIET and parameter.type != "attribute_item":
            return None
    return names


def _bytes(node, data: bytes) -> bytes:
    return data[node.start_byte : node.end_byte]
