"""A forked runner's first steps, while it is still trusted (any language, any box): its streams
and its environment."""

from __future__ import annotations

import os
import sys

from sandbox.isolation.channel import RESULT_FD


def attach_streams(result_w: int, out_w: int, err_w: int, keep: tuple[int, ...] = ()) -> None:
    """In a forked runner: its own session, stdin from /dev/null, stdout and stderr and the result
    channel on the pipes the server reads, and no other descriptor of the server's but `keep`
    (above the result channel's)."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    os.dup2(result_w, RESULT_FD)
    low = RESULT_FD + 1
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)


def settle_in(workdir: str, tmpdir: str, user: str, import_paths: list[str] | None = None) -> None:
    """In a runner about to become the sample: its work dir, its environment and nothing of the
    caller's, no bytecode written; on sys.path the work dir first (where pytest's default import
    mode puts a test's rootdir, and where pytest 9 looks for it), then `import_paths`, or the
    absolute existing paths of sys.path."""
    os.chdir(workdir)
    settle_state(workdir, tmpdir, user)
    if import_paths is not None:
        sys.path[:] = import_paths
    sys.path.insert(0, workdir)


def settle_state(workdir: str, tmpdir: str, user: str) -> None:
    """`settle_in` but the work dir: what a fork server does once for all its runners."""
    os.environ.clear()
    os.environ.update(sample_environment(workdir, tmpdir, user))
    tempfile = sys.modules.get("tempfile")  # a cached choice of directory is the caller's
    if tempfile is not None:
        tempfile.tempdir = None
    sys.dont_write_bytecode = True
    sys.path[:] = [p for p in sys.path if p and os.path.isabs(p) and os.path.isdir(p)]
    from sandbox.languages.python.box import solution_guard

    solution_guard.install()


def sample_environment(home: str, tmpdir: str, user: str) -> dict[str, str]:
    """The whole environment a sample runs with: nothing of the caller's (no keys, no tokens)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": tmpdir,
        "LANG": "C.UTF-8",
        "USER": user,
        "PYTHONDONTWRITEBYTECODE": "1",
        # Plugins are the verifier's choice, not whatever happens to be installed.
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
