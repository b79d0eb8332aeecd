"""`assay export RUN_DIR... --out PATH [--format jsonl|parquet|hf] [--style messages|multi-turn|raw]`."""

from __future__ import annotations

import argparse
import os
from typing import Any

from rich.console import Console
from rich.table import Table

from pipeline.commands.common import fail, tables
from pipeline.decontaminate import BENCHMARKS, BenchmarkError
from pipeline.export import FORMATS, STYLES, ExportError, ExportOptions, export


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "export",
        help="export the corpus as a Hugging Face dataset for fine-tuning",
        description="Export the verified corpus of one or more runs as a dataset that "
        "`datasets.load_dataset(OUT)` opens: decontaminated against benchmarks, near-duplicates "
        "removed across every input, optionally mixed with existing data and split.",
    )
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    parser.add_argument("--out", required=True, metavar="PATH", help="output directory")
    parser.add_argument("--format", choices=FORMATS, default="jsonl")
    parser.add_argument(
        "--style",
        choices=STYLES,
        default="messages",
        help="messages: problem -> answer chat (TRL SFTTrainer); multi-turn: the whole revision "
        "dialog; raw: problem/solution/tests columns; translation-pairs: source code -> target "
        "code of `assay translate` runs",
    )
    parser.add_argument(
        "--split",
        action="append",
        default=[],
        metavar="NAME=FRACTION",
        help="hold out a split, e.g. test=0.05 (repeatable); train gets the rest",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the split (default: 0)")
    parser.add_argument(
        "--mix",
        action="append",
        default=[],
        metavar="PATH_OR_DATASET",
        help="add an existing dataset (JSONL, Parquet, a dataset directory or NAME[:split]); "
        "its rows keep or get a `source` column (repeatable)",
    )
    parser.add_argument(
        "--benchmark",
        action="append",
        default=None,
        metavar="NAME_OR_JSONL",
        help=f"decontaminate against this benchmark: {', '.join(sorted(BENCHMARKS))} or a JSONL "
        "file (repeatable; default: humaneval)",
    )
    parser.add_argument("--no-decontaminate", action="store_true", help="keep overlapping samples")
    parser.add_argument(
        "--ngram",
        type=int,
        default=10,
        help="n-gram size for decontamination (default: %(default)s)",
    )
    parser.add_argument(
        "--contamination-threshold",
        type=float,
        default=0.5,
        help="drop a sample when this share of n-grams overlaps (default: 0.5)",
    )
    parser.add_argument(
        "--near-dup-threshold",
        type=float,
        default=0.8,
        help="MinHash Jaccard similarity at which samples are near-duplicates (default: 0.8)",
    )
    parser.add_argument("--no-dedup", action="store_true", help="keep near-duplicates")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier export")
    parser.add_argument("--push-to-hub", metavar="REPO", help="also push to the Hugging Face Hub")
    parser.add_argument("--private", action="store_true", help="make the pushed dataset private")
    parser.set_defaults(func=run)


def _splits(specs: list[str]) -> dict[str, float]:
    out = {}
    for spec in (s for text in specs for s in text.split(",") if s.strip()):
        name, sep, value = spec.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ExportError(f"--split {spec!r}: write NAME=FRACTION, e.g. test=0.05") from None
        if not sep:
            raise ExportError(f"--split {spec!r}: write NAME=FRACTION, e.g. test=0.05")
    return out


def _token(wanted: bool) -> str | None:
    """The Hub token, read here and passed down (STYLE 7): HF_TOKEN, or a stored login."""
    if not wanted:
        return None
    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    if token:
        return token
    try:
        from huggingface_hub import get_token

        return get_token()
    except ImportError:
        return None


def print_summary(summary: dict[str, Any], console: Console) -> None:
    table = Table(title=f"assay export → {summary['out']}", title_justify="left")
    table.add_column("")
    table.add_column("rows", justify="right")
    for spec, info in summary["inputs"].items():
        extra = f" (+{info['torn_lines']} torn)" if info.get("torn_lines") else ""
        table.add_row(f"{info['kind']}: {spec}", f"{info['records']}{extra}")
    table.add_row("exact duplicates dropped", str(summary["exact_duplicates"]))
    decon = summary["decontamination"]
    by = ", ".join(f"{k} {v}" for k, v in decon["by_benchmark"].items())
    table.add_row(
        f"contaminated dropped{f' ({by})' if by else ''}", f"[red]{decon['dropped']}[/red]"
    )
    table.add_row("near-duplicates dropped", str(summary["near_duplicates"]["dropped"]))
    for name, n in summary["splits"].items():
        table.add_row(f"split {name}", f"[green]{n}[/green]")
    if len(summary["by_language"]) > 1:
        for language, n in summary["by_language"].items():
            table.add_row(f"language {language}", str(n))
    console.print(table)


def run(args: argparse.Namespace) -> int:
    try:
        benchmarks = [] if args.no_decontaminate else (args.benchmark or ["humaneval"])
        options = ExportOptions(
            out=args.out,
            format=args.format,
            style=args.style,
            splits=_splits(args.split),
            seed=args.seed,
            mix=args.mix,
            benchmarks=benchmarks,
            ngram=args.ngram,
            contamination_threshold=args.contamination_threshold,
            near_dup_threshold=None if args.no_dedup else args.near_dup_threshold,
            overwrite=args.overwrite,
            push_to_hub=args.push_to_hub,
            private=args.private,
            token=_token(bool(args.push_to_hub)),
        )
        summary = export(args.run_dirs, options)
    except (ExportError, BenchmarkError) as exc:
        return fail(str(exc))
    print_summary(summary, tables(stderr=True))
    print(f"load it with: datasets.load_dataset({summary['out']!r})")
    return 0
