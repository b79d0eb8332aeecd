"""What a run did, counted once from its problems and their trails (read by rundir.py): the one
source of truth for the terminal summary, report.html, `--json` and `assay rejudge`.

Partial data is expected, not an error: problems still pending or solving are counted as in
progress, answers not yet verified as unverified, and a corpus line cut off by kill -9 is skipped
and counted.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline.report.rundir import (  # noqa: F401  (re-exported: the report's reading API)
    CorpusScan,
    ReportError,
    RunData,
    check_run_dir,
    corpus_files,
    load_run,
    scan_corpus,
)
from pipeline.report.translation import translation_json
from pipeline.store import ACCEPTED, DUPLICATE, PENDING, REJECTED, SOLVING, AttemptRow, ProblemRow

NO_PROBLEM = "no_problem"  # a slot rejected before any attempt: the teacher gave no problem
UNKNOWN = "(unknown)"

# --- counting --------------------------------------------------------------------------------


def seed_group(source: str | None) -> str:
    """The seed's origin without its position: a file, a JSONL file, a dataset split."""
    if not source:
        return UNKNOWN
    if source.startswith("hf:"):
        return source.split("#", 1)[0]
    found = re.fullmatch(r"(.*):\d+(?:-\d+)?", source)
    return found.group(1) if found else source


def cause(attempt: AttemptRow) -> str:
    """A short, countable cause of a failed attempt: a ruff code, an exception type, a signal."""
    stage = attempt.stage or "unverified"
    reason = (attempt.reason or "").strip()
    if stage == "lint":
        verdict = attempt.verdict or {}
        codes = [m.get("code") for m in verdict.get("lint", []) if m.get("rejects")]
        head = codes[0] if codes else reason.split(" ", 1)[0]
        return f"lint: {head or '?'}"
    if stage in ("tests", "syntax"):
        if re.fullmatch(r"[A-Za-z_][\w.]*", reason):
            return f"{stage}: {reason}"
        head = reason.split(":", 1)[0].strip()
        return f"{stage}: {head[:48] or '?'}"
    if stage == "crash":
        found = re.search(r"\bSIG[A-Z0-9]+", reason)
        return f"crash: {found.group(0) if found else reason[:40]}"
    if stage == "timeout":
        return "timeout: cpu" if "CPU" in reason else "timeout: wall clock"
    return stage


