"""TypeScript's trusted-side checks: one warm server (ts_server.js) parses and lints a chunk at
once and makes the strength check's stubs, then one call of TypeScript's native compiler emits
the chunk's JavaScript (emit.py); the type checker's messages read back from the box.

Nothing here executes sample code: ESLint (typescript-eslint's parser) reads the files, and
TypeScript's emitter turns each into JavaScript text. Type checking is not done here: `tsc
--strict` runs in the box, where its messages come back from (`diagnostics`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sandbox.languages.javascript.checks import lint_verdict
from sandbox.languages.javascript.eslint import ESLint, ESLintError
from sandbox.languages.typescript import emit
from sandbox.languages.typescript.toolchain import SOLUTION_FILE, TESTS_FILE
from sandbox.languages.warm import answers, check_chunk
from sandbox.records import LintMessage, Sample, Verdict

JS_SOLUTION, JS_TESTS = "solution.js", "solution.test.js"
_STUB = "stub"
EMPTY_SOLUTION = "export {};\n"  # the strength check's stub of a solution without functions


@dataclass
class Checked:
    """One sample after the server: its rejection (syntax, lint), its messages, each file as
    JavaScript, and the strength check's stub (TypeScript and JavaScript; the empty module where
    the solution defines no function)."""

    verdict: Verdict | None = None
    lint: list[LintMessage] = field(default_factory=list)
    js: dict[str, str] = field(default_factory=dict)
    stub: tuple[str, str] | None = None


def check(samples: Sequence[Sample], server: ESLint, tsc: str, max_bytes: int) -> list[Checked]:
    """Every sample's two files in one request and one emit; where that fails, each sample alone,
    and a sample ESLint or the emitter fails on is a lint rejection."""
    return check_chunk(
        samples,
        (SOLUTION_FILE, TESTS_FILE),
        lambda chunk: _ask(chunk, server, tsc),
        Checked,
        max_bytes,
        ("lint", "the checks failed on the code"),
    )


def _ask(samples: Sequence[Sample], server: ESLint, tsc: str) -> list[Checked]:
    results = [Checked() for _ in samples]
    stubs: dict[int, str] = {}
    for index, name, answer in answers(server, samples, SOLUTION_FILE, TESTS_FILE):
        if "error" in answer:
            raise ESLintError(str(answer["error"]).splitlines()[0][:500])
        _read(answer, name, samples[index], results[index])
        if "stub" in answer:
            stubs[index] = answer["stub"]
        elif name == SOLUTION_FILE:  # no function to stub (rejected samples emit nothing)
            stubs[index] = EMPTY_SOLUTION
    _emit(samples, results, stubs, tsc)
    for result in results:
        result.lint.sort(key=lambda m: (m.file != SOLUTION_FILE, m.line, m.column))
        if result.verdict is None:
            result.verdict = lint_verdict(result.lint)
    return results


def _emit(
    samples: Sequence[Sample], results: list[Checked], stubs: dict[int, str], tsc: str
) -> None:
    """The JavaScript of every sample that parsed (both files, and its stub), in one `tsc` call."""
    wanted: list[tuple[int, str, str]] = []  # (sample, what: a JavaScript file or _STUB, text)
    for index, (sample, result) in enumerate(zip(samples, results, strict=True)):
        if result.verdict is None:
            wanted += [(index, JS_SOLUTION, sample.solution), (index, JS_TESTS, sample.tests)]
            if index in stubs:
                wanted.append((index, _STUB, stubs[index]))
    files = [(TESTS_FILE if what == JS_TESTS else SOLUTION_FILE, text) for _, what, text in wanted]
    for (index, what, text), js in zip(wanted, emit.emit(tsc, files), strict=True):
        if what == _STUB:
            results[index].stub = (text, js)
        else:
            results[index].js[what] = js


def _read(answer: dict, name: str, sample: Sample, into: Checked) -> None:
    """One file's answer into `into`: a parse error, lint."""
    for item in answer.get("messages", []):
        line, column = int(item.get("line") or 0), int(item.get("column") or 0)
        text = str(item.get("message", ""))
        if item.get("fatal"):
            if into.verdict is None:
                into.verdict = syntax_verdict(name, line, column, text, sample)
            continue
        into.lint.append(
            LintMessage(
                code=item.get("ruleId") or "eslint",
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
    verdict = Verdict(passed=False, stage="syntax", reason=f"SyntaxError: {message} at {where}")
    lines = (sample.solution if name == SOLUTION_FILE else sample.tests).splitlines()
    shown = lines[line - 1].rstrip() if 0 < line <= len(lines) else ""
    verdict.feedback = f"The code does not parse (SyntaxError) at {where}: {message}" + (
        f"\n    {shown}" if shown else ""
    )
    return verdict


# The type checker's messages, as `tsc --pretty false` prints them: file(line,col): error TSn: ...
_TSC = re.compile(
    r"^(?P<file>[^\s(][^(]*)\((?P<line>\d+),(?P<col>\d+)\): (?P<kind>error|warning) "
    r"(?P<code>TS\d+): (?P<message>.*)$"
)
_TSC_GLOBAL = re.compile(r"^(?P<kind>error|warning) (?P<code>TS\d+): (?P<message>.*)$")


def tsc_messages(output: str) -> list[LintMessage]:
    """`tsc`'s diagnostics with file:line:col (continuation lines join their message); errors
    reject."""
    out: list[LintMessage] = []
    for raw in output.splitlines():
        found = _TSC.match(raw) or _TSC_GLOBAL.match(raw)
        if found is None:
            if out and raw.startswith(" ") and raw.strip():
                out[-1].message += " " + raw.strip()
            continue
        fields = found.groupdict()
        out.append(
            LintMessage(
                code=fields["code"],
                message=fields["message"],
                line=int(fields.get("line") or 0),
                column=int(fields.get("col") or 0),
                file=(fields.get("file") or "").removeprefix("/sandbox/work/") or "tsc",
                rejects=fields["kind"] == "error",
            )
        )
    return out
