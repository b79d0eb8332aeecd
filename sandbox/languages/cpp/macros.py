"""A sample's macros that would change what doctest's macros expand to. Trusted side; reads text.

The prelude includes doctest before the sample, so a sample that `#undef`s `CHECK` and defines its
own (one that checks nothing unless the strength check's variable is set), or defines a macro
named like an identifier in doctest's expansions (`doctest`, `log` in `DOCTEST_RB.log()`), or
`#undef`s doctest's include guard and includes it again with other `DOCTEST_CONFIG_*`, turns its
failing tests into passes. A preprocessing directive cannot come out of a macro's expansion (nor
`_Pragma`: `push_macro`/`pop_macro` only bring back a definition some `#define` made), so every
macro the sample defines is a `#define` or `#undef` in its own two files, which `directives` finds:
after phase 1-2 (CR and CRLF are newlines, backslash-newline splices with blanks between, as
GCC), outside comments and string, character and raw string literals (a raw string's end is
looked for in the unspliced text, as GCC reverts splices inside it), with blanks and comments
(even ones over several lines) between `#` (or `%:`) and the directive and its name.

Forbidden (`forbidden`): every `DOCTEST_*` name, every macro doctest's interface defines or
undefines (`CHECK`, `TEST_CASE`, ...), every identifier in the replacement lists of its macros
except their parameters (`doctest`, `detail`, `log`, `std`, ...; for a function-like macro only
those a `(` can follow there), C++ keywords (but `#define int long long`, which only widens
doctest's registration variables), and the strength check's switch. Read from the header the
prelude includes, once per header version.
"""

from __future__ import annotations

import bisect
import os
import re

from sandbox.languages.cpp.build import DOCTEST_HEADER

KEYWORDS = frozenset(
    """alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t
    char16_t char32_t class compl concept const consteval constexpr constinit const_cast continue
    co_await co_return co_yield decltype default delete do double dynamic_cast else enum explicit
    export extern false float for friend goto if inline int long mutable namespace new noexcept
    not not_eq nullptr operator or or_eq private protected public register reinterpret_cast
    requires return short signed sizeof static static_assert static_cast struct switch template
    this thread_local throw true try typedef typeid typename union unsigned using virtual void
    volatile wchar_t while xor xor_eq""".split()
)
# The strength check's switch and stub values (stub.py, box/stub.hpp).
STUB_NAMES = frozenset({"assay_stubbed", "assay_stub_value", "__builtin_is_constant_evaluated"})
# Keyword redefinitions that change nothing doctest relies on: the competitive programmer's wider int.
HARMLESS = frozenset({("int", "long long")})

_BLANK = r"[ \t\f\v\0]"
_SPLICE = re.compile(r"\\[ \t\f\v\0]*\n")
_ANY_SPLICE = re.compile(r"\\[ \t\f\v\0]*[\r\n]")
_IDENT = r"(?:[A-Za-z_$\x80-\U0010ffff]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})(?:[\w$\x80-\U0010ffff]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*"
_GAP = rf"(?:{_BLANK}|/\*(?s:.*?)\*/)*"
# Left to right, the first alternative that matches wins: what hides text, and the directives.
_TOKENS = re.compile(
    r"(?P<line>//[^\n]*)"
    r"|(?P<block>/\*(?s:.*?)(?:\*/|\Z))"
    r"|(?P<raw>(?<![\w$])(?:u8|[uUL])?R\"(?P<delim>[^ ()\\\t\f\v\n\"]{0,16})\()"
    r"|(?P<string>\"(?:[^\"\\\n]|\\.)*(?:\"|$))"
    r"|(?P<number>(?<![\w$])\.?\d(?:[eEpP][+-]|[\w$.])*'[\w$](?:'[\w$]|[eEpP][+-]|[\w$.])*)"
    r"|(?P<char>'(?:[^'\\\n]|\\.)*(?:'|$))"
    rf"|(?P<hash>(?:#|%:){_GAP}(?P<kind>define|undef)(?![\w$]){_GAP}(?P<name>{_IDENT})?(?P<paren>\()?)",
    re.M,
)
_REST = re.compile(r"(?:[^\n/]|/(?![/*]))*")  # a replacement list, up to a comment or the line end


