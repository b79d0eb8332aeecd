"""`assay verify`: stream JSONL samples through the verifier into passed/rejected files.

Every sample of the input gets a verdict under an id of its own: an id an earlier sample of the
same input has (several completions of one HumanEval task, say) is numbered, `ID#2`, `ID#3`, in
input order. A rerun on the same output directory resumes: samples whose id is already in
passed.jsonl or rejected.jsonl are not verified again.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pipeline import dirlock
from pipeline.importers import Record, read_records
from pipeline.jsonl import AppendLog, iter_jsonl, write_json
from sandbox import VERIFIER_VERSION, Verifier, VerifyOptions
from sandbox.judge import STRENGTH_UNCHECKED
from sandbox.records import Sample

SUMMARY_FILE = "summary.json"


class StrictInputError(RuntimeError):
    pass


class PathError(RuntimeError):
    """An input that is not a file to read, or an output directory that cannot be written."""


@dataclass
class VerifyStats:
    """Counts that add up: per-worker or per-file stats combine with `+` (STYLE 4)."""

    total: int = 0
    passed: int = 0
    rejected: int = 0
    resumed: int = 0
    renamed: int = 0
    input_errors: int = 0
    by_stage: Counter = field(default_factory=Counter)
    by_reason: Counter = field(default_factory=Counter)
    sandbox_s: float = 0.0
    unchecked: int = 0  # passed without the strength check made (stubs that do not compile)

    def __add__(self, other: VerifyStats) -> VerifyStats:
        return VerifyStats(
            self.total + other.total,
            self.passed + other.passed,
            self.rejected + other.rejected,
            self.resumed + other.resumed,
            self.renamed + other.renamed,
            self.input_errors + other.input_errors,
            self.by_stage + other.by_stage,
            self.by_reason + other.by_reason,
            self.sandbox_s + other.sandbox_s,
            self.unchecked + other.unchecked,
        )

    def count(self, passed: bool, stage: str, reason: str, lint: Iterable[str] = ()) -> None:
        """One verdict (`lint`: the codes of its lint messages)."""
        self.total += 1
        self.by_stage[stage] += 1
        if passed:
            self.passed += 1
            self.unchecked += STRENGTH_UNCHECKED in lint
        else:
            self.rejected += 1
            self.by_reason[_reason_key(stage, reason)] += 1


def _reason_key(stage: str, reason: str) -> str:
    head = reason.split(":", 1)[0].split(" at ", 1)[0]
    return f"{stage}: {head[:60]}"


def _own_id(sample: Sample, seen: Counter) -> bool:
    """Give `sample` an id no earlier sample of the input has: an id seen n-1 times before becomes
    ID#n. False where ID#n is an id the input gave a sample itself."""
    seen[sample.id] += 1
    if seen[sample.id] == 1:
        return True
    sample.id = f"{sample.id}#{seen[sample.id]}"
    if sample.id in seen:
        return False
    seen[sample.id] += 1
    return True


def verify_files(
    inputs: list[str],
    out_dir: str,
    options: VerifyOptions,
    fmt: str = "auto",
    strict: bool = False,
    on_input_error: Callable[[Record], None] | None = None,
    on_verdict: Callable[[VerifyStats], None] | None = None,
    verifier: Verifier | None = None,
) -> dict[str, Any]:
    """Verify every sample of `inputs`; write DIR/passed.jsonl, rejected.jsonl, summary.json.
    `verifier` (made with `options`; closed here, as the caller should on its own errors) may have
    been started earlier, to boot its workers while the caller sets up."""
    for path in inputs:
        if os.path.isdir(path):
            raise PathError(f"input {path} is a directory: name the JSONL files in it")
        if not os.path.exists(path):
            raise PathError(f"input file not found: {path}")
    passed_path = os.path.join(out_dir, "passed.jsonl")
    rejected_path = os.path.join(out_dir, "rejected.jsonl")
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise PathError(f"the output {out_dir} is a file, not a directory")
    logs: list[AppendLog] = []
    try:
        os.makedirs(out_dir, exist_ok=True)
        dirlock.hold(out_dir, "--out")
        logs += [AppendLog(passed_path), AppendLog(rejected_path)]
    except dirlock.DirectoryInUse as exc:
        raise PathError(str(exc)) from None
    except OSError as exc:
        for log in logs:
            log.close()
        dirlock.release(out_dir)
        why = exc.strerror or str(exc)
        raise PathError(f"cannot write to the output directory {out_dir}: {why}") from None
    passed_log, rejected_log = logs
    try:
        return _verify_into(
            inputs, out_dir, options, fmt, strict, on_input_error, on_verdict, verifier, logs
        )
    finally:
        passed_log.close()
        rejected_log.close()
        dirlock.release(out_dir)


