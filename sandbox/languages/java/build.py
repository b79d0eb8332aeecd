"""What Java samples share, built once per machine and JDK by trusted code (never in the box).

From assay's own sources in `box/` and Debian's JUnit 5 jars, into
`box_cache_dir()/java/<fingerprint>/`, where samples read it (at `/opt/assay/java/<fingerprint>/`
under full isolation and in containers):

- `classes/`: the harness (`assay.TestMain`, the tests' launcher and JUnit listener;
  `assay.CompileMain`, the batch compile), compiled;

Each box JVM maps the JDK's own class-data sharing archive (`-Xshare:auto`). An archive of our
own (JUnit's and javac's classes too, from a training run) gained under 5% (2% more CPU on the
compile, 4% less on the runs) and is not built.

The fingerprint covers the JDK, the jars, the flags and every input file, so a new JDK or a change
in `box/` builds afresh beside the old one. Builds are serialised by a file lock and land by rename.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

from sandbox.languages import box_cache_dir

BOX_SOURCES = os.path.join(os.path.dirname(__file__), "box")
JARS_DIR = "/usr/share/java"
# What a sample's code compiles against, and what its tests run with (Debian's junit5 and the
# packages it depends on).
COMPILE_JARS = ("junit-jupiter-api", "junit-jupiter-params", "opentest4j", "apiguardian-api")
RUN_JARS = (
    "junit-jupiter-api",
    "junit-jupiter-engine",
    "junit-jupiter-params",
    "junit-platform-commons",
    "junit-platform-engine",
    "junit-platform-launcher",
    "opentest4j",
    "apiguardian-api",
)
CLASSES = "classes"
# Every JVM the box starts: one short run each, so the client compiler only, the serial
# collector, no performance-data file in /tmp, no log lines on stdout, and no security manager a
# sample could install between the harness and its channel.
JVM_FLAGS = (
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    "-XX:-UsePerfData",
    "-Xshare:auto",
    "-Xlog:disable",
    "-Djava.security.manager=disallow",
)
# javac as every sample is compiled: all lint warnings but `serial` (serialVersionUID) reported,
# no annotation processing (a processor is code the compile would run), at most 50 of each.
JAVAC_OPTIONS = (
    "-proc:none",
    "-implicit:none",
    "-Xlint:all,-serial,-processing",
    "-encoding",
    "UTF-8",
    "-Xmaxerrs",
    "50",
    "-Xmaxwarns",
    "50",
)
BUILD_TIMEOUT_S = 600


class BuildError(RuntimeError):
    """The shared parts could not be built; the message carries the JDK's words."""


_lock = threading.Lock()
_built: dict[str, str] = {}


def jar(name: str, root: str = JARS_DIR) -> str:
    return os.path.join(root, name + ".jar")


def compile_classpath() -> str:
    return ":".join(jar(name) for name in COMPILE_JARS)


def run_classpath(shared: str) -> str:
    """The tests' classpath in the box: JUnit's jars, then the harness."""
    return ":".join([*(jar(name) for name in RUN_JARS), os.path.join(shared, CLASSES)])


def fingerprint(java: str) -> str:
    """The JDK (its path and full version), the jars (path, size, time), the flags, and every
    input file's content."""
    digest = hashlib.sha256()
    version = subprocess.run(
        [java, "-Xshare:off", "-XshowSettings:properties", "-version"],
        capture_output=True, text=True, check=False, timeout=120,
    ).stderr  # fmt: skip
    lines = [line for line in version.splitlines() if "java.home" in line or "version" in line]
    digest.update(os.path.realpath(java).encode() + b"\0" + "\n".join(lines).encode() + b"\0")
    for name in RUN_JARS:
        info = os.stat(jar(name))
        digest.update(f"{os.path.realpath(jar(name))} {info.st_size} {info.st_mtime_ns}\0".encode())
    digest.update("\0".join(JVM_FLAGS + JAVAC_OPTIONS).encode())
    for name in sorted(os.listdir(os.path.join(BOX_SOURCES, "assay"))):
        with open(os.path.join(BOX_SOURCES, "assay", name), "rb") as fh:
            digest.update(name.encode() + b"\0" + fh.read())
    return digest.hexdigest()[:16]


def shared_dir(java: str, javac: str) -> str:
    """The built directory on the host, building it first if needed (once per process)."""
    with _lock:
        if java in _built:
            return _built[java]
        root = os.path.join(box_cache_dir(), "java")
        os.makedirs(root, mode=0o755, exist_ok=True)
        target = os.path.join(root, fingerprint(java))
        done = os.path.join(target, CLASSES, "assay", "TestMain.class")
        if not os.path.isfile(done):
            with open(os.path.join(root, ".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building it
                if not os.path.isfile(done):
                    _build(java, javac, root, target)
        _built[java] = target
        return target


def _build(java: str, javac: str, root: str, target: str) -> None:
    work = tempfile.mkdtemp(prefix=".build-", dir=root)
    try:
        classes = os.path.join(work, CLASSES)
        sources = [
            os.path.join(BOX_SOURCES, "assay", name)
            for name in sorted(os.listdir(os.path.join(BOX_SOURCES, "assay")))
            if name.endswith(".java")
        ]
        cp = ":".join(jar(name) for name in RUN_JARS)
        _run([javac, "-nowarn", "-d", classes, "-cp", cp, *sources], work)
        for directory, _, names in os.walk(work):
            os.chmod(directory, 0o755)
            for name in names:
                os.chmod(os.path.join(directory, name), 0o644)
        os.rename(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _run(argv: list[str], cwd: str) -> str:
    try:
        done = subprocess.run(
            argv, cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"{' '.join(argv)}: {exc}") from exc
    if done.returncode != 0:
        raise BuildError(f"{' '.join(argv)} failed:\n{(done.stderr or done.stdout)[-3000:]}")
    return done.stdout


def run_with_channel(argv: list[str], cwd: str, ok: tuple[int, ...] = (0,)) -> list[dict]:
    """A harness run outside the box, as the box runs it: a token on descriptor 4 and the channel
    on descriptor 3, both pipes (the harness takes nothing else), set up by a small exec."""
    pipe_r, token_w = os.pipe()
    os.write(token_w, b"0" * 32)
    os.close(token_w)
    token_r = fcntl.fcntl(pipe_r, fcntl.F_DUPFD, 10)  # not 3 or 4 themselves
    os.close(pipe_r)
    setup = "import os, sys; os.dup2(int(sys.argv[1]), 4); os.dup2(1, 3); os.dup2(2, 1); "
    setup += "os.execv(sys.argv[2], sys.argv[2:])"
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", setup, str(token_r), *argv], pass_fds=(token_r,),
            cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"{' '.join(argv)}: {exc}") from exc
    finally:
        os.close(token_r)
    if done.returncode not in ok:
        raise BuildError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return [json.loads(line.split(" ", 1)[1]) for line in done.stdout.splitlines() if line.strip()]


def jobs_file(jobs: list[dict[str, str]], tests_file: str, first: int = 0) -> bytes:
    """The batch compile's input (`CompileMain`): each job's files, by byte count."""
    out = [b"assay-jobs 1\n"]
    for index, files in enumerate(jobs, first):
        out.append(f"job {index} {tests_file}\n".encode())
        for name, text in files.items():
            data = text.encode("utf-8", "surrogatepass")
            out.append(f"file {name} {len(data)}\n".encode() + data + b"\n")
    return b"".join(out)
