"""`assay train --model BASE --data RUN_DIR|EXPORT... --out DIR`: SFT a student with TRL."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pipeline.commands.common import fail


def register(sub: Any) -> None:
    p = sub.add_parser(
        "train",
        help="fine-tune a student on verified corpora (TRL SFT, LoRA optional)",
        description="Fine-tune BASE on the `messages` of run directories, exports and mixed data "
        "(decontaminated and deduplicated as `assay export` does) with TRL's SFTTrainer. OUT "
        "becomes a model directory that `assay eval` and `assay run` load. Rerun to resume "
        "from the last checkpoint.",
    )
    p.add_argument("--model", required=True, metavar="BASE", help="base model: hub id or directory")
    p.add_argument(
        "--data", required=True, nargs="+", metavar="PATH", help="RUN_DIR, export dir or JSONL"
    )
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument(
        "--mix", action="append", default=[], metavar="PATH_OR_DATASET", help="as in export"
    )
    p.add_argument("--lora", action="store_true", help="train a LoRA adapter (peft)")
    p.add_argument("--lora-r", type=int, default=16)
    p.add_argument("--lora-alpha", type=int, default=32)
    p.add_argument("--merge", action="store_true", help="merge the LoRA adapter into the weights")
    p.add_argument("--epochs", type=float, default=2.0)
    p.add_argument("--max-steps", type=int, default=-1, help="overrides --epochs when > 0")
    p.add_argument("--lr", type=float, help="learning rate (default: 2e-4 LoRA, 1e-5 full)")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--grad-accum", type=int, default=1)
    p.add_argument("--max-length", type=int, default=2048, help="tokens per row")
    p.add_argument(
        "--eval-fraction", type=float, default=0.05, help="held out for the eval loss (0: none)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save-steps", type=int, default=50, help="checkpoint every N steps")
    resume = p.add_mutually_exclusive_group()
    resume.add_argument(
        "--resume", action="store_true", default=None, help="continue from the last checkpoint"
    )
    resume.add_argument(
        "--no-resume", dest="resume", action="store_false", help="drop checkpoints and start over"
    )
    p.add_argument("--keep-checkpoints", action="store_true")
    p.add_argument(
        "--benchmark",
        action="append",
        default=None,
        metavar="NAME_OR_JSONL",
        help="decontaminate against this benchmark (repeatable; default: humaneval)",
    )
    p.add_argument("--no-decontaminate", action="store_true")
    p.add_argument("--dtype", default="auto", help="auto | float32 | bfloat16 | float16")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from pipeline.train import TrainError, TrainOptions, train

    if args.merge and not args.lora:
        return fail("--merge merges a LoRA adapter: add --lora")
    options = TrainOptions(
        model=args.model,
        data=args.data,
        out=args.out,
        mix=args.mix,
        lora=args.lora,
        lora_r=args.lora_r,
        lora_alpha=args.lora_alpha,
        merge=args.merge,
        epochs=args.epochs,
        max_steps=args.max_steps,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        grad_accum=args.grad_accum,
        max_length=args.max_length,
        eval_fraction=args.eval_fraction,
        seed=args.seed,
        save_steps=args.save_steps,
        resume=args.resume,
        benchmarks=[] if args.no_decontaminate else (args.benchmark or ["humaneval"]),
        dtype=args.dtype,
        keep_checkpoints=args.keep_checkpoints,
    )
    try:
        summary = train(options, log=lambda line: print(line, file=sys.stderr, flush=True))
    except TrainError as exc:
        return fail(str(exc), 1)
    if args.json:
        json.dump(summary, sys.stdout)
        sys.stdout.write("\n")
    else:
        loss = summary.get("eval_loss")
        print(
            f"wrote {summary['out']}: {summary['steps']} steps on {summary['rows'].get('train', 0)} "
            f"rows, train loss {summary['train_loss']:.4f}"
            + (f", held-out eval loss {loss:.4f}" if loss is not None else "")
            + (
                " (LoRA merged)"
                if summary.get("merged")
                else " (LoRA adapter)"
                if summary.get("lora")
                else ""
            )
        )
    return 0