@dataclass
class RunStats:
    """Counts of one run; runs combine with `+` (STYLE 4). Derived numbers live in `to_json`."""

    runs: int = 0
    problems: int = 0
    by_status: Counter = field(default_factory=Counter)
    attempts: int = 0
    attempts_verified: int = 0
    first_attempts: int = 0
    passed_first_try: int = 0  # round-0 attempts that passed (accepted or duplicate)
    revisions: int = 0  # attempts of round >= 1
    revised_problems: int = 0  # finished problems that had at least one revision
    revised_accepted: int = 0
    accepted_by_round: Counter = field(default_factory=Counter)
    rejected_by_attempts: Counter = field(default_factory=Counter)
    first_stage: Counter = field(default_factory=Counter)  # failed round-0 attempts
    first_cause: Counter = field(default_factory=Counter)
    final_stage: Counter = field(default_factory=Counter)  # rejected problems
    final_cause: Counter = field(default_factory=Counter)
    attempt_stage: Counter = field(default_factory=Counter)  # every verified attempt
    revised_after: Counter = field(default_factory=Counter)  # failed attempts that got a next round
    fixed_next: Counter = field(default_factory=Counter)  # ... whose next round passed
    first_failed_final: Counter = field(default_factory=Counter)  # failed first, then finished
    first_fixed: Counter = field(default_factory=Counter)  # ... and were accepted in the end
    problem_tokens_in: int = 0
    problem_tokens_out: int = 0
    attempt_tokens_in: int = 0
    attempt_tokens_out: int = 0
    problem_teacher_s: float = 0.0
    attempt_teacher_s: float = 0.0
    verify_s: float = 0.0  # wall time from answer to verdict, queueing included
    sandbox_s: float = 0.0  # time inside the sandbox (verdict duration)
    wall_s: float = 0.0
    seeds: dict[str, Counter] = field(default_factory=dict)
    languages: dict[str, Counter] = field(default_factory=dict)  # counts and stages per language
    teachers: Counter = field(default_factory=Counter)
    corpus_files: int = 0
    corpus_records: int = 0
    corpus_torn_lines: int = 0
    corpus_bad_lines: int = 0
    # `assay translate`: sources read and skipped ("read", "samples", "skipped:<reason>", ...)
    translation: Counter = field(default_factory=Counter)

    def __add__(self, other: RunStats) -> RunStats:
        out = RunStats()
        for name in self.__dataclass_fields__:
            a, b = getattr(self, name), getattr(other, name)
            if name in ("seeds", "languages"):
                merged = {k: Counter(v) for k, v in a.items()}
                for key, counts in b.items():
                    merged.setdefault(key, Counter()).update(counts)
                setattr(out, name, merged)
            else:
                setattr(out, name, a + b)
        return out

    def __radd__(self, other: Any) -> RunStats:
        return self if other == 0 else NotImplemented  # sum() starts from 0

    # --- derived ------------------------------------------------------------------------------

    @property
    def accepted(self) -> int:
        return self.by_status[ACCEPTED]

    @property
    def rejected(self) -> int:
        return self.by_status[REJECTED]

    @property
    def accepted_first_try(self) -> int:
        return self.accepted_by_round[0]

    @property
    def accepted_after_revision(self) -> int:
        return self.accepted - self.accepted_first_try

    @property
    def in_progress(self) -> int:
        return self.by_status[PENDING] + self.by_status[SOLVING]

    def to_json(self) -> dict[str, Any]:
        accepted = self.accepted
        finished = accepted + self.rejected + self.by_status[DUPLICATE]
        tokens_in = self.problem_tokens_in + self.attempt_tokens_in
        tokens_out = self.problem_tokens_out + self.attempt_tokens_out
        teacher_s = self.problem_teacher_s + self.attempt_teacher_s
        rounds = sorted(self.accepted_by_round)
        cumulative, running = {}, 0
        for r in range(max(rounds, default=-1) + 1):
            running += self.accepted_by_round[r]
            cumulative[str(r)] = _ratio(running, finished)
        stages = sorted(set(self.revised_after) | set(self.first_failed_final))
        return {
            "runs": self.runs,
            "problems": self.problems,
            "problems_by_status": {
                s: self.by_status[s] for s in (PENDING, SOLVING, ACCEPTED, REJECTED, DUPLICATE)
            },
            "in_progress": self.in_progress,
            "finished": finished,
            "attempts": self.attempts,
            "attempts_verified": self.attempts_verified,
            "attempts_unverified": self.attempts - self.attempts_verified,
            "first_attempts": self.first_attempts,
            "passed_first_try": self.passed_first_try,
            "revisions": self.revisions,
            "accepted": accepted,
            "rejected": self.rejected,
            "duplicates": self.by_status[DUPLICATE],
            "accepted_first_try": self.accepted_first_try,
            "accepted_after_revision": self.accepted_after_revision,
            "acceptance_rate": _ratio(accepted, finished),
            "accepted_by_round": {str(r): self.accepted_by_round[r] for r in rounds},
            "rejected_by_attempts": {
                str(n): self.rejected_by_attempts[n] for n in sorted(self.rejected_by_attempts)
            },
            "self_correction": {
                # Llama 3's "initially incorrect but self-corrected": a share of accepted samples.
                "share": _ratio(self.accepted_after_revision, accepted),
                "by_round": {
                    str(r): _ratio(self.accepted_by_round[r], accepted) for r in rounds if r > 0
                },
                "cumulative_acceptance_by_round": cumulative,
                "revised_problems": self.revised_problems,
                "revised_accepted": self.revised_accepted,
                "fix_rate": _ratio(self.revised_accepted, self.revised_problems),
                "by_stage": {
                    stage: {
                        "revised": self.revised_after[stage],
                        "fixed_next_round": self.fixed_next[stage],
                        "next_round_fix_rate": _ratio(
                            self.fixed_next[stage], self.revised_after[stage]
                        ),
                        "first_failed": self.first_failed_final[stage],
                        "fixed_eventually": self.first_fixed[stage],
                        "eventual_fix_rate": _ratio(
                            self.first_fixed[stage], self.first_failed_final[stage]
                        ),
                    }
                    for stage in stages
                },
            },
            "rejections_by_stage": {
                "first_attempt": _sorted(self.first_stage),
                "final": _sorted(self.final_stage),
            },
            "rejections_by_cause": {
                "first_attempt": _sorted(self.first_cause),
                "final": _sorted(self.final_cause),
            },
            "attempts_by_stage": _sorted(self.attempt_stage),
            "tokens": {
                "problem_in": self.problem_tokens_in,
                "problem_out": self.problem_tokens_out,
                "attempt_in": self.attempt_tokens_in,
                "attempt_out": self.attempt_tokens_out,
                "in": tokens_in,
                "out": tokens_out,
                "total": tokens_in + tokens_out,
                "per_accepted": _ratio(tokens_in + tokens_out, accepted, 1),
                "out_per_accepted": _ratio(tokens_out, accepted, 1),
            },
            "timings": {
                "wall_s": round(self.wall_s, 3),
                "teacher_s": round(teacher_s, 3),
                "problem_teacher_s": round(self.problem_teacher_s, 3),
                "attempt_teacher_s": round(self.attempt_teacher_s, 3),
                "verify_s": round(self.verify_s, 3),
                "sandbox_s": round(self.sandbox_s, 3),
                "wall_s_per_accepted": _ratio(self.wall_s, accepted, 3),
                "teacher_s_per_accepted": _ratio(teacher_s, accepted, 3),
                "verify_s_per_attempt": _ratio(self.verify_s, self.attempts_verified, 4),
                "sandbox_s_per_attempt": _ratio(self.sandbox_s, self.attempts_verified, 4),
            },
            "by_seed_source": {
                source: {
                    "problems": c["problems"],
                    "accepted": c[ACCEPTED],
                    "rejected": c[REJECTED],
                    "duplicates": c[DUPLICATE],
                    "in_progress": c[PENDING] + c[SOLVING],
                    "accepted_first_try": c["first_try"],
                    "accepted_after_revision": c[ACCEPTED] - c["first_try"],
                    "acceptance_rate": _ratio(
                        c[ACCEPTED], c[ACCEPTED] + c[REJECTED] + c[DUPLICATE]
                    ),
                }
                for source, c in sorted(self.seeds.items(), key=lambda kv: -kv[1]["problems"])
            },
            "by_language": {
                name: _language_json(c)
                for name, c in sorted(self.languages.items(), key=lambda kv: -kv[1]["problems"])
            },
            "translation": translation_json(self.translation, self.languages),
            "teachers": _sorted(self.teachers),
            "corpus": {
                "files": self.corpus_files,
                "records": self.corpus_records,
                "torn_lines": self.corpus_torn_lines,
                "bad_lines": self.corpus_bad_lines,
            },
        }


