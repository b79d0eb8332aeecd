"""`assay run`: grow a verified corpus from a teacher model (the execution-feedback loop)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from typing import Any

from pydantic_core import PydanticUndefined
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.commands.common import add_verifier_arguments, fail, tables
from pipeline.config import ConfigError, RunConfig, resolve
from pipeline.engine import Engine, RunStats
from pipeline.executors import ExecutorError
from pipeline.generators import GeneratorError
from pipeline.prompts import PromptError
from pipeline.seeds import SeedError
from pipeline.store import StoreError
from sandbox import OptionsError, SetupRefused

# flag dest -> (section, key) in the config; section None is the top level.
FLAGS: dict[str, tuple[str | None, str]] = {
    "run_dir": (None, "run_dir"),
    "problems": (None, "problems"),
    "max_revisions": (None, "max_revisions"),
    "seed": (None, "seed"),
    "progress": (None, "progress"),
    "language": (None, "language"),
    "seeds": ("seeds", "path"),
    "extensions": ("seeds", "extensions"),
    "window_lines": ("seeds", "window_lines"),
    "seed_column": ("seeds", "column"),
    "generator": ("teacher", "generator"),
    "model": ("teacher", "model"),
    "base_url": ("teacher", "base_url"),
    "api_key_env": ("teacher", "api_key_env"),
    "concurrency": ("teacher", "concurrency"),
    "request_timeout": ("teacher", "request_timeout"),
    "max_retries": ("teacher", "max_retries"),
    "retry_base": ("teacher", "retry_base"),
    "batch_size": ("teacher", "batch_size"),
    "device": ("teacher", "device"),
    "dtype": ("teacher", "dtype"),
    "temperature": ("sampling", "temperature"),
    "top_p": ("sampling", "top_p"),
    "max_tokens": ("sampling", "max_tokens"),
    "sampling_seed": ("sampling", "seed"),
    "sandbox": ("verifier", "sandbox"),
    "isolation": ("verifier", "isolation"),
    "jobs": ("verifier", "jobs"),
    "timeout": ("verifier", "timeout"),
    "memory": ("verifier", "memory"),
    "lint_select": ("verifier", "lint_select"),
    "lint_ignore": ("verifier", "lint_ignore"),
    "strength_check": ("verifier", "strength_check"),
    "fast_path": ("verifier", "fast_path"),
    "executor": ("executor", "kind"),
    "ray_address": ("executor", "address"),
    "node_jobs": ("executor", "node_jobs"),
}


def documented(dest: str, text: str | None = None) -> str | None:
    """The help of the flag `dest`: `text` (else its config field's description), then the
    config's default, read from the model that holds it (no copy of a default here)."""
    section, key = FLAGS[dest]
    model: Any = RunConfig if section is None else RunConfig.model_fields[section].annotation
    field = model.model_fields[key]
    text = text or field.description
    default = field.get_default(call_default_factory=False)
    if isinstance(default, bool) or default in (None, "", PydanticUndefined):
        return text
    shown = f"{default:g}" if isinstance(default, float) else str(default)
    return f"{text} (default: {shown})" if text else f"default: {shown}"


def _codes(text: str) -> list[str]:
    return [c.strip().upper() for c in text.split(",") if c.strip()]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="grow a verified corpus from a teacher model",
        description="Seeds -> problems -> solutions and tests -> verify -> revise with the "
        "verifier's feedback -> RUN_DIR/corpus. Rerun on the same --run-dir to resume.",
    )
    p.add_argument("--config", metavar="FILE.toml", help="every option below can live here")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument(
        "--force",
        action="store_true",
        help="resume a run dir made with an incompatible configuration",
    )
    run = p.add_argument_group("run")
    run.add_argument("--run-dir", metavar="DIR", help=documented("run_dir"))
    run.add_argument(
        "--problems", type=int, metavar="N", help=documented("problems", "problem slots in the run")
    )
    run.add_argument(
        "--max-revisions",
        type=int,
        metavar="K",
        help=documented(
            "max_revisions", "revision rounds after the first attempt (K + 1 attempts in all)"
        ),
    )
    run.add_argument("--seed", type=int, help=documented("seed", "seed of the seed sampling"))
    run.add_argument(
        "--language",
        metavar="L",
        help="the language of the problems (default python), or a weighted mix such as "
        "python=2,javascript=1",
    )
    run.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        default=None,
        help="no live progress bar (the summary is still printed)",
    )
    seeds = p.add_argument_group("seeds")
    seeds.add_argument(
        "--seeds",
        metavar="PATH",
        help="directory, JSONL file, local dataset, or hf:NAME[:split][:column]",
    )
    seeds.add_argument(
        "--extensions",
        type=lambda s: [e.strip() for e in s.split(",")],
        metavar=".py,.rs",
        help="file extensions of a seeds directory",
    )
    seeds.add_argument("--window-lines", type=int, metavar="N", help=documented("window_lines"))
    seeds.add_argument("--seed-column", metavar="NAME", help=documented("seed_column"))
    teacher = p.add_argument_group("teacher")
    teacher.add_argument(
        "--generator", help=documented("generator", "openai | vllm | transformers | scripted")
    )
    teacher.add_argument(
        "--model", metavar="M", help="the teacher model (for scripted: MODULE:FUNCTION)"
    )
    teacher.add_argument(
        "--base-url",
        metavar="URL",
        help=documented("base_url", "OpenAI-compatible server (openai)"),
    )
    teacher.add_argument(
        "--api-key-env",
        metavar="VAR",
        help=documented("api_key_env", "variable holding the API key"),
    )
    teacher.add_argument("--concurrency", type=int, metavar="C", help=documented("concurrency"))
    teacher.add_argument(
        "--request-timeout", type=float, metavar="S", help=documented("request_timeout")
    )
    teacher.add_argument("--max-retries", type=int, metavar="N", help=documented("max_retries"))
    teacher.add_argument("--retry-base", type=float, metavar="S", help=documented("retry_base"))
    teacher.add_argument("--batch-size", type=int, metavar="N", help=documented("batch_size"))
    teacher.add_argument(
        "--device", help=documented("device", "transformers: auto | cpu | cuda | cuda:1 ...")
    )
    teacher.add_argument("--dtype", help=documented("dtype", "auto | float16 | bfloat16 | float32"))
    sampling = p.add_argument_group("sampling")
    sampling.add_argument("--temperature", type=float, help=documented("temperature"))
    sampling.add_argument("--top-p", type=float, help=documented("top_p"))
    sampling.add_argument("--max-tokens", type=int, metavar="N", help=documented("max_tokens"))
    sampling.add_argument("--sampling-seed", type=int, help="the teacher's sampling seed")
    add_verifier_arguments(p)
    executor = p.add_argument_group("executor")
    executor.add_argument(
        "--executor",
        choices=["local", "ray"],
        help="local: this process (default); ray: verifier actors on every node of a Ray cluster",
    )
    executor.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="auto | HOST:6379 | ray://HOST:10001 (default: start Ray on this machine)",
    )
    executor.add_argument(
        "--node-jobs",
        type=int,
        metavar="N",
        help="ray: sandbox workers per node (default: its CPUs)",
    )
    p.set_defaults(func=main)


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for dest, (section, key) in FLAGS.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        if dest in ("lint_select", "lint_ignore"):
            value = _codes(value)
        (out.setdefault(section, {}) if section else out)[key] = value
    return out


