"""The strength check's stub of a Java solution: every method's body returns at once.

tree-sitter's Java grammar finds each method with a body, in every class, interface, enum and
record of the solution (nested and anonymous classes outside method bodies included); its body
becomes, by what it returns: nothing (`void`), `false`, `0` (every numeric type and `char`), or
`null` (objects, arrays, type variables). Constructors, field initializers and lambdas stay as
they are. The result compiles wherever the solution did.

javac reads the source after its Unicode escapes (`\u0069nt` is `int`, JLS 3.3), tree-sitter
does not: the parse is of the source as javac reads it (`translated`), and each body's place in
it is mapped back to the original text, where the stub's bodies replace the original's. A return
type hidden in escapes is then the type javac sees, and the stub still compiles (a stub that does
not compile would leave the solution without a strength check).

Reads text only; never compiles or runs the sample.
"""

from __future__ import annotations

import re

from sandbox.languages.stubs import tree_sitter_parser

NUMERIC = ("integral_type", "floating_point_type")
_ESCAPE = re.compile(r"\\+u+[0-9A-Fa-f]{4}")  # backslashes, then maybe a Unicode escape


def _parser():  # one per thread (`tree_sitter_parser`)
    return tree_sitter_parser("java")


def stub_solution(source: str) -> str | None:
    """The solution with every method stubbed; None when it has no method with a body."""
    data = source.encode("utf-8", "surrogatepass")
    text, where = translated(source)
    tree = _parser().parse(text)
    edits: list[tuple[int, int, bytes]] = []
    _collect(tree.root_node, edits)
    if not edits:
        return None
    out = data
    for start, end, body in sorted(edits, reverse=True):
        if where is not None:  # from the translated text's bytes to the original's
            start, end = where[start], where[end]
        out = out[:start] + body + out[end:]
    return out.decode("utf-8", "surrogatepass")


def translated(source: str) -> tuple[bytes, list[int] | None]:
    """The source as javac reads it, its Unicode escapes translated (JLS 3.3: a backslash
    preceded by an even number of backslashes, one or more `u`, four hex digits; what an escape
    makes takes part in no other), as UTF-8; and for each of its bytes' boundaries, the original's
    byte offset there (None where the source has no escape: the same bytes)."""
    if "\\u" not in source:
        return source.encode("utf-8", "surrogatepass"), None
    chars: list[str] = []
    spans: list[int] = []  # where each char of `chars` starts in `source`
    at = 0
    for found in _ESCAPE.finditer(source):
        slashes = len(found[0]) - len(found[0].lstrip("\\"))
        if slashes % 2 == 0:  # the last backslash is escaped: no Unicode escape
            continue
        start = found.start() + slashes - 1  # the escape's own backslash
        chars += source[at:start]
        spans += range(at, start)
        chars.append(chr(int(found[0][-4:], 16)))
        spans.append(start)
        at = found.end()
    chars += source[at:]
    spans += range(at, len(source))
    _pair_surrogates(chars, spans)
    offsets = [0]  # the byte offset in the original of each of its chars, and of its end
    for char in source:
        offsets.append(offsets[-1] + len(char.encode("utf-8", "surrogatepass")))
    text = bytearray()
    where: list[int] = []
    for char, start in zip(chars, spans, strict=True):
        encoded = char.encode("utf-8", "surrogatepass")
        where += [offsets[start]] * len(encoded)
        text += encoded
    where.append(offsets[-1])
    return bytes(text), where


def _pair_surrogates(chars: list[str], spans: list[int]) -> None:
    """A high surrogate and the low one after it (two escapes, as Java writes a character
    beyond the BMP) as the one character they make: valid UTF-8 for the parser."""
    i = 0
    while i + 1 < len(chars):
        high, low = ord(chars[i]), ord(chars[i + 1])
        if 0xD800 <= high < 0xDC00 and 0xDC00 <= low < 0xE000:
            chars[i : i + 2] = [chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))]
            del spans[i + 1]
        i += 1


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
