"""`assay rounds`: teacher -> student, in rounds, with a verified corpus in between.

For each arm (rounds_config.ARMS) and round r:

    generate  an `assay run` into DIR/ARM/round-r/run: the teacher in round 0; from round 1 on the
              student of round r-1 (or the teacher still, `student_generates = false`)
    train     `assay train` of the BASE model (never the last student) on the arm's corpus: every
              round so far (accumulate) or round r alone (replace), plus `mix`
    eval      `assay eval` of that student into DIR/ARM/round-r/eval

Each step is idempotent on its own (the run resumes from its store, training from its last
checkpoint, the evaluation from its per-problem JSONL), and DIR/ARM/round-r/state.json records the
steps finished, written atomically after each one: kill -9 at any point, rerun, and nothing
finished is done again. The no-verify arm runs the same loop without using verdicts: every parsed
first answer goes into its corpus (round-r/unverified.jsonl, marked `verified: false`); the
answers are still judged after the fact, only so the report can say how much of that corpus fails.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from typing import Any

from pipeline.config import ConfigError, SamplingConfig, TeacherConfig, check_ready
from pipeline.jsonl import write_json
from pipeline.languages import code_answer
from pipeline.rounds_config import ARM_NOTES, ARMS, RoundsConfig
from pipeline.store import RunStore

CONFIG_FILE, STATE_FILE, UNVERIFIED = "rounds.json", "state.json", "unverified.jsonl"
BASE_EVAL = "base-eval"
STEPS = ("generate", "train", "eval")
Log = Callable[[str], None]


def round_dir(root: str, arm: str, r: int) -> str:
    return os.path.join(root, arm, f"round-{r}")


def read_json(path: str) -> Any:
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def unverified_rows(run_dir: str, label: str) -> list[dict[str, Any]]:
    """Every parsed first answer of a run, passing or not: the no-verify arm's corpus."""
    rows = []
    with RunStore.open_readonly(run_dir) as store:
        for problem in store.iter_problems():
            first = next((a for a in problem.trail if a.round == 0), None)
            if first is None or not problem.problem or not first.solution or not first.tests:
                continue
            if first.finish_reason == "length":
                continue  # cut off: not a complete answer
            answer = code_answer(first.solution, first.tests, problem.language)
            rows.append(
                {
                    "id": f"{label}#{problem.id}",
                    "source": f"unverified:{label}",
                    "language": problem.language,
                    "problem": problem.problem,
                    "solution": first.solution,
                    "tests": first.tests,
                    "messages": [
                        {"role": "user", "content": problem.problem},
                        {"role": "assistant", "content": answer},
                    ],
                    "meta": {
                        "verified": False,
                        "execution_feedback": False,
                        "teacher": problem.teacher,
                        "judged_after_the_fact": first.stage,
                    },
                }
            )
    return rows


