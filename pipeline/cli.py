"""`assay`: thin commands. Each parses its flags, calls one library function, prints (STYLE 13).

A command lives in pipeline/commands/<name>.py with `register(subparsers)`; the registered function
takes the parsed arguments and returns the exit status.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading

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


_terminated = False


def _on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (`kill`, `timeout`, a batch scheduler ending a job) stops a command as Ctrl-C does:
    whoever handles Ctrl-C at this moment handles it (Python's KeyboardInterrupt, or asyncio's
    cancelling of the main task), so the same clean-up runs."""
    global _terminated
    _terminated = True
    on_sigint = signal.getsignal(signal.SIGINT)
    if not callable(on_sigint):  # ignored, as in a background job of a script: stop anyway
        raise KeyboardInterrupt
    on_sigint(signal.SIGINT, frame)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    global _terminated
    _terminated = False
    before = None
    if threading.current_thread() is threading.main_thread():
        before = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        if _terminated:
            print("assay: terminated; everything written so far is kept", file=sys.stderr)
            return 143
        print("assay: interrupted; everything written so far is kept", file=sys.stderr)
        return 130
    finally:
        if before is not None:
            signal.signal(signal.SIGTERM, before)


if __name__ == "__main__":
    sys.exit(main())
