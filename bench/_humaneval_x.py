"""What the HumanEval-X benchmarks share: the data, `assay verify` timed, interleaved rounds."""

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


def write_records(rows: list[dict], directory: str, name: str) -> str:
    path = os.path.join(directory, name)
    with gzip.open(path, "wt") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    return path
