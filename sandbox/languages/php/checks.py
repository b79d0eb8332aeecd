"""PHP's trusted-side checks: one warm `php` process (php_server.php) parses every file of a chunk
with PHP's own parser (that of `php -l`) and makes the strength check's stub.

Nothing here executes sample code: the parser reads the text, and nikic/PHP-Parser finds where
each function's body lies. Compile-time errors that are not syntax (a function declared twice, a
value returned from a void function) surface in the box, where PHP compiles the files before they
run: the harness reports them as a collection error with file and line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sandbox.languages.javascript.eslint import ESLintError as ServerError
from sandbox.languages.javascript.eslint import WarmServer
from sandbox.records import Sample, Verdict

SOLUTION_FILE, TESTS_FILE = "solution.php", "SolutionTest.php"


@dataclass
class Checked:
    """One sample after the parser: its rejection (syntax) and the stub, if it has functions."""

    verdict: Verdict | None = None
    stub: str | None = None


def check(samples: Sequence[Sample], server: WarmServer, max_bytes: int) -> list[Checked]:
    """Every sample's two files in one request; where that fails, each sample alone."""
    out = [Checked() for _ in samples]
    todo = []
    for i, sample in enumerate(samples):
        for name, text in ((SOLUTION_FILE, sample.solution), (TESTS_FILE, sample.tests)):
            if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
                reason = f"{name} is larger than {max_bytes} bytes"
                out[i].verdict = Verdict(passed=False, stage="syntax", reason=reason)
                break
        else:
            todo.append(i)
    if not todo:
        return out
    try:
        results = _ask([samples[i] for i in todo], server)
    except ServerError as exc:
        if len(todo) == 1:
            raise
        first, results = exc, []
        for i in todo:  # one sample that breaks the parser does not take the chunk with it
            try:
                results += _ask([samples[i]], server)
            except ServerError as exc:
                reason = f"the PHP parser failed on the code: {exc}"
                results.append(
                    Checked(verdict=Verdict(passed=False, stage="syntax", reason=reason))
                )
        if all(r.verdict and r.verdict.reason.startswith("the PHP parser failed") for r in results):
            raise first from None  # the parser is broken, not the samples
    for i, checked in zip(todo, results, strict=True):
        out[i] = checked
    return out


def _ask(samples: Sequence[Sample], server: WarmServer) -> list[Checked]:
    files = []
    for i, sample in enumerate(samples):
        files += [(f"{i}/{SOLUTION_FILE}", sample.solution), (f"{i}/{TESTS_FILE}", sample.tests)]
    answers = server.lint(files)
    results = [Checked() for _ in samples]
    for (path, _), answer in zip(files, answers, strict=True):
        index, _, name = path.partition("/")
        if not isinstance(answer, dict) or "error" in answer:
            raise ServerError(
                str(answer.get("error", answer) if isinstance(answer, dict) else answer)[:500]
            )
        into, sample = results[int(index)], samples[int(index)]
        if "syntax" in answer and into.verdict is None:
            error = answer["syntax"]
            into.verdict = syntax_verdict(
                name, error["line"], error["column"], error["message"], sample
            )
        if "stub" in answer:
            into.stub = answer["stub"]
    return results


def syntax_verdict(name: str, line: int, column: int, message: str, sample: Sample) -> Verdict:
    where = f"{name}:{line}:{column}"
    verdict = Verdict(passed=False, stage="syntax", reason=f"ParseError: {message} at {where}")
    lines = (sample.solution if name == SOLUTION_FILE else sample.tests).splitlines()
    shown = lines[line - 1].rstrip() if 0 < line <= len(lines) else ""
    verdict.feedback = f"The code does not parse (PHP ParseError) at {where}: {message}" + (
        f"\n    {shown}" if shown else ""
    )
    return verdict
