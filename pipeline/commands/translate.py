"""`assay translate SOURCE... --to L[,L...] --run-dir DIR`: verified translation of a corpus."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from typing import Any

from rich.console import Console

from pipeline.commands.common import add_verifier_arguments, fail, tables
from pipeline.commands.run import Display, documented, overrides, print_summary
from pipeline.config import ConfigError, _errors, _merge, load_toml
from pipeline.generators import GeneratorError, available
from pipeline.prompts import PromptError
from pipeline.store import StoreError
from pipeline.translate.run import TranslateConfig, prepare
from pipeline.translate.sources import SourceError
from sandbox import OptionsError, SetupRefused

# Teacher and sampling flags, as in `assay run` (their help and defaults from its config).
TEACHER_FLAGS = (
    ("--generator", str, "openai | vllm | transformers | scripted"),
    ("--model", str, "the teacher model (for scripted: MODULE:FUNCTION)"),
    ("--base-url", str, "OpenAI-compatible server (openai)"),
    ("--api-key-env", str, "variable holding the API key"),
    ("--concurrency", int, None),
    ("--request-timeout", float, None),
    ("--max-retries", int, None),
    ("--batch-size", int, None),
    ("--device", str, "transformers: auto | cpu | cuda ..."),
    ("--dtype", str, "auto | float16 | bfloat16 | float32"),
    ("--temperature", float, None),
    ("--top-p", float, None),
    ("--max-tokens", int, None),
    ("--sampling-seed", int, "the teacher's sampling seed"),
)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "translate",
        help="translate a verified corpus into other languages, verified",
        description="Each verified sample of SOURCE (run directories, exports of `assay export`, "
        "JSONL files of verified samples) into each target language: the teacher translates the "
        "problem and the solution; Python tests of plain assertions are carried over "
        "mechanically, other tests translated by the teacher and held to the source's number of "
        "checks; the verifier runs every translation, and failures go back to the teacher. "
        "Rerun on the same --run-dir to resume.",
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE")
    p.add_argument("--to", required=True, metavar="L[,L...]", help="target languages")
    p.add_argument("--config", metavar="FILE.toml", help="teacher, sampling and verifier options")
    p.add_argument("--run-dir", required=True, metavar="DIR")
    p.add_argument(
        "--max-revisions",
        type=int,
        metavar="K",
        help=documented("max_revisions", "revision rounds"),
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument("--force", action="store_true", help="resume a run dir made otherwise")
    p.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        default=None,
        help="no live progress bar (the summary is still printed)",
    )
    teacher = p.add_argument_group("teacher and sampling (as in assay run)")
    for flag, kind, text in TEACHER_FLAGS:
        teacher.add_argument(flag, type=kind, help=documented(flag[2:].replace("-", "_"), text))
    add_verifier_arguments(p)
    p.set_defaults(func=main)


def resolve(args: argparse.Namespace) -> TranslateConfig:
    """Defaults, the TOML file, then the flags; the teacher must be named."""
    data: dict[str, Any] = load_toml(args.config) if args.config else {}
    flags = overrides(args)
    flags.update(sources=list(args.sources), targets=[t.strip() for t in args.to.split(",")])
    try:
        config = TranslateConfig.model_validate(_merge(data, flags))
    except Exception as exc:  # pydantic's ValidationError
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            raise ConfigError(_errors(exc, args.config or "the flags")) from None
        raise
    if config.teacher.generator not in available():
        raise ConfigError(
            f"unknown generator '{config.teacher.generator}': use one of {', '.join(available())}"
        )
    if not config.teacher.model:
        raise ConfigError("no teacher model: pass --model or set [teacher] model in --config")
    return config


def main(args: argparse.Namespace) -> int:
    err = Console(stderr=True)
    try:
        config = resolve(args)
        config.verifier.options().validate()
        engine = prepare(config, force=args.force)
    except (ConfigError, OptionsError, SourceError) as exc:
        return fail(str(exc))
    display = Display(config.problems, err) if config.progress else None
    engine.on_update = display.update if display else engine.on_update
    try:
        with display.progress if display else contextlib.nullcontext():
            asyncio.run(engine.run())
    except (ConfigError, GeneratorError, PromptError, StoreError) as exc:
        return fail(str(exc), 1)
    except SetupRefused as exc:
        return fail(f"the sandbox cannot start: {exc}", 1)
    summary = engine.summary()
    if args.json:
        json.dump(summary, sys.stdout)
        sys.stdout.write("\n")
        return 0
    print_summary(summary, tables(), command="translate")
    sources = summary["sources"]
    skipped = {**sources["skipped"], **sources["skipped_pairs"]}
    print(
        f"sources: {sources['read']} records read, {sources['samples']} verified samples"
        + (f"; skipped: {', '.join(f'{k} {v}' for k, v in skipped.items())}" if skipped else "")
        + (f"; the first line that is no record: {sources['first_bad_line']}"
           if sources.get("first_bad_line") else "")
    )  # fmt: skip
    return 0
