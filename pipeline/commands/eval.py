"""`assay eval --model M [--benchmark humaneval|PATH] [-k 1,10] [--samples N]`: pass@k in the sandbox."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from pipeline.commands.common import add_verifier_arguments, fail, tables


def _ks(text: str) -> tuple[int, ...]:
    try:
        ks = tuple(sorted({int(k) for k in text.split(",") if k.strip()}))
    except ValueError:
        ks = ()
    if not ks:
        raise argparse.ArgumentTypeError(f"-k {text!r}: give integers, e.g. 1,10")
    return ks


def register(sub: Any) -> None:
    p = sub.add_parser(
        "eval",
        help="pass@k of a model on a benchmark, judged in assay's sandbox",
        description="Sample a model on a benchmark (HumanEval, or a JSONL of problems and tests) "
        "and score pass@k with the unbiased estimator; every answer is judged by assay's verifier. "
        "Rerun with the same --out to resume.",
    )
    p.add_argument("--model", required=True, metavar="M", help="model id, directory, or MODULE:FN")
    p.add_argument(
        "--generator", default="transformers", help="transformers | vllm | openai | scripted"
    )
    p.add_argument("--benchmark", default="humaneval", metavar="NAME|PATH")
    p.add_argument("--language", default="python")
    p.add_argument("-k", type=_ks, default=(1,), metavar="1,10", help="pass@k for these k")
    p.add_argument(
        "--samples",
        type=int,
        default=None,
        metavar="N",
        help="samples per problem (default: max k)",
    )
    p.add_argument(
        "--prompt-style",
        choices=["auto", "chat", "completion"],
        default="auto",
        help="chat: a chat prompt; completion: the model continues the benchmark's code (base "
        "models); auto: completion when the model has no chat template of its own",
    )
    p.add_argument("--limit", type=int, metavar="N", help="only the first N problems")
    p.add_argument("--out", metavar="DIR", help="results.jsonl and summary.json go here")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument(
        "--verifier-from",
        metavar="RUN_DIR|FILE.toml",
        help="judge with the [verifier] options of this run (its config.toml) or config file",
    )
    model = p.add_argument_group("generation")
    model.add_argument("--base-url", metavar="URL", help="OpenAI-compatible server (openai)")
    model.add_argument("--api-key-env", metavar="VAR")
    model.add_argument(
        "--concurrency", type=int, default=16, metavar="C", help="requests in flight (default: 16)"
    )
    model.add_argument("--request-timeout", type=float, metavar="S", help="seconds per request")
    model.add_argument(
        "--max-retries", type=int, metavar="N", help="retries of a failed request (default: 6)"
    )
    model.add_argument("--batch-size", type=int, default=8)
    model.add_argument("--device", default="auto")
    model.add_argument("--dtype", default="auto")
    model.add_argument("--temperature", type=float, help="default: 0 for one sample, else 0.8")
    model.add_argument("--top-p", type=float, default=0.95)
    model.add_argument("--max-tokens", type=int, default=512)
    model.add_argument("--sampling-seed", type=int, default=0)
    add_verifier_arguments(p)
    p.set_defaults(func=main)


def verifier_config(args: argparse.Namespace):
    """The run's [verifier] options (--verifier-from), then the flags."""
    from pipeline.config import CONFIG_FILE, ConfigError, VerifierConfig, load_toml

    data: dict[str, Any] = {}
    if args.verifier_from:
        path = args.verifier_from
        if os.path.isdir(path):
            path = os.path.join(path, CONFIG_FILE)
        if not os.path.exists(path):
            raise ConfigError(
                f"--verifier-from {args.verifier_from}: no {path} (give a run directory of "
                "`assay run` or a config file)"
            )
        data = dict(load_toml(path).get("verifier") or {})
    flags = {
        "sandbox": args.sandbox,
        "isolation": args.isolation,
        "jobs": args.jobs,
        "timeout": args.timeout,
        "memory": args.memory,
        "fast_path": args.fast_path,
    }
    if args.lint_select is not None:
        flags["lint_select"] = [c.strip().upper() for c in args.lint_select.split(",") if c]
    if args.lint_ignore is not None:
        flags["lint_ignore"] = [c.strip().upper() for c in args.lint_ignore.split(",") if c]
    data.update({k: v for k, v in flags.items() if v is not None})
    return VerifierConfig.model_validate(data)


