"""The report channel of a program run as a step (trusted side): authenticated lines on fd 3.

A harness that runs a sample's tests in another language (node, a compiled test binary) reads a
run's secret token from descriptor 4 before any of the sample's code runs, closes it, and writes
each message as one line on descriptor 3:

    <token> {"seq": 0, "t": "start"}
    <token> {"seq": 1, "t": "collected", "ids": ["add works"], "errors": []}
    <token> {"seq": 2, "t": "begin", "id": "add works"}
    <token> {"seq": 3, "t": "case", "id": "add works", "outcome": "passed", "message": "", "detail": ""}
    <token> {"seq": 4, "t": "end", "exitstatus": 0}

The same messages as Python's runner (`sandbox/languages/python/box/report.py`), so one judge reads every language. A
line is taken only with the token and the next sequence number: output the sample prints, lines
it writes to every descriptor, or a report it forges without the token are worthless. As for
Python's key, what remains is code that deliberately reads the token out of its own process (or
descriptor 4 before the harness does): out of reach of accidental reward hacking, not of a
determined attacker.
"""

from __future__ import annotations

import json
import os
from _operator import _compare_digest as compare_digest
from typing import Any

RESULT_FD, TOKEN_FD = 3, 4
# A step's runner that could not execute its program says so on its stderr and exits with this
# status: the sandbox's fault, not the sample's (`sandbox.judge`).
EXEC_FAILED, CANNOT_EXECUTE = 127, "assay-sandbox: cannot execute"
TOKEN_BYTES = 32  # hex characters of a token


def new_token() -> bytes:
    return os.urandom(TOKEN_BYTES // 2).hex().encode()


def read_lines(raw: bytes, token: bytes) -> tuple[list[dict[str, Any]], str | None]:
    """The authenticated messages in order, and the first problem, if any."""
    messages: list[dict[str, Any]] = []
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        head, _, body = line.partition(b" ")
        if not compare_digest(head, token):
            return messages, "the result channel carried a line without the run's token"
        try:
            message = json.loads(body)
        except ValueError:
            return messages, "the result channel carried a line that is not a message"
        if not isinstance(message, dict) or message.get("seq") != len(messages):
            return messages, "result messages out of sequence"
        messages.append(message)
    return messages, None
