"""Runs in the sandbox: the recursion limit of the fast path's tests.

Tests get no more recursion depth than they would under pytest: the limit, as the sample reads and
sets it, is offset by `OFFSET`, more than pytest's frames below a test (~30 in pytest 9;
tests/sandbox/test_worker.py checks that the fast path and pytest agree at every depth near the
limit). A test that still runs out of depth is undecided, and pytest decides it.
"""

from __future__ import annotations

import sys
from typing import Any

# How much less depth a test gets here than under pytest, whose frames sit below a test function.
OFFSET = 50
_real_limit: tuple[Any, Any] = (sys.getrecursionlimit, sys.setrecursionlimit)


def _offset_limit(offset: int) -> None:
    """Make the limit, as the sample reads and sets it, leave as much depth as under pytest. Over
    an offset this module put in place, the offset is replaced, not added."""
    global _real_limit, _installed
    if _offset_in_place(None):
        real_get, real_set = _real_limit
        real_set(real_get() + _installed[2])  # the limit as it was before that offset
    else:
        real_get, real_set = sys.getrecursionlimit, sys.setrecursionlimit
        _real_limit = real_get, real_set

    def getrecursionlimit() -> int:
        return real_get() + offset

    def setrecursionlimit(limit: int) -> None:
        real_set(max(limit - offset, 50))

    sys.getrecursionlimit, sys.setrecursionlimit = getrecursionlimit, setrecursionlimit
    _installed = getrecursionlimit, setrecursionlimit, offset
    setrecursionlimit(real_get())


_installed: tuple[Any, Any, int] | None = None  # the offset functions in `sys`, and the offset


def _offset_in_place(wanted: int | None) -> bool:
    """Whether this module's offset functions are `sys`'s (with the offset `wanted`, if given)."""
    return (
        _installed is not None
        and sys.getrecursionlimit is _installed[0]
        and sys.setrecursionlimit is _installed[1]
        and (wanted is None or _installed[2] == wanted)
    )


def in_place() -> bool:
    """Whether this module's offset is `sys`'s."""
    return _offset_in_place(OFFSET)


def install() -> None:
    """In a fork server whose runners all take the fast path (the process backend's front): the
    offset in place for good, so that no runner puts it there again (a runner pays for each page
    it writes, and `sys` is many)."""
    _offset_limit(OFFSET)


def reset_limit(limit: int) -> None:
    """Back to the limit a run starts with (`limit`, before the offset), offset as before."""
    if _offset_in_place(OFFSET) and _real_limit[0]() == max(limit - OFFSET, 50):
        return  # as it was: nothing to write
    real_get, real_set = _real_limit
    sys.getrecursionlimit, sys.setrecursionlimit = real_get, real_set
    real_set(limit)
    _offset_limit(OFFSET)
