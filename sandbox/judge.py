"""Facts to a verdict, the same for every language (trusted side; it never runs sample code).

A run's facts (`sandbox.requests.RunResult`) are what the supervisor saw from outside each step
(exit status, signals, limits hit) and the step's authenticated report. Every language's test
harness speaks one report protocol (`sandbox.isolation.channel`): `start`, `collected` (the test
ids, and collection errors), `begin` and `case` for each test, `end`. A run passes only with a
complete, all-passing, authenticated report; everything else is a rejection with its stage and
reason, or, where the sandbox itself failed, a `SandboxFailure` the verifier retries.
"""

from __future__ import annotations

import re
import signal
from typing import Any

from sandbox.isolation.channel import CANNOT_EXECUTE, EXEC_FAILED
from sandbox.options import Limits
from sandbox.records import LintMessage, TestCase, TestSummary, Verdict
from sandbox.requests import COMPILE, PhaseResult, RunResult, StepResult

FEEDBACK_LIMIT = 4000
# The reasons of a `weak_tests` verdict: the strength check's stub (`Language.stub`) had its
# functions stubbed, or it was the empty solution (the solution defines no function).
WEAK_STUBBED = "every test passes against a solution whose functions are stubs"
WEAK_EMPTY = "every test passes against an empty solution"
STRENGTH_UNCHECKED = "strength-unchecked"


def unchecked_note(solution_file: str) -> LintMessage:
    """What a passing verdict carries when its strength check could not be made: the solution
    with stubbed bodies did not compile, so no test was shown to fail against stubs."""
    return LintMessage(
        code=STRENGTH_UNCHECKED,
        message="the strength check was not made: the solution with stubbed bodies does not compile",
        line=0,
        file=solution_file,
    )


class SandboxFailure(RuntimeError):
    """The sandbox, not the sample, failed; the verifier retries once and then reports `error`."""


def judge(result: RunResult, limits: Limits, phase: int = 0) -> Verdict:
    """The verdict of one phase of a run (0: the sample; 1: the strength check's stub)."""
    if result.error:
        raise SandboxFailure(result.error)
    if phase >= len(result.phases) or not result.phases[phase].steps:
        raise SandboxFailure("the sandbox returned no result for the run")
    ran = result.phases[phase]
    for step in ran.steps:
        if step.exit_code == EXEC_FAILED and step.stderr.startswith(CANNOT_EXECUTE):
            raise SandboxFailure(step.stderr.strip()[:500])
    for step in ran.steps:
        if step.name == COMPILE:
            rejected = _judge_compile(step, limits)
            if rejected is not None:
                rejected.isolation = result.isolation
                return rejected
    return _judge_tests(ran, result, limits)


def _judge_compile(step: StepResult, limits: Limits) -> Verdict | None:
    """A compile step that did not succeed is the sample's compile failure, whatever the cause:
    errors, a compiler run out of time or memory (template and constexpr bombs), an output flood."""
    verdict = Verdict(passed=False, stage="compile", exit_code=step.exit_code, signal=step.signal)
    verdict.stderr = clip_stream(step.stderr, step.stderr_bytes)
    verdict.stdout = clip_stream(step.stdout, step.stdout_bytes)
    verdict.duration_s = step.duration_s
    if step.timed_out:
        verdict.reason = f"the compiler ran out of time ({limits.timeout_s:g} s)"
    elif step.output_exceeded:
        verdict.reason = f"the compiler wrote more than {limits.output_bytes} bytes"
    elif step.signal is not None:
        verdict.reason = f"the compiler was killed by {signal_name(step.signal)}"
    elif step.exit_code not in (0, None):
        verdict.reason = "compile error"
    elif step.status is None:
        raise SandboxFailure(f"the compiler did not run: {step.stderr[-500:]}")
    else:
        return None
    return verdict


