"""The configuration of `assay rounds` (rounds.toml), parsed once into typed objects.

dir = "rounds/qwen"            rounds = 3        base = "Qwen/Qwen2.5-Coder-1.5B"
arms = ["accumulate", "replace", "no-verify"]    # or one arm: mode = "replace", verify = false
student_generates = true       mix = ["data/real.jsonl"]
[run]      every option of `assay run` but run_dir: problems per round, seeds, teacher, ...
[student]  generator = "vllm"  (how a student generates in later rounds and is evaluated)
[train]    lora = true  epochs = 2  learning_rate = 1e-4 ...
[eval]     benchmark = "humaneval"  k = [1, 10]  samples = 10
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from pipeline.config import ConfigError, RunConfig, _Section, load_toml

# An arm: how the training corpus grows (mode) and whether answers are kept only when verified.
ARMS: dict[str, tuple[str, bool]] = {
    "accumulate": ("accumulate", True),
    "replace": ("replace", True),
    "no-verify": ("accumulate", False),
    "replace-no-verify": ("replace", False),
}
ARM_NOTES = {
    "accumulate": "each round's corpus is added to the earlier rounds' (the default)",
    "replace": "each round trains only on the latest round's data: the collapse comparison "
    "(synthetic data replacing, not adding to, what came before)",
    "no-verify": "WITHOUT EXECUTION FEEDBACK: every parsed answer is kept, passing or not, and "
    "nothing is revised (the ablation of Llama 3's execution feedback)",
    "replace-no-verify": "without execution feedback, and only the latest round's data",
}


def arm_name(mode: str, verify: bool) -> str:
    return next(name for name, spec in ARMS.items() if spec == (mode, verify))


class StudentConfig(_Section):
    generator: str = "transformers"
    batch_size: int = Field(8, ge=1)
    concurrency: int = Field(64, ge=1)
    device: str = "auto"
    dtype: str = "auto"
    engine_args: dict[str, Any] = Field(default_factory=dict)
    max_tokens: int | None = Field(None, ge=1, description="default: the run's [sampling]")
    temperature: float | None = Field(None, ge=0)


class TrainSection(_Section):
    lora: bool = False
    lora_r: int = Field(16, ge=1)
    lora_alpha: int = Field(32, ge=1)
    merge: bool = True  # LoRA: a plain model directory that vLLM loads too
    epochs: float = Field(2.0, gt=0)
    max_steps: int = -1
    learning_rate: float | None = Field(None, gt=0)
    batch_size: int = Field(4, ge=1)
    grad_accum: int = Field(1, ge=1)
    max_length: int = Field(2048, ge=16)
    eval_fraction: float = Field(0.05, ge=0, lt=1)
    save_steps: int = Field(50, ge=1)
    seed: int = 0
    benchmarks: list[str] = Field(default_factory=lambda: ["humaneval"])
    dtype: str = "auto"


class EvalSection(_Section):
    benchmark: str = "humaneval"
    language: str = "python"
    k: list[int] = Field(default_factory=lambda: [1])
    samples: int | None = Field(None, ge=1, description="default: the largest k")
    prompt_style: Literal["auto", "chat", "completion"] = "auto"
    limit: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, description="default: 0 for one sample, else 0.8")
    top_p: float = Field(0.95, gt=0, le=1)
    max_tokens: int = Field(512, ge=1)
    seed: int = 0
    base: bool = Field(True, description="also evaluate the base model once, as round 'base'")


class RoundsConfig(_Section):
    dir: str = "rounds/default"
    rounds: int = Field(3, ge=1)
    base: str = Field("", description="the student's base model; every round trains from it")
    mode: Literal["accumulate", "replace"] = "accumulate"
    verify: bool = True
    arms: list[str] | None = None
    student_generates: bool = True
    mix: list[str] = Field(default_factory=list)
    run: dict[str, Any] = Field(default_factory=dict)
    student: StudentConfig = Field(default_factory=StudentConfig)
    train: TrainSection = Field(default_factory=TrainSection)
    eval: EvalSection = Field(default_factory=EvalSection)

    @model_validator(mode="after")
    def _check(self) -> RoundsConfig:
        for name in self.arms or []:
            if name not in ARMS:
                raise ValueError(f"unknown arm {name!r}: use {', '.join(ARMS)}")
        if "run_dir" in self.run:
            raise ValueError("[run] run_dir is set by assay rounds (DIR/ARM/round-N/run)")
        if not self.dir.strip():
            raise ValueError("dir is empty: name the directory the rounds are written to")
        if self.arms is not None and not self.arms:
            raise ValueError("arms is empty: name one or more of " + ", ".join(ARMS))
        return self

    def arm_names(self) -> list[str]:
        return list(self.arms) if self.arms else [arm_name(self.mode, self.verify)]

    def run_config(self, run_dir: str, round: int, verify: bool) -> RunConfig:
        """The `assay run` configuration of one round's generation (seeds drawn anew each round)."""
        data = json.loads(json.dumps(self.run))
        data["run_dir"] = run_dir
        data["seed"] = int(data.get("seed", 0)) + round
        data["progress"] = False
        if not verify:
            data["max_revisions"] = 0  # no feedback, so nothing to revise
        return RunConfig.model_validate(data)

    def identity(self) -> dict[str, Any]:
        """What a rerun on the same DIR must keep (more rounds and other arms are fine)."""
        data = self.model_dump()
        for key in ("rounds", "arms", "mode", "verify"):
            data.pop(key)
        return data


def load(path: str, overrides: dict[str, Any] | None = None) -> RoundsConfig:
    data = {**load_toml(path), **(overrides or {})}
    try:
        config = RoundsConfig.model_validate(data)
        config.run_config("check", 0, True)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None
    if not config.base:
        raise ConfigError(f'{path}: no base model: set base = "MODEL" (the student\'s base)')
    return config
