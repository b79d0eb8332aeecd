"""A report of one or more runs: each run's counts (data.py), their total, and what a reader of
the numbers should know (partial data, a corpus out of step), computed once for every renderer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pipeline.report.data import RunStats, run_stats
from pipeline.report.rundir import RunData, load_run


def run_status(stats: RunStats) -> str:
    if stats.problems == 0:
        return "empty"
    if stats.in_progress or stats.attempts_verified < stats.attempts:
        return "unfinished"
    return "complete"


def warnings(run: RunData, stats: RunStats) -> list[str]:
    """Things a reader of the numbers should know: partial data, a corpus out of step."""
    out = []
    if stats.problems == 0:
        out.append(f"{run.path}: the run has no problems yet (nothing recorded)")
    if stats.in_progress:
        out.append(
            f"{run.path}: {stats.in_progress} of {stats.problems} problems are not finished "
            "(the run is in progress or was interrupted; rerun `assay run` to resume)"
        )
    if run.corpus.torn_lines:
        out.append(
            f"{run.path}: {run.corpus.torn_lines} corpus line(s) cut off mid-write "
            "(a killed writer); skipped"
        )
    if run.corpus.bad_lines:
        out.append(f"{run.path}: {run.corpus.bad_lines} corpus line(s) are not JSON; skipped")
    if run.corpus.records != stats.accepted:
        out.append(
            f"{run.path}: the corpus holds {run.corpus.records} records but the store has "
            f"{stats.accepted} accepted problems"
        )
    return out


@dataclass
class Report:
    """Everything every renderer needs, computed once."""

    runs: list[RunData]
    stats: list[RunStats]
    total: RunStats
    warnings: list[str]

    def run_json(self, i: int) -> dict[str, Any]:
        run, stats = self.runs[i], self.stats[i]
        return {
            "run_dir": run.path,
            "name": run.name,
            "status": run_status(stats),
            "created_at": _float(run.meta.get("created_at")),
            "verifier_version": run.meta.get("verifier_version"),
            "max_revisions": run.max_revisions,
            **stats.to_json(),
            "warnings": [w for w in self.warnings if w.startswith(f"{run.path}:")],
        }

    def to_json(self) -> dict[str, Any]:
        """One run: its numbers. Several: `runs` side by side and their `total`."""
        if len(self.runs) == 1:
            return self.run_json(0)
        return {
            "runs": [self.run_json(i) for i in range(len(self.runs))],
            "total": {"status": None, **self.total.to_json()},
            "warnings": self.warnings,
        }


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def gather(run_dirs: Iterable[str]) -> Report:
    """Read and count every run directory; raises ReportError on the first unreadable one."""
    runs = [load_run(path) for path in run_dirs]
    stats = [run_stats(run) for run in runs]
    notes = [w for run, s in zip(runs, stats, strict=True) for w in warnings(run, s)]
    return Report(runs=runs, stats=stats, total=sum(stats, RunStats()), warnings=notes)
