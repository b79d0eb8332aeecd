"""One assay process at a time in a directory it writes (a run dir, verify's or eval's --out).

Two processes appending to the same corpus or verdict files would both do the work and write
every record twice. `hold` takes an exclusive `flock` on DIR/.assay.lock for the life of the
process (the kernel drops it when the process ends, kill -9 included, so nothing is ever left
to clean up); a second process is refused with the holder's pid.
"""

from __future__ import annotations

import fcntl
import os
from typing import IO

LOCK_FILE = ".assay.lock"
_held: dict[str, IO[str]] = {}  # directory -> its open lock file, kept for the process's life


class DirectoryInUse(RuntimeError):
    """Another process holds the directory."""


def hold(directory: str, flag: str) -> None:
    """Lock `directory` (which exists) for this process, or raise DirectoryInUse naming the
    holder; `flag` names the option that chose it (`--run-dir`, `--out`). Holding it again in
    the same process is a no-op."""
    key = os.path.realpath(directory)
    if key in _held:
        return
    fh = open(os.path.join(directory, LOCK_FILE), "a+", encoding="utf-8")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip()
        fh.close()
        who = f" (pid {holder})" if holder.isdigit() else ""
        raise DirectoryInUse(
            f"{flag} {directory} is in use by another assay process{who}: wait for it to end, "
            f"or give another {flag}"
        ) from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    _held[key] = fh


def release(directory: str) -> None:
    """Let go of `directory` before the process ends (a library caller that goes on)."""
    fh = _held.pop(os.path.realpath(directory), None)
    if fh is not None:
        fh.close()
