"""`assay`: thin commands. Each parses its flags, calls one library function, prints (STYLE 13).

A command lives in pipeline/commands/<name>.py with `register(subparsers)`; the registered function
takes the parsed arguments and returns the exit status.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = (
    "verify", "run", "translate", "report", "export", "rejudge", "eval", "train", "rounds",
)  # fmt: skip


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, just that command's module is imported (start-up stays fast:
    `verify` does not pay for the export's imports)."""
    parser = argparse.ArgumentParser(
        prog="assay", description="Turn a teacher model into a verified code corpus."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in [only] if only in COMMANDS else COMMANDS:
        try:
            module = importlib.import_module(f"pipeline.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pipeline.commands.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("assay: interrupted; everything written so far is kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
