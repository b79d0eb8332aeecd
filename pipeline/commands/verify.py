"""`assay verify INPUT... --out DIR`. The sandbox workers boot while the verifier reads its input
and lints the first samples; one that cannot start fails the first sample, with its message."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from pipeline.commands.common import add_verifier_arguments, fail, tables, verifier_options
from pipeline.importers import FORMATS

if TYPE_CHECKING:
    from rich.console import Console

    from pipeline.importers import Record
    from sandbox import Verifier, VerifyOptions


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


def summary_rows(
    summary: dict[str, Any],
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]], str]:
    """The summary's tables (stages; top rejection reasons) and closing line, as text."""
    total = max(summary["total"], 1)
    stages = [
        (stage, str(count), f"{100 * count / total:.1f}%")
        for stage, count in summary["by_stage"].items()
    ]
    reasons = [(reason, str(count)) for reason, count in list(summary["by_reason"].items())[:10]]
    timings = summary["timings"]
    extra = []
    if summary.get("strength_unchecked"):
        extra.append(
            f"{summary['strength_unchecked']} passed without the strength check (stubs do not compile)"
        )
    if summary["resumed"]:
        extra.append(f"{summary['resumed']} already verified (resumed)")
    if summary.get("renamed"):
        renamed = summary["renamed"]
        extra.append(f"{renamed} repeated id{'s' if renamed != 1 else ''} numbered (ID#2, ...)")
    if summary["input_errors"]:
        errors = summary["input_errors"]
        extra.append(f"{errors} bad input line{'s' if errors != 1 else ''}")
    line = (
        f"passed {summary['passed']}, rejected {summary['rejected']}"
        + (f"; {'; '.join(extra)}" if extra else "")
        + f" in {timings['wall_s']:.1f} s ({timings['samples_per_s'] or 0:.1f} samples/s, "
        f"isolation {summary['options']['isolation']})"
    )
    return stages, reasons, line


def nothing_done(summary: dict[str, Any]) -> str | None:
    """Why a run verified no sample, where it did not (no table of nothing): a rerun that found
    every sample of its input verified already, or an input with no sample in it."""
    if summary["total"]:
        return None
    return "nothing left to verify" if summary["resumed"] else "no samples in the input"


def print_summary(summary: dict[str, Any], console: Console) -> None:
    from rich.table import Table

    stages, reasons, line = summary_rows(summary)
    if why := nothing_done(summary):
        console.print(f"assay verify: {why}; {line}")
        return
    table = Table(title=f"assay verify: {summary['total']} samples", show_footer=False)
    table.add_column("stage")
    table.add_column("samples", justify="right")
    table.add_column("share", justify="right")
    for stage, count, share in stages:
        table.add_row(stage, count, share, style="green" if stage == "passed" else None)
    console.print(table)
    if reasons:
        top = Table(title="top rejection reasons")
        top.add_column("reason")
        top.add_column("samples", justify="right")
        for reason, count in reasons:
            top.add_row(reason, count)
        console.print(top)
    console.print(line)


def print_plain_summary(summary: dict[str, Any]) -> None:
    """The summary where stdout is not a terminal: plain aligned text, and no need to load rich
    (~30 ms of a short run's start-up)."""
    stages, reasons, line = summary_rows(summary)
    if why := nothing_done(summary):
        print(f"assay verify: {why}; {line}")
        return
    out = [f"assay verify: {summary['total']} samples"]
    out += _aligned([("stage", "samples", "share"), *stages])
    if reasons:
        out += ["top rejection reasons", *_aligned([("reason", "samples"), *reasons])]
    print("\n".join([*out, line]))


def _aligned(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]


def run(args: argparse.Namespace) -> int:
    from sandbox.options import OptionsError

    try:
        options = verifier_options(args)
        options.validate()
    except OptionsError as exc:
        return fail(str(exc))
    from sandbox.pool import Verifier

    # Not waiting for the workers: they boot while the input is read and the first samples linted.
    with Verifier(options, wait=False) as verifier:
        return _verify(args, options, verifier)


def _verify(args: argparse.Namespace, options: VerifyOptions, verifier: Verifier) -> int:
    from pipeline.verifying import PathError, StrictInputError, verify_files
    from sandbox import SetupRefused

    def on_input_error(record: Record) -> None:
        print(f"{record.path}:{record.line}: {record.error}", file=sys.stderr, flush=True)

    progress = _progress() if sys.stderr.isatty() else None
    on_verdict = None
    if progress is not None:
        task = progress.add_task("verify", total=None, passed=0, rejected=0)

        def on_verdict(stats: Any) -> None:
            progress.update(
                task, completed=stats.total, passed=stats.passed, rejected=stats.rejected
            )

        progress.start()
    try:
        summary = verify_files(
            args.inputs,
            args.out,
            options,
            fmt=args.format,
            strict=args.strict,
            on_input_error=on_input_error,
            on_verdict=on_verdict,
            verifier=verifier,
        )
    except PathError as exc:
        return fail(str(exc))
    except StrictInputError as exc:
        return fail(f"{exc} (--strict)")
    except SetupRefused as exc:
        return fail(str(exc))
    finally:
        if progress is not None:
            progress.stop()
    if sys.stdout.isatty():
        print_summary(summary, tables())
    else:
        print_plain_summary(summary)
    out = os.path.join(os.path.normpath(args.out), "passed.jsonl")
    print(f"wrote {out}, rejected.jsonl, summary.json", file=sys.stderr)
    return 0


def _progress() -> Any:
    """The progress bar on a terminal (stderr)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("verifying"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("passed {task.fields[passed]} rejected {task.fields[rejected]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
