"""The strength check's stubs, kept from the precheck that made them until the run that needs them.

Languages whose trusted-side checker makes the stub in the same pass as the parse (JavaScript,
TypeScript, PHP) keep it here by the solution's text: the same solution may come again (a revision
that changed only the tests), and a stub not found here is made again on its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

S = TypeVar("S", str, tuple[str, ...])
ENTRIES, CHARS = 4096, 32 << 20


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
