"""`assay rounds --config rounds.toml`: teacher -> student rounds (generate, train, evaluate)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pipeline.commands.common import fail, tables


def register(sub: Any) -> None:
    p = sub.add_parser(
        "rounds",
        help="teacher -> student rounds: generate a verified corpus, train, evaluate",
        description="Run N rounds of: generate with the teacher (round 0) or the last student, "
        "train the base model on the arm's corpus, evaluate it. Arms: accumulate (default), "
        "replace (the collapse comparison), no-verify (without execution feedback). Rerun to "
        "resume after an interruption; `assay report DIR` plots the rounds.",
    )
    p.add_argument("--config", required=True, metavar="FILE.toml")
    p.add_argument("--dir", metavar="DIR", help="the rounds directory (overrides `dir`)")
    p.add_argument("--rounds", type=int, metavar="N", help="number of rounds (overrides `rounds`)")
    p.add_argument("--mode", choices=["accumulate", "replace"], help="the corpus across rounds")
    p.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        default=None,
        help="the ablation without execution feedback: keep every parsed answer",
    )
    p.add_argument(
        "--arms", metavar="A,B", help="run these arms: accumulate, replace, no-verify, ..."
    )
    p.add_argument("--force", action="store_true", help="resume a DIR made with other options")
    p.add_argument("--json", action="store_true", help="print the rounds' numbers as JSON")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from pipeline.config import ConfigError
    from pipeline.eval import BenchmarkError
    from pipeline.generators import GeneratorError
    from pipeline.rounds import run_rounds
    from pipeline.rounds_config import load
    from pipeline.seeds import SeedError
    from pipeline.train import TrainError
    from sandbox import SetupRefused

    overrides: dict[str, Any] = {}
    for key in ("dir", "rounds", "mode", "verify"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    if args.arms:
        overrides["arms"] = [a.strip() for a in args.arms.split(",") if a.strip()]
    elif args.mode is not None or args.verify is not None:
        overrides["arms"] = None  # the flags name the one arm
    try:
        config = load(args.config, overrides)
    except ConfigError as exc:
        return fail(str(exc))
    try:
        summary = run_rounds(
            config, force=args.force, log=lambda line: print(line, file=sys.stderr, flush=True)
        )
    except (ConfigError, SeedError, GeneratorError, TrainError, BenchmarkError) as exc:
        return fail(str(exc), 1)
    except SetupRefused as exc:
        return fail(f"the sandbox cannot start: {exc}", 1)
    if args.json:
        json.dump(summary, sys.stdout)
        sys.stdout.write("\n")
    else:
        from pipeline.commands.report import print_rounds

        print_rounds(summary, tables())
        print(f"the report: assay report {config.dir}")
    return 0
