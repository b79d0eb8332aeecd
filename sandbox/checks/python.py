"""Python checks: parse, batched ruff, the stub strength check, and judging a sandboxed test run.

Everything here runs on the trusted side and never executes sample code: `compile` only parses,
ruff only reads text. The verdict of a test run is computed from the runner's authenticated
messages plus what the supervisor saw from outside (exit status, signals, limits hit).
"""

from __future__ import annotations

import ast
import functools
import json
import marshal
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sandbox.isolation.skeleton import WORK as SANDBOX_WORK
from sandbox.options import Limits, VerifyOptions
from sandbox.records import LintMessage, Sample, TestCase, TestSummary, Verdict
from sandbox.runner import SOLUTION_FILE, TESTS_FILE, sha256

FEEDBACK_LIMIT = 4000


# Syntax -----------------------------------------------------------------------------------------
def syntax_error(
    sample: Sample, max_bytes: int, codes: dict[str, tuple[str, bytes]] | None = None
) -> Verdict | None:
    """Whether the solution and the tests compile, as the sandbox's import system would compile
    their files (the UTF-8 bytes, a coding cookie honoured). With `codes`, the code of each, for
    the sandbox to import instead of compiling it again (`compiled`)."""
    for name, text in ((SOLUTION_FILE, sample.solution), (TESTS_FILE, sample.tests)):
        data = text.encode("utf-8", "surrogatepass")
        if len(data) > max_bytes:
            return _rejected("syntax", f"{name} is larger than {max_bytes} bytes")
        try:
            code = _compile(data, name)
        except SyntaxError as exc:
            where = f"{name}:{exc.lineno or 0}:{exc.offset or 0}"
            reason = f"{type(exc).__name__}: {exc.msg} at {where}"
            verdict = _rejected("syntax", reason)
            line = (exc.text or "").rstrip("\n")
            verdict.feedback = (
                f"The code does not parse ({type(exc).__name__}) at {where}: {exc.msg}"
                + (f"\n    {line}" if line else "")
            )
            return verdict
        except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
            verdict = _rejected("syntax", f"{name}: {type(exc).__name__}: {exc}")
            verdict.feedback = f"The code does not parse: {name}: {type(exc).__name__}: {exc}"
            return verdict
        if codes is not None:
            codes[name] = _ship(code, data)
    return None


def compiled(text: str, name: str) -> tuple[str, bytes] | None:
    """The code of a file the verifier made (the stubbed solution), for the sandbox to import;
    None if it does not compile (the sandbox's import then reports it)."""
    data = text.encode("utf-8", "surrogatepass")
    try:
        code = _compile(data, name)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None
    return _ship(code, data)


def _compile(data: bytes, name: str) -> Any:
    """As the sandbox's import compiles the file `name` holding `data`."""
    return compile(data, os.path.join(SANDBOX_WORK, name), "exec", dont_inherit=True)


def _ship(code: Any, source: bytes) -> tuple[str, bytes]:
    """Code as a request carries it: the SHA-256 of the bytes it was compiled from (the sandbox
    takes it for those bytes only), and the code, marshalled. Only the process backend reads it,
    on the very interpreter that made it."""
    digest = sha256(source).hexdigest()
    return digest, marshal.dumps(code)


def _rejected(stage: str, reason: str) -> Verdict:
    return Verdict(passed=False, stage=stage, reason=reason)


# Lint -------------------------------------------------------------------------------------------
_RUFF: list[str] = []
_RUFF_LOCK = threading.Lock()


def ruff_binary() -> str:
    """ruff's path, found once. Under a lock: ruff's finder reads `sysconfig`, whose first read
    is not thread-safe (another thread can see its variables half made: EXE is None), and two
    chunks can be linted at once (the first chunk's ruff call runs beside the verifier)."""
    with _RUFF_LOCK:
        if not _RUFF:
            _RUFF.append(_find_ruff())
        return _RUFF[0]