def directives(source: str) -> list[tuple[str, str, bool, int, str]]:
    """(`define` or `undef`, name, function-like, line, replacement list's start) of every macro
    directive in `source`; line 1-based, in the unspliced text."""
    if "define" not in source and "undef" not in source and not _ANY_SPLICE.search(source):
        return []  # most samples: no directive, and no splice that could make one
    if "\r" in source:
        source = source.replace("\r\n", "\n").replace("\r", "\n")
    starts: list[int] = []  # where each splice was, in the spliced text
    removed: list[int] = []  # characters removed up to and including each splice
    parts, last, gone = [], 0, 0
    for match in _SPLICE.finditer(source):
        parts.append(source[last : match.start()])
        starts.append(match.start() - gone)
        gone += match.end() - match.start()
        removed.append(gone)
        last = match.end()
    text = "".join(parts) + source[last:] if starts else source

    def original(pos: int) -> int:
        i = bisect.bisect_right(starts, pos)
        return pos + (removed[i - 1] if i else 0)

    def spliced(pos: int) -> int:
        lo, hi = 0, len(text)  # the first spliced position whose original is at least `pos`
        while lo < hi:
            mid = (lo + hi) // 2
            if original(mid) < pos:
                lo = mid + 1
            else:
                hi = mid
        return lo

    found = []
    pos = 0
    while True:
        match = _TOKENS.search(text, pos)
        if match is None:
            return found
        pos = match.end()
        if match.group("raw") is not None:
            close = ")" + match.group("delim") + '"'
            end = source.find(close, original(match.end()))
            pos = len(text) if end < 0 else spliced(end + len(close))
        elif match.group("hash") is not None:
            name = match.group("name")
            if name is None:
                continue
            line = source.count("\n", 0, original(match.start())) + 1
            rest = _REST.match(text, match.end()).group() if match.group("paren") is None else ""
            found.append(
                (match.group("kind"), _decoded(name), bool(match.group("paren")), line, rest)
            )


def _decoded(name: str) -> str:
    if "\\" not in name:
        return name
    return re.sub(
        r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})",
        lambda m: chr(int(m.group(1) or m.group(2), 16)),
        name,
    )


class Forbidden:
    """The names a sample may not define or undefine, read from doctest's header."""

    def __init__(self, header: str) -> None:
        self.names, self.any, self.callable = _read(header)

    def why(self, kind: str, name: str, function_like: bool, rest: str) -> str | None:
        if name.startswith("DOCTEST_") or name in self.names:
            return "one of doctest's macros"
        if name in STUB_NAMES:
            return "the strength check's switch"
        if name in KEYWORDS:
            if (
                kind == "define"
                and not function_like
                and (name, " ".join(rest.split())) in HARMLESS
            ):
                return None
            return "a C++ keyword"
        if name in (self.callable if kind == "define" and function_like else self.any):
            return "an identifier that doctest's macros expand to"
        return None


def _read(header: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    with open(header, encoding="utf-8", errors="replace") as fh:
        text = _SPLICE.sub("", fh.read().replace("\r\n", "\n"))
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    # The implementation is compiled into the harness library, never in a sample's build.
    cut = re.search(r"^[ \t]*#[ \t]*if[ \t]+defined\(DOCTEST_CONFIG_IMPLEMENT\)", text, re.M)
    text = text[: cut.start()] if cut else text
    names, anywhere, callable_ = set(), set(), set()
    for m in re.finditer(r"^[ \t]*#[ \t]*undef[ \t]+(\w+)", text, re.M):
        names.add(m.group(1))
    for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)(?:\(([^)]*)\))?(.*)$", text, re.M):
        names.add(m.group(1))
        params = {p.strip() for p in (m.group(2) or "").split(",")} | {"__VA_ARGS__"}
        body = re.sub(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'", " 0 ", m.group(3))
        tokens = re.findall(r"[A-Za-z_]\w*|\d\w*|##|\S", body)
        for i, token in enumerate(tokens):
            if not (token[0].isalpha() or token[0] == "_") or token in params:
                continue
            anywhere.add(token)
            after = tokens[i + 1] if i + 1 < len(tokens) else None
            if after is None or after in ("(", "#", "##") or after in params:
                callable_.add(token)
    return frozenset(names), frozenset(anywhere), frozenset(callable_)


_cache: dict[tuple, Forbidden] = {}


def forbidden(header: str = DOCTEST_HEADER) -> Forbidden:
    """The header's forbidden names, read once per version of it (its size and change time)."""
    stat = os.stat(header)
    key = (header, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if key not in _cache:
        _cache[key] = Forbidden(header)
    return _cache[key]


def redefinitions(source: str, names: Forbidden) -> list[tuple[str, str, int, str]]:
    """(`define` or `undef`, name, line, why) of each directive in `source` on a forbidden name."""
    out = []
    for kind, name, function_like, line, rest in directives(source):
        why = names.why(kind, name, function_like, rest)
        if why is not None:
            out.append((kind, name, line, why))
    return out
