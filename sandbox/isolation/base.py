"""The interface every isolation backend implements: run one test request, return raw facts.

A backend reports what happened (streams, per-test messages, exit status, limits hit); it never
judges. `sandbox.checks` turns the raw result into a verdict, the same way for every backend.
"""

from __future__ import annotations

from typing import Any, Protocol

from sandbox.languages.python.box.report import TESTS_FILE
from sandbox.requests import TEST, PhaseResult, RunRequest, RunResult, StepResult


class BackendError(RuntimeError):
    """The sandbox itself failed (not the sample): the run is retried once, then `error`."""


class SetupRefused(RuntimeError):
    """The machine cannot give the isolation asked for; the message names the cause and the fix."""


class Backend(Protocol):
    isolation: str

    def run(self, request: RunRequest) -> RunResult:
        """Run `request` in the sandbox and return its facts."""
        ...

    def close(self) -> None: ...


def legacy_request(request: RunRequest) -> dict[str, Any]:
    """The Python worker's request dict for a typed request (its files, the fast path, the strength
    check's phase as `then`)."""
    first = request.phases[0]
    out: dict[str, Any] = {
        "files": dict(first.files),
        "test_file": TESTS_FILE,
        "limits": request.limits.to_wire(),
        "outcomes_only": first.outcomes_only,
        "fast": request.fast,
    }
    if first.code:
        out["code"] = dict(first.code)
    if len(request.phases) > 1:
        then = request.phases[1]
        out["then"] = {"files": dict(then.files), "outcomes_only": True}
        if then.code:
            out["then"]["code"] = dict(then.code)
    return out


def typed_result(raw: dict[str, Any]) -> RunResult:
    """A typed result from the Python worker's result dict (`next`: the strength check's run)."""
    if "error" in raw:
        return RunResult(error=str(raw["error"]), isolation=raw.get("isolation", "full"))
    phases = []
    run: dict[str, Any] | None = raw
    while run is not None:
        runner = run.get("runner") or {}
        step = StepResult(
            name=TEST,
            status=runner.get("status"),
            timed_out=bool(run.get("timed_out")),
            output_exceeded=bool(run.get("output_exceeded")),
            stdout=run.get("stdout", ""),
            stderr=run.get("stderr", ""),
            stdout_bytes=int(run.get("stdout_bytes", 0)),
            stderr_bytes=int(run.get("stderr_bytes", 0)),
            messages=list(run.get("messages", ())),
            channel_problem=run.get("channel_problem"),
            duration_s=float(run.get("duration_s", 0.0)),
            maxrss_kb=int(runner.get("maxrss_kb", 0) or 0),
        )
        phases.append(PhaseResult(steps=[step], fast_failed=bool(run.get("fast_failed"))))
        run = run.get("next")
    return RunResult(
        phases=phases,
        isolation=raw.get("isolation", "full"),
        oom_kills=int(raw.get("oom_kills") or 0),
        peak_mb=raw.get("peak_mb"),
    )
