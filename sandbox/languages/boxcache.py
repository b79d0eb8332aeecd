"""Building what a language's samples share, once per machine, into the box cache (trusted side).

A language's shared parts (a prebuilt standard library, a test harness, a builder program) are
built on the host by trusted code, never in the box, into `box_cache_dir()/<language>/<key>/`,
where `key` is a fingerprint of everything the build reads (the toolchain's version, assay's box
sources): a new toolchain or a change to `box/` builds afresh beside the old one. Builds are
serialised by a file lock and land by rename, so a sample never sees a half-built directory.
Samples see the directory read-only at `/opt/assay/<language>/<key>/` under full isolation and in
containers; under weak isolation they read it on the host (`readable_copy`).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable

from sandbox.languages import box_cache_dir

READY = ".ready"  # written last into a finished build
BUILD_TIMEOUT_S = 900

_lock = threading.Lock()
_built: dict[tuple[str, str], str] = {}


class BuildError(RuntimeError):
    """The shared parts could not be built; the message carries the tool's words."""


def fingerprint(*parts: str | bytes, files: Iterable[str] = ()) -> str:
    """A short digest of `parts` and the content of `files` (each under its path)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    for path in sorted(files):
        with open(path, "rb") as fh:
            digest.update(path.encode() + b"\0" + fh.read() + b"\0")
    return digest.hexdigest()[:16]


def tree_files(root: str) -> list[str]:
    """Every file under `root`, for a fingerprint."""
    return sorted(
        os.path.join(directory, name)
        for directory, _, names in os.walk(root)
        for name in names
        if not name.startswith(".")
    )


def built(language: str, key: str, build: Callable[[str], None]) -> str:
    """The directory of `language`'s shared parts for `key`, built first by `build(work_dir)`
    where it is missing (once per process, under a file lock across processes)."""
    with _lock:
        if (language, key) in _built:
            return _built[language, key]
        root = os.path.join(box_cache_dir(), language)
        os.makedirs(root, mode=0o755, exist_ok=True)
        target = os.path.join(root, key)
        if not os.path.isfile(os.path.join(target, READY)):
            with open(os.path.join(root, ".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building it
                if not os.path.isfile(os.path.join(target, READY)):
                    _build(root, target, build)
        _built[language, key] = target
        return target


def _build(root: str, target: str, build: Callable[[str], None]) -> None:
    if os.path.exists(target):  # an unfinished build of an older assay
        shutil.rmtree(target)
    work = tempfile.mkdtemp(prefix=".build-", dir=root)
    try:
        build(work)
        for directory, _, names in os.walk(work):
            os.chmod(directory, 0o755)
            for name in names:
                path = os.path.join(directory, name)
                os.chmod(path, 0o755 if os.access(path, os.X_OK) else 0o644)
        with open(os.path.join(work, READY), "w"):
            pass
        os.rename(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def run(argv: list[str], cwd: str, env: dict[str, str] | None = None) -> str:
    """A build command; its stdout, or a BuildError with its stderr."""
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"{' '.join(argv[:8])}: {exc}") from exc
    if done.returncode != 0:
        raise BuildError(f"{' '.join(argv[:8])} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def readable_copy(target: str) -> str:
    """`target`, or a copy any user can read: under weak isolation a sample runs as another user
    on the host's file system, where the box cache may sit in a private home (/root, mode 700).
    The copy is this user's, in the temporary directory, writable by no one else."""
    if _world_readable(target):
        return target
    language = os.path.basename(os.path.dirname(target))
    base = os.path.join(tempfile.gettempdir(), f"assay-box-{os.geteuid()}")
    copy = os.path.join(base, language, os.path.basename(target))
    with _lock:
        for path in (base, os.path.dirname(copy)):
            try:
                os.mkdir(path, 0o755)
            except FileExistsError:
                pass
            info = os.lstat(path)
            if not os.path.isdir(path) or os.path.islink(path) or info.st_uid != os.geteuid():
                raise BuildError(f"{path} is not a directory of this user: remove it")
            if info.st_mode & 0o022:
                raise BuildError(f"{path} is writable by others: remove it")
            os.chmod(path, 0o755)
        if not os.path.isdir(copy):  # a copy appears whole, by rename
            work = tempfile.mkdtemp(prefix=".copy-", dir=os.path.dirname(copy))
            shutil.copytree(target, work, dirs_exist_ok=True, symlinks=True)
            os.chmod(work, 0o755)
            try:
                os.rename(work, copy)
            except OSError:  # another process made it meanwhile
                shutil.rmtree(work, ignore_errors=True)
    return copy


def _world_readable(path: str) -> bool:
    """Whether every directory up to `path` lets any user through."""
    path = os.path.abspath(path)
    while True:
        try:
            if not os.stat(path).st_mode & 0o001:
                return False
        except OSError:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def in_box(host: str, full_isolation: bool) -> str:
    """Where a sample sees a shared directory: in the box cache under full isolation and in
    containers; under weak isolation on the host, where its user can read it."""
    from sandbox.isolation.skeleton import BOX_CACHE

    if full_isolation:
        language = os.path.basename(os.path.dirname(host))
        return f"{BOX_CACHE}/{language}/{os.path.basename(host)}"
    if os.geteuid() != 0:  # the sample keeps this user's uid
        return host
    return readable_copy(host)
