"""`assay rejudge`: re-verify every recorded attempt with other verifier options, no teacher call.

Each verified attempt whose answer reached the sandbox (code for both solution and tests, not cut
off) is verified again; answers the loop rejected before the sandbox (no code, truncated) keep
their verdict, since verifier options cannot change them, and answers of a run in progress that
have no verdict yet stay unverified. The run is then replayed on the new verdicts:
the first passing round is accepted; K + 1 failures reject. A problem that passed early under the
old verdicts but fails every recorded attempt now has no answer for its next round: it counts as
in progress ("needs the teacher"), since only a real run could tell how it ends.

The results go to RUN_DIR/rejudge-<time>.json (or --out); run.sqlite and the corpus are never
touched. The numbers before and after come from the report's own counting (report/data.py).
"""

from __future__ import annotations

import copy
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from pipeline.jsonl import write_text
from pipeline.report.data import ReportError, RunData, load_run, run_stats
from pipeline.store import ACCEPTED, DUPLICATE, REJECTED, SOLVING, AttemptRow, ProblemRow
from pipeline.translate.task import FEWER_CHECKS
from sandbox import VERIFIER_VERSION, Sample, Verdict, Verifier, VerifyOptions

# The numbers whose change rejudge shows.
FUNNEL = (
    "accepted",
    "accepted_first_try",
    "accepted_after_revision",
    "rejected",
    "duplicates",
    "in_progress",
    "passed_first_try",
)


def base_options(run: RunData) -> tuple[VerifyOptions, str | None]:
    """The checks the run itself used, and a warning where it records none. Its store's record
    of them (the config identity a rerun is held to) wins over its config.toml, which adds the
    backend and isolation; the workers are this machine's (`--jobs` defaults to its CPUs, not to
    what the run had where it ran)."""
    from pipeline.config import VerifierConfig

    section = (run.config or {}).get("verifier")
    section = {k: v for k, v in section.items() if k != "jobs"} if isinstance(section, dict) else {}
    try:
        checks = json.loads(run.meta.get("config_identity") or "{}").get("verifier.checks")
    except (ValueError, AttributeError):
        checks = None
    checks = checks if isinstance(checks, dict) else {}
    for recorded in ({**section, **checks}, checks):  # a config.toml gone bad: the store's alone
        if recorded:
            try:
                return VerifierConfig.model_validate(recorded).options(), None
            except ValueError:
                continue
    return VerifyOptions(), (
        f"{run.path} records no verifier options (its config.toml and run store have none "
        "that can be read): the options not given are the defaults"
    )


def reverifiable(attempt: AttemptRow) -> bool:
    """Verified before (so there is a verdict to compare), and the sandbox saw its code: not
    refused before it by a check of the task's own (a translation's tests with fewer checks than
    the source's), whose verdict no sandbox option changes."""
    return (
        attempt.passed is not None
        and attempt.solution is not None
        and attempt.tests is not None
        and attempt.finish_reason != "length"
        and attempt.stage != FEWER_CHECKS
    )


@dataclass
class Rejudged:
    run: RunData
    options: VerifyOptions
    verdicts: dict[tuple[int, int], Verdict]  # (problem, round) -> new verdict
    seconds: float


def reverify(
    run: RunData, options: VerifyOptions, on_verdict: Callable[[int, int], None] | None = None
) -> Rejudged:
    """New verdicts for every re-verifiable attempt, in one stream through warm workers."""
    todo = [
        (
            a,
            Sample(
                solution=a.solution or "",
                tests=a.tests or "",
                problem=p.problem or "",
                language=p.language,
            ),
        )
        for p in run.problems
        for a in p.trail
        if reverifiable(a)
    ]
    started = time.monotonic()
    verdicts: dict[tuple[int, int], Verdict] = {}
    with Verifier(options) as verifier:
        stream = verifier.verify(sample for _, sample in todo)
        for i, ((attempt, _), verdict) in enumerate(zip(todo, stream, strict=True)):
            verdicts[(attempt.problem_id, attempt.round)] = verdict
            if on_verdict is not None:
                on_verdict(i + 1, len(todo))
    return Rejudged(run, options, verdicts, time.monotonic() - started)


def _with_verdict(attempt: AttemptRow, verdict: Verdict) -> AttemptRow:
    return replace(
        attempt,
        verdict=verdict.to_dict(),
        passed=verdict.passed,
        stage=verdict.stage,
        reason=verdict.reason,
        feedback=verdict.feedback,
    )


