"""`assay translate`: the run engine of `assay run`, with translations for problems.

Slot k is the k-th pair (source sample, target language), samples in the order the sources give
them, each with every target in the order given: a source that grows at its end only adds slots.
The engine is `pipeline.engine.Engine` itself, with its hooks filled: the translate prompts, the
identity of a translate run, the pairs as the slots' seeds (the source sample's JSON is the seed
text, so a slot's problem is fixed once it is recorded), a `TranslateTask` per slot, and records
whose `meta.translation` says where they came from and by which route.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from typing import Any

from pydantic import model_validator

from pipeline.config import ConfigError, RunConfig
from pipeline.engine import Engine, RunStats
from pipeline.languages import conventions_digest, language
from pipeline.loop import Outcome, Task
from pipeline.prompts import Prompts
from pipeline.seeds import Seed
from pipeline.store import ProblemRow
from pipeline.translate import task as translation
from pipeline.translate.sources import Sources, SourceSample, read_sources
from sandbox.languages import LanguageError

VERSION = 1  # of the route decisions and the tests they write: part of a run's identity
SAME_LANGUAGE = "already in the target language"


class TranslateConfig(RunConfig):
    """`assay run`'s options (teacher, sampling, verifier, revisions, run dir) plus the sources
    and the targets; `problems` is the number of (sample, target) pairs."""

    sources: list[str] = []
    targets: list[str] = []

    @model_validator(mode="after")
    def _strength_check(self) -> TranslateConfig:
        if not self.verifier.strength_check:
            raise ValueError(
                "assay translate always runs the strength check (translated tests must kill the "
                "stub): drop --no-strength-check"
            )
        return self

    def identity(self, prompts_digest: str) -> dict[str, Any]:
        return {
            "translate": VERSION,
            "language": ",".join(self.targets),  # (an identity without it reads as an old run's)
            "sources": [os.path.realpath(p) for p in self.sources],
            "targets": self.targets,
            "max_revisions": self.max_revisions,
            "teacher.generator": self.teacher.generator,
            "teacher.model": self.teacher.model,
            "sampling": self.sampling.model_dump(),
            "verifier.checks": {
                "timeout": self.verifier.timeout,
                "memory": self.verifier.memory,
                "lint_select": self.verifier.lint_select,
                "lint_ignore": self.verifier.lint_ignore,
            },
            "prompts": prompts_digest,
            "conventions": conventions_digest(self.targets),
        }


def check_targets(targets: list[str], config: RunConfig) -> list[str]:
    """The targets' canonical names; an unknown or uninstalled target is a ConfigError with the
    fix, before anything else happens."""
    names, problems = [], []
    for target in targets:
        try:
            cls = language(target)
        except LanguageError as exc:
            raise ConfigError(f"--to {target}: {exc}") from None
        missing = cls(config.verifier.options()).unavailable()
        if missing:
            problems.append(missing)
        if cls.name not in names:
            names.append(cls.name)
    if problems:
        raise ConfigError("cannot verify the targets here: " + "; ".join(problems))
    if not names:
        raise ConfigError("no target language: pass --to L[,L...]")
    return names


def pairs(sources: Sources, targets: list[str]) -> tuple[list[tuple[SourceSample, str]], Counter]:
    out, skipped = [], Counter()
    for sample in sources.samples:
        for target in targets:
            if sample.language == target:
                skipped[SAME_LANGUAGE] += 1
            else:
                out.append((sample, target))
    return out, skipped


class TranslationSlots:
    """The slots' seeds: pair k as (target, Seed(source label, the sample's JSON))."""

    def __init__(self, work: list[tuple[SourceSample, str]]) -> None:
        self.work = work

    def pick(self, slot: int) -> tuple[str, Seed]:
        sample, target = self.work[slot]
        return target, Seed(f"{sample.run}:{sample.index}", sample.to_json())


class TranslateEngine(Engine):
    def __init__(self, config: TranslateConfig, sources: Sources, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.sources = sources
        self.work, self.skipped_pairs = pairs(sources, config.targets)

    def make_prompts(self) -> Prompts:
        return translation.prompts()

    def open_slots(self) -> TranslationSlots:
        """The pairs, checked against the slots already recorded: the recorded slots keep their
        pairs, and the pairs not recorded yet follow them, in the sources' order (a source that
        grew, at its end or, with several sources, one before the last, only adds pairs): none
        is translated twice, none is left out. A recorded pair the sources no longer give (a
        source changed in place, other targets) is refused unless --force."""
        translation.ensure_table(self.store.db)
        rows = self.store.db.execute("SELECT id, language, seed_text FROM problems ORDER BY id")
        recorded = [
            (slot, target, SourceSample.from_json(seed or "{}")) for slot, target, seed in rows
        ]
        given = {(sample.id, target) for sample, target in self.work}
        for slot, target, sample in recorded:
            if (sample.id, target) not in given and not self.force:
                raise ConfigError(
                    f"slot {slot} of this run translated sample {sample.id} into {target}, "
                    "which the sources and targets no longer give: a source changed in place, "
                    "or the targets changed. Use another --run-dir, restore the sources, or pass "
                    "--force (recorded slots keep their pairs; the others follow them)"
                )
        if recorded:
            done = {(sample.id, target) for _, target, sample in recorded}
            rest = [
                (sample, target) for sample, target in self.work if (sample.id, target) not in done
            ]
            self.work = [(sample, target) for _, target, sample in recorded] + rest
            self.config.problems = len(self.work)
        self.store.set_meta(
            "translate_sources",
            json.dumps({"read": self.sources.read, "samples": len(self.sources.samples),
                        "skipped": dict(self.sources.skipped),
                        "skipped_pairs": dict(self.skipped_pairs)}),
        )  # fmt: skip
        return TranslationSlots(self.work)

    def task(self, row: ProblemRow) -> Task:
        source = SourceSample.from_json(row.seed_text or "{}")
        route = translation.decide(source, row.language)
        translation.record_route(self.store.db, row.id, source, row.language, route)
        return translation.TranslateTask(source, row.language, route, self.prompts)

    def make_record(self, outcome: Outcome, slot: int) -> dict[str, Any]:
        record = super().make_record(outcome, slot)
        source = SourceSample.from_json(outcome.seed.text)
        route = self.store.db.execute(
            "SELECT route, reason, checks FROM translations WHERE problem_id = ?", (slot,)
        ).fetchone()
        record["meta"]["translation"] = {
            "source_id": source.id,
            "source_language": source.language,
            "source_run": source.run,
            "source_index": source.index,
            "source_solution": source.solution,
            "route": route[0] if route else None,
            "mechanical_refused": route[1] if route else None,
            "checks": route[2] if route else None,
        }
        return record

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        out["sources"] = {
            "read": self.sources.read,
            "samples": len(self.sources.samples),
            "skipped": dict(self.sources.skipped),
            "skipped_pairs": dict(self.skipped_pairs),
        }
        if self.sources.first_bad_line:
            out["sources"]["first_bad_line"] = self.sources.first_bad_line
        return out


def prepare(config: TranslateConfig, *, force: bool = False, **kwargs: Any) -> TranslateEngine:
    """Check the targets, read the sources and size the run; nothing calls the teacher yet."""
    config.targets = check_targets(config.targets, config)
    run_dir = os.path.abspath(config.run_dir)
    for source in config.sources:
        if os.path.abspath(source) == run_dir:
            raise ConfigError(
                f"--run-dir {config.run_dir} is the source {source}: give the translations a "
                "run directory of their own"
            )
    sources = read_sources(config.sources)
    work, skipped = pairs(sources, config.targets)
    if not work:
        reasons = {**sources.skipped, **skipped}
        raise ConfigError(
            f"nothing to translate: {sources.read} records read from {', '.join(config.sources)}, "
            f"{len(sources.samples)} verified samples, none into {', '.join(config.targets)}"
            + (
                f" (skipped: {', '.join(f'{k} {v}' for k, v in reasons.items())})"
                if reasons
                else ""
            )
        )
    config.problems = len(work)
    return TranslateEngine(config, sources, force=force, **kwargs)


def translate(
    config: TranslateConfig, *, force: bool = False, on_update=None
) -> tuple[RunStats, TranslateEngine]:
    """Translate to the end (the library entry point of `assay translate`)."""
    engine = prepare(config, force=force, on_update=on_update)
    stats = asyncio.run(engine.run())
    return stats, engine


__all__ = ["TranslateConfig", "TranslateEngine", "prepare", "translate"]