def _judge_tests(ran: PhaseResult, result: RunResult, limits: Limits) -> Verdict:
    step = ran.last
    exit_code, sig = step.exit_code, step.signal
    verdict = Verdict(
        passed=False,
        stage="tests",
        exit_code=exit_code,
        signal=sig,
        stdout=clip_stream(step.stdout, step.stdout_bytes),
        stderr=clip_stream(step.stderr, step.stderr_bytes),
        duration_s=step.duration_s,
        max_rss_mb=result.peak_mb,
        isolation=result.isolation,
    )
    messages = step.messages
    kinds = [m.get("t") for m in messages]
    collected = next((m for m in messages if m.get("t") == "collected"), None)
    cases = [m for m in messages if m.get("t") == "case"]
    finished = "end" in kinds
    summary = _summary(collected, cases)
    verdict.tests = summary
    oom = result.oom_kills > 0

    begun = [m.get("id") for m in messages if m.get("t") == "begin"]
    unfinished = [i for i in begun if i not in {c.get("id") for c in cases}]

    def reject(stage: str, reason: str) -> Verdict:
        if unfinished and stage in ("timeout", "memory", "output", "crash", "tests"):
            if not finished:  # name the test that was running when the sample was stopped
                reason += f" (while running {str(unfinished[-1]).split('::', 1)[-1]})"
        verdict.stage, verdict.reason = stage, reason
        return verdict

    if step.timed_out:
        return reject("timeout", f"wall clock limit of {limits.timeout_s:g} s exceeded")
    if step.output_exceeded:
        return reject("output", f"more than {limits.output_bytes} bytes on stdout or stderr")
    if sig == signal.SIGXCPU:
        return reject("timeout", "CPU time limit exceeded")
    if oom and not (finished and summary.collected and summary.passed == summary.collected):
        return reject("memory", f"memory limit of {limits.memory_mb} MB exceeded")
    if "start" not in kinds and not step.channel_problem:
        if step.status is None or exit_code in (70, 71):
            # The runner never reached the tests: no sample code had run, the sandbox's fault.
            raise SandboxFailure(
                f"the runner did not start (status {step.status}): {step.stderr[-500:]}"
            )
    if step.channel_problem:
        return reject("tests", f"result channel tampered with: {step.channel_problem}")
    if sig is not None:
        if sig == signal.SIGXFSZ:
            return reject("crash", f"file size limit of {limits.file_size_mb} MB exceeded")
        return reject("crash", f"killed by {signal_name(sig)}")
    if not finished:
        # A harness that reports why its process is ending (a sanitizer's report) names it.
        dying = next((c for c in cases if c.get("outcome") == "error" and c.get("kind")), None)
        if dying is not None:
            return reject("tests", f"{exception_type(dying)} (the process ended in {dying['id']})")
        return reject(
            "tests",
            f"the process exited (code {exit_code}) before the test report was complete",
        )
    if collected is None:
        return reject("tests", "no collection report")
    if collected.get("errors"):
        first = str(collected["errors"][0]).strip().splitlines()
        return reject("tests", "collection error: " + (first[-1] if first else "unknown"))
    end = next(m for m in messages if m.get("t") == "end")
    if summary.collected == 0:
        if end.get("exitstatus") in (2, 3):  # interrupted, internal error: SystemExit on import
            return reject("tests", f"collection aborted (exit status {end['exitstatus']})")
        return reject("no_tests", "no tests collected")
    reported = {c["id"] for c in cases}
    if reported != set(collected.get("ids", [])) or len(cases) != summary.collected:
        return reject("tests", "the test report is incomplete")
    if summary.passed == summary.collected:
        if end.get("exitstatus") not in (0, None):
            return reject("tests", f"the tests ended with status {end.get('exitstatus')}")
        if exit_code not in (0, None):
            return reject("tests", f"the process exited with code {exit_code} after its tests")
        if ran.fast_failed:
            return reject(
                "tests",
                "flaky: a test failed on a first run and passed when run again under pytest",
            )
        verdict.passed, verdict.stage = True, "passed"
        return verdict
    if summary.failed == 0 and summary.errors == 0 and summary.passed == 0:
        return reject("no_tests", "every test was skipped or xfailed")
    bad = next(c for c in cases if c.get("outcome") != "passed")
    if bad.get("outcome") in ("failed", "error"):
        return reject("tests", exception_type(bad))
    return reject("tests", f"test {bad.get('outcome')}: {bad['id']}")


_EXC_AT_END = re.compile(r":\d+: ([A-Za-z_][\w.]*)\s*$")


def exception_type(case: dict[str, Any]) -> str:
    """What a failed test raised, as a short name (AssertionError, ZeroDivisionError, ...), or
    the kind of failure its harness named (`kind`: "CHECK failed", "AddressSanitizer: ...")."""
    if case.get("kind"):
        return str(case["kind"])[:200]
    found = _EXC_AT_END.search(str(case.get("detail", "")))
    if found:
        return found.group(1).rsplit(".", 1)[-1]
    message = str(case.get("message", ""))
    head = message.split(":", 1)[0].strip()
    if re.fullmatch(r"[A-Za-z_][\w.:]*(Error|Exception|Exit|Interrupt|Warning|Failure)", head):
        return head.rsplit(".", 1)[-1].rsplit("::", 1)[-1]
    if message.startswith("assert"):
        return "AssertionError"
    return str(case.get("outcome", "failed"))


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _summary(collected: dict[str, Any] | None, cases: list[dict[str, Any]]) -> TestSummary:
    summary = TestSummary(collected=len(collected.get("ids", [])) if collected else 0)
    for case in cases:
        outcome = case.get("outcome") or "error"
        if outcome == "passed":
            summary.passed += 1
        elif outcome == "failed":
            summary.failed += 1
        elif outcome == "error":
            summary.errors += 1
        else:
            summary.skipped += 1
        message = str(case.get("message", ""))
        if outcome in ("failed", "error"):
            kind = exception_type(case)
            message = message if message.startswith(kind) else f"{kind}: {message}".rstrip(": ")
        summary.cases.append(
            TestCase(
                name=str(case.get("id", "")).split("::", 1)[-1],
                outcome=outcome,
                message=message[:1000],
                duration_s=round(float(case.get("duration", 0.0)), 4),
            )
        )
    return summary


