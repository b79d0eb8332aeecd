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

from sandbox.languages.warm import ServerError, WarmServer, answers, check_chunk
from sandbox.records import Sample, Verdict

SOLUTION_FILE, TESTS_FILE = "solution.php", "SolutionTest.php"
EMPTY_SOLUTION = "<?php\n"  # the strength check's stub of a solution without functions


@dataclass
class Checked:
    """One sample after the parser: its rejection (syntax) and the strength check's stub (the
    empty file where it defines no function; None where PHP-Parser cannot read it)."""

    verdict: Verdict | None = None
    stub: str | None = None


def check(samples: Sequence[Sample], server: WarmServer, max_bytes: int) -> list[Checked]:
    """Every sample's two files in one request; where that fails, each sample alone."""
    return check_chunk(
        samples,
        (SOLUTION_FILE, TESTS_FILE),
        lambda chunk: _ask(chunk, server),
        Checked,
        max_bytes,
        ("syntax", "the PHP parser failed on the code"),
    )


def _ask(samples: Sequence[Sample], server: WarmServer) -> list[Checked]:
    results = [Checked() for _ in samples]
    for index, name, answer in answers(server, samples, SOLUTION_FILE, TESTS_FILE):
        if not isinstance(answer, dict) or "error" in answer:
            raise ServerError(
                str(answer.get("error", answer) if isinstance(answer, dict) else answer)[:500]
            )
        into, sample = results[index], samples[index]
        if "syntax" in answer and into.verdict is None:
            error = answer["syntax"]
            into.verdict = syntax_verdict(
                name, error["line"], error["column"], error["message"], sample
            )
        if "stub" in answer:
            into.stub = answer["stub"]
        elif name == SOLUTION_FILE and "syntax" not in answer and "stub_error" not in answer:
            into.stub = EMPTY_SOLUTION  # parsed, and defines no function
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
