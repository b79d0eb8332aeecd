"""What C++ samples share, built once per machine and compiler by trusted code (never in the box).

From assay's own sources in `box/` and the system's headers, into
`box_cache_dir()/cpp/<fingerprint>/`, where samples read it (at `/opt/assay/cpp/<fingerprint>/`
under full isolation):

- `prelude.hpp` and its precompiled header `prelude.hpp.gch`: the standard headers most tests
  use, doctest's interface, and `extern template` declarations of the common containers, built
  with exactly the flags of the samples' compile;
- `prelude_all.hpp` and `prelude_all.hpp.gch`: the same after `<bits/stdc++.h>`, for samples that
  include that (competitive programming's habit, and every MultiPL-E C++ prompt): without it
  their compile parses the whole library, three times the CPU;
- `libassay_harness.so`: doctest's implementation, the report channel's reporter, and the
  containers' instantiations, so that no sample compiles them again; built with hidden
  visibility (a sample can name doctest's interface and the harness's entry points, nothing
  else) and -Bsymbolic-functions (its calls to its own functions never reach a sample's);
- `main.o`: `main` and the sanitizers' hooks, which must live in the executable itself;
- `assay_check` (`box/check.cpp`, its ELF reading in `box/elf.hpp`; static, no sanitizers): the
  compile step's program, which runs g++ and then checks the linked test binary before anything
  of the sample runs, against `baseline.txt`: what it reads of a sample-free test binary
  (`box/baseline.cpp`) and the functions the harness library defines.

The fingerprint covers the compiler, the flags and every input file, so a new g++ or a change in
`box/` builds afresh beside the old one. Builds are serialised by a file lock and land by rename:
a sample never sees a half-built directory.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading

from sandbox.languages import box_cache_dir

BOX_SOURCES = os.path.join(os.path.dirname(__file__), "box")
DOCTEST_HEADER = "/usr/include/doctest/doctest.h"
# The harness's copy of doctest's header (`doctest.h` in the built directory, which the prelude
# includes): its `==` goes through box/equal_guard.hpp's `assay_equal`, which fails a check where
# a value equals everything: in an expression (`CHECK(a == b)`) and in the binary asserts
# (`CHECK_EQ(a, b)`, through `eq`). A system header still, so its warnings stay silent as before.
DOCTEST_EQ = (
    ("#define DOCTEST_CMP_EQ(l, r) l == r\n", "#define DOCTEST_CMP_EQ(l, r) ::assay_equal(l, r)\n"),
    (
        "    }\n\n    DOCTEST_RELATIONAL_OP(eq, ==)\n",  # the assertions' (not DOCTEST_CONFIG_DISABLE's)
        "    }\n\n    template <typename L, typename R>\n"
        "    DOCTEST_COMPARISON_RETURN_TYPE eq(const DOCTEST_REF_WRAP(L) lhs,\n"
        "                                      const DOCTEST_REF_WRAP(R) rhs) {\n"
        "        return ::assay_equal(lhs, rhs);\n"
        "    }\n",
    ),
)
DOCTEST_COPY_TOP = "#pragma GCC system_header\n"
STANDARD = "-std=c++17"
# Every compile of a sample's test program, and the shared parts, use exactly these: a
# precompiled header is only valid for the flags it was made with. -g1 is line tables only
# (sanitizer stacks name file:line) at two thirds of -g's compile time.
FLAGS = (
    STANDARD,
    "-O0",
    "-g1",
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=undefined",
    "-fno-omit-frame-pointer",
)
HARNESS_LIB = "libassay_harness.so"
HARNESS_FLAGS = (
    "-fPIC",
    "-shared",
    "-fvisibility=hidden",
    "-Wl,-Bsymbolic-functions",
    f"-Wl,-soname,{HARNESS_LIB}",
)
# The binary check (box/check.cpp): a plain, static program, quick to start.
CHECKER, BASELINE = "assay_check", "baseline.txt"
CHECKER_FLAGS = ("-std=c++17", "-O2", "-Wall")
PRELUDE, PRELUDE_ALL = PRELUDES = ("prelude.hpp", "prelude_all.hpp")
BUILD_TIMEOUT_S = 600


class BuildError(RuntimeError):
    """The shared parts could not be built; the message carries the compiler's words."""


_lock = threading.Lock()
_built: dict[str, str] = {}


def linker_flags(gxx: str) -> tuple[str, ...]:
    """gold where binutils has it: it links a sample against the harness library in a third of
    the time of ld.bfd."""
    ld_gold = shutil.which("ld.gold", path="/usr/bin:/bin:/usr/local/bin")
    return ("-fuse-ld=gold",) if ld_gold else ()


