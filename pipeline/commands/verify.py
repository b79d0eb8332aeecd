"""`assay verify INPUT... --out DIR`.

Start-up is part of what a user waits for: the sandbox workers (an interpreter each, ~50 ms to
boot) are started before anything else is imported, so that they boot while the verifier loads
the rest of itself, reads its input and lints the first samples.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from pipeline.commands.common import add_verifier_arguments, fail, verifier_options
from pipeline.importers import FORMATS

if TYPE_CHECKING:
    from rich.console import Console

    from pipeline.importers import Record
    from sandbox import Verifier


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "verify",
        help="verify samples (JSONL) in the sandbox",
        description="Verify samples: syntax, lint, tests in the sandbox, test strength. "
        "Writes DIR/passed.jsonl, DIR/rejected.jsonl and DIR/summary.json.",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="JSONL files, optionally .gz")
    parser.add_argument("--format", choices=FORMATS, default="auto")
    parser.add_argument(
        "--out", default="verified", metavar="DIR", help="output directory (default: ./verified)"
    )
    parser.add_argument("--strict", action="store_true", help="stop at the first bad input line")
    add_verifier_arguments(parser)
    parser.set_defaults(func=run)


def print_summary(summary: dict[str, Any], console: Console) -> None:
    from rich.table import Table

    table = Table(title=f"assay verify: {summary['total']} samples", show_footer=False)
    table.add_column("stage")
    table.add_column("samples", justify="right")
    table.add_column("share", justify="right")
    total = max(summary["total"], 1)
    for stage, count in summary["by_stage"].items():
        style = "green" if stage == "passed" else None
        table.add_row(stage, str(count), f"{100 * count / total:.1f}%", style=style)
    console.print(table)
    if summary["by_reason"]:
        reasons = Table(title="top rejection reasons")
        reasons.add_column("reason")
        reasons.add_column("samples", justify="right")
        for reason, count in list(summary["by_reason"].items())[:10]:
            reasons.add_row(reason, str(count))
        console.print(reasons)
    timings = summary["timings"]
    extra = []
    if summary["resumed"]:
        extra.append(f"{summary['resumed']} already verified (resumed)")
    if summary["input_errors"]:
        extra.append(f"{summary['input_errors']} bad input lines")
    console.print(
        f"passed {summary['passed']}, rejected {summary['rejected']}"
        + (f"; {'; '.join(extra)}" if extra else "")
        + f" in {timings['wall_s']:.1f} s ({timings['samples_per_s'] or 0:.1f} samples/s, "
        f"isolation {summary['options']['isolation']})"
    )


def run(args: argparse.Namespace) -> int:
    from sandbox.options import OptionsError

    try:
        options = verifier_options(args)
        options.validate()
    except OptionsError as exc:
        return fail(str(exc))
    from sandbox.pool import Verifier

    # The workers boot while the rest is imported, the terminal output is set up and the first
    # samples are read and linted; one that cannot start fails the first sample, with the same
    # message.
    with Verifier(options, wait=False) as verifier:
        return _verify(args, options, verifier)


def _verify(args: argparse.Namespace, options: Any, verifier: Verifier) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pipeline.verifying import StrictInputError, verify_files
    from sandbox import SetupRefused

    err = Console(stderr=True)

    def on_input_error(record: Record) -> None:
        print(f"{record.path}:{record.line}: {record.error}", file=sys.stderr, flush=True)

    progress = Progress(
        TextColumn("verifying"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("passed {task.fields[passed]} rejected {task.fields[rejected]}"),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
        transient=True,
    )
    with progress:
        task = progress.add_task("verify", total=None, passed=0, rejected=0)
        try:
            summary = verify_files(
                args.inputs,
                args.out,
                options,
                fmt=args.format,
                strict=args.strict,
                on_input_error=on_input_error,
                on_verdict=lambda s: progress.update(
                    task, completed=s.total, passed=s.passed, rejected=s.rejected
                ),
                verifier=verifier,
            )
        except FileNotFoundError as exc:
            return fail(str(exc))
        except StrictInputError as exc:
            return fail(f"{exc} (--strict)")
        except SetupRefused as exc:
            return fail(str(exc))
    print_summary(summary, Console())
    print(f"wrote {args.out}/passed.jsonl, rejected.jsonl, summary.json", file=sys.stderr)
    return 0
