"""Values equal to everything: the solution as it runs, each `equals(Object)` of it guarded.

A solution can return an object whose `equals` always says true; `assertEquals(add(2, 3), 5)` (the
solution's value first: JUnit calls its `equals`), `assertTrue(x.equals(y))` and HumanEval-X's
`!(s.f(x).equals(...))` then pass whatever the function computes, and the strength check's stub
switches that `equals` off with every other method, so it misses it too.

Every `boolean equals(Object)` with a body, in every class of the solution (nested, local,
anonymous and records included; not interfaces or enums, where javac refuses one), keeps its
header; its body becomes a private method `assay$equals`, and the header's new body calls it and,
where the answer is true for another object, asks it again with a fresh `java.lang.Object` no test
has and, where the other object is not of its own class, with another value of that one's type
where it is a boxed primitive, a string or a collection: an int or long one more, a double plus
the larger of 1 and its own size (so an `equals` with a tolerance stays honest; 0.5 for the
infinities and NaN), "a" or "b", the other boolean, an empty list, set or map or one of one
element. An `equals` that says true to either fails the test with an AssertionError "a value
compared equal to everything". An exception thrown by the probe (an `equals` that casts without
asking) counts as no.

The edits are insertions before each body's `{`, on its line: the solution's line numbers stay
(a column on that line moves). Like the stub, the parse is of the source as javac reads it
(Unicode escapes translated, `stub.translated`) and the insertions land at the mapped places.
Only the sample's own run compiles the guarded text; the stub is made from the original.

An `equals` of one parameter of another type (`boolean equals(List<Integer> other)`, in a class or
an interface, static or not, whatever it returns) overrides nothing: JUnit's `assertEquals` and
the collections never call it, but `s.f(x).equals(List.of(1))` on a value of its class picks it
at compile time, unguarded (a helper of an honest `equals(Object)` as well). Error Prone
(NonOverridingEquals) reports it in honest code too: `overloads` finds each, and the solution is
rejected at `compile` before javac runs.
"""

from __future__ import annotations

from sandbox.languages.java.stub import _parser, translated

MESSAGE = "a value compared equal to everything"
OBJECT_TYPES = ("Object", "java.lang.Object")

# The header's new body ({name}: its parameter's name), then the methods it calls: one line. Names
# of the standard library are written in full (a class of the solution may be called `Object`) and
# only where a type goes (a variable called `java` would hide `java.util.List.of`).
_GUARD = (
    "{{ boolean assay$is = this.assay$equals({name}); "
    "if (assay$is && {name} != this) {{ java.lang.Object assay$x = new java.lang.Object(); "
    "if (this.assay$says(assay$x) || this.assay$says(assay$x = this.assay$other({name}))) "
    'throw new java.lang.AssertionError("' + MESSAGE + ': " '
    '+ this.getClass().getName() + ".equals also says true to " '
    '+ (assay$x.getClass() == java.lang.Object.class ? "an object no test has" '
    ': "" + assay$x)); }} '
    "return assay$is; }} "
    "private boolean assay$says(java.lang.Object x) {{ "
    "try {{ return x != null && this.assay$equals(x); }} "
    "catch (java.lang.RuntimeException e) {{ return false; }} }} "
    "private java.lang.Object assay$other(java.lang.Object x) {{ "
    "if (x == null || x.getClass() == this.getClass()) return null; "
    "if (x instanceof java.lang.Integer) return (java.lang.Integer) x + 1; "
    "if (x instanceof java.lang.Long) return (java.lang.Long) x + 1; "
    "if (x instanceof java.lang.Double) {{ double d = (java.lang.Double) x, a = d < 0 ? -d : d, "
    "r = d + (a > 1 ? a : 1); return r == d || r != r ? 0.5 : r; }} "
    'if (x instanceof java.lang.String) return x.equals("a") ? "b" : "a"; '
    "if (x instanceof java.lang.Character) return x.equals('a') ? 'b' : 'a'; "
    "if (x instanceof java.lang.Boolean) return !(java.lang.Boolean) x; "
    "if (x instanceof java.util.List) {{ java.util.List<java.lang.Object> l = "
    "new java.util.ArrayList<>(); if (((java.util.List<?>) x).isEmpty()) l.add(0); return l; }} "
    "if (x instanceof java.util.Set) {{ java.util.Set<java.lang.Object> s = "
    "new java.util.HashSet<>(); if (((java.util.Set<?>) x).isEmpty()) s.add(0); return s; }} "
    "if (x instanceof java.util.Map) {{ java.util.Map<java.lang.Object, java.lang.Object> m = "
    "new java.util.HashMap<>(); if (((java.util.Map<?, ?>) x).isEmpty()) m.put(0, 0); return m; }} "
    "return null; }} "
    "private boolean assay$equals(java.lang.Object {name}) "
)


