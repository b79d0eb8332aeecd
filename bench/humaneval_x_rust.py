"""Rust verification throughput on HumanEval-X: `assay verify` against CodeGeeX's way of judging.

The reference is CodeGeeX's harness: each canonical solution as a binary of one cargo crate
(`fn main(){}`, declaration, prompt, solution, test in `src/bin/<task>.rs`), `cargo check --bin`
then `cargo test --bin`, both exit status 0 to pass, no isolation, 2 at a time. Its crate depends
on rand, regex and md5; crates.io is out of reach here, so they come from Debian's packaged crates
(/usr/share/cargo/registry as a directory source, offline: rand 0.8 where CodeGeeX has 0.4), built
before the first round. Each of the 2 workers has a crate of its own (one shared target directory
would serialise them on cargo's lock). assay is `assay verify --format humaneval-x` at its
default flags: full isolation, clippy-driver in the box, the strength check's run of the stubbed
build. The records are those both can judge: the five that call into crates (no crates in assay's
box) are left out. assay rejects two of the rest (Rust/4: weak test; Rust/32: no test), which the
reference passes. Interleaved rounds; medians and their ratio.

    .venv/bin/python bench/humaneval_x_rust.py [--rounds 3] [--out bench/results/rust.json]

Needs Debian's cargo and librust-{rand,regex,md5}-dev (and regex's aho-corasick and memchr) for
the reference only.
"""

from __future__ import annotations

import argparse
import itertools
import os
import queue
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import _humaneval_x as hx  # noqa: E402
from pipeline.humaneval_x_rust import NEEDS_CRATES, NO_TESTS  # noqa: E402

CARGO_TOML = """\
[package]
name = "rust"
version = "0.1.0"
edition = "2021"

[dependencies]
rand = "0.8"
regex = "1"
md5 = "0.7"
"""
CARGO_CONFIG = """\
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[net]
offline = true
"""


def test_program(record: dict) -> str:
    """CodeGeeX's `process_humaneval_test` for Rust."""
    main = "\nfn main(){ \n } \n"
    code = record["canonical_solution"]
    return main + record["declaration"] + record["prompt"] + code + record["test"]


class Reference:
    """CodeGeeX's Rust harness: a cargo crate, each sample a binary of it; a crate per worker."""

    def __init__(self, base: str, workers: int = 2) -> None:
        self.env = {
            "PATH": "/usr/bin:/bin",
            "HOME": base,
            "CARGO_HOME": os.path.join(base, "cargo"),
        }
        self.crates: queue.Queue[str] = queue.Queue()
        self.counter = itertools.count()
        for index in range(workers):
            crate = os.path.join(base, f"crate{index}")
            os.makedirs(os.path.join(crate, "src", "bin"))
            os.makedirs(os.path.join(crate, ".cargo"))
            Path(crate, "Cargo.toml").write_text(CARGO_TOML)
            Path(crate, ".cargo", "config.toml").write_text(CARGO_CONFIG)
            Path(crate, "src", "bin", "warm.rs").write_text("fn main() {}\n")
            for command in ("check", "test"):  # the dependencies, once per crate
                self.cargo(crate, command, "warm")
            self.crates.put(crate)

    def cargo(self, crate: str, command: str, binary: str) -> bool:
        try:
            done = subprocess.run(
                ["cargo", command, "--bin", binary, "--message-format", "json"],
                cwd=crate,
                env=self.env,
                capture_output=True,
                timeout=120,
            )
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0

    def one(self, record: dict) -> bool:
        crate = self.crates.get()
        try:
            name = f"{record['task_id'].lower().replace('/', '_')}_{next(self.counter)}"
            path = Path(crate, "src", "bin", f"{name}.rs")
            path.write_text(test_program(record))
            try:
                return self.cargo(crate, "check", name) and self.cargo(crate, "test", name)
            finally:
                path.unlink()
        finally:
            self.crates.put(crate)

    def run(self, rows: list[dict]) -> float:
        return hx.two_at_a_time(self.one, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=0, help="only the first N records")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "rust.json"))
    args = parser.parse_args()
    rows = [r for r in hx.records("rust.jsonl.gz") if r["task_id"] not in NEEDS_CRATES]
    if args.limit:
        rows = rows[: args.limit]
    expected = sum(r["task_id"] in ("Rust/4", *NO_TESTS) for r in rows)
    results: dict[str, object] = {"samples": len(rows), "cpus": len(os.sched_getaffinity(0))}
    with tempfile.TemporaryDirectory(prefix="assay-bench-rust-") as base:
        path = hx.write_records(rows, base, "rust.jsonl.gz")
        reference = Reference(base)
        results.update(
            hx.side_by_side(path, lambda: reference.run(rows), args.rounds, may_reject=expected)
        )
    hx.save(results, args.out)


if __name__ == "__main__":
    main()