def replay(problem: ProblemRow, verdicts: dict, max_attempts: int | None) -> ProblemRow:
    """The problem as the loop would have ended it on the new verdicts."""
    trail = [
        _with_verdict(a, verdicts[(a.problem_id, a.round)])
        if (a.problem_id, a.round) in verdicts
        else a
        for a in problem.trail
    ]
    out = copy.copy(problem)
    if not trail:
        out.trail = trail
        return out
    passing = next((i for i, a in enumerate(trail) if a.passed), None)
    if passing is not None:
        out.trail = trail[: passing + 1]
        out.status = DUPLICATE if problem.status == DUPLICATE else ACCEPTED
        out.reason = problem.reason if out.status == DUPLICATE else None
        return out
    out.trail = trail
    last = trail[-1]
    exhausted = max_attempts is not None and len(trail) >= max_attempts
    if exhausted or (problem.status == REJECTED and max_attempts is None):
        out.status, out.reason = REJECTED, last.stage
    elif problem.status in (ACCEPTED, DUPLICATE):
        out.status, out.reason = SOLVING, None  # the next round needs the teacher
    return out


def summarize(rejudged: Rejudged) -> dict[str, Any]:
    run = rejudged.run
    k = run.max_revisions
    max_attempts = k + 1 if k is not None else None
    after_problems = [replay(p, rejudged.verdicts, max_attempts) for p in run.problems]
    after_run = replace(run, problems=after_problems)
    before, after = run_stats(run), run_stats(after_run)
    bj, aj = before.to_json(), after.to_json()
    transitions: Counter = Counter()
    attempts = []
    for p in run.problems:
        for a in p.trail:
            new = rejudged.verdicts.get((a.problem_id, a.round))
            if new is None:
                continue
            transitions[f"{a.stage or 'unverified'} -> {new.stage}"] += 1
            attempts.append(
                {
                    "problem_id": a.problem_id,
                    "round": a.round,
                    "before": a.stage,
                    "after": new.stage,
                    "verdict": new.to_dict(),
                }
            )
    flips = [
        {"problem_id": old.id, "before": old.status, "after": new.status, "reason": new.reason}
        for old, new in zip(run.problems, after_problems, strict=True)
        if old.status != new.status
    ]
    opts = rejudged.options
    return {
        "run_dir": run.path,
        "verifier_version": VERIFIER_VERSION,
        "options": {
            "sandbox": opts.sandbox,
            "isolation": opts.isolation,
            "jobs": opts.jobs,
            "timeout_s": opts.limits.timeout_s,
            "memory_mb": opts.limits.memory_mb,
            "lint_select": list(opts.lint_select),
            "lint_ignore": list(opts.lint_ignore),
            "strength_check": opts.strength_check,
            "fast_path": opts.fast_path,
        },
        "reverified": len(rejudged.verdicts),
        "kept": sum(len(p.trail) for p in run.problems) - len(rejudged.verdicts),
        "seconds": round(rejudged.seconds, 3),
        "funnel": {
            key: {"before": bj[key], "after": aj[key], "change": aj[key] - bj[key]}
            for key in FUNNEL
        },
        "needs_teacher": sum(
            1 for f in flips if f["after"] == SOLVING and f["before"] in (ACCEPTED, DUPLICATE)
        ),
        "rejections_by_stage": {
            "before": bj["rejections_by_stage"],
            "after": aj["rejections_by_stage"],
        },
        "attempts_by_stage": {"before": bj["attempts_by_stage"], "after": aj["attempts_by_stage"]},
        "transitions": dict(transitions.most_common()),
        "changed_attempts": sum(1 for a in attempts if a["before"] != a["after"]),
        "problems_changed": flips,
        "before": bj,
        "after": aj,
        "attempts": attempts,
    }


def _free_path(stem: str) -> str:
    path, n = f"{stem}.json", 1
    while os.path.exists(path):
        n += 1
        path = f"{stem}-{n}.json"
    return path


def rejudge(
    run_dir: str,
    options: VerifyOptions,
    out: str | None = None,
    on_verdict: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Re-verify RUN_DIR's attempts with `options`; write and return the comparison."""
    run = load_run(run_dir)
    if out is not None and os.path.isdir(out):  # found out now, not after the whole re-verify
        raise ReportError(f"--out {out} is a directory: give the path of a file")
    parent = os.path.dirname(os.path.abspath(out)) if out is not None else ""
    if out is not None and os.path.isfile(parent):
        raise ReportError(f"--out {out}: {os.path.dirname(out)} is a file, not a directory")
    if out is not None and not os.path.isdir(parent):
        raise ReportError(f"--out {out}: its directory does not exist")
    summary = summarize(reverify(run, options, on_verdict))
    path = out or _free_path(os.path.join(run_dir, time.strftime("rejudge-%Y%m%d-%H%M%S")))
    write_text(path, json.dumps(summary, indent=1))
    summary["written_to"] = path
    return summary
