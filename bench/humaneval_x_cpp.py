"""C++ verification throughput on HumanEval-X: `assay verify` against CodeGeeX's way of judging.

The reference is CodeGeeX's harness: each canonical solution's prompt + solution + test in one
file, `g++ -std=c++11 test.cpp` then `./a.out` (exit status 0 passes), fresh per sample, no
isolation, 2 at a time. assay is `assay verify --format humaneval-x` at its default flags: full
isolation, the compile in the box with warnings, AddressSanitizer and UBSan, and the strength
check's second run of the same test binary with the stub's switch on. Both on the same records
(the three that need Boost or OpenSSL left out: both harnesses fail them), in interleaved rounds;
medians and their ratio. `--no-strength-check` is timed too, to show what the second run costs.

`--ablation` times the compile step alone (CPU seconds, on the host, no sandbox) over some of the
records under each of the sandbox's compile optimisations switched off in turn: the precompiled
prelude, the `extern template` containers, the prebuilt harness library with gold, -g1. Each stays
only if its own A/B gains at least 5%.

    .venv/bin/python bench/humaneval_x_cpp.py [--rounds 3] [--ablation 40] [--out bench/results/cpp.json]
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import _humaneval_x as hx  # noqa: E402
from pipeline.humaneval_x_cpp import NEEDS_LIBRARIES, convert  # noqa: E402
from sandbox.languages.cpp import build, compiler  # noqa: E402


def records() -> list[dict]:
    return [r for r in hx.records("cpp.jsonl.gz") if r["task_id"] not in NEEDS_LIBRARIES]


# The reference ----------------------------------------------------------------------------------
def reference_one(record: dict) -> bool:
    with tempfile.TemporaryDirectory(prefix="codegeex-") as work:
        source = os.path.join(work, "test.cpp")
        with open(source, "w") as fh:
            fh.write(record["prompt"] + record["canonical_solution"] + record["test"])
        built = subprocess.run(["g++", "-std=c++11", "test.cpp"], cwd=work, capture_output=True)
        if built.returncode != 0:
            return False
        try:
            ran = subprocess.run(["./a.out"], cwd=work, capture_output=True, timeout=10)
        except subprocess.TimeoutExpired:
            return False
        return ran.returncode == 0


# Ablation of the compile step ---------------------------------------------------------------------
def cpu_of(argv: list[str], cwd: str) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:6])}...: {done.stderr[-1500:]}")
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def variant_dir(base: str, name: str, flags: tuple[str, ...], extern: bool, gxx: str) -> str:
    """A shared directory as build.py makes it, with other flags or without the extern block."""
    out = os.path.join(base, name)
    os.makedirs(out)
    for file in os.listdir(build.BOX_SOURCES):
        shutil.copy(os.path.join(build.BOX_SOURCES, file), out)
    if not extern:
        prelude = Path(out, "prelude.hpp")
        prelude.write_text(
            prelude.read_text().replace("ASSAY_CONTAINERS(ASSAY_EXTERN_TEMPLATE)", "")
        )
    common = [gxx, *flags, "-Wall"]
    cpu_of([*common, "-x", "c++-header", "prelude.hpp", "-o", "prelude.hpp.gch"], out)
    cpu_of([*common, "-fPIC", "-shared", f"-Wl,-soname,{build.HARNESS_LIB}", "harness.cpp",
            "-o", build.HARNESS_LIB], out)  # fmt: skip
    cpu_of([*common, "-c", "harness.cpp", "-o", "harness.o"], out)
    cpu_of([*common, "-c", "main.cpp", "-o", "main.o"], out)
    return out


def compile_argv(
    shared: str, flags: tuple[str, ...], pch: bool, library: bool, gxx: str
) -> list[str]:
    argv = [gxx, *flags, *compiler.WARNINGS, *compiler.DIAGNOSTIC_FORMAT, "-pipe"]
    if pch:
        argv += ["-include", f"{shared}/prelude.hpp"]
    argv += ["test_solution.cpp", f"{shared}/main.o"]
    if library:
        argv += ["-fuse-ld=gold", f"{shared}/{build.HARNESS_LIB}", f"-Wl,-rpath,{shared}"]
    else:
        argv += [f"{shared}/harness.o"]
    return [*argv, "-o", "test_solution"]


def ablation(rows: list[dict], count: int) -> dict[str, float]:
    gxx = shutil.which("g++") or "g++"
    g_full = tuple("-g" if f == "-g1" else f for f in build.FLAGS)
    with tempfile.TemporaryDirectory(prefix="assay-ablation-") as base:
        shared = variant_dir(base, "default", build.FLAGS, True, gxx)
        no_extern = variant_dir(base, "no-extern", build.FLAGS, False, gxx)
        debug = variant_dir(base, "g", g_full, True, gxx)
        variants = {
            "default": compile_argv(shared, build.FLAGS, True, True, gxx),
            "no precompiled prelude": compile_argv(shared, build.FLAGS, False, True, gxx),
            "no extern templates": compile_argv(no_extern, build.FLAGS, True, True, gxx),
            "harness object, ld.bfd": compile_argv(shared, build.FLAGS, True, False, gxx),
            "-g instead of -g1": compile_argv(debug, g_full, True, True, gxx),
        }
        totals = dict.fromkeys(variants, 0.0)
        for record in rows[:count]:
            solution, tests = convert(record, record["canonical_solution"])
            with tempfile.TemporaryDirectory(dir=base) as work:
                Path(work, "solution.hpp").write_text(solution)
                Path(work, "test_solution.cpp").write_text(tests)
                for name, argv in variants.items():  # interleaved: noise hits all alike
                    totals[name] += cpu_of(argv, work)
    return {name: total / count for name, total in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ablation", type=int, default=0, metavar="N", help="records to compile")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "cpp.json"))
    args = parser.parse_args()
    rows = records()
    results: dict[str, object] = {"samples": len(rows), "cpus": len(os.sched_getaffinity(0))}
    if args.rounds:
        with tempfile.TemporaryDirectory(prefix="assay-bench-in-") as directory:
            path = hx.write_records(rows, directory, "cpp.jsonl.gz")
            # CPP/32's tests are weak: the one rejection.
            reference = functools.partial(hx.two_at_a_time, reference_one, rows)
            results.update(hx.side_by_side(path, reference, args.rounds))
    if args.ablation:
        cpu = ablation(rows, args.ablation)
        results["compile_cpu_s"] = cpu
        print(f"\n| compile step ({args.ablation} records) | CPU s per compile | vs default |")
        print("| --- | --- | --- |")
        for name, value in cpu.items():
            print(f"| {name} | {value:.3f} | {value / cpu['default'] - 1:+.0%} |")
    hx.save(results, args.out)


if __name__ == "__main__":
    main()
