"""`assay rejudge RUN_DIR [verifier options] [--json] [--out PATH]`."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.commands.common import add_verifier_arguments, fail, tables, verifier_options
from pipeline.rejudge import base_options, rejudge
from pipeline.report.data import ReportError, load_run
from sandbox import OptionsError, SetupRefused


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "rejudge",
        help="re-verify recorded attempts with other verifier options (no teacher calls)",
        description="Re-verify every recorded attempt of a run with other verifier options "
        "(stricter lint rules, another timeout, the Docker backend) and show how the funnel "
        "would change. Options not given are the run's own (as its run store records them). Writes "
        "RUN_DIR/rejudge-<time>.json; run.sqlite and the corpus are left as they are.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    parser.add_argument("--out", metavar="PATH", help="where to write the comparison JSON")
    add_verifier_arguments(parser)
    parser.set_defaults(func=run)


def print_summary(summary: dict[str, Any], console: Console) -> None:
    table = Table(title=f"assay rejudge {summary['run_dir']}", title_justify="left")
    for col in ("", "before", "after", "change"):
        table.add_column(col, justify="left" if not col else "right")
    for key, row in summary["funnel"].items():
        change = row["change"]
        style = "green" if change > 0 else "red" if change < 0 else "dim"
        if key in ("rejected", "in_progress") and change:
            style = "red" if change > 0 else "green"
        table.add_row(
            key.replace("_", " "),
            str(row["before"]),
            str(row["after"]),
            f"[{style}]{change:+d}[/{style}]",
        )
    console.print(table)
    stages = Table(title="final rejections by stage", title_justify="left")
    for col in ("stage", "before", "after"):
        stages.add_column(col, justify="left" if col == "stage" else "right")
    before = summary["rejections_by_stage"]["before"]["final"]
    after = summary["rejections_by_stage"]["after"]["final"]
    for stage in dict.fromkeys([*before, *after]):
        stages.add_row(stage, str(before.get(stage, 0)), str(after.get(stage, 0)))
    if before or after:
        console.print(stages)
    changed = {k: v for k, v in summary["transitions"].items() if len(set(k.split(" -> "))) == 2}
    if changed:
        moves = Table(title="attempts whose verdict changed", title_justify="left")
        moves.add_column("stage before -> after")
        moves.add_column("attempts", justify="right")
        for move, n in list(changed.items())[:12]:
            moves.add_row(move, str(n))
        console.print(moves)
    console.print(
        f"{summary['reverified']} attempts re-verified in {summary['seconds']:.1f} s "
        f"({summary['kept']} kept their verdict: no code to run); "
        f"{summary['changed_attempts']} changed stage, {len(summary['problems_changed'])} "
        f"problems changed outcome"
        + (
            f", {summary['needs_teacher']} would need another teacher round"
            if summary["needs_teacher"]
            else ""
        )
        + "."
    )


def run(args: argparse.Namespace) -> int:
    err = Console(stderr=True)
    try:
        base, warning = base_options(load_run(args.run_dir))
        options = verifier_options(args, base)
        options.validate()
    except ReportError as exc:
        return fail(str(exc))
    except OptionsError as exc:
        return fail(str(exc))
    if warning:
        err.print(f"assay rejudge: {warning}", markup=False, highlight=False, soft_wrap=True)
    progress = Progress(
        TextColumn("re-verifying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
        transient=True,
    )
    with progress:
        task = progress.add_task("rejudge", total=None)
        try:
            summary = rejudge(
                args.run_dir,
                options,
                out=args.out,
                on_verdict=lambda done, total: progress.update(task, completed=done, total=total),
            )
        except (ReportError, SetupRefused) as exc:
            return fail(str(exc))
        except OSError as exc:
            return fail(f"cannot write the results: {exc}; choose a place with --out PATH")
    if args.json:
        print(json.dumps({k: v for k, v in summary.items() if k != "attempts"}, indent=2))
    else:
        print_summary(summary, tables())
    err.print(f"wrote {summary['written_to']}", highlight=False)
    return 0