def clip_stream(text: str, total: int, limit: int = 2000) -> str:
    if len(text) > limit:
        text = text[:limit]
    if total > len(text.encode("utf-8", "replace")):
        text += f"\n... [truncated: {total} bytes in all]"
    return text


def case_details(
    result: RunResult, phase: int = 0, first_lines: int | None = None
) -> dict[str, str]:
    """Each failing test's detail (a traceback, a sanitizer report), by test name. With
    `first_lines`, only that many non-blank lines, and none where the detail only repeats the
    test's message."""
    if phase >= len(result.phases) or not result.phases[phase].steps:
        return {}
    out = {}
    for m in result.phases[phase].last.messages:
        if m.get("t") != "case" or m.get("outcome") == "passed":
            continue
        detail = str(m.get("detail", ""))
        if first_lines is not None:
            detail = detail.strip()
            if not detail or detail == str(m.get("message", "")).strip():
                continue
            detail = "\n".join([line for line in detail.splitlines() if line.strip()][:first_lines])
        out[str(m.get("id", "")).split("::", 1)[-1]] = detail
    return out


def feedback(verdict: Verdict, details: dict[str, str] | None = None) -> str:
    """The short text a revision prompt quotes: what failed, where, with values."""
    if verdict.passed:
        return ""
    if verdict.stage == "syntax" and verdict.feedback:
        return verdict.feedback
    lines = [f"Verification failed at stage `{verdict.stage}`: {verdict.reason}."]
    rejecting = [m for m in verdict.lint if m.rejects]
    if rejecting:
        title = "Compile errors:" if verdict.stage == "compile" else "Lint errors:"
        lines.append(title)
        lines += [_located(m) for m in rejecting[:20]]
    elif verdict.stage == "compile" and verdict.stderr.strip():
        lines.append(f"compiler output (truncated):\n{verdict.stderr.strip()[:1500]}")
    if verdict.stage == "weak_tests":
        if verdict.reason == WEAK_EMPTY:
            stubbed = "against an empty file in the solution's place (it defines no function)"
        else:
            stubbed = (
                "when every function of the solution is replaced by a stub (returning a default "
                "value or failing)"
            )
        lines.append(
            f"These tests still pass {stubbed}, so they check nothing of it: "
            + ", ".join(verdict.weak_tests[:10])
        )
    tests = verdict.tests
    if tests is not None and verdict.stage in ("tests", "no_tests", "crash", "timeout", "memory"):
        lines.append(
            f"Tests: {tests.collected} collected, {tests.passed} passed, {tests.failed} failed, "
            f"{tests.errors} errors, {tests.skipped} skipped."
        )
        shown = 0
        for case in tests.cases:
            if case.outcome == "passed" or shown >= 5:
                continue
            shown += 1
            lines.append(f"- {case.name} {case.outcome}: {case.message.strip()}")
            detail = (details or {}).get(case.name, "")
            if detail:
                tail = detail.strip().splitlines()[-12:]
                lines.append("  details (last lines):")
                lines += ["    " + line for line in tail]
    if verdict.stage != "compile" and (verdict.exit_code is not None or verdict.signal is not None):
        code = (
            verdict.exit_code
            if verdict.signal is None
            else f"killed by {signal_name(verdict.signal)}"
        )
        lines.append(f"Return code: {code}")
    if verdict.stage != "compile":
        for name in ("stdout", "stderr"):
            text = getattr(verdict, name).strip()
            if text:
                lines.append(f"{name} (truncated):\n{text[:800]}")
    text = "\n".join(lines)
    if len(text) <= FEEDBACK_LIMIT:
        return text
    return text[:FEEDBACK_LIMIT] + "\n... [feedback truncated]"


def _located(message: LintMessage) -> str:
    return f"  {message.file}:{message.line}:{message.column}: {message.code} {message.message}"