def fingerprint(gxx: str) -> str:
    """The compiler, its version, the flags, the linker, and every input's content."""
    digest = hashlib.sha256()
    version = subprocess.run(
        [gxx, "--version"], capture_output=True, text=True, check=False, timeout=60
    ).stdout
    digest.update(os.path.realpath(gxx).encode() + b"\0" + version.encode() + b"\0")
    digest.update("\0".join(FLAGS + linker_flags(gxx) + HARNESS_FLAGS + CHECKER_FLAGS).encode())
    digest.update("\0".join((*(t for pair in DOCTEST_EQ for t in pair), DOCTEST_COPY_TOP)).encode())
    for name in sorted(os.listdir(BOX_SOURCES)):
        with open(os.path.join(BOX_SOURCES, name), "rb") as fh:
            digest.update(name.encode() + b"\0" + fh.read())
    with open(DOCTEST_HEADER, "rb") as fh:
        digest.update(fh.read())
    return digest.hexdigest()[:16]


def shared_dir(gxx: str) -> str:
    """The built directory on the host, building it first if needed (once per process)."""
    with _lock:
        if gxx in _built:
            return _built[gxx]
        root = os.path.join(box_cache_dir(), "cpp")
        os.makedirs(root, mode=0o755, exist_ok=True)
        target = os.path.join(root, fingerprint(gxx))
        if not os.path.isfile(os.path.join(target, BASELINE)):
            with open(os.path.join(root, ".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building it
                if not os.path.isfile(os.path.join(target, BASELINE)):
                    _build(gxx, root, target)
        _built[gxx] = target
        return target


def _build(gxx: str, root: str, target: str) -> None:
    work = tempfile.mkdtemp(prefix=".build-", dir=root)
    try:
        for name in os.listdir(BOX_SOURCES):
            shutil.copy(os.path.join(BOX_SOURCES, name), os.path.join(work, name))
        _copy_doctest(os.path.join(work, "doctest.h"))
        for prelude in PRELUDES:
            _compile(gxx, work, "-x", "c++-header", prelude, "-o", f"{prelude}.gch")
        _compile(gxx, work, *HARNESS_FLAGS, *linker_flags(gxx), "harness.cpp", "-o", HARNESS_LIB)
        _compile(gxx, work, "-c", "main.cpp", "-o", "main.o")
        _build_checker(gxx, work)
        for name in os.listdir(work):
            os.chmod(os.path.join(work, name), 0o755 if name == CHECKER else 0o644)
        os.chmod(work, 0o755)
        os.rename(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _copy_doctest(target: str) -> None:
    with open(DOCTEST_HEADER) as fh:
        text = fh.read()
    for plain, guarded in DOCTEST_EQ:
        if text.count(plain) != 1:
            raise BuildError(
                f"{DOCTEST_HEADER}: no single `{plain.strip()}` to guard (doctest 2.4)"
            )
        text = text.replace(plain, guarded)
    with open(target, "w") as fh:
        fh.write(DOCTEST_COPY_TOP + text)


def _build_checker(gxx: str, work: str) -> None:
    """`assay_check` (static where the C library allows), and its baseline: a sample-free test
    binary linked as a sample's is, described, checked against its own description (a check that
    would reject every sample fails here, not in the box), and removed."""
    source = ("check.cpp", "-o", CHECKER)
    try:
        _run([gxx, *CHECKER_FLAGS, "-static", *source], work)
    except BuildError:
        _run([gxx, *CHECKER_FLAGS, *source], work)
    checker = os.path.join(work, CHECKER)
    _compile(
        gxx, work, "-include", PRELUDE, *linker_flags(gxx), "baseline.cpp", "main.o", HARNESS_LIB,
        "-o", "baseline",
    )  # fmt: skip
    described = _run([checker, "describe", "baseline", HARNESS_LIB], work)
    with open(os.path.join(work, BASELINE), "w") as fh:
        fh.write(described)
    _run([checker, "check", BASELINE, "baseline"], work)
    os.unlink(os.path.join(work, "baseline"))


def _compile(gxx: str, cwd: str, *args: str) -> None:
    _run([gxx, *FLAGS, "-Wall", *args], cwd)


def _run(argv: list[str], cwd: str) -> str:
    """`argv`'s standard output, or a BuildError with its words."""
    try:
        done = subprocess.run(
            argv, cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"{' '.join(argv)}: {exc}") from exc
    if done.returncode != 0:
        raise BuildError(f"{' '.join(argv)} failed:\n{done.stderr[-3000:]}")
    return done.stdout