def _find_ruff() -> str:
    try:
        from ruff.__main__ import find_ruff_bin

        return os.fsdecode(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        found = os.path.join(os.path.dirname(sys.executable), "ruff")
        if os.path.exists(found):
            return found
        raise RuntimeError("ruff is not installed: pip install ruff") from None


def _matches(code: str, prefixes: Sequence[str]) -> bool:
    return any(code.startswith(p) for p in prefixes)


def lint(samples: Sequence[Sample], options: VerifyOptions) -> list[list[LintMessage]]:
    """Run ruff once over every sample's solution and tests; messages per sample, in order."""
    results: list[list[LintMessage]] = [[] for _ in samples]
    if not samples:
        return results
    selected = [*options.lint_select, *options.lint_warn]
    # In memory where there is a tmpfs: thousands of small files per chunk cost real time on disk.
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="assay-lint-", dir=shm) as tmp:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        for i, sample in enumerate(samples):
            os.mkdir(os.path.join(tmp, str(i)))
            for name, text in ((SOLUTION_FILE, sample.solution), (TESTS_FILE, sample.tests)):
                # os-level: a Python file object a file costs more than the write
                fd = os.open(os.path.join(tmp, str(i), name), flags, 0o600)
                try:
                    data = memoryview(text.encode("utf-8", "surrogatepass"))
                    while data:
                        data = data[os.write(fd, data) :]
                finally:
                    os.close(fd)
        version = f"py{sys.version_info.major}{sys.version_info.minor}"
        cmd = [
            ruff_binary(),
            "check",
            "--isolated",
            "--no-cache",
            "--exit-zero",
            "--output-format",
            "json",
            "--target-version",
            version,
            "--select",
            ",".join(selected),
        ]
        if options.lint_ignore:
            cmd += ["--ignore", ",".join(options.lint_ignore)]
        proc = subprocess.run(cmd + ["."], cwd=tmp, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"ruff failed ({proc.returncode}): {proc.stderr.strip()[:500]}")
        for item in json.loads(proc.stdout or "[]"):
            rel = os.path.relpath(item["filename"], tmp)
            index, _, name = rel.partition(os.sep)
            code = item.get("code") or "E999"
            location = item.get("location") or {}
            results[int(index)].append(
                LintMessage(
                    code=code,
                    message=item.get("message", ""),
                    line=int(location.get("row", 0)),
                    column=int(location.get("column", 0)),
                    file=name,
                    rejects=_matches(code, options.lint_select)
                    and not _matches(code, options.lint_ignore),
                )
            )
    for messages in results:
        messages.sort(key=lambda m: (m.file != SOLUTION_FILE, m.line, m.column))
    return results


def lint_verdict(messages: list[LintMessage]) -> Verdict | None:
    rejecting = [m for m in messages if m.rejects]
    if not rejecting:
        return None
    first = rejecting[0]
    verdict = _rejected("lint", f"{first.code} {first.message}")
    verdict.lint = messages
    return verdict


# The strength check -----------------------------------------------------------------------------
# CPython 3.11's ast.parse keeps its recursion depth per interpreter, not per thread: two threads
# parsing at once can fail with "SystemError: AST constructor recursion depth mismatch" (the pool
# builds stubs on its worker threads).
_PARSING = threading.Lock()


def stub_solution(solution: str) -> str | None:
    """The solution with every function's body replaced by `return None` (a docstring stays);
    None if it has no function. Each body is replaced where the parser says it lies, so the rest
    of the text (signatures, decorators, classes, module code) stays exactly as written."""
    with _PARSING:
        tree = ast.parse(solution)
    functions = _outermost_functions(tree)
    if not functions:
        return None
    if "\r" in solution:  # line ends the parser counts differently from str.split("\n")
        for function in functions:
            kept = function.body[:1] if ast.get_docstring(function, clean=False) is not None else []
            function.body = [*kept, ast.Return(ast.Constant(None))]
        return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    lines = solution.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def at(lineno: int, col: int) -> int:  # the parser's (line, UTF-8 byte column) as an index
        line = lines[lineno - 1]
        column = col if line.isascii() else len(line.encode("utf-8")[:col].decode("utf-8"))
        return starts[lineno - 1] + column

    edits = []
    for function in functions:
        body = function.body
        if ast.get_docstring(function, clean=False) is not None:
            docstring, body = body[0], body[1:]
            if not body:  # the docstring alone: a statement after it, on its line
                end = at(docstring.end_lineno or 0, docstring.end_col_offset or 0)
                edits.append((end, end, "; return None"))
                continue
        first, last = body[0], body[-1]
        start = at(first.lineno, first.col_offset)
        edits.append((start, at(last.end_lineno or 0, last.end_col_offset or 0), "return None"))
    for start, end, text in sorted(edits, reverse=True):
        solution = solution[:start] + text + solution[end:]
    return solution


