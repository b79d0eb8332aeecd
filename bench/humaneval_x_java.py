"""Java verification throughput on HumanEval-X: `assay verify` against CodeGeeX's way of judging.

The reference is CodeGeeX's harness: each canonical solution's prompt + solution + test in one
file, `javac Main.java` then `java Main` (exit status 0 passes), fresh per sample, no isolation,
2 at a time. assay is `assay verify --format humaneval-x` at its default flags: full isolation,
javac -Xlint in the box (one warm JVM per chunk of samples), each sample's tests in a fresh JVM
in the box under JUnit 5's semantics, and the strength check's stubbed solution compiled and run
too. Both on all 164 records, in interleaved rounds; medians and their ratio.
`--no-strength-check` is timed too, to show what the second run costs.

`--ablation N` times the parts on the host (CPU seconds, no sandbox) over N records and their
stubs, each optimisation switched off in turn: the batch compile against javac per sample; the
JVM flags of the compile and of the test run (the client compiler only, the serial
collector); the fast path against JUnit Jupiter's engine. Each stays
only if its own A/B gains at least 5%.

    .venv/bin/python bench/humaneval_x_java.py [--rounds 3] [--ablation 40] [--out bench/results/java.json]
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import _humaneval_x as hx  # noqa: E402
from pipeline.humaneval_x_java import convert  # noqa: E402
from sandbox.languages.java import build  # noqa: E402
from sandbox.languages.java.stub import stub_solution  # noqa: E402


# The reference ----------------------------------------------------------------------------------
def reference_one(record: dict) -> bool:
    with tempfile.TemporaryDirectory(prefix="codegeex-") as work:
        with open(os.path.join(work, "Main.java"), "w") as fh:
            fh.write(record["prompt"] + record["canonical_solution"] + "\n" + record["test"])
        built = subprocess.run(["javac", "Main.java"], cwd=work, capture_output=True)
        if built.returncode != 0:
            return False
        try:
            ran = subprocess.run(["java", "Main"], cwd=work, capture_output=True, timeout=10)
        except subprocess.TimeoutExpired:
            return False
        return ran.returncode == 0


# Ablation -----------------------------------------------------------------------------------------
def cpu_of(run: callable) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def without(flags: tuple[str, ...], *names: str) -> tuple[str, ...]:
    return tuple(f for f in flags if not any(name in f for name in names))


def ablation(rows: list[dict], count: int) -> dict[str, dict[str, float]]:
    """CPU seconds per sample (a record and its stub) of the compile and of the test runs."""
    java, javac = "/usr/bin/java", "/usr/bin/javac"
    shared = build.shared_dir(java, javac)
    jobs = []
    for record in rows[:count]:
        solution, tests = convert(record, record["canonical_solution"])
        jobs += [
            {"Solution.java": solution, "SolutionTest.java": tests},
            {"Solution.java": stub_solution(solution), "SolutionTest.java": tests},
        ]
    compile_flags = {
        "default": build.JVM_FLAGS,
        "tiered (C1 and C2)": without(build.JVM_FLAGS, "TieredStopAtLevel"),
        "G1 collector": without(build.JVM_FLAGS, "UseSerialGC"),
    }
    run_flags = {
        "default (fast path)": (build.JVM_FLAGS, ()),
        "JUnit Jupiter's engine": (build.JVM_FLAGS, ("--jupiter",)),
        "tiered (C1 and C2)": (without(build.JVM_FLAGS, "TieredStopAtLevel"), ()),
        "G1 collector": (without(build.JVM_FLAGS, "UseSerialGC"), ()),
    }
    compiled: dict[str, float] = dict.fromkeys([*compile_flags, "javac per sample"], 0.0)
    ran: dict[str, float] = dict.fromkeys(run_flags, 0.0)
    with tempfile.TemporaryDirectory(prefix="assay-ablation-") as work:
        Path(work, "jobs.assay").write_bytes(build.jobs_file(jobs, "SolutionTest.java"))
        bundles: list[str] = []
        for name, flags in compile_flags.items():
            argv = [java, *flags, "-cp", f"{shared}/{build.CLASSES}", "assay.CompileMain",
                    "jobs.assay", "60", "-classpath", build.compile_classpath(),
                    *build.JAVAC_OPTIONS]  # fmt: skip
            messages: list[dict] = []
            compiled[name] = cpu_of(
                lambda a=argv, m=messages: m.extend(build.run_with_channel(a, work))
            )
            bundles = [m["bundle"] for m in messages if m.get("t") == "compiled"]
        for job in jobs:  # javac per sample: a cold JVM each (the same flags, the JDK's archive)
            for file, text in job.items():
                Path(work, file).write_text(text)
            argv = [javac, *(f"-J{f}" for f in build.JVM_FLAGS), "-d", "out", "-cp",
                    build.compile_classpath(), *build.JAVAC_OPTIONS, *job]  # fmt: skip
            compiled["javac per sample"] += cpu_of(
                lambda a=argv: subprocess.run(a, cwd=work, capture_output=True, check=True)
            )
        for bundle in bundles:
            Path(work, "classes.assay").write_text(bundle)
            for name, (flags, extra) in run_flags.items():  # interleaved: noise hits all alike
                argv = [java, *flags, "-cp", build.run_classpath(shared), "assay.TestMain", *extra]
                ran[name] += cpu_of(lambda a=argv: build.run_with_channel(a, work, ok=(0, 1)))
    return {
        "compile_cpu_s_per_sample": {k: v / count for k, v in compiled.items()},
        "runs_cpu_s_per_sample": {k: v / count for k, v in ran.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ablation", type=int, default=0, metavar="N", help="records to time")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "java.json"))
    args = parser.parse_args()
    rows = hx.records("java.jsonl.gz")
    results: dict[str, object] = {"samples": len(rows), "cpus": len(os.sched_getaffinity(0))}
    if args.rounds:
        with tempfile.TemporaryDirectory(prefix="assay-bench-in-") as directory:
            path = hx.write_records(rows, directory, "java.jsonl.gz")
            # Java/32's tests are weak: the one rejection.
            reference = functools.partial(hx.two_at_a_time, reference_one, rows)
            results.update(hx.side_by_side(path, reference, args.rounds))
    if args.ablation:
        parts = ablation(rows, args.ablation)
        results.update(parts)
        for title, cpu in parts.items():
            default = next(iter(cpu.values()))
            print(
                f"\n| {title} ({args.ablation} records) | CPU s | vs default |\n| --- | --- | --- |"
            )
            for name, value in cpu.items():
                print(f"| {name} | {value:.3f} | {value / default - 1:+.0%} |")
    hx.save(results, args.out)


if __name__ == "__main__":
    main()
