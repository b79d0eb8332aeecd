"""report.html: one self-contained page (inline CSS, JS and SVG plots; no network, no server).

The drill-down lists every rejected, duplicate or revised problem with its whole trail. It is
capped (`max_trails`, the longest code clipped) so a run of 100k problems still gives a page a
browser opens; the JSON numbers are never capped.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

import jinja2

from pipeline.jsonl import write_text
from pipeline.languages import files
from pipeline.report import plots
from pipeline.report.data import accepted_round, cause, seed_group
from pipeline.report.summary import Report
from pipeline.store import ACCEPTED, ProblemRow

CODE_LIMIT = 6000


def _clip(text: str | None, limit: int = CODE_LIMIT) -> str:
    text = text or ""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… ({len(text) - limit} more characters in run.sqlite)"


def _worth_a_look(problem: ProblemRow) -> bool:
    return problem.status != ACCEPTED or any(a.passed is False for a in problem.trail)


def trail_rows(report: Report, max_trails: int) -> tuple[list[dict[str, Any]], int]:
    """The drill-down rows (rejected, duplicate, revised, unfinished with failures) and how many
    there were before the cap."""
    rows: list[dict[str, Any]] = []
    total = 0
    for run in report.runs:
        for problem in run.problems:
            if not _worth_a_look(problem):
                continue
            total += 1
            if len(rows) >= max_trails:
                continue
            stages = [a.stage or "unverified" for a in problem.trail]
            first = problem.trail[0] if problem.trail else None
            r = accepted_round(problem)
            solution_file, tests_file = files(problem.language)
            rows.append(
                {
                    "run": run.name,
                    "id": problem.id,
                    "language": problem.language,
                    "solution_file": solution_file,
                    "tests_file": tests_file,
                    "status": problem.status,
                    "reason": problem.reason or "",
                    "rounds": len(problem.trail),
                    "accepted_round": r,
                    "first_stage": first.stage if first and first.stage else "",
                    "stages": stages,
                    "seed": problem.seed_source or "",
                    "seed_group": seed_group(problem.seed_source),
                    "problem": _clip(problem.problem, 4000),
                    "summary": (problem.problem or problem.reason or "")
                    .strip()
                    .split("\n")[0][:140],
                    "attempts": [
                        {
                            "round": a.round,
                            "stage": a.stage or "unverified",
                            "passed": a.passed,
                            "reason": a.reason or "",
                            "cause": cause(a) if a.passed is False else "",
                            "solution": _clip(a.solution),
                            "tests": _clip(a.tests),
                            "raw": "" if (a.solution or a.tests) else _clip(a.raw, 3000),
                            "feedback": _clip(a.feedback, 3000),
                            "tokens": (a.tokens_in or 0) + (a.tokens_out or 0),
                            "teacher_s": a.teacher_s,
                            "verify_s": a.verify_s,
                            "finish_reason": a.finish_reason or "",
                        }
                        for a in problem.trail
                    ],
                }
            )
    return rows, total


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: "–" if v is None else f"{100 * v:.1f}%"
    env.filters["num"] = _num
    return env


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and digits:
        return f"{value:,.{digits}f}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    return f"{value:,}"


def render(report: Report, max_trails: int = 1000, rounds: dict[str, Any] | None = None) -> str:
    """The page; `rounds` (report/rounds.py) adds the teacher -> student section on top."""
    runs_json = [report.run_json(i) for i in range(len(report.runs))]
    total = runs_json[0] if len(runs_json) == 1 else report.to_json()["total"]
    figures = plots.all_plots([(r["name"], r) for r in runs_json], total)
    rows, row_total = trail_rows(report, max_trails)
    stages = sorted({s for row in rows for s in row["stages"]})
    if rounds is not None:
        rounds = {**rounds, "plots": plots.rounds_plots(rounds)}
    template = resources.files("pipeline.report").joinpath("report.html.jinja").read_text("utf-8")
    return (
        _environment()
        .from_string(template)
        .render(
            runs=runs_json,
            rounds=rounds,
            total=total,
            plots=figures,
            rows=rows,
            row_total=row_total,
            stages=stages,
            statuses=sorted({row["status"] for row in rows}),
            languages=list(total["by_language"]),
            warnings=report.warnings,
            generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
            created={
                r["name"]: dt.datetime.fromtimestamp(r["created_at"]).strftime("%Y-%m-%d %H:%M")
                for r in runs_json
                if r.get("created_at")
            },
        )
    )


def write(
    report: Report, path: str, max_trails: int = 1000, rounds: dict[str, Any] | None = None
) -> str:
    """Write the page atomically (a reader never sees half of it); returns the path."""
    write_text(path, render(report, max_trails, rounds))
    return path