def _outermost_functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Functions not inside another function (methods included); a loop, not recursion, as the
    tree can be deeper than Python's recursion limit."""
    found: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    todo = [tree]
    while todo:
        for child in ast.iter_child_nodes(todo.pop()):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append(child)
            else:
                todo.append(child)
    return found


# Running tests ----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=16)
def _limits_dict(limits: Limits) -> dict[str, Any]:
    """A request's limits, shared by every request (never changed: limits are frozen)."""
    return asdict(limits)


def test_request(
    sample: Sample,
    limits: Limits,
    solution: str | None = None,
    outcomes_only: bool = False,
    code: dict[str, tuple[str, bytes]] | None = None,
) -> dict[str, Any]:
    """A backend request. `outcomes_only` skips formatting failure tracebacks (the strength check
    needs pass or fail, and formatting a failure costs more than running a test); `code`, the
    files' code (`syntax_error`, `compiled`), spares the sandbox compiling them."""
    request = {
        "outcomes_only": outcomes_only,
        "files": {
            SOLUTION_FILE: sample.solution if solution is None else solution,
            TESTS_FILE: sample.tests,
        },
        "test_file": TESTS_FILE,
        "limits": _limits_dict(limits),
    }
    if code:
        request["code"] = code
    return request


_EXC_AT_END = re.compile(r":\d+: ([A-Za-z_][\w.]*)\s*$")


def _exception_type(case: dict[str, Any]) -> str:
    found = _EXC_AT_END.search(case.get("detail", ""))
    if found:
        return found.group(1).rsplit(".", 1)[-1]
    message = case.get("message", "")
    head = message.split(":", 1)[0].strip()
    if re.fullmatch(r"[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)", head):
        return head.rsplit(".", 1)[-1]
    if message.startswith("assert"):
        return "AssertionError"
    return case.get("outcome", "failed")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def judge_run(result: dict[str, Any], limits: Limits) -> Verdict:
    """Turn a backend's raw result into a verdict. Every path that is not a complete, all-passing,
    authenticated report is a rejection."""
    status = result.get("runner", {}).get("status")
    exit_code = sig = None
    if status is not None:
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
        elif os.WIFEXITED(status):
            exit_code = os.WEXITSTATUS(status)
    verdict = Verdict(
        passed=False,
        stage="tests",
        exit_code=exit_code,
        signal=sig,
        stdout=_clip_stream(result.get("stdout", ""), result.get("stdout_bytes", 0)),
        stderr=_clip_stream(result.get("stderr", ""), result.get("stderr_bytes", 0)),
        duration_s=float(result.get("duration_s", 0.0)),
        max_rss_mb=result.get("peak_mb"),
        isolation=result.get("isolation", "full"),
    )
    messages = result.get("messages", [])
    kinds = [m.get("t") for m in messages]
    collected = next((m for m in messages if m.get("t") == "collected"), None)
    cases = [m for m in messages if m.get("t") == "case"]
    finished = "end" in kinds
    summary = _summary(collected, cases)
    verdict.tests = summary
    oom = result.get("oom_kills", 0) > 0

    begun = [m.get("id") for m in messages if m.get("t") == "begin"]
    unfinished = [i for i in begun if i not in {c.get("id") for c in cases}]

    def reject(stage: str, reason: str) -> Verdict:
        if unfinished and stage in ("timeout", "memory", "output", "crash", "tests"):
            if not finished:  # name the test that was running when the sample was stopped
                reason += f" (while running {str(unfinished[-1]).split('::', 1)[-1]})"
        verdict.stage, verdict.reason = stage, reason
        return verdict

    if result.get("timed_out"):
        return reject("timeout", f"wall clock limit of {limits.timeout_s:g} s exceeded")
    if result.get("output_exceeded"):
        return reject("output", f"more than {limits.output_bytes} bytes on stdout or stderr")
    if sig == signal.SIGXCPU:
        return reject("timeout", "CPU time limit exceeded")
    if oom and not (finished and summary.collected and summary.passed == summary.collected):
        return reject("memory", f"memory limit of {limits.memory_mb} MB exceeded")
    if "start" not in kinds and not result.get("channel_problem"):
        # The runner never reached pytest: no sample code had run, so this is the sandbox's fault.
        raise SandboxFailure(
            f"the runner did not start (status {status}): {result.get('stderr', '')[-500:]}"
        )
    if result.get("channel_problem"):
        return reject("tests", f"result channel tampered with: {result['channel_problem']}")
    if sig is not None:
        if sig == signal.SIGXFSZ:
            return reject("crash", f"file size limit of {limits.file_size_mb} MB exceeded")
        return reject("crash", f"killed by {_signal_name(sig)}")
    if not finished:
        return reject(
            "tests",
            f"the process exited (code {exit_code}) before the test report was complete",
        )
    if collected is None:
        return reject("tests", "no collection report")
    if collected.get("errors"):
        first = collected["errors"][0].strip().splitlines()
        return reject("tests", "collection error: " + (first[-1] if first else "unknown"))
    end = next(m for m in messages if m.get("t") == "end")
    if summary.collected == 0:
        if end.get("exitstatus") in (
            2,
            3,
        ):  # interrupted, internal error: e.g. SystemExit on import
            return reject("tests", f"collection aborted (pytest exit status {end['exitstatus']})")
        return reject("no_tests", "no tests collected")
    reported = {c["id"] for c in cases}
    if reported != set(collected.get("ids", [])) or len(cases) != summary.collected:
        return reject("tests", "the test report is incomplete")
    if summary.passed == summary.collected:
        if end.get("exitstatus") not in (0, None):
            return reject("tests", f"pytest ended with status {end.get('exitstatus')}")
        if result.get("fast_failed"):
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
        return reject("tests", _exception_type(bad))
    return reject("tests", f"test {bad.get('outcome')}: {bad['id']}")


