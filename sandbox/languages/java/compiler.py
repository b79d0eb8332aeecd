"""javac for a batch of Java samples, in the sandbox (trusted side: it never compiles anything itself).

A JVM's start and javac's warm-up cost ~0.4 s of CPU; a warm javac compiles a sample in a few
tens of ms. So each chunk of samples the verifier prechecks is compiled by ONE JVM
(`box/assay/CompileMain.java`) running as the compile step of a request of its own, in a box
like any sample's (the same backend, isolation and limits), on a worker this compiler keeps for
itself. The JVM runs no code of the samples (no annotation processing), only javac over their
text, and it is gone when the batch is done: nothing of one batch outlives it.

Hostile sources attack compilers. Each job (a sample, or its stub) has its own wall-clock budget
(the JVM's watchdog halts it over budget), the JVM's heap is capped below the box's memory, a
job's classes and the whole output are capped, and javac's stack is bounded (deep nesting fails
that job's compile, not the JVM). A job that stops the JVM is that job's `compile` rejection,
named by what stopped it; the jobs after it are sent again in a new request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from sandbox.languages.java import build
from sandbox.records import LintMessage
from sandbox.requests import COMPILE, Phase, RunRequest, RunResult, Step

JOBS_FILE = "jobs.assay"
MAX_JOBS, MAX_BYTES = 64, 2 << 20  # per request: jobs, and bytes of source
COMPILE_MIN_S = 20.0  # a job's budget: at least this, or twice the tests' timeout
START_S = 30.0  # the JVM's own start, on a loaded machine


class Compiled(NamedTuple):
    """One job's compile: `ok`, the compiler's messages, the classes (a bundle, `box/Bundle`),
    and, where a limit stopped the compiler on it, which (`time`, `memory`, ...)."""

    ok: bool
    diagnostics: list[LintMessage]
    bundle: str = ""
    stopped: str | None = None

    def reason(self, budget_s: float) -> str:
        """The rejection's reason when not `ok`."""
        return {
            None: "compile error",
            "time": f"the compiler ran out of time ({budget_s:g} s)",
            "memory": "the compiler ran out of memory",
        }.get(self.stopped, f"the compiler failed: {self.stopped}")


class SandboxError(RuntimeError):
    """The sandbox, not a sample, failed the batch (twice)."""


class BatchCompiler:
    """Compiles jobs (a dict of file name to source each) in batches, on a sandbox worker of
    its own that `run` reaches (a backend's `run`, replaced by `replace` when it fails)."""

    def __init__(
        self,
        java: str,
        shared: str,
        limits: Any,
        run: Callable[[RunRequest], RunResult],
        replace: Callable[[], None],
        tests_file: str,
    ) -> None:
        self.limits = limits
        self.budget_s = max(COMPILE_MIN_S, 2 * limits.timeout_s)
        self.tests_file = tests_file
        self._run, self._replace = run, replace
        self._lock = threading.Lock()
        heap = max(64, limits.memory_mb * 3 // 4)
        self.argv = (
            java, *build.JVM_FLAGS,
            f"-Xmx{heap}m", "-cp", f"{shared}/{build.CLASSES}", "assay.CompileMain", JOBS_FILE,
            f"{self.budget_s:g}", "-classpath", build.compile_classpath(), *build.JAVAC_OPTIONS,
        )  # fmt: skip

    def compile(self, jobs: Sequence[dict[str, str]]) -> list[Compiled]:
        """Every job's compile, in order; SandboxError if the sandbox failed twice in a row."""
        with self._lock:
            done: dict[int, Compiled] = {}
            pending = list(range(len(jobs)))
            failures = 0
            while pending:
                batch = _batch(pending, jobs)
                try:
                    got = self._compile(batch, jobs)
                except SandboxError:
                    failures += 1
                    if failures >= 2:
                        raise
                    self._replace()
                    continue
                failures = 0
                done.update(got)
                pending = [i for i in pending if i not in done]
            return [done[i] for i in range(len(jobs))]

    def _compile(self, batch: list[int], jobs: Sequence[dict[str, str]]) -> dict[int, Compiled]:
        """One request: what it compiled, and the job it stopped on, if one stopped it."""
        text = build.jobs_file([jobs[i] for i in batch], self.tests_file)
        # Each job is numbered by its place in this batch; the box writes the file as it was.
        files = {JOBS_FILE: text.decode("utf-8", "surrogatepass")}
        timeout = START_S + self.budget_s * len(batch)
        step = Step(name=COMPILE, argv=self.argv, reports=True, timeout_s=timeout)
        request = RunRequest(
            language="java", phases=(Phase(files=files, steps=(step,)),), limits=self.limits
        )
        result = self._run(request)
        if result.error or not result.phases or not result.phases[0].steps:
            raise SandboxError(result.error or "the sandbox returned no result for the compile")
        ran = result.phases[0].steps[0]
        if ran.channel_problem or not ran.messages:
            raise SandboxError(ran.channel_problem or f"the compile did not start: {ran.stderr}")
        done: dict[int, Compiled] = {}
        running: int | None = None
        for message in ran.messages:
            kind, index = message.get("t"), message.get("i")
            if kind == "compiling":
                running = index
            elif kind == "compiled":
                done[batch[index]] = Compiled(
                    ok=bool(message.get("ok")),
                    diagnostics=[_lint(d) for d in message.get("diagnostics", ())],
                    bundle=str(message.get("bundle", "")),
                )
                running = None
            elif kind == "limit":
                done[batch[index]] = Compiled(False, [], stopped=str(message.get("what")))
                running = None
            elif kind in ("full", "end"):
                running = None
        if running is not None:  # the JVM stopped during this job, without a word
            if ran.timed_out:
                stopped = "time"
            elif result.oom_kills:
                stopped = "memory"
            elif ran.output_exceeded:
                stopped = "it wrote too much output"
            else:
                stopped = f"exit status {ran.exit_code}, signal {ran.signal}"
            done[batch[running]] = Compiled(False, [], stopped=stopped)
        if not done:
            raise SandboxError(f"the compile made no progress: {ran.stderr[-500:]}")
        return done


def _batch(pending: list[int], jobs: Sequence[dict[str, str]]) -> list[int]:
    """The next request's jobs: up to MAX_JOBS and MAX_BYTES of source (at least one)."""
    batch, size = [], 0
    for i in pending:
        cost = sum(len(text) for text in jobs[i].values())
        if batch and (len(batch) >= MAX_JOBS or size + cost > MAX_BYTES):
            break
        batch.append(i)
        size += cost
    return batch


def _lint(diagnostic: dict[str, Any]) -> LintMessage:
    """A javac diagnostic as a lint message: errors reject, warnings are reported."""
    lines = str(diagnostic.get("message", "")).splitlines() or [""]
    # "cannot find symbol" and its "symbol: ..." and "location: ..." lines, on one line.
    message = "; ".join(" ".join(line.split()) for line in lines if line.strip())
    return LintMessage(
        code=str(diagnostic.get("code", "")),
        message=message,
        line=int(diagnostic.get("line") or 0),
        column=int(diagnostic.get("column") or 0),
        file=str(diagnostic.get("file") or ""),
        rejects=diagnostic.get("kind") == "error",
    )
