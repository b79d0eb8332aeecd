"""The strength check's stubs: kept from the precheck that made them until the run that needs them,
and the switch that compiled languages put in each function instead.

Languages whose trusted-side checker makes the stub in the same pass as the parse (JavaScript,
TypeScript, PHP) keep it here by the solution's text: the same solution may come again (a revision
that changed only the tests), and a stub not found here is made again on its own. Rust and C++
build the sample once with a switch at the start of every function (`with_switches`), on the
line of the body's brace, so that every line keeps its number.
"""

from __future__ import annotations

import importlib
import threading
from collections import OrderedDict
from typing import Any, Generic, TypeVar

S = TypeVar("S", str, tuple[str, ...])
ENTRIES, CHARS = 4096, 32 << 20
_local = threading.local()


def tree_sitter_parser(grammar: str) -> Any:
    """A tree-sitter parser of `grammar` (the package `tree_sitter_<grammar>`), one per thread:
    a parser is not thread-safe. The stubbers of Go, Java, Rust and C++ read code with it."""
    parsers = _local.__dict__.setdefault("parsers", {})
    parser = parsers.get(grammar)
    if parser is None:
        from tree_sitter import Language, Parser

        module = importlib.import_module(f"tree_sitter_{grammar}")
        parser = parsers[grammar] = Parser(Language(module.language()))
    return parser


class StubCache(Generic[S]):
    """Least recently used out past `entries` stubs or `chars` characters; thread-safe."""

    def __init__(self, entries: int = ENTRIES, chars: int = CHARS) -> None:
        self.entries, self.chars = entries, chars
        self._stubs: OrderedDict[str, S | None] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def put(self, solution: str, stub: S | None) -> None:
        """Keep `stub` (None: the solution has no function to stub)."""
        with self._lock:
            if solution in self._stubs:
                self._stubs.move_to_end(solution)
                return
            self._stubs[solution] = stub
            self._size += _size(solution, stub)
            while len(self._stubs) > self.entries or self._size > self.chars:
                old, old_stub = self._stubs.popitem(last=False)
                self._size -= _size(old, old_stub)

    def __contains__(self, solution: str) -> bool:
        with self._lock:
            return solution in self._stubs

    def get(self, solution: str) -> tuple[bool, S | None]:
        """(whether it is kept, the stub)."""
        with self._lock:
            if solution in self._stubs:
                return True, self._stubs[solution]
            return False, None


def _size(solution: str, stub: str | tuple[str, ...] | None) -> int:
    if stub is None:
        return len(solution)
    return len(solution) + (len(stub) if isinstance(stub, str) else sum(map(len, stub)))


def with_switches(data: bytes, switches: list[tuple[int, bytes]]) -> str:
    """`data` with each switch put in its body, given as (the byte offset of the body's `{`, the
    switch's text)."""
    for brace, text in sorted(switches, reverse=True):
        at = _switch_point(brace, data)
        data = data[:at] + text + data[at:]
    return data.decode("utf-8", "surrogatepass")


def _switch_point(brace: int, data: bytes) -> int:
    """The end of the brace's line (before its CR LF or LF: g++ reads a lone CR as a line end)
    when nothing follows the brace there, else right after the brace."""
    after = brace + 1
    end = data.find(b"\n", after)
    if end != -1 and not data[after:end].strip():
        return end - 1 if data[end - 1 : end] == b"\r" and end - 1 >= after else end
    return after