class SandboxFailure(RuntimeError):
    """The sandbox, not the sample, failed; the pool retries once and then reports `error`."""


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
        message = case.get("message", "")
        if outcome in ("failed", "error"):
            kind = _exception_type(case)
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


def _clip_stream(text: str, total: int, limit: int = 2000) -> str:
    if len(text) > limit:
        text = text[:limit]
    if total > len(text.encode("utf-8", "replace")):
        text += f"\n... [truncated: {total} bytes in all]"
    return text


# Feedback ---------------------------------------------------------------------------------------
def feedback(verdict: Verdict, details: dict[str, str] | None = None) -> str:
    """The short text a revision prompt quotes: what failed, where, with values."""
    if verdict.passed:
        return ""
    if verdict.stage == "syntax" and verdict.feedback:
        return verdict.feedback
    lines = [f"Verification failed at stage `{verdict.stage}`: {verdict.reason}."]
    rejecting = [m for m in verdict.lint if m.rejects]
    if rejecting:
        lines.append("Lint errors (ruff):")
        lines += [f"  {m.file}:{m.line}:{m.column}: {m.code} {m.message}" for m in rejecting[:20]]
    if verdict.stage == "weak_tests":
        lines.append(
            "These tests still pass when every function of the solution is replaced by a stub "
            "that returns None, so they check nothing: " + ", ".join(verdict.weak_tests[:10])
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
                lines.append("  traceback (last lines):")
                lines += ["    " + line for line in tail]
    if verdict.exit_code is not None or verdict.signal is not None:
        code = (
            verdict.exit_code
            if verdict.signal is None
            else f"killed by {_signal_name(verdict.signal)}"
        )
        lines.append(f"Return code: {code}")
    for name in ("stdout", "stderr"):
        text = getattr(verdict, name).strip()
        if text:
            lines.append(f"{name} (truncated):\n{text[:800]}")
    text = "\n".join(lines)
    return (
        text
        if len(text) <= FEEDBACK_LIMIT
        else text[:FEEDBACK_LIMIT] + "\n... [feedback truncated]"
    )


def case_details(result: dict[str, Any]) -> dict[str, str]:
    return {
        str(m.get("id", "")).split("::", 1)[-1]: str(m.get("detail", ""))
        for m in result.get("messages", [])
        if m.get("t") == "case" and m.get("outcome") != "passed"
    }
