"""Literal values of Python tests and the types they carry into other languages.

A value is a plain Python object (int, float, str, bool, None, list, tuple, dict) read from a
test's literals. Its `Type` is what a typed language needs to write it down: `List(INT)` becomes
`[]int` in Go, `Vec<i64>` in Rust, `List<Long>` in Java. Types come from the solution's
annotations when it has them, else from the literals themselves, joined over every call
(`join`: an int and a float are a float, a value and None an optional, an empty list takes the
element type of the other lists). What no rule joins is `MIXED` (a list of an int and a str), and
what nothing tells is `UNKNOWN` (only empty lists seen): typed languages refuse both.

Not handled: sets, bytes, complex numbers, classes, and annotations other than the builtins and
typing's List/Dict/Tuple/Optional/Union-with-None (they make a type `UNKNOWN`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any


class Unsupported(Exception):
    """A test, value or type that cannot be carried over; the message says what and where."""


@dataclass(frozen=True)
class Type:
    kind: str  # int float str bool none list dict tuple optional unknown mixed
    args: tuple[Type, ...] = ()

    def __str__(self) -> str:
        if not self.args:
            return self.kind
        return f"{self.kind}[{', '.join(str(a) for a in self.args)}]"

    @property
    def known(self) -> bool:
        """Whether every part of the type is determined (no UNKNOWN or MIXED inside)."""
        return self.kind not in ("unknown", "mixed") and all(a.known for a in self.args)

    def contains(self, kind: str) -> bool:
        return self.kind == kind or any(a.contains(kind) for a in self.args)


INT, FLOAT, STR, BOOL = Type("int"), Type("float"), Type("str"), Type("bool")
NONE, UNKNOWN, MIXED = Type("none"), Type("unknown"), Type("mixed")
SCALARS = {"int": INT, "float": FLOAT, "str": STR, "bool": BOOL}


def List(of: Type) -> Type:  # noqa: N802  (a type constructor)
    return Type("list", (of,))


def Dict(key: Type, value: Type) -> Type:  # noqa: N802
    return Type("dict", (key, value))


def Tuple(*items: Type) -> Type:  # noqa: N802
    return Type("tuple", tuple(items))


def Optional(of: Type) -> Type:  # noqa: N802
    if of.kind in ("optional", "none"):
        return of if of.kind == "optional" else NONE
    return Type("optional", (of,))


# --- values ----------------------------------------------------------------------------------


def type_of(value: Any) -> Type:
    """The type a literal value shows by itself."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return STR
    if isinstance(value, list):
        return List(join_all(type_of(v) for v in value))
    if isinstance(value, tuple):
        return Tuple(*(type_of(v) for v in value))
    if isinstance(value, dict):
        return Dict(
            join_all(type_of(k) for k in value), join_all(type_of(v) for v in value.values())
        )
    raise Unsupported(f"a {type(value).__name__} value")


def join_all(types: Any) -> Type:
    out = UNKNOWN
    for t in types:
        out = join(out, t)
    return out


def join(a: Type, b: Type) -> Type:
    """The least type both fit in, MIXED when there is none."""
    if a == b:
        return a
    if a.kind == "unknown":
        return b
    if b.kind == "unknown":
        return a
    if "mixed" in (a.kind, b.kind):
        return MIXED
    if {a.kind, b.kind} == {"int", "float"}:
        return FLOAT
    if a.kind == "none":
        return Optional(b)
    if b.kind == "none":
        return Optional(a)
    if a.kind == "optional" or b.kind == "optional":
        inner = join(
            a.args[0] if a.kind == "optional" else a, b.args[0] if b.kind == "optional" else b
        )
        return MIXED if inner.kind == "mixed" else Optional(inner)
    if a.kind == b.kind and a.kind in ("list", "dict"):
        parts = tuple(join(x, y) for x, y in zip(a.args, b.args, strict=True))
        return Type(a.kind, parts)
    if a.kind == b.kind == "tuple" and len(a.args) == len(b.args):
        return Tuple(*(join(x, y) for x, y in zip(a.args, b.args, strict=True)))
    return MIXED


def fits(value: Any, t: Type) -> bool:
    """Whether `value` is a value of type `t` (an int fits a float, None an optional)."""
    kind = t.kind
    if kind in ("unknown", "mixed"):
        return True
    if value is None:
        return kind in ("none", "optional")
    if kind == "optional":
        return fits(value, t.args[0])
    if isinstance(value, bool):
        return kind == "bool"
    if isinstance(value, int):
        return kind in ("int", "float")
    if isinstance(value, float):
        return kind == "float"
    if isinstance(value, str):
        return kind == "str"
    if isinstance(value, list | tuple) and kind == "list":
        return all(fits(v, t.args[0]) for v in value)
    if isinstance(value, tuple) and kind == "tuple":
        return len(value) == len(t.args) and all(
            fits(v, a) for v, a in zip(value, t.args, strict=True)
        )
    if isinstance(value, dict) and kind == "dict":
        return all(fits(k, t.args[0]) and fits(v, t.args[1]) for k, v in value.items())
    return False