def guard_equals(source: str) -> str:
    """The solution with each `equals(Object)` guarded; the source itself where it has none."""
    if "equals" not in source and "\\u" not in source:
        return source
    text, where = translated(source)
    inserts: list[tuple[int, bytes]] = []
    _collect(_parser().parse(text).root_node, inserts)
    if not inserts:
        return source
    out = source.encode("utf-8", "surrogatepass")
    for at, code in sorted(inserts, reverse=True):
        if where is not None:
            at = where[at]
        out = out[:at] + code + out[at:]
    return out.decode("utf-8", "surrogatepass")


def overloads(source: str) -> list[tuple[int, int, str]]:
    """Each `equals` of the solution with one parameter not of type `Object`, as (line, column,
    its signature), 1-based, in the original text."""
    if "equals" not in source and "\\u" not in source:
        return []
    text, where = translated(source)
    found: list[tuple[int, str]] = []
    _collect_overloads(_parser().parse(text).root_node, found)
    data = source.encode("utf-8", "surrogatepass")
    out = []
    for at, signature in found:
        if where is not None:
            at = where[at]
        line_start = data.rfind(b"\n", 0, at) + 1
        column = len(data[line_start:at].decode("utf-8", "surrogatepass")) + 1
        out.append((data.count(b"\n", 0, at) + 1, column, signature))
    return out


def _collect_overloads(node, found: list[tuple[int, str]]) -> None:
    for child in node.children:
        if child.type == "method_declaration":
            kind = _overload_type(child)
            if kind is not None:
                found.append((child.child_by_field_name("name").start_byte, f"equals({kind})"))
        _collect_overloads(child, found)


def _overload_type(method) -> str | None:
    """The parameter's type, as written, where `method` is an `equals` of one parameter of
    another type than `Object`; None otherwise."""
    parameter = _only_parameter(method)
    if parameter is None or _of_object(parameter):
        return None
    dimensions = parameter.child_by_field_name("dimensions")  # equals(Object o[])
    written = parameter.child_by_field_name("type").text + (dimensions.text if dimensions else b"")
    return " ".join(written.decode("utf-8", "surrogatepass").split())


def _collect(node, inserts: list[tuple[int, bytes]]) -> None:
    for child in node.children:
        if child.type == "method_declaration" and node.type == "class_body":
            parameter = _equals_parameter(child)
            if parameter is not None:
                body = child.child_by_field_name("body")
                code = _GUARD.format(name=parameter)
                inserts.append((body.start_byte, code.encode("utf-8", "surrogatepass")))
        _collect(child, inserts)  # classes inside methods' bodies too


def _equals_parameter(method) -> str | None:
    """The parameter's name where `method` overrides Object's `equals` with a body of its own;
    None otherwise."""
    parameter = _only_parameter(method)
    if parameter is None or not _of_object(parameter) or method.child_by_field_name("body") is None:
        return None
    returns = method.child_by_field_name("type")
    if returns is None or returns.type != "boolean_type":
        return None
    if method.child_by_field_name("dimensions") is not None:
        return None
    for child in method.children:
        if child.type == "modifiers" and {m.type for m in child.children} & {"static", "abstract"}:
            return None
    name = parameter.child_by_field_name("name")
    return None if name is None else name.text.decode("utf-8", "surrogatepass")


def _only_parameter(method):
    """The parameter of a method called `equals` that has exactly one (not varargs); None
    otherwise."""
    called = method.child_by_field_name("name")
    parameters = method.child_by_field_name("parameters")
    if called is None or called.text != b"equals" or parameters is None:
        return None
    declared = [p for p in parameters.named_children if not p.type.endswith("comment")]
    if len(declared) != 1 or declared[0].type != "formal_parameter":
        return None
    return declared[0] if declared[0].child_by_field_name("type") is not None else None


def _of_object(parameter) -> bool:
    """Whether a parameter is of type `Object` (not an array of them)."""
    kind = parameter.child_by_field_name("type")
    if kind.type == "array_type" or parameter.child_by_field_name("dimensions") is not None:
        return False
    return ".".join(_names(kind)) in OBJECT_TYPES


def _names(node) -> list[str]:
    """A type's identifiers in order (`java.lang.Object`, comments or spaces between them)."""
    if node.type == "type_identifier":
        return [node.text.decode("utf-8", "surrogatepass")]
    return [name for child in node.children for name in _names(child)]
