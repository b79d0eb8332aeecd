"""Verification throughput on HumanEval-X JavaScript: `assay verify` against CodeGeeX's harness.

The reference is CodeGeeX's way (codegeex/benchmark/execution.py): prompt + canonical solution +
test in one `test.js`, `node test.js` fresh per sample in a directory of its own, 2 at a time, no
isolation; a sample passes on exit 0 with nothing on stdout or stderr (a failed console.assert
only prints). Its node runs with a clean environment, as assay's samples do: a machine's
NODE_EXTRA_CA_CERTS alone costs every node start tens of milliseconds. assay is
`assay verify --format humaneval-x` on the same file at its default flags (full isolation, ESLint,
the strength check, one worker per usable CPU), then with --no-strength-check, timed as a user
sees it, start-up included. Side by side, interleaved rounds, medians; on the 164 records and on
them `--repeat` times over (unique ids). Both pass the same 161 (JavaScript/112, 155 and 162 fail
under both). CPU time per sample (user + system of every process each started, however deep:
bench/_cpu.py) is printed too: it is what a loaded machine cannot blur. `--breakdown` times the
parts of one sample's cost.

    .venv/bin/python bench/humaneval_x_js.py [--rounds 5] [--repeat 3] [--breakdown]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._cpu import children_cpu, count_orphans, reap_orphans  # noqa: E402

CLEAN_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


def data_file() -> Path:
    for base in (ROOT.parent, ROOT.parent.parent, Path("/work")):
        path = base / "shared" / "data" / "humaneval-x" / "js.jsonl.gz"
        if path.exists():
            return path
    raise SystemExit("HumanEval-X data not found: shared/data/humaneval-x/js.jsonl.gz")


def records(repeat: int) -> list[dict]:
    with gzip.open(data_file(), "rt") as fh:
        base = [json.loads(line) for line in fh]
    return [{**r, "task_id": f"{r['task_id']}#{i}"} for i in range(repeat) for r in base]


def reference(todo: list[dict], node: str, threads: int = 2) -> tuple[float, float, int]:
    """(samples/s, CPU s per sample, passed) of CodeGeeX's harness."""

    def one(record: dict) -> bool:
        with tempfile.TemporaryDirectory(prefix="codegeex-js-") as tmp:
            program = record["prompt"] + record["canonical_solution"] + "\n" + record["test"]
            Path(tmp, "test.js").write_text(program)
            home = dict(CLEAN_ENV, HOME=tmp)
            try:
                proc = subprocess.run(
                    [node, "test.js"], cwd=tmp, capture_output=True, timeout=10, env=home
                )
            except subprocess.TimeoutExpired:
                return False
            return proc.returncode == 0 and not proc.stdout and not proc.stderr

    cpu, started = children_cpu(), time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        passed = sum(pool.map(one, todo))
    elapsed = time.perf_counter() - started
    return len(todo) / elapsed, (children_cpu() - cpu) / len(todo), passed


def assay(path: str, *flags: str) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory(prefix="assay-bench-") as out:
        cmd = [sys.executable, "-m", "pipeline.cli", "verify", "--format", "humaneval-x",
               "--out", out, path, *flags]  # fmt: skip
        cpu, started = children_cpu(), time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - started
        reap_orphans()
        with open(os.path.join(out, "summary.json")) as fh:
            summary = json.load(fh)
    total = summary["total"]
    return total / elapsed, (children_cpu() - cpu) / total, summary["passed"]