def _language_json(c: Counter) -> dict[str, Any]:
    finished = c[ACCEPTED] + c[REJECTED] + c[DUPLICATE]
    return {
        "problems": c["problems"],
        "attempts": c["attempts"],
        "accepted": c[ACCEPTED],
        "rejected": c[REJECTED],
        "duplicates": c[DUPLICATE],
        "in_progress": c[PENDING] + c[SOLVING],
        "accepted_first_try": c["first_try"],
        "accepted_after_revision": c[ACCEPTED] - c["first_try"],
        "acceptance_rate": _ratio(c[ACCEPTED], finished),
        "accepted_by_round": {r: n for r, n in sorted(_prefixed(c, "round:").items())},
        "rejections_by_stage": {
            "first_attempt": _sorted(_prefixed(c, "first:")),
            "final": _sorted(_prefixed(c, "final:")),
        },
    }


def _prefixed(counter: Counter, prefix: str) -> Counter:
    return Counter({k[len(prefix) :]: v for k, v in counter.items() if k.startswith(prefix)})


def _ratio(a: float, b: float, digits: int = 4) -> float | None:
    return round(a / b, digits) if b else None


def _sorted(counter: Counter) -> dict[str, int]:
    return {k: v for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))}


def final_attempt(problem: ProblemRow) -> AttemptRow | None:
    verified = [a for a in problem.trail if a.passed is not None]
    return verified[-1] if verified else None


def accepted_round(problem: ProblemRow) -> int | None:
    """The round of the attempt that was accepted (the first that passed)."""
    return next((a.round for a in problem.trail if a.passed), None)


