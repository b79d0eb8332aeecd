"""A Python sample's runs, as its fork server orders them (trusted: it never runs sample code).

The fork server (the process backend's front, or the Docker backend's container server) runs a
sample's phases one after the other, each in a fresh runner on a fresh work dir: the sample, then,
if it passed cleanly, the strength check's stub. With the fast path, each phase first runs there
(`box/fastpath.py`); when that is undecided, the phase runs again under pytest, and a sample whose
tests failed there and pass under pytest is marked `fast_failed` (flaky). A fast-path run carries
the next phase's files (`chain`): when its tests all pass, the next phase runs in the same runner,
and only if that is undecided or does not finish does it run again, in a fresh runner.
"""

from __future__ import annotations

import json
from _operator import _compare_digest as compare_digest
from collections.abc import Callable
from typing import Any

from sandbox.languages.python.box.report import mac


def read_channel(raw: bytes, key: bytes) -> tuple[list[dict[str, Any]], str | None]:
    """Trusted side: the authenticated messages in order, and the first problem, if any."""
    messages: list[dict[str, Any]] = []
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        signature, _, body = line.partition(b" ")
        expected = mac(key, body)
        if not compare_digest(expected, signature):
            if len(signature) != len(expected) or not body:
                return messages, "the result channel carried bytes that are not a result message"
            return messages, "a result message failed authentication"
        try:
            message = json.loads(body)
        except ValueError:  # signed, so ours: not reached unless the key leaked
            return messages, "the result channel carried bytes that are not a result message"
        if not isinstance(message, dict) or message.get("seq") != len(messages):
            return messages, "result messages out of sequence"
        messages.append(message)
    return messages, None


def clean_pass(messages: list[dict[str, Any]], status: int | None) -> bool:
    """Whether a run passed beyond doubt, so that a follow-up run (the strength check) is worth
    starting. Not a verdict: the verifier judges every run again, fully."""
    cases = [m for m in messages if m.get("t") == "case"]
    end = next((m for m in messages if m.get("t") == "end"), None)
    return (
        status == 0
        and end is not None
        and end.get("exitstatus") == 0
        and bool(cases)
        and all(c.get("outcome") == "passed" for c in cases)
    )


def run_phases(
    request: dict[str, Any],
    run_one: Callable[[dict[str, Any]], tuple[dict[str, Any], list[dict[str, Any]] | None]],
    fast: bool,
) -> dict[str, Any]:
    """A sample's runs, one after the other, each in a fresh runner on a fresh work dir (trusted
    side; both backends' servers use it). `run_one(spec)` returns a run's result (with `stopped`:
    it timed out or flooded; and `final`, if present and true: no further run may follow in this
    sandbox instance) and its authenticated messages, or None for a channel that failed.

    A phase is the sample's run, then, if it passed cleanly, the request's `then` (the strength
    check's stubbed solution). With `fast`, each phase first runs on the fast path
    (`sandbox/languages/python/box/fastpath.py`); when that is undecided, the phase runs again under pytest, and a
    sample whose tests failed there and pass under pytest is marked `fast_failed` (flaky). A
    fast-path run carries the next phase's files (`chain`): when its tests all pass, the next
    phase runs in the same runner (`fastpath.run`), and only if that is undecided or does not
    finish does it run again, in a fresh runner."""
    phases = [request]
    if request.get("then"):
        phases.append({**request, **request["then"], "code": request["then"].get("code")})
    results: list[dict[str, Any]] = []
    phase, under_pytest, fast_failed = 0, not fast, False
    while True:
        spec = {**phases[phase], "fast": not under_pytest}
        if spec["fast"] and phase + 1 < len(phases):
            spec["chain"] = phases[phase + 1]["files"]
            spec["chain_code"] = phases[phase + 1].get("code")
        result, messages = run_one(spec)
        result, messages, chained = _split_chain(result, messages)
        # Stopped: it timed out or flooded. Final: no run may follow in this sandbox instance.
        stopped, final = result.pop("stopped"), result.pop("final", False)
        ended = stopped or final
        undecided = next((m for m in messages or () if m.get("t") == "undecided"), None)
        if undecided is not None and not under_pytest and not ended:
            fast_failed = bool(undecided.get("failed"))
            under_pytest = True  # the same phase again, under pytest
            continue
        if fast_failed and phase == 0:
            result["fast_failed"] = True
        results.append(result)
        clean = messages is not None and clean_pass(messages, result["runner"].get("status"))
        if ended or phase + 1 == len(phases) or not clean:
            break
        if chained is not None:
            results.append(chained)
            break
        phase, under_pytest = phase + 1, not fast
    if len(results) > 1:
        results[0]["next"] = results[1]
    return results[0]


def _split_chain(
    result: dict[str, Any], messages: list[dict[str, Any]] | None
) -> tuple[dict[str, Any], list[dict[str, Any]] | None, dict[str, Any] | None]:
    """A run that went on to the next phase (`next` in its messages), as the two runs it stands
    for: the first, and the second if it finished. The first ended cleanly where the runner said
    `next` (the runner says so only then), so its status is 0 whatever the second did, and a
    timeout is the second's; output the second wrote went nowhere."""
    at = next((i for i, m in enumerate(messages or ()) if m.get("t") == "next"), None)
    if messages is None or at is None or not clean_pass(messages[:at], 0):
        return result, messages, None
    head, tail = messages[:at], messages[at + 1 :]
    # Which of the channel's messages each stands for: a host that reads the channel again (the
    # Docker backend's) takes that slice.
    first = {
        **result,
        "part": [0, at],
        "timed_out": False,
        "stopped": result["output_exceeded"],
        "runner": {**result["runner"], "status": 0},
    }
    if "messages" in result:
        first["messages"] = head
    kinds = [m.get("t") for m in tail]
    finished = (
        "end" in kinds
        and "undecided" not in kinds
        and not result["stopped"]
        and result["runner"].get("status") == 0
    )
    if not finished:
        return first, head, None
    second = {
        **result,
        "part": [at + 1, len(messages)],
        "stdout": "",
        "stderr": "",
        "stdout_bytes": 0,
        "stderr_bytes": 0,
    }
    second.pop("stopped")
    second.pop("final", None)
    if "messages" in result:
        second["messages"] = tail
    return first, head, second
