"""What the commands share: the verifier's flags (`verify`, `run`, `rejudge`), errors, tables."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from sandbox import VerifyOptions


def add_verifier_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("verifier")
    group.add_argument(
        "--sandbox",
        choices=["process", "docker"],
        default=None,
        help="isolation backend (default: process)",
    )
    group.add_argument(
        "--isolation",
        choices=["full", "weak"],
        default=None,
        help="'weak' runs without namespaces where the kernel refuses them; "
        "every verdict then says so",
    )
    group.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=None,
        help="sandbox workers (default: the CPUs this process may use)",
    )
    group.add_argument(
        "--timeout", type=float, default=None, help="wall-clock seconds per test run (default: 10)"
    )
    group.add_argument(
        "--memory",
        type=int,
        default=None,
        metavar="MB",
        help="memory limit per sample in MB (default: 1024)",
    )
    group.add_argument(
        "--lint-select",
        default=None,
        metavar="CODES",
        help="comma-separated ruff rules that reject a sample",
    )
    group.add_argument(
        "--lint-ignore", default=None, metavar="CODES", help="comma-separated ruff rules to ignore"
    )
    group.add_argument(
        "--no-strength-check",
        dest="strength_check",
        action="store_false",
        default=None,
        help="do not reject tests that pass against stubbed code",
    )
    group.add_argument(
        "--no-fast-path",
        dest="fast_path",
        action="store_false",
        default=None,
        help="run every sample under pytest itself, also plain test modules the fast path "
        "would decide (slower; for auditing)",
    )


def _codes(text: str) -> tuple[str, ...]:
    return tuple(c.strip().upper() for c in text.split(",") if c.strip())


def verifier_options(args: argparse.Namespace, base: VerifyOptions | None = None) -> VerifyOptions:
    """Options from flags, each flag overriding `base` only when given."""
    from sandbox import Limits, VerifyOptions  # not at import: see `assay verify`'s start-up

    base = base or VerifyOptions()
    limits = base.limits
    if args.timeout is not None or args.memory is not None:
        limits = Limits(
            **{
                **limits._asdict(),
                **({"timeout_s": args.timeout} if args.timeout is not None else {}),
                **({"memory_mb": args.memory} if args.memory is not None else {}),
            }
        )
    fields = {
        "sandbox": args.sandbox,
        "isolation": args.isolation,
        "jobs": args.jobs,
        "strength_check": args.strength_check,
        "fast_path": args.fast_path,
        "lint_select": _codes(args.lint_select) if args.lint_select is not None else None,
        "lint_ignore": _codes(args.lint_ignore) if args.lint_ignore is not None else None,
    }
    merged = {**base.__dict__, **{k: v for k, v in fields.items() if v is not None}}
    merged["limits"] = limits
    return VerifyOptions(**merged)


def fail(message: str, status: int = 2) -> int:
    print(f"assay: error: {message}", file=sys.stderr)
    return status


def tables(stderr: bool = False) -> Console:
    """A console for summary tables. On a terminal they fit its width; piped or redirected, where
    rich would assume 80 columns and cut run names and labels short, they take the width they need
    (COLUMNS, when set, still decides)."""
    import os

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    wide = not stream.isatty() and "COLUMNS" not in os.environ
    return Console(stderr=stderr, width=1000 if wide else None)
