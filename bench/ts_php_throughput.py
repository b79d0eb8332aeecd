"""Verification throughput for TypeScript and PHP: `assay verify` against a plain per-sample run.

HumanEval-X has neither language, so the programs are twelve HumanEval problems translated by hand
(bench/ts_php_programs.py), each `--repeat` times (unique ids). The references run each sample
fresh in a directory of its own, 2 at a time, no isolation, with a clean environment:

- TypeScript: `tsc` (the pinned TypeScript 7, the native compiler assay's box runs too, emitting
  JavaScript) then `node solution.test.js` (node:test); and the same with TypeScript 6.0's
  JavaScript `tsc` (the one typescript-eslint brings: what `tsc` was before 7.0);
- PHP: `phpunit SolutionTest.php` (Debian's PHPUnit).

assay is `assay verify` on the same samples at its default flags (full isolation, every check,
the strength check, one worker per usable CPU), timed as a user sees it, start-up included. Side
by side, interleaved rounds, medians. CPU time per sample (user + system of every process each
started, however deep: bench/_cpu.py) is printed too.

    .venv/bin/python bench/ts_php_throughput.py [--rounds 3] [--repeat 10] [--languages typescript,php] [--skip-tsc6]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._cpu import children_cpu, count_orphans, reap_orphans  # noqa: E402
from bench.ts_php_programs import PROGRAMS  # noqa: E402
from sandbox import VerifyOptions  # noqa: E402
from sandbox.languages.typescript import toolchain  # noqa: E402
from sandbox.languages.typescript.language import TypeScript  # noqa: E402

CLEAN_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
FILES = {
    "typescript": ("solution.ts", "solution.test.ts"),
    "php": ("solution.php", "SolutionTest.php"),
}


def samples(language: str, repeat: int) -> list[dict]:
    return [
        {
            "id": f"{p['task']}#{i}",
            "problem": f"{p['task']}#{i}",
            "language": language,
            "solution": p[language][0],
            "tests": p[language][1],
        }  # fmt: skip
        for i in range(repeat)
        for p in PROGRAMS
    ]


def plain_flags(types: str) -> list[str]:
    """`tsc` as a plain project would run it: assay's type-check flags, emitting JavaScript."""
    flags = [f for f in toolchain.TSC_FLAGS if f not in ("--noEmit", "--singleThreaded")]
    return [*flags, "--typeRoots", types]


def reference(
    todo: list[dict], steps: Callable[[str], list[list[str]]]
) -> tuple[float, float, int]:
    """(samples/s, CPU s per sample, passed): each sample's `steps` in a fresh directory, 2 at a
    time; a sample passes when every step exits 0."""

    def one(sample: dict) -> bool:
        with tempfile.TemporaryDirectory(prefix="plain-") as tmp:
            solution_file, tests_file = FILES[sample["language"]]
            Path(tmp, solution_file).write_text(sample["solution"])
            Path(tmp, tests_file).write_text(sample["tests"])
            env = dict(CLEAN_ENV, HOME=tmp)
            for argv in steps(tmp):
                try:
                    done = subprocess.run(argv, cwd=tmp, capture_output=True, timeout=60, env=env)
                except subprocess.TimeoutExpired:
                    return False
                if done.returncode != 0:
                    return False
            return True

    cpu, started = children_cpu(), time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        passed = sum(pool.map(one, todo))
    elapsed = time.perf_counter() - started
    return len(todo) / elapsed, (children_cpu() - cpu) / len(todo), passed


def assay(path: str, *flags: str) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory(prefix="assay-bench-") as out:
        cmd = [sys.executable, "-m", "pipeline.cli", "verify", "--out", out, path, *flags]
        cpu, started = children_cpu(), time.perf_counter()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(f"assay verify failed: {done.stderr.decode()[-2000:]}")
        elapsed = time.perf_counter() - started
        reap_orphans()
        with open(os.path.join(out, "summary.json")) as fh:
            summary = json.load(fh)
    total = summary["total"]
    return total / elapsed, (children_cpu() - cpu) / total, summary["passed"]


