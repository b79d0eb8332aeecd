"""`assay report RUN_DIR... [--json] [--out PATH]`."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from rich.console import Console

from pipeline.commands.common import fail
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


def run(args: argparse.Namespace) -> int:
    err = Console(stderr=True)
    try:
        report = gather(args.run_dirs)
    except ReportError as exc:
        return fail(str(exc))
    for warning in report.warnings:
        err.print(f"[yellow]note:[/yellow] {warning}", highlight=False, soft_wrap=True)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
        if args.out is None:
            return 0
    else:
        from pipeline.report.terminal import print_report

        print_report(report, Console())
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
        html.write(report, path, max_trails=args.max_trails)
    except OSError as exc:
        return fail(f"cannot write {path}: {exc.strerror}; choose another place with --out PATH")
    err.print(f"wrote {path}", highlight=False, soft_wrap=True)
    return 0
