"""Go 1.22's loop variables on Go 1.19: each iteration gets its own copy of what the loop declares.

Since Go 1.22 a `for` loop's variables are new in every iteration, and code written for it (as
teachers write Go now) counts on that: closures that capture a loop variable (`t.Run(name,
func(t *testing.T) { t.Parallel(); ... tt ... })`, `go func() { ... v ... }()`), or `&v` kept
beyond its iteration. On Go 1.19 (Debian 12's) such code shares one variable across iterations:
parallel subtests all check the last row of a table, so a wrong solution passes, and goroutines
read whatever the loop holds last, so a right one fails.

`per_iteration` gives the loops of a file the new meaning where it can matter, by a rewrite of
the text (tree-sitter): the body of a loop that declares variables becomes `{ v := v; _ = v; {
...the original body } }`, a copy made at the start of each iteration, before anything of the
body runs; the original body, a block of its own, may still declare `v := v` itself (as code
written for Go 1.19 does). `/*line*/` directives keep every position the compiler, vet and a
stack report as in the original.

- A `range` loop gets the copy where its body has a function literal or takes an address (`&`):
  elsewhere nothing could tell the copy from the variable. Only the variables the body names are
  copied: a copy of one it never uses would use it, and hide Go's "declared but not used".
- A three-clause loop (`for i := 0; i < n; i++`) gets it only where its body has a function
  literal and never writes the variable (no assignment, `++`, `--`, `&i` or method call on it):
  Go 1.22 copies such a variable back at the end of each iteration, so that the body's changes
  reach the loop's condition and post statement, which a copy at the start alone does not do.
  Loops that write it keep Go 1.19's meaning.
"""

from __future__ import annotations

from sandbox.languages.go.stub import directive
from sandbox.languages.stubs import tree_sitter_parser


def per_iteration(source: str, file: str) -> str:
    """`source` (`file` of the sample) with a copy of each loop's variables per iteration."""
    if "for" not in source or ("func" not in source and "&" not in source):
        return source
    data = source.encode("utf-8", "surrogatepass")
    edits: list[tuple[int, bytes]] = []
    stack = [tree_sitter_parser("go").parse(data).root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type != "for_statement":
            continue
        body = node.child_by_field_name("body")
        names = _copied(node, body, data) if body is not None else []
        if not names:
            continue
        listed = ", ".join(names)
        blanks = ", ".join("_" for _ in names)
        opening = f" {listed} := {listed}; {blanks} = {listed}; {{"
        opening += directive(file, body.start_point, after=1)
        closing = "}" + directive(file, body.end_point, after=-1)
        edits += [(body.start_byte + 1, opening.encode()), (body.end_byte - 1, closing.encode())]
    if not edits:
        return source
    for at, text in sorted(edits, key=lambda edit: edit[0], reverse=True):
        data = data[:at] + text + data[at:]
    return data.decode("utf-8", "surrogatepass")


def _copied(loop, body, data: bytes) -> list[str]:
    """The variables of `loop` that get a copy per iteration (see the module's docstring)."""
    clause = next((c for c in loop.children if c.type in ("range_clause", "for_clause")), None)
    if clause is None:
        return []
    if clause.type == "range_clause":
        if not any(c.type == ":=" for c in clause.children):
            return []
        declared = clause.child_by_field_name("left")
    else:
        initializer = clause.child_by_field_name("initializer")
        if initializer is None or initializer.type != "short_var_declaration":
            return []
        declared = initializer.child_by_field_name("left")
    if declared is None:
        return []
    kinds, named, written = _inside(body, data)
    if "func_literal" not in kinds and (clause.type == "for_clause" or "&" not in kinds):
        return []
    names = [_text(c, data) for c in declared.named_children if c.type == "identifier"]
    names = [name for name in names if name != "_" and name in named]
    if clause.type == "for_clause" and written & set(names):
        return []
    return names


def _inside(body, data: bytes) -> tuple[set[str], set[str], set[str]]:
    """The node kinds in `body` (`&` for an address taken), the names it mentions, and the names
    it may write: the targets of assignments and `++`/`--`, what `&` is applied to, the operands
    of selectors (a method with a pointer receiver writes its variable)."""
    kinds: set[str] = set()
    named: set[str] = set()
    written: set[str] = set()
    stack = [body]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        kinds.add(node.type)
        if node.type == "identifier":
            named.add(_text(node, data))
        targets = []
        if node.type == "assignment_statement":
            left = node.child_by_field_name("left")
            targets = left.named_children if left is not None else []
        elif node.type in ("inc_statement", "dec_statement"):
            targets = node.named_children[:1]
        elif node.type == "unary_expression" and node.children[0].type == "&":
            kinds.add("&")
            targets = [node.child_by_field_name("operand")]
        elif node.type == "selector_expression":
            targets = [node.child_by_field_name("operand")]
        written.update(_text(t, data) for t in targets if t is not None and t.type == "identifier")
    return kinds, named, written


def _text(node, data: bytes) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")
