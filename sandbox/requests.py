"""What crosses from the verifier to a sandbox worker and back: a run request and its facts.

The protocol, in one place:

    verifier ──RunRequest──► worker (process backend: a frame on a pipe; Docker: on the
                             container's stdin) ──RunResult──► verifier

- A `RunRequest` is a sample's files and what to do with them: `phases`, each a set of files
  written into a fresh work dir and `steps` run there one after the other (compile, then test),
  each a fresh process under the request's `limits` (a step may ask for a longer timeout). A phase runs only if the one before passed cleanly; the second phase is the strength
  check's stubbed solution. A step may `keep` files it made (a compiled test binary): the
  box copies them out of the work dir as soon as the step succeeded, before anything of the
  sample runs, and a later phase that `takes` them gets that copy in its fresh work dir, so one
  build serves both phases without the first phase's run being able to change it. A test step
  that `chains` may run the next phase itself, in the process its sample's run was forked from,
  after a clean pass (`sandbox.isolation.steps`).
- A step either executes a program (`argv`, run in the work dir with the sample's empty
  environment) or, with no `argv`, runs the language's in-process runner (Python: the fast path
  or a parked pytest session). A step that `reports` writes its tests' outcomes as authenticated
  lines on descriptor 3 (`sandbox.isolation.channel`), given its token on descriptor 4 (and,
  for a `stub` step, the strength check's switch after it).
- A `RunResult` holds facts only, one `StepResult` per step that ran: exit status, limits hit,
  the streams (capped), the authenticated messages. The judge (`sandbox.judge`) turns them into a
  verdict; nothing in a result is trusted that the sample could have written, except through the
  authenticated channel.

On the wire each record is a plain dict of its fields (`to_wire`, `from_wire`), which `marshal`
(between processes of the same interpreter) and JSON (into a container) both carry. The records
are NamedTuples: a sandbox worker loads this module, and a fork server stays as small as it can.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from sandbox.limits import Limits

COMPILE, TEST = "compile", "test"  # the step names the judge knows


class Step(NamedTuple):
    """One process of a phase: a compiler, or the tests."""

    name: str = TEST  # COMPILE: its failure is a compile failure (stage `compile`)
    argv: tuple[str, ...] = ()  # empty: the language's in-process runner
    reports: bool = True  # speaks the report protocol (fd 3, its token on fd 4)
    timeout_s: float | None = None  # instead of the request's
    env: tuple[tuple[str, str], ...] = ()  # added to the sample's environment
    keeps: tuple[str, ...] = ()  # files of the work dir a later phase takes, as the step left them
    # The last step of a phase whose program can go on to the next phase without a fresh start
    # (the strength check's stub, in the process its sample's run was forked from):
    # `steps.run_request`.
    chains: bool = False
    # Its program may be forked from a warm process that runs the same program (a zygote,
    # `sandbox/isolation/zygote.py`) where the box has one; else it is executed.
    warm: bool = False
    # The strength check's run of a program that holds the stub in the same binary (C++, Go, Rust):
    # a '1' follows the token on descriptor 4, which the harness reads with it, so the tests find
    # no variable, file or argument that tells this run from the sample's.
    stub: bool = False

    def to_wire(self) -> dict[str, Any]:
        return self._asdict()

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Step:
        data = dict(data)
        data["argv"] = tuple(data.get("argv", ()))
        data["env"] = tuple(tuple(pair) for pair in data.get("env", ()))
        data["keeps"] = tuple(data.get("keeps", ()))
        return cls(**data)


class Phase(NamedTuple):
    """Files written into a fresh work dir, then steps run there."""

    files: dict[str, str]
    steps: tuple[Step, ...] = (Step(),)
    outcomes_only: bool = False  # pass or fail per test; no tracebacks (the strength check)
    # Python: each file's code, compiled by the verifier (SHA-256 of the source, marshalled code).
    code: dict[str, tuple[str, bytes]] | None = None
    takes: tuple[str, ...] = ()  # files an earlier phase's step kept (`Step.keeps`)

    def to_wire(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "steps": [s.to_wire() for s in self.steps],
            "outcomes_only": self.outcomes_only,
            "code": self.code or {},
            "takes": list(self.takes),
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Phase:
        return cls(
            files=dict(data["files"]),
            steps=tuple(Step.from_wire(s) for s in data["steps"]),
            outcomes_only=bool(data.get("outcomes_only")),
            code={k: (v[0], v[1]) for k, v in (data.get("code") or {}).items()},
            takes=tuple(data.get("takes", ())),
        )


class RunRequest(NamedTuple):
    language: str
    phases: tuple[Phase, ...]
    limits: Limits = Limits()
    fast: bool = True  # Python: plain test modules on the fast path

    @property
    def in_process(self) -> bool:
        """Whether its steps are the in-process runner's (Python's), not programs."""
        return not any(step.argv for phase in self.phases for step in phase.steps)

    def to_wire(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "phases": [p.to_wire() for p in self.phases],
            "limits": self.limits.to_wire(),
            "fast": self.fast,
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> RunRequest:
        return cls(
            language=data["language"],
            phases=tuple(Phase.from_wire(p) for p in data["phases"]),
            limits=Limits.from_wire(data["limits"]),
            fast=bool(data.get("fast", True)),
        )


class StepResult(NamedTuple):
    """What one step did, as seen from outside it, plus its authenticated report."""

    name: str = TEST
    status: int | None = None  # the wait status; None if it never ran to an end we saw
    timed_out: bool = False
    output_exceeded: bool = False
    stdout: str = ""
    stderr: str = ""
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    messages: list[dict[str, Any]] | tuple[()] = ()
    channel_problem: str | None = None  # a forged, out-of-order or flooding report
    duration_s: float = 0.0
    maxrss_kb: int = 0

    @property
    def exit_code(self) -> int | None:
        if self.status is not None and os.WIFEXITED(self.status):
            return os.WEXITSTATUS(self.status)
        return None

    @property
    def signal(self) -> int | None:
        if self.status is not None and os.WIFSIGNALED(self.status):
            return os.WTERMSIG(self.status)
        return None

    def to_wire(self) -> dict[str, Any]:
        return self._asdict()

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> StepResult:
        return cls(**data)


class PhaseResult(NamedTuple):
    steps: list[StepResult]
    # Python: a test failed on the fast path and every test passed under pytest (flaky).
    fast_failed: bool = False

    @property
    def last(self) -> StepResult:
        return self.steps[-1]

    def to_wire(self) -> dict[str, Any]:
        return {"steps": [s.to_wire() for s in self.steps], "fast_failed": self.fast_failed}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> PhaseResult:
        return cls(
            steps=[StepResult.from_wire(s) for s in data["steps"]],
            fast_failed=bool(data.get("fast_failed")),
        )


class RunResult(NamedTuple):
    phases: list[PhaseResult] | tuple[()] = ()
    isolation: str = "full"
    oom_kills: int = 0  # over the whole request (the worker's cgroup is armed per request)
    peak_mb: float | None = None
    error: str | None = None  # the sandbox failed (not the sample): retried, then `error`

    def to_wire(self) -> dict[str, Any]:
        return {
            "phases": [p.to_wire() for p in self.phases],
            "isolation": self.isolation,
            "oom_kills": self.oom_kills,
            "peak_mb": self.peak_mb,
            "error": self.error,
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> RunResult:
        return cls(
            phases=[PhaseResult.from_wire(p) for p in data.get("phases", ())],
            isolation=data.get("isolation", "full"),
            oom_kills=int(data.get("oom_kills") or 0),
            peak_mb=data.get("peak_mb"),
            error=data.get("error"),
        )
