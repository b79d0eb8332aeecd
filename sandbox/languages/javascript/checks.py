"""JavaScript's trusted-side checks: ESLint over a chunk at once (parse, lint, where the functions
lie) and the strength check's stub.

Nothing here executes sample code: ESLint parses and reads the files. The configuration
(eslint.config.cjs) decides what rejects (rules at "error") and what is only reported ("warn"); its
`assay/functions` rule reports where each outermost function's body lies in solution.js, from which
`stub_solution` makes the stub without a parser of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sandbox.languages.javascript.eslint import ESLint, ESLintError
from sandbox.languages.warm import answers, check_chunk
from sandbox.records import LintMessage, Sample, Verdict

SOLUTION_FILE, TESTS_FILE = "solution.js", "solution.test.js"
ESLINT_MAJOR = 9  # the version the configuration is written for and tested with
FUNCTIONS_RULE = "assay/functions"


@dataclass
class Checked:
    """One sample after ESLint: its rejection (syntax, lint), its messages, and where the
    solution's outermost function bodies lie (UTF-16 offsets, whether a block or an expression)."""

    verdict: Verdict | None = None
    lint: list[LintMessage] = field(default_factory=list)
    functions: list[tuple[int, int, str]] = field(default_factory=list)


def check(samples: Sequence[Sample], eslint: ESLint, max_bytes: int) -> list[Checked]:
    """ESLint over every sample's two files in one request; where that fails, each sample alone,
    and a sample ESLint fails on is a lint rejection."""
    return check_chunk(
        samples,
        (SOLUTION_FILE, TESTS_FILE),
        lambda chunk: _eslint(chunk, eslint),
        Checked,
        max_bytes,
        ("lint", "ESLint failed on the code"),
    )


def _eslint(samples: Sequence[Sample], eslint: ESLint) -> list[Checked]:
    results = [Checked() for _ in samples]
    for index, name, messages in answers(eslint, samples, SOLUTION_FILE, TESTS_FILE):
        if isinstance(messages, dict):
            raise ESLintError(str(messages.get("error", "ESLint failed")).splitlines()[0][:500])
        _read(messages, name, samples[index], results[index])
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
    replaced by one that returns undefined; an empty module if it has no function (tests that
    still pass use nothing of it). `functions` are ESLint's UTF-16 offsets into the text as
    ESLint read it (without a byte order mark)."""
    if not functions:
        return ""
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
