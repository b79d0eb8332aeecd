"""JavaScript's trusted-side checks: one ESLint call per chunk (parse, lint, where the functions lie)
and the strength check's stub.

Nothing here executes sample code: ESLint parses and reads the files. The configuration
(eslint.config.cjs) decides what rejects (rules at "error") and what is only reported ("warn"); its
`assay/functions` rule reports where each outermost function's body lies in solution.js, from which
`stub_solution` makes the stub without a parser of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sandbox.records import LintMessage, Sample, Verdict

SOLUTION_FILE, TESTS_FILE = "solution.js", "solution.test.js"
CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eslint.config.cjs")
ESLINT_MAJOR = 9  # the version the configuration is written for and tested with
FUNCTIONS_RULE = "assay/functions"
ESLINT_TIMEOUT_S = 600


class ESLintError(RuntimeError):
    """ESLint itself failed (not a sample's lint): the message says how."""


@dataclass
class Checked:
    """One sample after ESLint: its rejection (syntax, lint), its messages, and where the
    solution's outermost function bodies lie (UTF-16 offsets, whether a block or an expression)."""

    verdict: Verdict | None = None
    lint: list[LintMessage] = field(default_factory=list)
    functions: list[tuple[int, int, str]] = field(default_factory=list)


def eslint_version(eslint: str) -> str | None:
    """The version of the ESLint package behind the `eslint` program, read from its package.json."""
    here = os.path.dirname(os.path.realpath(eslint))
    for candidate in (os.path.join(here, "..", "package.json"), os.path.join(here, "package.json")):
        try:
            with open(candidate, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            continue
        if data.get("name") == "eslint":
            return str(data.get("version", ""))
    return None


def check(samples: Sequence[Sample], eslint: str, max_bytes: int) -> list[Checked]:
    """ESLint over every sample's two files at once; where that call fails, each sample alone, and
    a sample ESLint fails on is a lint rejection."""
    out = [Checked() for _ in samples]
    todo = []
    for i, sample in enumerate(samples):
        for name, text in ((SOLUTION_FILE, sample.solution), (TESTS_FILE, sample.tests)):
            if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
                out[i].verdict = _rejected("syntax", f"{name} is larger than {max_bytes} bytes")
                break
        else:
            todo.append(i)
    if not todo:
        return out
    try:
        results = _eslint([samples[i] for i in todo], eslint)
    except ESLintError:
        if len(todo) == 1:
            raise
        results = []
        for i in todo:  # one sample that breaks ESLint does not take the chunk with it
            try:
                results += _eslint([samples[i]], eslint)
            except ESLintError as exc:
                results.append(
                    Checked(verdict=_rejected("lint", f"ESLint failed on the code: {exc}"))
                )
    for i, checked in zip(todo, results, strict=True):
        out[i] = checked
    return out


def _eslint(samples: Sequence[Sample], eslint: str) -> list[Checked]:
    # In memory where there is a tmpfs: many small files per chunk.
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="assay-eslint-", dir=shm) as tmp:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        for i, sample in enumerate(samples):
            os.mkdir(os.path.join(tmp, str(i)))
            for name, text in ((SOLUTION_FILE, sample.solution), (TESTS_FILE, sample.tests)):
                fd = os.open(os.path.join(tmp, str(i), name), flags, 0o600)
                try:
                    data = memoryview(text.encode("utf-8", "surrogatepass"))
                    while data:
                        data = data[os.write(fd, data) :]
                finally:
                    os.close(fd)
        cmd = [eslint, "--config", CONFIG, "--format", "json", "--no-warn-ignored", "."]
        try:
            proc = subprocess.run(
                cmd, cwd=tmp, capture_output=True, text=True, timeout=ESLINT_TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            raise ESLintError(f"ESLint took more than {ESLINT_TIMEOUT_S} s") from None
        if proc.returncode not in (0, 1):
            first = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[:3]
            raise ESLintError(f"eslint exited with {proc.returncode}: {' '.join(first)[:500]}")
        try:
            reports = json.loads(proc.stdout)
        except ValueError:
            raise ESLintError(f"eslint wrote no report: {proc.stdout[:200]!r}") from None
    results = [Checked() for _ in samples]
    for report in reports:
        rel = os.path.relpath(report["filePath"], tmp)
        index, _, name = rel.partition(os.sep)
        _read(report.get("messages", []), name, samples[int(index)], results[int(index)])
    for result in results:
        result.lint.sort(key=lambda m: (m.file != SOLUTION_FILE, m.line, m.column))
        if result.verdict is None:
            result.verdict = lint_verdict(result.lint)
    return results


def _read(messages: list[dict], name: str, sample: Sample, into: Checked) -> None:
    """One file's ESLint messages into `into`: a parse error, lint, or where functions lie."""
    for item in messages:
        rule = item.get("ruleId")
        line, column = int(item.get("line") or 0), int(item.get("column") or 0)
        text = str(item.get("message", ""))
        if item.get("fatal"):
            if into.verdict is None:
                into.verdict = syntax_verdict(name, line, column, text, sample)
            continue
        if rule == FUNCTIONS_RULE:
            start, end, kind = text.split()
            into.functions.append((int(start), int(end), kind))
            continue
        into.lint.append(
            LintMessage(
                code=rule or "eslint",
                message=text,
                line=line,
                column=column,
                file=name,
                rejects=item.get("severity") == 2,
            )
        )


def syntax_verdict(name: str, line: int, column: int, message: str, sample: Sample) -> Verdict:
    message = message.removeprefix("Parsing error: ")
    where = f"{name}:{line}:{column}"
    verdict = _rejected("syntax", f"SyntaxError: {message} at {where}")
    text = sample.solution if name == SOLUTION_FILE else sample.tests
    lines = text.splitlines()
    shown = lines[line - 1].rstrip() if 0 < line <= len(lines) else ""
    verdict.feedback = f"The code does not parse (SyntaxError) at {where}: {message}" + (
        f"\n    {shown}" if shown else ""
    )
    return verdict


def lint_verdict(messages: list[LintMessage]) -> Verdict | None:
    rejecting = [m for m in messages if m.rejects]
    if not rejecting:
        return None
    first = rejecting[0]
    verdict = _rejected("lint", f"{first.code} {first.message}")
    verdict.lint = messages
    return verdict


def _rejected(stage: str, reason: str) -> Verdict:
    return Verdict(passed=False, stage=stage, reason=reason)


# The strength check -----------------------------------------------------------------------------
def stub_solution(solution: str, functions: Sequence[tuple[int, int, str]]) -> str | None:
    """The solution with each outermost function's body (a block, or an arrow's expression)
    replaced by one that returns undefined; None if it has no function. `functions` are ESLint's
    UTF-16 offsets into the text as ESLint read it (without a byte order mark)."""
    if not functions:
        return None
    bom = 1 if solution.startswith("\ufeff") else 0
    at = _utf16_to_index(solution[bom:])
    edits = sorted(
        ((at(start) + bom, at(end) + bom, kind) for start, end, kind in functions), reverse=True
    )
    for start, end, kind in edits:
        body = "{ return undefined; }" if kind == "block" else "undefined"
        solution = solution[:start] + body + solution[end:]
    return solution


def _utf16_to_index(text: str) -> Callable[[int], int]:
    """A function from a UTF-16 offset into `text` to a Python string index."""
    if all(ord(c) < 0x10000 for c in text):
        return lambda offset: offset
    table = []
    for index, char in enumerate(text):
        table.append(index)
        if ord(char) >= 0x10000:
            table.append(index)
    table.append(len(text))
    return lambda offset: table[min(offset, len(table) - 1)]