def refine(annotated: Type, seen: Type) -> Type:
    """An annotation's type with its unknown parts filled from what the literals show."""
    if annotated.kind == "unknown":
        return seen
    if annotated.kind == "mixed" or not annotated.args:
        return annotated
    if seen.kind == annotated.kind and len(seen.args) == len(annotated.args):
        return Type(
            annotated.kind,
            tuple(refine(a, s) for a, s in zip(annotated.args, seen.args, strict=True)),
        )
    if annotated.kind == "optional":
        inner = seen.args[0] if seen.kind == "optional" else seen
        return Optional(refine(annotated.args[0], inner if inner.kind != "none" else UNKNOWN))
    return annotated


# --- annotations ------------------------------------------------------------------------------

_CONTAINERS = {
    "list": "list",
    "List": "list",
    "Sequence": "list",
    "MutableSequence": "list",
    "Iterable": "list",
    "dict": "dict",
    "Dict": "dict",
    "Mapping": "dict",
    "MutableMapping": "dict",
    "tuple": "tuple",
    "Tuple": "tuple",
}


def from_annotation(node: ast.expr | None) -> Type:
    """The type an annotation names; UNKNOWN when it has none or one this module cannot read."""
    if node is None:
        return UNKNOWN
    if isinstance(node, ast.Constant) and node.value is None:
        return NONE
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return from_annotation(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return UNKNOWN
    name = _name(node)
    if name in SCALARS:
        return SCALARS[name]
    if name in ("None", "NoneType"):
        return NONE
    if name in ("list", "List"):
        return List(UNKNOWN)
    if name in ("dict", "Dict"):
        return Dict(UNKNOWN, UNKNOWN)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union([node.left, node.right])
    if isinstance(node, ast.Subscript):
        base = _name(node.value)
        items = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        if base == "Optional" and len(items) == 1:
            return Optional(from_annotation(items[0]))
        if base == "Union":
            return _union(items)
        kind = _CONTAINERS.get(base or "")
        if kind == "list" and len(items) == 1:
            return List(from_annotation(items[0]))
        if kind == "dict" and len(items) == 2:
            return Dict(from_annotation(items[0]), from_annotation(items[1]))
        if kind == "tuple":
            if len(items) == 2 and isinstance(items[1], ast.Constant) and items[1].value is ...:
                return List(from_annotation(items[0]))  # tuple[int, ...]: a sequence
            return Tuple(*(from_annotation(i) for i in items))
    return UNKNOWN


def _union(items: list[ast.expr]) -> Type:
    types = [from_annotation(i) for i in items]
    others = [t for t in types if t.kind != "none"]
    if len(others) == 1 and len(types) == 2:
        return Optional(others[0])
    if len(others) == 2 and {t.kind for t in others} == {"int", "float"} and len(types) == 2:
        return FLOAT
    return MIXED


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):  # typing.List, t.Optional
        return node.attr
    return None


# --- reading literals -------------------------------------------------------------------------


def literal(node: ast.expr, env: dict[str, Any] | None = None) -> Any:
    """The value of a literal expression; names are looked up in `env` (constants bound earlier
    in the test). Anything else is Unsupported, naming the expression."""
    env = env or {}
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None or isinstance(value, bool | int | float | str):
            if isinstance(value, float) and (
                value != value or value in (float("inf"), -float("inf"))
            ):
                raise Unsupported("a float that is not finite")
            return value
        raise Unsupported(f"a {type(value).__name__} literal")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = literal(node.operand, env)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Unsupported(f"a sign before {ast.unparse(node.operand)}")
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.List):
        return [literal(e, env) for e in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(literal(e, env) for e in node.elts)
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise Unsupported("a ** inside a dict literal")
        out = {}
        for k, v in zip(node.keys, node.values, strict=True):
            key = literal(k, env)  # type: ignore[arg-type]
            if not isinstance(key, int | str) or isinstance(key, bool):
                raise Unsupported(f"a dict key {ast.unparse(k)} (only int and str keys)")  # type: ignore[arg-type]
            out[key] = literal(v, env)
        return out
    if isinstance(node, ast.Name) and node.id in env:
        value = env[node.id]
        if isinstance(value, Bound):
            raise Unsupported(f"{node.id} (bound to a call) inside a value")
        return value
    raise Unsupported(f"`{ast.unparse(node)}` is not a literal")


@dataclass(frozen=True)
class Bound:
    """A name bound to something that is not a literal value (a call's result, a function)."""

    what: Any