def cpu_of(argv: list[str], cwd: str, n: int, fds: bool = False) -> float:
    """Median-free mean CPU ms of `argv` run `n` times (with a token on fd 4 and fd 3 to
    /dev/null when `fds`, as the harness wants)."""
    cpu = children_cpu()
    for _ in range(n):
        if fds:
            token_r, token_w = os.pipe()
            os.write(token_w, os.urandom(16).hex().encode())
            os.close(token_w)
            null = os.open(os.devnull, os.O_WRONLY)

            def wire(token_r: int = token_r, null: int = null) -> None:
                os.dup2(token_r, 4)
                os.dup2(null, 3)

            subprocess.run(argv, cwd=cwd, env=CLEAN_ENV, pass_fds=(3, 4), preexec_fn=wire,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            os.close(token_r)
            os.close(null)
        else:
            subprocess.run(argv, cwd=cwd, env=CLEAN_ENV, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)  # fmt: skip
    return (children_cpu() - cpu) / n * 1000


def breakdown(node: str, n: int = 30) -> dict[str, float]:
    """CPU ms of the parts of one sample's cost, outside the box."""
    from pipeline.humaneval_x import to_sample
    from sandbox.languages.javascript import checks, eslint
    from sandbox.languages.javascript.language import BOX, HARNESS, NODE_FLAGS

    record = records(1)[0]
    sample = to_sample(record)
    parts: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="assay-breakdown-") as tmp:
        Path(tmp, "test.js").write_text(
            record["prompt"] + record["canonical_solution"] + "\n" + record["test"]
        )
        Path(tmp, "solution.js").write_text(sample.solution)
        Path(tmp, "solution.test.js").write_text(sample.tests)
        for name in os.listdir(BOX):
            shutil.copy(os.path.join(BOX, name), tmp)
        parts["node -e 0"] = cpu_of([node, "-e", "0"], tmp, n)
        parts["reference: node test.js"] = cpu_of([node, "test.js"], tmp, n)
        parts["assay harness on the same sample, outside the box"] = cpu_of(
            [node, *NODE_FLAGS, HARNESS, "solution.test.js"], tmp, n, fds=True
        )
    linter = eslint.ESLint(node, shutil.which("eslint") or "eslint")
    samples = [to_sample(r) for r in records(1)]
    cpu = children_cpu()
    checks.check(samples[:1], linter, 1 << 20)
    linter.close()  # its CPU is counted once it has ended
    parts["ESLint's start-up and its first sample (once per verifier)"] = (
        children_cpu() - cpu
    ) * 1000
    cpu = children_cpu()
    for at in range(0, 164, 41):  # warm, in chunks
        checks.check(samples[at : at + 41], linter, 1 << 20)
    linter.close()
    parts["ESLint per sample, warm (with its own start-up)"] = (children_cpu() - cpu) * 1000 / 164
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument("--out", default="bench/results/humaneval_x_js.json")
    args = parser.parse_args()
    count_orphans()
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        raise SystemExit("node is not installed")
    ref_name = "CodeGeeX: node test.js, 2 at a time"
    configs = [
        (ref_name, None),
        ("assay verify (defaults)", ()),
        ("assay verify --no-strength-check", ("--no-strength-check",)),
    ]
    sizes = sorted({1, args.repeat})
    runs: dict[str, dict[str, list[list[float]]]] = {
        f"x{size}": {name: [] for name, _ in configs} for size in sizes
    }
    with tempfile.TemporaryDirectory(prefix="assay-bench-in-") as tmp:
        paths = {}
        for size in sizes:
            paths[size] = os.path.join(tmp, f"js-x{size}.jsonl.gz")
            with gzip.open(paths[size], "wt") as fh:
                for record in records(size):
                    fh.write(json.dumps(record) + "\n")
        for round_ in range(args.rounds):
            for size in sizes:
                for name, how in configs:
                    if how is None:
                        rate, cpu, passed = reference(records(size), node)
                    else:
                        rate, cpu, passed = assay(paths[size], *how)
                    assert passed == 161 * size, f"{name}: {passed} passed"
                    runs[f"x{size}"][name].append([rate, cpu])
                    print(f"round {round_ + 1}, {164 * size} samples: {name}: {rate:.1f} "
                          f"samples/s, {cpu * 1000:.0f} ms CPU a sample", file=sys.stderr)  # fmt: skip
    tables = {}
    for size in sizes:
        table = runs[f"x{size}"]
        ref = statistics.median(r for r, _ in table[ref_name])
        ref_cpu = statistics.median(c for _, c in table[ref_name])
        print(f"\n{164 * size} samples (HumanEval-X JavaScript x{size}), median of "
              f"{args.rounds} rounds\n")  # fmt: skip
        print("| harness | samples/s | vs CodeGeeX | CPU ms a sample | vs CodeGeeX | each round |")
        print("|---|---:|---:|---:|---:|---|")
        rows = []
        for name, results in table.items():
            rate = statistics.median(r for r, _ in results)
            cpu = statistics.median(c for _, c in results)
            rows.append({"harness": name, "samples_per_s": round(rate, 1),
                         "ratio": round(rate / ref, 2), "cpu_ms": round(cpu * 1000, 1),
                         "cpu_ratio": round(ref_cpu / cpu, 2)})  # fmt: skip
            each = ", ".join(f"{r:.1f}" for r, _ in results)
            print(f"| {name} | {rate:.1f} | {rate / ref:.2f}x | {cpu * 1000:.0f} | "
                  f"{ref_cpu / cpu:.2f}x | {each} |")  # fmt: skip
        tables[f"x{size}"] = rows
    parts = breakdown(node) if args.breakdown else {}
    if parts:
        print("\nCPU ms of the parts of one sample's cost (outside the box)\n")
        print("| part | CPU ms |\n|---|---:|")
        for part, ms in parts.items():
            print(f"| {part} | {ms:.1f} |")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump({"rounds": args.rounds, "cpus": len(os.sched_getaffinity(0)),
                   "load": os.getloadavg(), "tables": tables, "breakdown": parts, "raw": runs},
                  fh, indent=2)  # fmt: skip


if __name__ == "__main__":
    main()