def _verify_into(
    inputs: list[str],
    out_dir: str,
    options: VerifyOptions,
    fmt: str,
    strict: bool,
    on_input_error: Callable[[Record], None] | None,
    on_verdict: Callable[[VerifyStats], None] | None,
    verifier: Verifier | None,
    logs: list[AppendLog],
) -> dict[str, Any]:
    passed_log, rejected_log = logs
    done: set[Any] = set()
    earlier = VerifyStats()  # the verdicts DIR holds from earlier runs
    for verdicts in (passed_log.path, rejected_log.path):
        for record in iter_jsonl(verdicts):
            done.add(record.get("id"))
            verdict = record.get("verdict")
            if isinstance(verdict, dict):
                stage, reason = str(verdict.get("stage")), str(verdict.get("reason", ""))
                lint = [m.get("code") for m in verdict.get("lint") or () if isinstance(m, dict)]
                earlier.count(verdict.get("passed") is True, stage, reason, lint)
    summary_path = os.path.join(out_dir, SUMMARY_FILE)
    checks = _checks(options)
    if done:
        _same_checks(summary_path, checks, out_dir)
    elif not os.path.exists(summary_path):  # the checks recorded before the first verdict
        write_json(summary_path, _summary(inputs, VerifyStats(), 0.0, options, earlier))
    stats = VerifyStats()
    started = time.monotonic()
    pending: dict[str, dict[str, Any]] = {}
    seen: Counter = Counter()  # each id of this input, and how often it came

    def samples() -> Iterator[Sample]:
        for path in inputs:
            for record in read_records(path, fmt):
                if record.sample is not None:
                    given = record.sample.id
                    if not _own_id(record.sample, seen):
                        error = (
                            f"id {given!r} repeats an earlier one, and {record.sample.id!r} is "
                            "another sample's id: give this sample an id of its own"
                        )
                        record = record._replace(sample=None, error=error)
                    stats.renamed += record.sample is not None and record.sample.id != given
                if record.sample is None:
                    stats.input_errors += 1
                    if on_input_error is not None:
                        on_input_error(record)
                    if strict:
                        raise StrictInputError(f"{record.path}:{record.line}: {record.error}")
                    continue
                sample = record.sample
                if sample.id in done:
                    stats.resumed += 1
                    continue
                pending[sample.id] = record.data or {}
                yield sample

    try:
        with verifier or Verifier(options) as verifier:
            for verdict in verifier.verify(samples()):
                data = pending.pop(verdict.id)
                out = {**data, "id": verdict.id, "verdict": verdict.to_dict()}
                (passed_log if verdict.passed else rejected_log).write(out)
                stats.count(
                    verdict.passed, verdict.stage, verdict.reason, (m.code for m in verdict.lint)
                )
                stats.sandbox_s += verdict.duration_s
                if on_verdict is not None:
                    on_verdict(stats)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the summary tells what this run wrote
        wall = time.monotonic() - started
        write_json(summary_path, _summary(inputs, stats, wall, options, earlier, True))
        raise
    summary = _summary(inputs, stats, time.monotonic() - started, options, earlier)
    write_json(summary_path, summary)
    return summary


def _checks(options: VerifyOptions) -> dict[str, Any]:
    """What judges a sample: a rerun on the same DIR must keep it, or its verdicts would mix."""
    return {
        "timeout_s": options.limits.timeout_s,
        "memory_mb": options.limits.memory_mb,
        "strength_check": options.strength_check,
        "lint_select": list(options.lint_select),
        "lint_ignore": list(options.lint_ignore),
    }


def _same_checks(summary_path: str, checks: dict[str, Any], out_dir: str) -> None:
    """Refuse to add verdicts to DIR under other checks than its own (as its summary records
    them; a DIR without one, from an older assay, is taken to hold the current ones)."""
    try:
        with open(summary_path, encoding="utf-8") as fh:
            recorded = json.load(fh).get("options") or {}
    except (OSError, ValueError, AttributeError):
        return
    changed = [
        f"{key} {recorded[key]!r} -> {value!r}"
        for key, value in checks.items()
        if key in recorded and recorded[key] != value
    ]
    if changed:
        raise PathError(
            f"--out {out_dir} holds verdicts made under other checks ({'; '.join(changed)}): "
            "use another --out, or delete it to verify everything again"
        )


def _summary(
    inputs: list[str],
    stats: VerifyStats,
    wall: float,
    options: VerifyOptions,
    earlier: VerifyStats,
    interrupted: bool = False,
) -> dict[str, Any]:
    """This run's counts and timings, its options, and (`output`) every verdict DIR holds."""
    everything = earlier + stats
    return {
        "verifier": VERIFIER_VERSION,
        "inputs": inputs,
        "interrupted": interrupted,
        "total": stats.total,
        "passed": stats.passed,
        "rejected": stats.rejected,
        "strength_unchecked": stats.unchecked,
        "resumed": stats.resumed,
        "renamed": stats.renamed,
        "input_errors": stats.input_errors,
        "by_stage": dict(stats.by_stage.most_common()),
        "by_reason": dict(stats.by_reason.most_common(20)),
        "timings": {
            "wall_s": round(wall, 3),
            "samples_per_s": round(stats.total / wall, 2) if wall > 0 else None,
            "mean_sample_s": round(stats.sandbox_s / stats.total, 4) if stats.total else None,
        },
        "options": {
            "sandbox": options.sandbox,
            "isolation": options.isolation,
            "jobs": options.jobs,
            **_checks(options),
        },
        "output": {
            "total": everything.total,
            "passed": everything.passed,
            "rejected": everything.rejected,
            "strength_unchecked": everything.unchecked,
            "by_stage": dict(everything.by_stage.most_common()),
        },
    }
