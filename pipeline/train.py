"""`assay train`: fine-tune a student on verified corpora with TRL's SFTTrainer (LoRA optional).

    RUN_DIR / EXPORT / JSONL ... (+ --mix) -> `assay export` into OUT/data (decontaminated,
    near-duplicates dropped, a seeded held-out split) -> SFTTrainer on the `messages` rows
    -> OUT: a model directory (weights, tokenizer, chat template) that `assay eval` and
       `assay run --generator transformers|vllm` load as it is; OUT/assay-train.json, its summary

Resume: checkpoints go to OUT/checkpoints; a rerun (or `resume=None`, automatic) continues from
the newest complete one (a checkpoint is complete once its trainer_state.json is written, the last
file the Trainer saves), so kill -9 loses at most `save_steps` steps. A finished OUT (its summary
written last) is not trained again. A base model without a chat template gets a plain one whose
turns end with the end-of-text token, so the student learns to stop. The GPU is used when present
(bf16 where supported); otherwise the CPU, in float32. Extra `assay[train]`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.export import SUMMARY_FILE as EXPORT_SUMMARY
from pipeline.export import ExportOptions, export
from pipeline.export_rows import ExportError
from pipeline.jsonl import write_json

TRAIN_SUMMARY = "assay-train.json"
IDENTITY_FILE = "assay-train-identity.json"
DATA_DIR, CHECKPOINTS = "data", "checkpoints"
# For base models without one; the end-of-text token closes every turn.
DEFAULT_CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}{{ eos_token }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


class TrainError(RuntimeError):
    """Training cannot be done as asked; the message says how to fix it."""


DTYPES = ("auto", "float32", "bfloat16", "float16")


@dataclass
class TrainOptions:
    model: str  # the base: a hub id or a local directory
    data: list[str]  # run dirs, `assay export` dirs, JSONL/Parquet files with `messages`
    out: str
    mix: list[str] = field(default_factory=list)
    lora: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    merge: bool = False  # LoRA: merge the adapter into the weights (a plain model directory)
    epochs: float = 2.0
    max_steps: int = -1  # > 0 overrides epochs
    learning_rate: float | None = None  # default: 2e-4 with LoRA, 1e-5 without
    batch_size: int = 4
    grad_accum: int = 1
    max_length: int = 2048
    eval_fraction: float = 0.05  # held out for the eval loss; 0 = none
    seed: int = 0
    save_steps: int = 50
    resume: bool | None = None  # None: resume when OUT has checkpoints
    benchmarks: list[str] = field(default_factory=lambda: ["humaneval"])  # decontamination
    dtype: str = "auto"
    keep_checkpoints: bool = False

    def validate(self) -> None:
        """Options that cannot work, refused before OUT records them (and before any data is
        exported or a model loaded)."""
        for name in ("batch_size", "grad_accum", "max_length", "save_steps", "lora_r"):
            if getattr(self, name) < 1:
                flag = name.replace("_", "-")
                raise TrainError(f"--{flag} must be at least 1, got {getattr(self, name)}")
        if not 0 <= self.eval_fraction < 1:
            raise TrainError(f"--eval-fraction must be in [0, 1), got {self.eval_fraction}")
        if self.max_steps <= 0 and not self.epochs > 0:
            raise TrainError(f"--epochs must be positive, got {self.epochs}")
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise TrainError(f"--learning-rate must be positive, got {self.learning_rate}")
        if self.dtype not in DTYPES:
            raise TrainError(f"--dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        local = self.model.startswith(("/", "./", "../", "~")) or os.path.isabs(self.model)
        if local and not os.path.isdir(os.path.expanduser(self.model)):
            raise TrainError(f"--model {self.model}: no such directory (or give a hub model id)")

    def identity(self) -> dict[str, Any]:
        """What a resumed or repeated training must keep to mean the same."""
        skip = {"out", "resume", "keep_checkpoints", "save_steps"}
        data = {k: v for k, v in asdict(self).items() if k not in skip}
        data["data"] = [os.path.abspath(p) for p in self.data]
        return data


def _kind(path: str) -> str:
    if os.path.isdir(path) and (
        os.path.exists(os.path.join(path, "run.sqlite"))
        or os.path.isdir(os.path.join(path, "corpus"))
    ):
        return "run"
    if os.path.exists(path):
        return "dataset"
    raise TrainError(
        f"--data {path} does not exist: give a RUN_DIR of `assay run`, an `assay export` "
        "directory, or a JSONL/Parquet file with `messages`"
    )


def prepare_data(options: TrainOptions) -> dict[str, Any]:
    """OUT/data: the training rows as `assay export` writes them (reused when already there)."""
    out = os.path.join(options.out, DATA_DIR)
    summary_path = os.path.join(out, EXPORT_SUMMARY)
    if os.path.exists(summary_path):
        with open(summary_path) as fh:
            return json.load(fh)
    runs = [p for p in options.data if _kind(p) == "run"]
    mixed = [p for p in options.data if _kind(p) == "dataset"] + list(options.mix)
    splits = {"test": options.eval_fraction} if options.eval_fraction > 0 else {}
    try:
        return export(
            runs,
            ExportOptions(
                out=out,
                splits=splits,
                seed=options.seed,
                mix=mixed,
                benchmarks=list(options.benchmarks),
                overwrite=True,
            ),
        )
    except ExportError as exc:
        raise TrainError(f"no training data: {exc}") from None


def last_checkpoint(directory: str) -> str | None:
    """The newest complete checkpoint; incomplete ones (a kill during a save) are removed."""
    if not os.path.isdir(directory):
        return None
    found = []
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if not name.startswith("checkpoint-") or not os.path.isdir(path):
            continue
        try:
            with open(os.path.join(path, "trainer_state.json")) as fh:
                json.load(fh)
            found.append((int(name.split("-")[1]), path))
        except (OSError, ValueError):
            shutil.rmtree(path, ignore_errors=True)
    return max(found)[1] if found else None


def finished(out: str, options: TrainOptions | None = None) -> dict[str, Any] | None:
    """The summary of a finished training in `out` (of these options, when given), or None."""
    try:
        with open(os.path.join(out, TRAIN_SUMMARY)) as fh:
            summary = json.load(fh)
    except (OSError, ValueError):
        return None
    if options is not None and summary.get("identity") != options.identity():
        return None
    return summary


def _check_identity(options: TrainOptions) -> None:
    path = os.path.join(options.out, IDENTITY_FILE)
    identity = options.identity()
    if os.path.exists(path):
        with open(path) as fh:
            stored = json.load(fh)
        if stored != identity:
            changed = sorted(k for k in identity if stored.get(k) != identity[k])
            raise TrainError(
                f"{options.out} holds a training with other options ({', '.join(changed)}): use "
                "another --out, or delete it to start over"
            )
    else:
        os.makedirs(options.out, exist_ok=True)
        write_json(path, identity)


Log = Callable[[str], None]


def train(options: TrainOptions, log: Log | None = None) -> dict[str, Any]:
    """Train to the end (or find it done); returns the summary written to OUT/assay-train.json."""
    log = log or (lambda line: None)
    done = finished(options.out, options)
    if done is not None:
        log(f"{options.out}: already trained ({done['steps']} steps); nothing to do")
        return {**done, "already_done": True}
    options.validate()
    if not options.data and not options.mix:
        raise TrainError("no --data: give run directories, exports or JSONL files")
    for path in options.data:
        _kind(path)
    _check_identity(options)
    checkpoints = os.path.join(options.out, CHECKPOINTS)
    resume_from = last_checkpoint(checkpoints)
    if resume_from and options.resume is False:
        shutil.rmtree(checkpoints)
        resume_from = None
    elif options.resume and not resume_from:
        log(f"{checkpoints}: no complete checkpoint; training from the start")
    started = time.monotonic()
    data = prepare_data(options)
    log(
        f"data: {data['splits'].get('train', 0)} training rows, {data['splits'].get('test', 0)} "
        f"held out ({data['decontamination']['dropped']} contaminated, "
        f"{data['near_duplicates']['dropped']} near-duplicates dropped) in "
        f"{os.path.join(options.out, DATA_DIR)}"
    )
    from pipeline.train_sft import run_sft  # torch, transformers, trl: loaded only here

    result = run_sft(options, resume_from, log)
    summary = {
        "base_model": options.model,
        "out": options.out,
        "identity": options.identity(),
        "rows": data["splits"],
        "data_sources": data["by_source"],
        **result,
        "resumed_from": os.path.basename(resume_from) if resume_from else None,
        "wall_s": round(time.monotonic() - started, 3),
    }
    write_json(os.path.join(options.out, TRAIN_SUMMARY), summary)
    if not options.keep_checkpoints:
        shutil.rmtree(checkpoints, ignore_errors=True)
    return summary
