"""`assay report RUN_DIR... [--json] [--out PATH]`."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from rich.console import Console

from pipeline.commands.common import fail, tables
from pipeline.report import ReportError, gather


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "report",
        help="summarise runs: funnel, rejections, self-correction, cost",
        description="Summarise one or more run directories of `assay run`: a terminal summary and "
        "a self-contained report.html (RUN_DIR/report.html for one run), or the numbers as JSON. "
        "Safe on a run that is still going: the store is read, never written.",
    )
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON on stdout")
    parser.add_argument(
        "--out",
        metavar="PATH",
        help="where to write the HTML page (default: RUN_DIR/report.html for one run, "
        "./assay-report.html for several)",
    )
    parser.add_argument("--no-html", action="store_true", help="do not write the HTML page")
    parser.add_argument(
        "--max-trails",
        type=int,
        default=1000,
        metavar="N",
        help="list at most N rejected/revised problems in the page (default: 1000)",
    )
    parser.set_defaults(func=run)


def _gather(paths: list[str]):
    """The report of run dirs; an `assay rounds` dir adds its rounds and reports every round's run."""
    from pipeline.report.rounds import gather_rounds, is_rounds_dir, round_run_dirs

    seen: dict[str, str] = {}
    for path in paths:
        earlier = seen.get(os.path.realpath(path))
        if earlier is not None:
            raise ReportError(f"{path} is given twice (as {earlier}): each run counts once")
        seen[os.path.realpath(path)] = path
    if len(paths) != 1 or not is_rounds_dir(paths[0]):
        return gather(paths), None
    named = round_run_dirs(paths[0])
    if not named:
        raise ReportError(f"{paths[0]}: no round has generated anything yet")
    report = gather([path for _, path in named])
    for run, (name, _) in zip(report.runs, named, strict=True):
        run.name = name
    return report, gather_rounds(paths[0])


def print_rounds(rounds: dict[str, Any], console: Console) -> None:
    from rich.table import Table

    table = Table(title=f"assay rounds: {rounds['dir']} (base {rounds['base_model']})")
    for name in ("arm", "round", "accepted", "acceptance", "self-corrected", "rows", "pass@k"):
        table.add_column(name, justify="left" if name == "arm" else "right")
    pct = lambda v: "–" if v is None else f"{100 * v:.1f}%"  # noqa: E731
    for arm, data in sorted(rounds["arms"].items()):
        label = arm if data["execution_feedback"] else f"{arm} *"
        for r in data["rounds"]:
            scores = " ".join(f"{k} {pct(v)}" for k, v in (r["pass_at_k"] or {}).items())
            table.add_row(
                label,
                str(r["round"]),
                f"{r['accepted']}/{r['problems']}",
                pct(r["acceptance_rate"]),
                pct(r["self_correction_rate"]),
                str(r["training_rows"] if r["training_rows"] is not None else "–"),
                scores or "–",
            )
    console.print(table)
    for arm, data in sorted(rounds["arms"].items()):
        mark = "" if data["execution_feedback"] else " *"
        console.print(f"{arm}{mark}: {data['note']}", highlight=False, soft_wrap=True)
    if rounds["base_pass_at_k"]:
        base = " ".join(f"{k} {pct(v)}" for k, v in rounds["base_pass_at_k"].items())
        console.print(f"base model: {base}", highlight=False)


def run(args: argparse.Namespace) -> int:
    err = Console(stderr=True)
    if args.max_trails < 0:
        return fail(f"--max-trails {args.max_trails}: give 0 or more")
    try:
        report, rounds = _gather(args.run_dirs)
    except ReportError as exc:
        return fail(str(exc))
    for warning in report.warnings:
        err.print(f"[yellow]note:[/yellow] {warning}", highlight=False, soft_wrap=True)
    if args.json:
        numbers = report.to_json()
        print(json.dumps({"rounds": rounds, **numbers} if rounds else numbers, indent=2))
        if args.out is None:
            return 0
    else:
        from pipeline.report.terminal import print_report

        if rounds:
            print_rounds(rounds, tables())
        print_report(report, tables())
    if args.no_html:
        return 0
    default = (
        os.path.join(args.run_dirs[0], "report.html")
        if len(args.run_dirs) == 1
        else "assay-report.html"
    )
    path = args.out or default
    from pipeline.report import html

    try:
        html.write(report, path, max_trails=args.max_trails, rounds=rounds)
    except OSError as exc:
        return fail(f"cannot write {path}: {exc.strerror}; choose another place with --out PATH")
    err.print(f"wrote {path}", highlight=False, soft_wrap=True)
    return 0