def options_from(args: argparse.Namespace):
    from pipeline.config import SamplingConfig, TeacherConfig
    from pipeline.eval import EvalOptions

    samples = args.samples if args.samples is not None else max(args.k)
    temperature = args.temperature
    if temperature is None:
        temperature = 0.0 if samples == 1 else 0.8
    teacher: dict[str, Any] = {
        "generator": args.generator,
        "model": args.model,
        "concurrency": args.concurrency,
        "batch_size": args.batch_size,
        "device": args.device,
        "dtype": args.dtype,
    }
    if args.base_url:
        teacher["base_url"] = args.base_url
    if args.api_key_env:
        teacher["api_key_env"] = args.api_key_env
    if args.request_timeout is not None:
        teacher["request_timeout"] = args.request_timeout
    if args.max_retries is not None:
        teacher["max_retries"] = args.max_retries
    return EvalOptions(
        teacher=TeacherConfig(**teacher),
        sampling=SamplingConfig(
            temperature=temperature,
            top_p=args.top_p,
            max_tokens=args.max_tokens,
            seed=args.sampling_seed,
        ),
        verifier=verifier_config(args),
        benchmark=args.benchmark,
        language=args.language,
        k=args.k,
        samples=samples,
        prompt_style=args.prompt_style,
        limit=args.limit,
        out=args.out,
    )


def print_summary(summary: dict[str, Any], console: Console) -> None:
    table = Table(
        title=f"assay eval: {summary['model']} on {summary['benchmark']}", title_justify="left"
    )
    table.add_column("")
    table.add_column("", justify="right")
    for name, value in summary["pass_at_k"].items():
        table.add_row(name, "–" if value is None else f"{value:.4f}", style="bold")
    table.add_row("problems", f"{summary['evaluated']}/{summary['problems']}")
    table.add_row("samples per problem", str(summary["samples_per_problem"]))
    table.add_row("prompt", f"{summary['prompt_style']} ({summary['generator']})")
    table.add_row("temperature", str(summary["sampling"]["temperature"]))
    for stage, n in summary["by_stage"].items():
        table.add_row(f"  samples: {stage}", str(n))
    console.print(table)
    v = summary["verifier"]
    console.print(
        f"judged by assay's verifier ({v['sandbox']} sandbox, {v['isolation']} isolation, "
        f"timeout {v['timeout_s']} s, memory {v['memory_mb']} MB, lint on; {v['note']})"
        + (f"; results in {summary['out']}" if summary["out"] else ""),
        highlight=False,
    )


def main(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from pipeline.config import ConfigError
    from pipeline.eval import BenchmarkError, Evaluation
    from pipeline.generators import GeneratorError
    from sandbox import OptionsError, SetupRefused

    err = Console(stderr=True)
    try:
        evaluation = Evaluation(options_from(args))
    except (BenchmarkError, ConfigError) as exc:
        return fail(str(exc))
    except ValidationError as exc:  # a flag's value: named by its option, without pydantic's URL
        problems = "; ".join(
            f"--{str(e['loc'][-1]).replace('_', '-')}: {e['msg']} (got {e.get('input')!r})"
            for e in exc.errors()
        )
        return fail(problems)
    progress = Progress(
        BarColumn(bar_width=24), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    )
    bar = progress.add_task("eval", total=len(evaluation.tasks))
    evaluation.on_task = lambda done, total: progress.update(bar, completed=done)
    import asyncio

    try:
        with progress if err.is_terminal else contextlib.nullcontext():
            summary = asyncio.run(evaluation.run())
    except (GeneratorError, BenchmarkError, OptionsError) as exc:
        return fail(str(exc), 1)
    except SetupRefused as exc:
        return fail(f"the sandbox cannot start: {exc}", 1)
    if args.json:
        json.dump(summary, sys.stdout)
        sys.stdout.write("\n")
    else:
        print_summary(summary, tables())
    return 0
