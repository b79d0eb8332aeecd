"""What the HumanEval-X benchmarks share: the data, the reference's pool of two, `assay verify`
timed, interleaved rounds, the table and the results file."""

from __future__ import annotations

import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def data_file(name: str) -> Path:
    for base in (ROOT.parent, ROOT.parent.parent, Path("/work")):
        path = base / "shared" / "data" / "humaneval-x" / name
        if path.exists():
            return path
    raise SystemExit(f"HumanEval-X data not found (shared/data/humaneval-x/{name})")


def records(name: str) -> list[dict]:
    with gzip.open(data_file(name), "rt") as fh:
        return [json.loads(line) for line in fh]


def assay(path: str, *flags: str) -> tuple[float, dict]:
    """`assay verify --format humaneval-x` over `path`: samples/s and its summary."""
    with tempfile.TemporaryDirectory(prefix="assay-bench-") as out:
        cmd = [sys.executable, "-m", "pipeline.cli", "verify", "--format", "humaneval-x",
               "--out", out, path, *flags]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(
            cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        elapsed = time.perf_counter() - started
        with open(os.path.join(out, "summary.json")) as fh:
            summary = json.load(fh)
    return summary["total"] / elapsed, summary


def verified_rate(path: str, *flags: str, may_reject: int = 1) -> float:
    """`assay`'s samples/s, once it is sure at most `may_reject` samples were rejected (the
    canonical solutions whose tests are weak, or that the reference fails too)."""
    rate, summary = assay(path, *flags)
    rejected = summary["total"] - summary["passed"]
    assert rejected <= may_reject, f"assay rejected {rejected}: {summary['by_stage']}"
    return rate


def two_at_a_time(one: Callable[[dict], bool], rows: list[dict]) -> float:
    """The reference's samples/s: `one` (True: passed) over every record, 2 at a time, as
    CodeGeeX's harness runs them; every record must pass."""
    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        passed = list(pool.map(one, rows))
    elapsed = time.perf_counter() - started
    failed = [r["task_id"] for r, ok in zip(rows, passed, strict=True) if not ok]
    assert not failed, f"the reference failed {failed}"
    return len(rows) / elapsed


def rounds(
    harnesses: dict[str, Callable[[], float]], count: int
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Each harness once per round, interleaved (load on the machine hits all alike): medians."""
    runs: dict[str, list[float]] = {name: [] for name in harnesses}
    for round_ in range(count):
        for name, harness in harnesses.items():
            runs[name].append(harness())
        print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.2f}/s" for k, v in runs.items()))
    return {name: statistics.median(values) for name, values in runs.items()}, runs


def table(medians: dict[str, float], reference: str, count: int) -> None:
    print(f"\n| harness | samples/s (median of {count}) | vs reference |\n| --- | --- | --- |")
    for name, value in medians.items():
        print(f"| {name} | {value:.2f} | {value / medians[reference]:.2f}x |")


def side_by_side(
    path: str, reference: Callable[[], float], count: int, may_reject: int = 1
) -> dict[str, object]:
    """The reference, `assay verify` at its defaults and with `--no-strength-check` (what the
    second phase costs) over the records in `path`, in `count` interleaved rounds (the toolchains
    checked first); the table printed, medians and rounds returned for the results file."""
    subprocess.run([sys.executable, "-m", "sandbox.languages", "check"], cwd=ROOT, check=True)
    medians, runs = rounds(
        {
            "reference": reference,
            "assay": lambda: verified_rate(path, may_reject=may_reject),
            "assay --no-strength-check": lambda: verified_rate(
                path, "--no-strength-check", may_reject=may_reject
            ),
        },
        count,
    )
    table(medians, "reference", count)
    return {"samples_per_s": medians, "rounds": runs}


def save(results: dict, out: str) -> None:
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as fh:
        json.dump(results, fh, indent=2)


def write_records(rows: list[dict], directory: str, name: str) -> str:
    path = os.path.join(directory, name)
    with gzip.open(path, "wt") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    return path