class Display:
    """The live progress bar: problems, accepted, rejected, in revision, teacher tokens/s."""

    def __init__(self, total: int, console: Console) -> None:
        self.progress = Progress(
            BarColumn(bar_width=16),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self.task = self.progress.add_task("run", total=total, counts="")
        self.started = time.monotonic()

    def update(self, stats: RunStats) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        dup = f" · {stats.duplicates} dup" if stats.duplicates else ""
        counts = (
            f"[green]{stats.accepted} accepted[/] · [red]{stats.rejected} rejected[/]{dup} · "
            f"{stats.in_revision} revising · {stats.tokens_out / elapsed:,.0f} tok/s"
        )
        self.progress.update(self.task, completed=stats.problems + stats.resumed, counts=counts)


def print_summary(summary: dict[str, Any], console: Console, command: str = "run") -> None:
    counts, this = summary["counts"], summary["this_run"]
    table = Table(title=f"assay {command}: {summary['run_dir']}")
    table.add_column("problems")
    table.add_column("count", justify="right")
    for name in ("accepted", "rejected", "duplicate", "solving", "pending"):
        if counts.get(name):
            table.add_row(name, str(counts[name]), style="green" if name == "accepted" else None)
    for stage, n in summary["rejected_by_stage"].items():
        table.add_row(f"  rejected: {stage}", str(n))
    languages = summary.get("by_language") or {}
    if len(languages) > 1:
        for name, by_status in languages.items():
            done = sum(by_status.get(s, 0) for s in ("accepted", "rejected", "duplicate"))
            table.add_row(f"{name}: accepted", f"{by_status.get('accepted', 0)} of {done}")
    console.print(table)
    console.print(
        f"corpus: {summary['corpus']} samples in {summary['run_dir']}/corpus; "
        f"this run: {this['problems']} problems finished ({this['resumed']} done before), "
        f"{this['teacher_calls']} teacher calls ({this['replayed']} answers replayed), "
        f"{this['tokens_out']:,} tokens out, {this['wall_s']:.1f} s"
    )
    skipped = summary.get("seeds_skipped") or {}
    if skipped.get("lines"):
        lines = skipped["lines"]
        console.print(
            f"seeds: {lines} line{'s' if lines != 1 else ''} skipped (not JSON, or without a code, "
            f"content or text string); the first: {skipped['first']}",
            markup=False,
        )
    executor = summary.get("executor", {})
    if executor.get("kind") == "ray":
        nodes = ", ".join(
            f"{n['ip']} ({n['node_id'][:8]}{', lost' if n['lost'] else ''}): {n['verified']}"
            for n in executor["nodes"]
        )
        console.print(
            f"ray: samples verified by node: {nodes}; "
            f"{executor['resubmitted']} sent again after a lost node"
        )


def main(args: argparse.Namespace) -> int:
    err = Console(stderr=True)
    try:
        config = resolve(args.config, overrides(args))
        config.verifier.options().validate()
    except (ConfigError, OptionsError) as exc:
        return fail(str(exc))
    display = Display(config.problems, err) if config.progress else None
    engine = Engine(config, force=args.force, on_update=display.update if display else None)
    try:
        with display.progress if display else contextlib.nullcontext():
            asyncio.run(engine.run())
    except (ConfigError, SeedError, GeneratorError, PromptError, StoreError, ExecutorError) as exc:
        return fail(str(exc), 1)
    except SetupRefused as exc:
        return fail(f"the sandbox cannot start: {exc}", 1)
    summary = engine.summary()
    if args.json:
        json.dump(summary, sys.stdout)
        sys.stdout.write("\n")
    else:
        print_summary(summary, tables())
    return 0
