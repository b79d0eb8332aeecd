"""The node zygote's spec (`sandbox/isolation/zygote.py` starts and drives it; `zygote.js` is the
zygote, `zygote.c` its addon): a warm node, started with the run's flags, V8's
`--single-threaded` and its young generation at full size, that forks each run of the harness.

The addon is built on first use, by the zygote's waiter (root, on the host's files, before it
executes node), with the host's C compiler into the box cache; without one, or if the build
fails, there is no zygote and node starts afresh for each run."""

from __future__ import annotations

import os

from sandbox.isolation.zygote import ZygoteSpec

HERE = os.path.dirname(os.path.abspath(__file__))
ZYGOTE = os.path.join(HERE, "zygote.js")
SOURCE = os.path.join(HERE, "zygote.c")
ADDON = "zygote.node"


def addon() -> str:
    """The addon's path, built first where it is missing (in the waiter: the worker's front
    never loads what the build needs)."""
    import shutil

    from sandbox.languages import boxcache

    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise boxcache.BuildError("no C compiler (cc) to build its addon")
    key = boxcache.fingerprint(boxcache.run([cc, "--version"], cwd="/"), files=[SOURCE])

    def build(work: str) -> None:
        boxcache.run([cc, "-O2", "-shared", "-fPIC", "-o", ADDON, SOURCE], cwd=work)

    path = os.path.join(boxcache.built("javascript-zygote", key, build), ADDON)
    # Root loads it: it, and the directories it lies in, must be this user's alone to change.
    for place in (path, os.path.dirname(path), os.path.dirname(os.path.dirname(path))):
        info = os.stat(place)
        if info.st_uid != os.geteuid() or info.st_mode & 0o022:
            raise boxcache.BuildError(f"{place} may be changed by another user than this one")
    return path


# V8's young generation at its full default size (16 MB) from the start, not grown from 1 MB: a
# run forked from the zygote then seldom fills it, and no longer pays a scavenge of what the
# zygote's heap holds (~10% of a run's CPU). Pages it does not touch cost nothing.
YOUNG_GENERATION = "--min-semi-space-size=16"


def command(prefix: list[str], front: int, uid: int, gid: int) -> list[str]:
    flags = [YOUNG_GENERATION, "--single-threaded"]
    return [*prefix, *flags, ZYGOTE, addon(), str(front), str(uid), str(gid)]


SPEC = ZygoteSpec(name="node", harness="assay_harness.js", command=command)
