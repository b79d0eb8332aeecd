"""What a Rust sample may not write: the ways to run code before the test harness, or in its place.

The harness (`box/harness.rs`) reads the run's token from descriptor 4 when `main` starts. Code the
loader runs earlier (a function pointer in `.init_array` or `.preinit_array`), or a function the
harness itself calls without knowing it (one named `read` or `write` replaces the C library's
for the whole process, the standard library's calls included), could take the token and write
a report of its own. Rust has only these ways to do it, each with a name of its own:

- `#[link_section = ".init_array"]` (any section: the linker's, not the sample's, business);
- `#[no_mangle]` and `#[export_name = "write"]`: a symbol with a C name;
- `global_asm!` (stable, no `unsafe`) and `asm!`: assembly that opens a section (`.pushsection
  .init_array`) or defines a symbol.

(`#[used]` only keeps a static in the binary; `#[naked]`, `#[linkage]`, `#[start]`,
`llvm_asm!` and `concat_idents!` are unstable, and the sample cannot enable a feature: the crate
root is assay's. A `#[global_allocator]` is not used: the standard library is linked
dynamically (`-C prefer-dynamic`), with its own allocator; were it linked statically, the
allocator would see the harness's memory and would belong here.)

A Rust program cannot make an identifier out of anything else: no proc macros (no crates),
`macro_rules!` passes identifiers through but cannot build one, and an attribute or a macro name
is never a string (`include!` and `#[path]` read only files the box already holds: the sample
writes none before its compile). So each of these names appears as an identifier token of the
sample's own text (`r#no_mangle` too), whatever macro or `#[cfg_attr]` carries it: a token scan
of both files, outside comments, strings, raw strings, character literals and lifetimes, finds
every one, and names no word in a comment or a string. It rejects an identifier `asm` anywhere
(a variable of that name too): a macro can take a bare `asm` and call `$name!`.

Reads text only; a substring test first, so most samples cost one pass of `str.__contains__`.
The lexing follows rustc's (`rustc_lexer`) where a literal or a comment starts and ends, so no
code can hide from it in what it takes for a string; what does not lex fails the compile anyway.
No identifier NFC-normalizes (as rustc normalizes them) to one of these names from anything but
itself.
"""

from __future__ import annotations

import re

WHY = {
    "link_section": "it places an item in a linker section (`.init_array` runs code before main)",
    "no_mangle": "it gives an item a C symbol name (one named like a C library function replaces "
    "it for the test runner too)",
    "export_name": "it gives an item a C symbol name (one named like a C library function "
    "replaces it for the test runner too)",
    "global_asm": "assembly can run code before main (`.init_array`) or define a C symbol",
    "asm": "assembly can run code before main (`.init_array`) or define a C symbol",
}
ATTRIBUTES = ("link_section", "no_mangle", "export_name")
# Substrings that every one of the names contains: "asm" is in "global_asm".
_WORDS = ("asm", "link_section", "no_mangle", "export_name")

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<line_comment>//[^\n]*)
    | (?P<block_comment>/\*)
    | (?P<raw_string>b?r(?P<hashes>\#*)")
    | (?P<string>b?"[^"\\]*(?:\\.[^"\\]*)*")
    | (?P<quote>b?')
    | (?P<ident>(?:r\#)?[^\W\d]\w*)
    | (?P<number>\d\w*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_IDENT_REST = re.compile(r"\w*")
_COMMENT_ENDS = re.compile(r"/\*|\*/")


def forbidden(source: str) -> list[tuple[str, int, int]]:
    """(name, line, column), 1-based, of each forbidden identifier in `source`, in order."""
    if not any(word in source for word in _WORDS):
        return []
    starts = {1 if source.startswith("\ufeff") else 0}
    if source.startswith("#!", min(starts)):
        # rustc skips a first line `#!...` not followed by `[` (a shebang): read the text both
        # with and without that line, rather than decide as rustc would.
        line_end = source.find("\n")
        starts.add(len(source) if line_end == -1 else line_end)
    seen = {at: name for start in starts for name, at in _identifiers(source, start)}
    found = []
    for at, name in sorted(seen.items()):
        if name in WHY:
            line = source.count("\n", 0, at) + 1
            found.append((name, line, at - (source.rfind("\n", 0, at) + 1) + 1))
    return found


def describe(name: str) -> str:
    """`#[no_mangle]` or `asm!`, as the sample would write it."""
    return f"#[{name}]" if name in ATTRIBUTES else f"{name}!"


def _identifiers(text: str, at: int):
    """(identifier, offset) of every identifier token from `at`, a raw one (`r#name`) by its
    name."""
    end = len(text)
    while at < end:
        token = _TOKEN.match(text, at)
        kind = token.lastgroup if token.lastgroup != "hashes" else "raw_string"
        if kind == "ident":
            word = token.group()
            yield (word[2:] if word.startswith("r#") else word), at
            at = token.end()
        elif kind == "block_comment":
            at = _comment_end(text, token.end())
        elif kind == "raw_string":
            close = text.find('"' + token["hashes"], token.end())
            at = end if close == -1 else close + 1 + len(token["hashes"])
        elif kind == "quote":
            at = _quoted_end(text, token.end(), byte=token.group() != "'")
        else:
            at = token.end()


def _quoted_end(text: str, at: int, byte: bool) -> int:
    """Past a character literal or a lifetime whose `'` ends before `at`, as rustc_lexer reads
    them (`lifetime_or_char`, `single_quoted_string`)."""
    first, second = text[at : at + 1], text[at + 1 : at + 2]
    if not byte and second != "'" and (first == "_" or first.isidentifier() or first.isdigit()):
        at = _IDENT_REST.match(text, at + 1).end()  # a lifetime, or ('ab') no literal at all
        return at + 1 if text.startswith("'", at) else at
    if second == "'" and first != "\\":
        return at + 2
    while at < len(text):
        char = text[at]
        if char == "'":
            return at + 1
        if char == "/" or (char == "\n" and text[at + 1 : at + 2] != "'"):
            return at  # not terminated: a compile error; read on from here
        at += 2 if char == "\\" else 1
    return at


def _comment_end(text: str, at: int) -> int:
    """Past the `*/` that closes a block comment opened before `at` (they nest)."""
    depth = 1
    while depth:
        mark = _COMMENT_ENDS.search(text, at)
        if mark is None:
            return len(text)
        depth += 1 if mark.group() == "/*" else -1
        at = mark.end()
    return at