def configs() -> dict[str, list[tuple[str, Callable | tuple[str, ...]]]]:
    ts = TypeScript(VerifyOptions())
    packages = ts._packages()
    node = shutil.which("node") or "node"
    tsc6 = os.path.join(packages.eslint_plugin, "node_modules", "typescript", "lib", "tsc.js")
    flags = plain_flags(packages.types)
    files = list(FILES["typescript"])

    def tsc7(tmp: str) -> list[list[str]]:
        return [[packages.tsc, *flags, *files], [node, "solution.test.js"]]

    def tsc_js(tmp: str) -> list[list[str]]:
        return [[node, tsc6, *flags, *files], [node, "solution.test.js"]]

    def phpunit(tmp: str) -> list[list[str]]:
        return [[shutil.which("phpunit") or "phpunit", "SolutionTest.php"]]

    verify = [("assay verify (defaults)", ()), ("assay verify --no-strength-check", ("--no-strength-check",))]  # fmt: skip
    return {
        "typescript": [
            ("plain: tsc 7 (native) + node, 2 at a time", tsc7),
            ("plain: tsc 6 (JavaScript) + node, 2 at a time", tsc_js),
            *verify,
        ],
        "php": [("plain: phpunit, 2 at a time", phpunit), *verify],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--languages", default="typescript,php")
    parser.add_argument("--skip-tsc6", action="store_true", help="leave out the slow JS tsc")
    parser.add_argument("--out", default="bench/results/ts_php_throughput.json")
    args = parser.parse_args()
    count_orphans()
    chosen = args.languages.split(",")
    table = {k: v for k, v in configs().items() if k in chosen}
    if args.skip_tsc6:
        table["typescript"] = [c for c in table.get("typescript", []) if "tsc 6" not in c[0]]
    runs: dict[str, dict[str, list[list[float]]]] = {
        lang: {name: [] for name, _ in cs} for lang, cs in table.items()
    }
    expected = len(PROGRAMS) * args.repeat
    with tempfile.TemporaryDirectory(prefix="assay-bench-in-") as tmp:
        paths = {}
        for language in table:
            paths[language] = os.path.join(tmp, f"{language}.jsonl")
            with open(paths[language], "w") as fh:
                for sample in samples(language, args.repeat):
                    fh.write(json.dumps(sample) + "\n")
        for round_ in range(args.rounds):
            for language, cs in table.items():
                for name, how in cs:
                    if callable(how):
                        rate, cpu, passed = reference(samples(language, args.repeat), how)
                    else:
                        rate, cpu, passed = assay(paths[language], *how)
                    assert passed == expected, f"{language} {name}: {passed}/{expected} passed"
                    runs[language][name].append([rate, cpu])
                    print(f"round {round_ + 1}, {language}, {expected} samples: {name}: "
                          f"{rate:.1f} samples/s, {cpu * 1000:.0f} ms CPU a sample",
                          file=sys.stderr)  # fmt: skip
    results = {"machine": f"{os.cpu_count()} CPUs", "rounds": args.rounds, "samples": expected}
    for language, table_runs in runs.items():
        ref_name = next(iter(table_runs))
        ref = statistics.median(r for r, _ in table_runs[ref_name])
        print(f"\n{language}: {expected} samples, median of {args.rounds} rounds")
        rows = {}
        for name, values in table_runs.items():
            rate = statistics.median(r for r, _ in values)
            cpu = statistics.median(c for _, c in values)
            rows[name] = {"per_s": round(rate, 2), "cpu_ms": round(cpu * 1000, 1),
                          "vs_first": round(rate / ref, 2), "runs": values}  # fmt: skip
            print(f"  {name:48s} {rate:7.1f}/s  {cpu * 1000:6.0f} ms CPU  x{rate / ref:.2f}")
        results[language] = rows
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
