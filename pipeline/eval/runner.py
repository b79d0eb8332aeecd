"""`assay eval`: sample a model on a benchmark and score pass@k in assay's own sandbox.

    tasks x samples -> generator (chat or completion prompts, in batches) -> Sample -> Verifier
        -> OUT/results.jsonl (one line per task, appended as soon as its samples are judged)
        -> OUT/summary.json (pass@k, stages, the prompt style and verifier options used)

The verifier options are a run's own (`verifier`), so a model is judged by the same harness as
the corpus it learnt from: lint, limits and isolation included. The strength check is off: it
rejects tests that pass against stubs, and a benchmark's tests are fixed, not the model's.
A rerun on the same OUT skips tasks already in results.jsonl (kill -9 loses what was in flight).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeline import dirlock
from pipeline.config import SamplingConfig, TeacherConfig, VerifierConfig
from pipeline.eval.benchmarks import (
    CHAT,
    COMPLETION,
    Benchmark,
    BenchmarkError,
    Task,
    load_benchmark,
)
from pipeline.eval.passk import mean_pass_at_k, pass_at_k
from pipeline.generators import Completion, Generator, create
from pipeline.jsonl import AppendLog, iter_jsonl, write_json
from sandbox import Verdict, Verifier

RESULTS, SUMMARY, IDENTITY = "results.jsonl", "summary.json", "eval.json"
STYLES = ("auto", CHAT, COMPLETION)
STRENGTH_NOTE = (
    "strength check off: it judges tests a model wrote; a benchmark's tests are fixed and trusted"
)


@dataclass
class EvalOptions:
    """What to evaluate and how; `teacher` names the model and its generator."""

    teacher: TeacherConfig
    sampling: SamplingConfig
    verifier: VerifierConfig = field(default_factory=VerifierConfig)
    benchmark: str = "humaneval"
    language: str = "python"
    k: tuple[int, ...] = (1,)
    samples: int = 1
    prompt_style: str = "auto"
    limit: int | None = None
    out: str | None = None

    def validate(self) -> None:
        if self.prompt_style not in STYLES:
            raise BenchmarkError(f"--prompt-style must be one of {', '.join(STYLES)}")
        if not self.k or min(self.k) < 1:
            raise BenchmarkError("-k takes positive integers, e.g. -k 1,10")
        if self.samples < 1:
            raise BenchmarkError("--samples must be at least 1")
        if self.limit is not None and self.limit < 1:
            raise BenchmarkError(f"--limit must be at least 1, got {self.limit}")
        if max(self.k) > self.samples:
            raise BenchmarkError(
                f"pass@{max(self.k)} needs at least {max(self.k)} samples per problem: "
                f"pass --samples {max(self.k)} (or more; Chen et al. use n >> k)"
            )

    def identity(self) -> dict[str, Any]:
        """What a rerun on the same OUT must keep for its results to mean the same."""
        return {
            "model": self.teacher.model,
            "generator": self.teacher.generator,
            "benchmark": self.benchmark,
            "language": self.language,
            "samples": self.samples,
            "prompt_style": self.prompt_style,
            "sampling": self.sampling.model_dump(),
            "verifier": {  # the checks that judge: the same answer, judged otherwise, differs
                "timeout": self.verifier.timeout,
                "memory": self.verifier.memory,
                "lint_select": self.verifier.lint_select,
                "lint_ignore": self.verifier.lint_ignore,
            },
        }


def _one_spelling(identity: dict[str, Any]) -> dict[str, Any]:
    """An identity with a benchmark file's path as `os.path.normpath` has it (`./b.jsonl` is
    `b.jsonl`; a registered name is its own)."""
    benchmark = identity.get("benchmark")
    if not isinstance(benchmark, str) or not benchmark:
        return identity
    return {**identity, "benchmark": os.path.normpath(benchmark)}


def task_line(task: Task, style: str, answers: list[tuple[Completion, Verdict]]) -> dict:
    n, c = len(answers), sum(v.passed for _, v in answers)
    return {
        "task_id": task.id,
        "n": n,
        "correct": c,
        "pass@1": pass_at_k(n, c, 1),
        "prompt_style": style,
        "samples": [
            {
                "completion": completion.text,
                "finish_reason": completion.finish_reason,
                "tokens_out": completion.tokens_out,
                "passed": verdict.passed,
                "stage": verdict.stage,
                "reason": verdict.reason[:300],
            }
            for completion, verdict in answers
        ],
    }


def _no_code() -> Verdict:
    return Verdict(passed=False, stage="no_code", reason="the answer has no code")


class Evaluation:
    """One `assay eval` into one OUT directory."""

    def __init__(
        self,
        options: EvalOptions,
        *,
        on_task: Callable[[int, int], None] | None = None,
        generator: Generator | None = None,
    ) -> None:
        options.validate()
        self.options = options
        self.on_task = on_task or (lambda done, total: None)
        self.generator = generator
        self.benchmark: Benchmark = load_benchmark(options.benchmark, options.language)
        tasks = self.benchmark.tasks
        self.tasks = tasks[: options.limit] if options.limit is not None else tasks
        self.out = options.out
        self.lines: dict[str, dict] = {}
        if self.out:
            self._open_out()

    def _open_out(self) -> None:
        assert self.out is not None
        if os.path.exists(self.out) and not os.path.isdir(self.out):
            raise BenchmarkError(f"--out {self.out} is a file, not a directory")
        os.makedirs(self.out, exist_ok=True)
        try:
            dirlock.hold(self.out, "--out")
        except dirlock.DirectoryInUse as exc:
            raise BenchmarkError(str(exc)) from None
        except OSError as exc:
            raise BenchmarkError(
                f"cannot write to --out {self.out}: {exc.strerror or exc}"
            ) from None
        try:
            self._resume()
        except BaseException:
            dirlock.release(self.out)
            raise

    def _resume(self) -> None:
        """The results OUT holds for this evaluation's tasks, once its options are checked."""
        assert self.out is not None
        path = os.path.join(self.out, IDENTITY)
        identity = self.options.identity()
        results = list(iter_jsonl(os.path.join(self.out, RESULTS)))
        # Until a result is recorded, a rerun may change anything (a mistyped model, say).
        if results and os.path.exists(path):
            with open(path) as fh:
                stored = json.load(fh)
            stored.setdefault("verifier", identity["verifier"])  # not recorded before: kept
            same, now = _one_spelling(stored), _one_spelling(identity)
            if same != now:
                changed = [k for k in now if same.get(k) != now[k]]
                raise BenchmarkError(
                    f"{self.out} holds results of another evaluation ({', '.join(changed)} "
                    "differ): use another --out, or delete it to start over"
                )
        else:
            write_json(path, identity)
        wanted = {t.id for t in self.tasks}
        for line in results:
            if line.get("task_id") in wanted:
                self.lines[line["task_id"]] = line

    async def run(self) -> dict[str, Any]:
        started = time.monotonic()
        o = self.options
        generator = self.generator or create(o.teacher, o.sampling)
        log = AppendLog(os.path.join(self.out, RESULTS)) if self.out else None
        verifier: Verifier | None = None
        try:
            await generator.start()
            self.style = self._style(generator)
            pending = [t for t in self.tasks if t.id not in self.lines]
            self.on_task(len(self.lines), len(self.tasks))
            if pending:
                options = o.verifier.options()
                options = type(options)(**{**options.__dict__, "strength_check": False})
                verifier = Verifier(options)  # in this thread: workers belong to it
                await self._sample_and_judge(generator, verifier, pending, log)
        finally:
            await generator.close()
            if verifier is not None:
                await asyncio.to_thread(verifier.close)
            if log is not None:
                log.close()
        try:
            summary = self.summary(time.monotonic() - started)
            if self.out:
                write_json(os.path.join(self.out, SUMMARY), summary)
        finally:
            if self.out:
                dirlock.release(self.out)
        return summary

    def _style(self, generator: Generator) -> str:
        wanted = self.options.prompt_style
        if wanted == "auto":
            native = generator.has_chat_template()
            wanted = COMPLETION if native is False else CHAT
            if wanted not in self.benchmark.styles():
                wanted = CHAT
        if wanted not in self.benchmark.styles():
            raise BenchmarkError(
                f"{self.benchmark.name} has problem statements, no code to continue: "
                "use --prompt-style chat"
            )
        return wanted

    async def _sample_and_judge(self, generator, verifier, pending, log) -> None:
        o = self.options
        requests = [(task, i) for task in pending for i in range(o.samples)]
        width = generator.max_batch if generator.max_batch > 1 else o.teacher.concurrency
        answers: dict[str, list] = {}
        writers: list[asyncio.Task] = []

        async def finish(task: Task, got: list) -> None:
            verdicts = await asyncio.gather(*(v for _, _, v in got))
            got_sorted = sorted(zip(got, verdicts, strict=True), key=lambda x: x[0][0])
            line = task_line(task, self.style, [(c, v) for (_, c, _), v in got_sorted])
            self.lines[task.id] = line
            if log is not None:
                log.write(line)
            self.on_task(len(self.lines), len(self.tasks))

        for start in range(0, len(requests), width):
            chunk = requests[start : start + width]
            if self.style == COMPLETION:
                stop = chunk[0][0].stop  # one benchmark: one convention
                completions = await generator.complete([t.prompt for t, _ in chunk], stop)
            else:
                completions = await generator.generate([self.benchmark.chat(t) for t, _ in chunk])
            for (task, i), completion in zip(chunk, completions, strict=True):
                sample = self.benchmark.sample(task, completion.text, self.style, i)
                if sample is None:
                    verdict: asyncio.Future = asyncio.get_running_loop().create_future()
                    verdict.set_result(_no_code())
                else:
                    verdict = asyncio.shield(asyncio.wrap_future(verifier.submit(sample)))
                got = answers.setdefault(task.id, [])
                got.append((i, completion, verdict))
                if len(got) == o.samples:
                    writers.append(asyncio.create_task(finish(task, answers.pop(task.id))))
        await asyncio.gather(*writers)

    def summary(self, wall_s: float) -> dict[str, Any]:
        o = self.options
        lines = [self.lines[t.id] for t in self.tasks if t.id in self.lines]
        counts = [(line["n"], line["correct"]) for line in lines]
        stages = Counter(s["stage"] for line in lines for s in line["samples"])
        v = o.verifier
        return {
            "model": o.teacher.model,
            "generator": o.teacher.generator,
            "benchmark": self.benchmark.name,
            "language": o.language,
            "prompt_style": getattr(self, "style", None),
            "problems": len(self.tasks),
            "evaluated": len(lines),
            "complete": len(lines) == len(self.tasks),
            "samples_per_problem": o.samples,
            "sampling": o.sampling.model_dump(),
            "pass_at_k": {f"pass@{k}": mean_pass_at_k(counts, k) for k in sorted(o.k)},
            "solved": sum(1 for n, c in counts if c),
            "by_stage": dict(stages.most_common()),
            "verifier": {
                "sandbox": v.sandbox,
                "isolation": v.isolation,
                "timeout_s": v.timeout,
                "memory_mb": v.memory,
                "lint_select": v.lint_select,
                "lint_ignore": v.lint_ignore,
                "strength_check": False,
                "note": STRENGTH_NOTE,
            },
            "wall_s": round(wall_s, 3),
            "out": self.out,
        }


def evaluate(options: EvalOptions, on_task: Callable[[int, int], None] | None = None) -> dict:
    """Run the evaluation to the end; returns the summary (the library entry of `assay eval`)."""
    return asyncio.run(Evaluation(options, on_task=on_task).run())
