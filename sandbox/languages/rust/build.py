"""What Rust samples share, built once per machine and compiler by trusted code (never in the box).

`libassay_harness.rlib`: the test runner (`box/harness.rs`), compiled by Debian's rustc with the
samples' own flags into `box_cache_dir()/rust/<fingerprint>/` (`sandbox.languages.boxcache`),
seen read-only at `/opt/assay/rust/<fingerprint>/` in the box. It uses libtest's unstable
interface (the custom test framework's `TestDescAndFn`), as the samples' crate roots do:
`RUSTC_BOOTSTRAP=1` lets the stable compiler take the two feature gates. The fingerprint covers
the compiler's `-vV` and the harness's source: an rlib only links with the very compiler that
made it, so a new rustc builds afresh beside the old one.
"""

from __future__ import annotations

import os
import tempfile

from sandbox.languages import boxcache

BOX_SOURCES = os.path.join(os.path.dirname(__file__), "box")
HARNESS = "libassay_harness.rlib"
EDITION = "2021"
# Debian's toolchain, never a rustup one on PATH: the box and the image have these.
RUSTC, CLIPPY = "/usr/bin/rustc", "/usr/bin/clippy-driver"
BOOTSTRAP = ("RUSTC_BOOTSTRAP", "1")


def environment(home: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": home, BOOTSTRAP[0]: BOOTSTRAP[1]}


def sysroot() -> str:
    with tempfile.TemporaryDirectory(prefix="assay-rust-") as home:
        return boxcache.run([RUSTC, "--print", "sysroot"], cwd=home, env=environment(home)).strip()


def shared_dir() -> str:
    """The built directory on the host, building it first if needed."""
    with tempfile.TemporaryDirectory(prefix="assay-rust-") as home:
        version = boxcache.run([RUSTC, "-vV"], cwd=home, env=environment(home))
    key = boxcache.fingerprint(version, EDITION, files=boxcache.tree_files(BOX_SOURCES))
    return boxcache.built("rust", key, _build)


def _build(work: str) -> None:
    with tempfile.TemporaryDirectory(prefix="assay-rust-") as home:
        boxcache.run(
            [RUSTC, "--edition", EDITION, "--crate-type", "rlib", "--crate-name", "assay_harness",
             "-C", "opt-level=1", "-C", "debuginfo=0",
             "--remap-path-prefix", f"{BOX_SOURCES}=assay",
             os.path.join(BOX_SOURCES, "harness.rs"), "-o", os.path.join(work, HARNESS)],
            cwd=home,
            env=environment(home),
        )  # fmt: skip
