"""The runner of `assay run`: concurrency, resume, progress. The loop itself is in loop.py.

A fixed set of worker tasks takes problem slots in order and runs `solve_seed` on each; teacher
calls (bounded by `concurrency`, or gathered into batches) and verification (the sandbox pool)
overlap because many slots are in flight at once. Memory stays flat: at most `workers` problems
are open at any time.

Where the teacher calls and the sandbox runs happen is the executor's business (pipeline/executors:
this process, or actors on a Ray cluster); the store and the corpus are written here only.

Resume: each slot's `ask` and `judge` first look in the run store. An answer is stored before it
is verified and a verdict as soon as it is known, so after kill -9 a rerun replays every stored
step and calls the teacher only for steps never answered. A corpus line written just before a kill
is found again by id on the rerun (`PRESENT`), so nothing is lost or added twice.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from pipeline import config as cfg
from pipeline import dirlock, executors, run_identity
from pipeline.answers import Answer, parse_problem, unverifiable
from pipeline.config import RunConfig
from pipeline.corpus import ADDED, PRESENT, Corpus, make_record
from pipeline.generators import Chat, Completion, Generator, RequestRefused
from pipeline.generators.batcher import Batcher
from pipeline.loop import DEFAULT_TASK, Outcome, Task, solve_seed
from pipeline.prompts import Prompts
from pipeline.seeds import Seed, SlotSeeds
from pipeline.store import (
    ACCEPTED,
    DUPLICATE,
    REJECTED,
    STORE_FILE,
    VERIFIED,
    AttemptRow,
    ProblemRow,
    RunStore,
    StoreError,
)
from sandbox import VERIFIER_VERSION, Sample, Verdict


@dataclass
class RunStats:
    """Counters of one `assay run` process; they add up with `+` (STYLE 4)."""

    problems: int = 0  # slots finished by this process
    resumed: int = 0  # slots already final in the store at start
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    attempts: int = 0
    teacher_calls: int = 0  # calls actually sent; replays from the store are not counted
    replayed: int = 0  # answers taken from the store instead of the teacher
    verified: int = 0  # sandbox runs
    tokens_in: int = 0
    tokens_out: int = 0
    in_revision: int = 0  # slots currently past their first attempt (a gauge)
    rejected_by_stage: Counter = field(default_factory=Counter)

    def __add__(self, other: RunStats) -> RunStats:
        out = RunStats()
        for f in fields(self):
            setattr(out, f.name, getattr(self, f.name) + getattr(other, f.name))
        return out


def _replay(raw: str, finish: str | None, t_in: int | None, t_out: int | None, s: float | None):
    return Completion(raw, finish or "stop", t_in or 0, t_out or 0, s or 0.0)


class Engine:
    """One `assay run` on one RUN_DIR."""

    def __init__(
        self,
        config: RunConfig,
        *,
        force: bool = False,
        on_update: Callable[[RunStats], None] | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.config = config
        self.force = force
        self.on_update = on_update or (lambda stats: None)
        self.generator = generator
        self.executor = executors.create(config.executor)
        self.stats = RunStats()
        self.started = time.monotonic()

    # Set-up: everything that can fail fails here, before any teacher call -------------------
    def prepare(self) -> None:
        """Validate the run dir against the config, index the seeds, open store and corpus."""
        config = self.config
        self.prompts = self.make_prompts()
        identity = self.identity()
        if not config.run_dir.strip():
            raise StoreError("--run-dir is empty: name the run's directory")
        if os.path.exists(config.run_dir) and not os.path.isdir(config.run_dir):
            raise StoreError(f"--run-dir {config.run_dir} is a file, not a directory")
        try:
            os.makedirs(config.run_dir, exist_ok=True)
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise StoreError(f"cannot make the run directory {config.run_dir}: {why}") from None
        try:
            dirlock.hold(config.run_dir, "--run-dir")
        except dirlock.DirectoryInUse as exc:
            raise StoreError(str(exc)) from None
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise StoreError(f"cannot lock the run directory {config.run_dir}: {why}") from None
        try:
            self._open_store(identity)
        except sqlite3.Error as exc:
            dirlock.release(config.run_dir)
            path = os.path.join(config.run_dir, STORE_FILE)
            raise StoreError(
                f"the run store {path} cannot be used: {exc} (a damaged or read-only file: "
                "restore it from a copy, or start a new --run-dir)"
            ) from None
        except BaseException:
            dirlock.release(config.run_dir)
            raise
        cfg.save(config, config.run_dir)
        self.corpus = Corpus(os.path.join(config.run_dir, "corpus"))
        self.teacher_meta = {
            "teacher": config.teacher.label,
            "generator": config.teacher.generator,
            "model": config.teacher.model,
            "sampling": config.sampling.model_dump(),
        }

    def _open_store(self, identity: dict[str, Any]) -> None:
        self.store = RunStore(self.config.run_dir)
        try:
            if self.store.has_work():
                stored = self.store.get_meta("config_identity")
                run_identity.check_compatible(
                    json.loads(stored) if stored else None, identity, self.force
                )
            self.seeds = self.open_slots()
            # Until a problem is recorded, a rerun may change anything (e.g. a mistyped model).
            self.store.set_meta("config_identity", json.dumps(identity, sort_keys=True))
            self.store.set_meta("config_digest", run_identity.digest(identity))
            if self.store.get_meta("verifier_version") is None:
                self.store.set_meta("verifier_version", VERIFIER_VERSION)
        except Exception:
            self.store.close()
            raise

    # What a slot is. `assay run` draws a seed for each; `assay translate` (pipeline/translate/)
    # overrides these hooks and nothing else: the same loop, store, resume and concurrency.
    def make_prompts(self) -> Prompts:
        return Prompts()

    def identity(self) -> dict[str, Any]:
        """The options a rerun must keep (refused unless --force when they changed)."""
        return self.config.identity(self.prompts.digest)

    def open_slots(self) -> Any:
        """What new slots are drawn from: `pick(slot)` -> (language, Seed). The store is open."""
        return SlotSeeds(self.config.seeds, self.config.seed, self.config.mix)

    def task(self, row: ProblemRow) -> Task:
        """What the slot of `row` asks beyond the default prompts."""
        return DEFAULT_TASK

    def make_record(self, outcome: Outcome, slot: int) -> dict[str, Any]:
        """The corpus record of an accepted slot."""
        return make_record(
            outcome, slot=slot, teacher=self.teacher_meta, verifier_version=VERIFIER_VERSION
        )

    async def run(self) -> RunStats:
        self.prepare()
        batcher: Batcher | None = None
        try:
            await self.executor.start(self.config.verifier.options())
            if self.generator is None:
                self.generator = self.executor.generator(self.config.teacher, self.config.sampling)
            await self.generator.start()
            if self.generator.max_batch > 1:
                batcher = Batcher(self.generator)
                self._teacher = batcher.ask
            else:
                self._teacher = self._ask_generator
            finished = self.store.finished_ids()
            pending = [slot for slot in range(self.config.problems) if slot not in finished]
            self.stats.resumed = self.config.problems - len(pending)
            self.on_update(self.stats)
            slots = iter(pending)
            width = max(self.config.teacher.concurrency, self.generator.max_batch)
            workers = min(len(pending), width + 2 * self.executor.slots)
            async with asyncio.TaskGroup() as group:
                for _ in range(workers):
                    group.create_task(self._worker(slots))
        except BaseExceptionGroup as group:
            # A worker's failure (a dead teacher) stops the run; re-raise it bare for the CLI.
            raise group.exceptions[0] from None
        finally:
            if batcher is not None:
                await batcher.close()
            if self.generator is not None:
                await self.generator.close()
            await self.executor.close()
            self.corpus.close()
            self.store.close()
            dirlock.release(self.config.run_dir)
        return self.stats

    async def _ask_generator(self, chat: Chat) -> Completion:
        return (await self.generator.generate([chat]))[0]

    async def _worker(self, slots) -> None:
        for slot in slots:
            await self._solve_slot(slot)

    # One slot: the loop with a memory ----------------------------------------------------------
    async def _solve_slot(self, slot: int) -> None:
        store, config = self.store, self.config
        row = store.problem(slot)
        if row is None:
            language, seed = self.seeds.pick(slot)
            row = store.ensure_problem(
                slot,
                seed.source,
                seed.text,
                config.teacher.label,
                config.sampling.model_dump(),
                language=language,
            )
        seed = Seed(row.seed_source or "", row.seed_text or "")
        language = row.language
        recorded: dict[int, AttemptRow] = {a.round: a for a in row.trail}
        task = self.task(row)
        revising = False

        async def ask(step: str | int, chat: Chat) -> Completion:
            nonlocal revising
            if step == "problem":
                if row.raw is not None:
                    self.stats.replayed += 1
                    return _replay(
                        row.raw, row.finish_reason, row.tokens_in, row.tokens_out, row.teacher_s
                    )
                completion = await self._call_teacher(chat)
                store.record_problem(
                    slot,
                    prompt=chat[-1]["content"],
                    raw=completion.text,
                    problem=parse_problem(completion),
                    finish_reason=completion.finish_reason,
                    tokens_in=completion.tokens_in,
                    tokens_out=completion.tokens_out,
                    teacher_s=completion.seconds,
                )
                return completion
            assert isinstance(step, int)
            if step >= 1 and not revising:
                revising = True
                self.stats.in_revision += 1
            self.stats.attempts += 1
            if (done := recorded.get(step)) is not None and done.raw is not None:
                self.stats.replayed += 1
                return _replay(
                    done.raw, done.finish_reason, done.tokens_in, done.tokens_out, done.teacher_s
                )
            completion = await self._call_teacher(chat)
            answer = task.read(completion.text, language)
            store.record_answer(
                slot,
                step,
                prompt=chat[-1]["content"],
                messages=chat,
                raw=completion.text,
                finish_reason=completion.finish_reason,
                solution=answer.solution,
                tests=answer.tests,
                teacher=config.teacher.label,
                sampling=config.sampling.model_dump(),
                tokens_in=completion.tokens_in,
                tokens_out=completion.tokens_out,
                teacher_s=completion.seconds,
            )
            return completion

        async def judge(round: int, completion: Completion, answer: Answer) -> Verdict:
            done = recorded.get(round)
            if done is not None and done.status == VERIFIED and done.verdict is not None:
                return Verdict.from_dict(done.verdict)
            started = time.monotonic()
            verdict = unverifiable(completion, answer, config.sampling.max_tokens) or task.check(
                answer
            )
            if verdict is None:
                sample = Sample(
                    solution=answer.solution, tests=answer.tests, language=answer.language
                )
                verdict = await self.executor.verify(sample)
                self.stats.verified += 1
            store.record_verdict(slot, round, verdict.to_dict(), time.monotonic() - started)
            return verdict

        try:
            outcome = await solve_seed(
                seed, ask, judge, self.prompts, config.max_revisions, language, task
            )
        except RequestRefused as exc:
            outcome = Outcome(seed, accepted=False, reason=f"teacher_refused: {exc}")
        finally:
            if revising:
                self.stats.in_revision -= 1
        self._finish(slot, outcome)

    async def _call_teacher(self, chat: Chat) -> Completion:
        completion = await self._teacher(chat)
        self.stats.teacher_calls += 1
        self.stats.tokens_in += completion.tokens_in
        self.stats.tokens_out += completion.tokens_out
        self.on_update(self.stats)
        return completion

    def _finish(self, slot: int, outcome: Outcome) -> None:
        stats = self.stats
        stats.problems += 1
        if outcome.accepted:
            record = self.make_record(outcome, slot)
            what, ref = self.corpus.add(record)
            if what in (ADDED, PRESENT):
                self.store.finish_problem(slot, ACCEPTED, sample_id=record["id"])
                stats.accepted += 1
            else:
                self.store.finish_problem(slot, DUPLICATE, reason=what, sample_id=ref)
                stats.duplicates += 1
        else:
            self.store.finish_problem(slot, REJECTED, reason=outcome.reason)
            stats.rejected += 1
            stats.rejected_by_stage[outcome.reason.split(":")[0]] += 1
        self.on_update(stats)

    def summary(self) -> dict[str, Any]:
        """Totals of the whole run directory (this process and earlier ones)."""
        with RunStore.open_readonly(self.config.run_dir) as store:
            counts = store.counts()
            by_language = store.counts_by_language()
            reasons: Counter = Counter()
            for reason, n in store.reasons(REJECTED).items():
                reasons[reason.split(":")[0]] += n
        return {
            "run_dir": self.config.run_dir,
            "counts": counts,
            "rejected_by_stage": dict(reasons.most_common()),
            "by_language": by_language,
            "corpus": len(self.corpus),
            "executor": self.executor.describe(),
            "seeds_skipped": self._seeds_skipped(),
            "this_run": {
                **{f.name: getattr(self.stats, f.name) for f in fields(self.stats)},
                "rejected_by_stage": dict(self.stats.rejected_by_stage),
                "wall_s": round(time.monotonic() - self.started, 3),
            },
        }

    def _seeds_skipped(self) -> dict[str, Any]:
        """The seed lines this run skipped (JSONL lines that are not JSON, or have no text)."""
        skipped = getattr(getattr(self, "seeds", None), "skipped_lines", None)
        count, first = skipped() if skipped is not None else (0, "")
        return {"lines": count, "first": first}


def run(config: RunConfig, *, force: bool = False, on_update=None) -> tuple[RunStats, Engine]:
    """Run `config` to the end (the library entry point of `assay run`)."""
    engine = Engine(config, force=force, on_update=on_update)
    stats = asyncio.run(engine.run())
    return stats, engine