class Rounds:
    """All arms and rounds of one rounds directory."""

    def __init__(self, config: RoundsConfig, *, force: bool = False, log: Log | None = None):
        self.config = config
        self.root = config.dir
        self.log = log or (lambda line: None)
        stored = read_json(os.path.join(self.root, CONFIG_FILE))
        if stored is not None and stored.get("identity") != config.identity() and not force:
            changed = sorted(
                k for k in config.identity() if stored["identity"].get(k) != config.identity()[k]
            )
            raise ConfigError(
                f"{self.root} was made with another configuration ({', '.join(changed)} "
                "differ): use another dir, restore those options, or pass --force"
            )
        write_json(
            os.path.join(self.root, CONFIG_FILE),
            {"identity": config.identity(), "config": config.model_dump()},
        )

    def run(self) -> dict[str, Any]:
        if self.config.eval.base:
            self.evaluate_base()
        for arm in self.config.arm_names():
            self.log(f"arm {arm}: {ARM_NOTES[arm]}")
            for r in range(self.config.rounds):
                self.round(arm, r)
        return self.summary()

    # --- one round -----------------------------------------------------------------------------

    def round(self, arm: str, r: int) -> dict[str, Any]:
        where = round_dir(self.root, arm, r)
        path = os.path.join(where, STATE_FILE)
        state = read_json(path) or {"arm": arm, "round": r, "steps": {}}
        mode, verify = ARMS[arm]
        state.update(mode=mode, verify=verify, execution_feedback=verify, note=ARM_NOTES[arm])
        for step in STEPS:
            if step in state["steps"]:
                continue
            self.log(f"{arm} round {r}: {step}")
            state["steps"][step] = getattr(self, step)(arm, r, where)
            write_json(path, state)
        self.log(f"{arm} round {r}: done ({self._score(state['steps']['eval'])})")
        return state

    def _previous_model(self, arm: str, r: int) -> str:
        state = read_json(os.path.join(round_dir(self.root, arm, r - 1), STATE_FILE))
        if not state or "train" not in state["steps"]:
            raise ConfigError(f"{arm} round {r - 1} is not finished; run the rounds in order")
        return state["steps"]["train"]["model"]

    def generate(self, arm: str, r: int, where: str) -> dict[str, Any]:
        from pipeline.engine import Engine

        c = self.config
        _, verify = ARMS[arm]
        run_dir = os.path.join(where, "run")
        config = c.run_config(run_dir, r, verify)
        if r > 0 and c.student_generates:
            s = c.student
            config.teacher = TeacherConfig(
                **{
                    **config.teacher.model_dump(),
                    "generator": s.generator,
                    "model": self._previous_model(arm, r),
                    "batch_size": s.batch_size,
                    "concurrency": s.concurrency,
                    "device": s.device,
                    "dtype": s.dtype,
                    "engine_args": s.engine_args,
                }
            )
            config.sampling = SamplingConfig(
                **{
                    **config.sampling.model_dump(),
                    **({"max_tokens": s.max_tokens} if s.max_tokens else {}),
                    **({"temperature": s.temperature} if s.temperature is not None else {}),
                }
            )
        check_ready(config)
        engine = Engine(config)
        asyncio.run(engine.run())
        summary = engine.summary()
        out = {
            "run_dir": run_dir,
            "teacher": config.teacher.label,
            "problems": config.problems,
            "accepted": summary["counts"].get("accepted", 0),
            "corpus": summary["corpus"],
        }
        if not verify:
            rows = unverified_rows(run_dir, f"{arm}/round-{r}")
            with open(os.path.join(where, UNVERIFIED + ".tmp"), "w") as fh:
                fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
            os.replace(os.path.join(where, UNVERIFIED + ".tmp"), os.path.join(where, UNVERIFIED))
            out["unverified_rows"] = len(rows)
            out["unverified_failing"] = sum(
                1 for row in rows if row["meta"]["judged_after_the_fact"] != "passed"
            )
        return out

    def _data(self, arm: str, r: int) -> tuple[list[str], int]:
        """The arm's training inputs for round r and how many rows they hold."""
        mode, verify = ARMS[arm]
        rounds = range(r + 1) if mode == "accumulate" else [r]
        paths, rows = [], 0
        for k in rounds:
            where = round_dir(self.root, arm, k)
            if verify:
                paths.append(os.path.join(where, "run"))
                rows += _corpus_size(paths[-1])
            else:
                paths.append(os.path.join(where, UNVERIFIED))
                with open(paths[-1]) as fh:
                    rows += sum(1 for line in fh if line.strip())
        return paths, rows

    def train(self, arm: str, r: int, where: str) -> dict[str, Any]:
        from pipeline.train import TrainOptions, train

        c, t = self.config, self.config.train
        data, rows = self._data(arm, r)
        if rows == 0 and not c.mix:
            self.log(f"{arm} round {r}: no training data; the student is the base model")
            return {"model": c.base, "skipped": "no training data", "rows": {}, "data": data}
        options = TrainOptions(
            model=c.base,
            data=[p for p in data if _nonempty(p)],
            out=os.path.join(where, "student"),
            mix=list(c.mix),
            lora=t.lora,
            lora_r=t.lora_r,
            lora_alpha=t.lora_alpha,
            merge=t.merge,
            epochs=t.epochs,
            max_steps=t.max_steps,
            learning_rate=t.learning_rate,
            batch_size=t.batch_size,
            grad_accum=t.grad_accum,
            max_length=t.max_length,
            eval_fraction=t.eval_fraction,
            seed=t.seed,
            save_steps=t.save_steps,
            benchmarks=list(t.benchmarks),
            dtype=t.dtype,
        )
        summary = train(options, log=lambda line: self.log(f"  {line}"))
        keys = ("rows", "steps", "train_loss", "eval_loss", "resumed_from", "merged", "lora")
        return {"model": options.out, "data": data, **{k: summary.get(k) for k in keys}}

    def _eval_options(self, model: str, out: str):
        from pipeline.eval import EvalOptions

        c, e, s = self.config, self.config.eval, self.config.student
        samples = e.samples or max(e.k)
        temperature = e.temperature if e.temperature is not None else (0.0 if samples == 1 else 0.8)
        return EvalOptions(
            teacher=TeacherConfig(
                generator=s.generator,
                model=model,
                batch_size=s.batch_size,
                concurrency=s.concurrency,
                device=s.device,
                dtype=s.dtype,
                engine_args=s.engine_args,
            ),
            sampling=SamplingConfig(
                temperature=temperature, top_p=e.top_p, max_tokens=e.max_tokens, seed=e.seed
            ),
            verifier=c.run_config("check", 0, True).verifier,
            benchmark=e.benchmark,
            language=e.language,
            k=tuple(e.k),
            samples=samples,
            prompt_style=e.prompt_style,
            limit=e.limit,
            out=out,
        )

    def eval(self, arm: str, r: int, where: str) -> dict[str, Any]:
        from pipeline.eval import evaluate

        state = read_json(os.path.join(where, STATE_FILE)) or {}
        model = (state.get("steps", {}).get("train") or {}).get("model") or self.config.base
        return evaluate(self._eval_options(model, os.path.join(where, "eval")))

    def evaluate_base(self) -> dict[str, Any]:
        from pipeline.eval import evaluate

        out = os.path.join(self.root, BASE_EVAL)
        done = read_json(os.path.join(out, "summary.json"))
        if done and done.get("complete"):
            return done
        self.log(f"base model {self.config.base}: eval")
        return evaluate(self._eval_options(self.config.base, out))

    @staticmethod
    def _score(summary: dict[str, Any]) -> str:
        return ", ".join(
            f"{k} {v:.3f}" if v is not None else f"{k} –" for k, v in summary["pass_at_k"].items()
        )

    def summary(self) -> dict[str, Any]:
        from pipeline.report.rounds import gather_rounds

        return gather_rounds(self.root)


def _corpus_size(run_dir: str) -> int:
    from pipeline.report.rundir import scan_corpus

    return scan_corpus(run_dir).records


def _nonempty(path: str) -> bool:
    if os.path.isdir(path):
        return _corpus_size(path) > 0
    return os.path.getsize(path) > 0


def run_rounds(config: RoundsConfig, *, force: bool = False, log: Log | None = None) -> dict:
    """Every arm and round of `config` to the end (the library entry of `assay rounds`)."""
    return Rounds(config, force=force, log=log).run()
