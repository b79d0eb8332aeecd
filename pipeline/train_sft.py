"""The torch side of `assay train` (train.py holds the data and resume logic): TRL's SFTTrainer
on OUT/data, then the model directory written to OUT. Imported only when training runs.
"""

from __future__ import annotations

import glob
import logging
import math
import os
import time
import warnings
from typing import Any

from pipeline.train import (
    CHECKPOINTS,
    DATA_DIR,
    DEFAULT_CHAT_TEMPLATE,
    Log,
    TrainError,
    TrainOptions,
)

try:
    import datasets
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import SFTConfig, SFTTrainer
except ImportError as exc:  # pragma: no cover - the extra is missing
    raise TrainError(
        f"assay train needs torch, transformers and trl ({exc.name} is missing): "
        "pip install 'assay[train]'"
    ) from None


class Progress(TrainerCallback):
    """One line per logging step: step/total, epoch, loss, eval loss, speed."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.started = time.monotonic()

    def on_log(self, args, state, control, logs=None, **kwargs) -> None:
        logs = logs or {}
        parts = [f"step {state.global_step}/{state.max_steps}", f"epoch {state.epoch or 0:.2f}"]
        for key in ("loss", "eval_loss", "train_loss"):
            if key in logs:
                parts.append(f"{key.replace('_', ' ')} {logs[key]:.4f}")
        parts.append(f"{time.monotonic() - self.started:.0f} s")
        self.log(" · ".join(parts))


def _dataset(options: TrainOptions) -> tuple[Any, Any]:
    root = os.path.join(options.out, DATA_DIR)
    files = {
        split: path
        for split in ("train", "test")
        if os.path.exists(path := os.path.join(root, f"{split}.jsonl"))
    }
    loaded = datasets.load_dataset("json", data_files=files)
    loaded = loaded.select_columns(["messages"])
    return loaded["train"], loaded.get("test")


def _tokenizer(model: str) -> Any:
    tokenizer = AutoTokenizer.from_pretrained(model)
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = DEFAULT_CHAT_TEMPLATE
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def run_sft(options: TrainOptions, resume_from: str | None, log: Log) -> dict[str, Any]:
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    datasets.disable_progress_bars()
    logging.getLogger("trl").setLevel(logging.ERROR)
    cuda = torch.cuda.is_available()
    bf16 = cuda and torch.cuda.is_bf16_supported()
    train_rows, test_rows = _dataset(options)
    tokenizer = _tokenizer(options.model)
    dtype: Any = "auto" if options.dtype == "auto" else getattr(torch, options.dtype)
    try:
        model = AutoModelForCausalLM.from_pretrained(options.model, dtype=dtype)
    except (OSError, ValueError) as exc:
        raise TrainError(f"cannot load base model {options.model!r}: {exc}") from None
    if not cuda:
        model = model.float()  # half precision on CPU is slow and unstable
    lr = options.learning_rate or (2e-4 if options.lora else 1e-5)
    steps_per_epoch = math.ceil(len(train_rows) / (options.batch_size * options.grad_accum))
    evaluating = test_rows is not None and len(test_rows) > 0
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")
    args = SFTConfig(
        output_dir=os.path.join(options.out, CHECKPOINTS),
        num_train_epochs=options.epochs,
        max_steps=options.max_steps,
        per_device_train_batch_size=options.batch_size,
        per_device_eval_batch_size=options.batch_size,
        gradient_accumulation_steps=options.grad_accum,
        learning_rate=lr,
        max_length=options.max_length,
        seed=options.seed,
        data_seed=options.seed,
        logging_steps=max(1, min(options.save_steps, steps_per_epoch // 4 or 1)),
        save_strategy="steps",
        save_steps=options.save_steps,
        save_total_limit=2,
        eval_strategy="steps" if evaluating else "no",
        eval_steps=options.save_steps if evaluating else None,
        report_to="none",
        disable_tqdm=True,
        use_cpu=not cuda,
        bf16=bf16,
        dataloader_num_workers=0,
        # Checkpointing activations saves GPU memory; on a CPU it only costs time.
        gradient_checkpointing=cuda,
    )
    peft_config = None
    if options.lora:
        from peft import LoraConfig

        peft_config = LoraConfig(
            r=options.lora_r,
            lora_alpha=options.lora_alpha,
            lora_dropout=options.lora_dropout,
            target_modules="all-linear",
            task_type="CAUSAL_LM",
        )
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=train_rows,
        eval_dataset=test_rows if evaluating else None,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=[Progress(log)],
    )
    trainer.remove_callback(transformers.trainer_callback.PrinterCallback)  # Progress prints
    if resume_from:
        log(f"resuming from {resume_from}")
    output = trainer.train(resume_from_checkpoint=resume_from)
    metrics = trainer.evaluate() if evaluating else {}
    if metrics:
        log(f"held-out eval loss {metrics['eval_loss']:.4f} on {len(test_rows)} rows")
    merged = _save(trainer, tokenizer, options)
    return {
        "steps": trainer.state.global_step,
        "epochs": round(trainer.state.epoch or 0.0, 3),
        "train_loss": output.training_loss,
        "eval_loss": metrics.get("eval_loss"),
        "learning_rate": lr,
        "lora": options.lora,
        "merged": merged,
        "device": "cuda" if cuda else "cpu",
        "dtype": "bfloat16" if bf16 else str(model.dtype).removeprefix("torch."),
    }


def _save(trainer: Any, tokenizer: Any, options: TrainOptions) -> bool:
    """The model directory: full weights (a merged adapter too) or the LoRA adapter."""
    out = options.out
    for stale in glob.glob(os.path.join(out, "*.safetensors")) + glob.glob(
        os.path.join(out, "*.bin")
    ):
        os.remove(stale)  # a rerun must not leave another format's weights beside the new ones
    model = trainer.model
    merged = False
    if options.lora and options.merge:
        model = model.merge_and_unload()
        merged = True
    eos = tokenizer.eos_token_id
    if eos is not None and getattr(model, "generation_config", None) is not None:
        ids = model.generation_config.eos_token_id
        ids = [] if ids is None else [ids] if isinstance(ids, int) else list(ids)
        if eos not in ids:
            model.generation_config.eos_token_id = [eos, *ids] if ids else eos
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return merged