def problem_stats(problem: ProblemRow, route: str | None = None) -> RunStats:
    """The counts of one problem slot; a run's stats are the sum over its problems. `route` is a
    translation's (mechanical or teacher tests), None in `assay run`."""
    s = RunStats(problems=1)
    s.by_status[problem.status] += 1
    s.teachers[problem.teacher or UNKNOWN] += 1
    s.problem_tokens_in = problem.tokens_in or 0
    s.problem_tokens_out = problem.tokens_out or 0
    s.problem_teacher_s = problem.teacher_s or 0.0
    seed = Counter(problems=1)
    seed[problem.status] += 1
    final = problem.status in (ACCEPTED, REJECTED, DUPLICATE)
    trail = problem.trail
    lang = Counter(problems=1, attempts=len(trail))
    lang[problem.status] += 1
    if route:
        lang[f"route:{route}"] += 1
        lang[f"accepted_route:{route}"] += problem.status == ACCEPTED
    for i, attempt in enumerate(trail):
        s.attempts += 1
        s.attempt_tokens_in += attempt.tokens_in or 0
        s.attempt_tokens_out += attempt.tokens_out or 0
        s.attempt_teacher_s += attempt.teacher_s or 0.0
        if attempt.round > 0:
            s.revisions += 1
        if attempt.passed is None:
            continue
        s.attempts_verified += 1
        s.attempt_stage[attempt.stage or UNKNOWN] += 1
        s.verify_s += attempt.verify_s or 0.0
        s.sandbox_s += float((attempt.verdict or {}).get("duration_s") or 0.0)
        if not attempt.passed and i + 1 < len(trail):
            s.revised_after[attempt.stage or UNKNOWN] += 1
            if trail[i + 1].passed:
                s.fixed_next[attempt.stage or UNKNOWN] += 1
    first = trail[0] if trail and trail[0].round == 0 else None
    if first is not None:
        s.first_attempts += 1
        if first.passed:
            s.passed_first_try += 1
        elif first.passed is False:
            s.first_stage[first.stage or UNKNOWN] += 1
            s.first_cause[cause(first)] += 1
            lang[f"first:{first.stage or UNKNOWN}"] += 1
            if final:
                s.first_failed_final[first.stage or UNKNOWN] += 1
                if problem.status == ACCEPTED:
                    s.first_fixed[first.stage or UNKNOWN] += 1
    if final and any(a.round > 0 for a in trail):
        s.revised_problems += 1
        s.revised_accepted += problem.status == ACCEPTED
    if problem.status == ACCEPTED:
        r = accepted_round(problem)
        s.accepted_by_round[r if r is not None else len(trail) - 1] += 1
        lang[f"round:{r if r is not None else len(trail) - 1}"] += 1
        if r == 0:
            seed["first_try"] += 1
            lang["first_try"] += 1
    elif problem.status == REJECTED:
        s.rejected_by_attempts[len(trail)] += 1
        last = final_attempt(problem)
        stage = problem.reason or (last.stage if last else None) or NO_PROBLEM
        s.final_stage[stage] += 1
        s.final_cause[cause(last) if last and last.stage == stage else stage] += 1
        lang[f"final:{stage}"] += 1
    s.seeds[seed_group(problem.seed_source)] = seed
    s.languages[problem.language] = lang
    return s


def run_stats(run: RunData) -> RunStats:
    routes = run.translations
    stats = sum(
        (problem_stats(p, (routes.get(p.id) or {}).get("route")) for p in run.problems), RunStats()
    )
    stats.runs = 1
    sources = json.loads(run.meta.get("translate_sources") or "{}")
    if sources:
        stats.translation.update(read=sources.get("read", 0), samples=sources.get("samples", 0))
        for kind in ("skipped", "skipped_pairs"):
            for reason, n in (sources.get(kind) or {}).items():
                stats.translation[f"{kind}:{reason}"] += n
    times = [t for p in run.problems for t in (p.created_at, p.updated_at) if t]
    times += [a.verified_at or a.created_at for p in run.problems for a in p.trail if a.created_at]
    stats.wall_s = (max(times) - min(times)) if times else 0.0
    stats.corpus_files = run.corpus.files
    stats.corpus_records = run.corpus.records
    stats.corpus_torn_lines = run.corpus.torn_lines
    stats.corpus_bad_lines = run.corpus.bad_lines
    return stats
