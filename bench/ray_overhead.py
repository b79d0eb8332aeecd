"""The Ray executor's overhead on one machine: the same `assay run`, local executor vs Ray.

The whole loop of bench/loop_throughput.py (an instant scripted teacher, half the problems needing
one revision; seeds, prompts, the run store, the sandbox with full isolation, the corpus), run by
the local executor (`--jobs N`, N = this machine's CPUs) and by the Ray executor on a one-node Ray
instance with N CPUs (one verifier actor, N workers), in interleaved rounds. Ray is started once,
as on a cluster where it runs before `assay run`; its own start is reported apart, and so is the
CPU its daemons use while idle (during the local rounds). Per round:

    wall_s     engine.run() from start to end: the executor's start included
    steady_s   from the executor ready to the end: what a long run's throughput sees

Run: .venv/bin/python bench/ray_overhead.py [--problems 120] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pipeline.config import RunConfig  # noqa: E402
from pipeline.engine import Engine  # noqa: E402

TEACHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "loop_throughput.py:teacher")


def write_seeds(path: str, problems: int) -> str:
    with open(path, "w") as fh:
        for n in range(2, problems + 2):
            fh.write(json.dumps({"code": f"# seed {n}"}) + "\n")
    return path


def one_run(kind: str, seeds: str, run_dir: str, problems: int, jobs: int) -> dict:
    executor = {"kind": kind}
    config = RunConfig.model_validate(
        {
            "run_dir": run_dir,
            "problems": problems,
            "max_revisions": 1,
            "progress": False,
            "seeds": {"path": seeds},
            "teacher": {"generator": "scripted", "model": TEACHER, "concurrency": 64},
            "verifier": {"jobs": jobs},
            "executor": executor,
        }
    )
    engine = Engine(config)
    start = engine.executor.start
    ready: list[float] = []

    async def timed_start(options):
        await start(options)
        ready.append(time.perf_counter())

    engine.executor.start = timed_start  # type: ignore[method-assign]
    began = time.perf_counter()
    stats = asyncio.run(engine.run())
    ended = time.perf_counter()
    assert stats.accepted == problems, stats
    return {
        "executor": kind,
        "wall_s": round(ended - began, 3),
        "steady_s": round(ended - ready[0], 3),
        "sandbox_runs": stats.verified,
        "samples_per_s": round(problems / (ended - began), 2),
        "steady_samples_per_s": round(problems / (ended - ready[0]), 2),
    }


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (what Ray's daemons burn)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default=None, help="write the JSON result here too")
    args = parser.parse_args()
    jobs = len(os.sched_getaffinity(0))

    import ray

    began = time.perf_counter()
    ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)  # fmt: skip
    ray_start = time.perf_counter() - began
    node = ray._private.worker._global_node
    daemons = [p.process.pid for infos in node.all_processes.values() for p in infos]

    rounds: list[dict] = []
    idle_cpu = idle_wall = 0.0
    with tempfile.TemporaryDirectory() as root:
        seeds = write_seeds(os.path.join(root, "seeds.jsonl"), args.problems)
        one_run("local", seeds, os.path.join(root, "warm-local"), 10, jobs)  # caches, bytecode
        one_run("ray", seeds, os.path.join(root, "warm-ray"), 10, jobs)
        for i in range(args.rounds):
            order = ("local", "ray") if i % 2 == 0 else ("ray", "local")
            for kind in order:
                cpu0 = cpu_seconds(daemons)
                result = one_run(
                    kind, seeds, os.path.join(root, f"{kind}-{i}"), args.problems, jobs
                )
                if kind == "local":
                    idle_cpu += cpu_seconds(daemons) - cpu0
                    idle_wall += result["wall_s"]
                rounds.append({"round": i, **result})
                print(json.dumps(rounds[-1]), flush=True)
    ray.shutdown()

    def median(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in rounds if r["executor"] == kind)

    summary = {
        "problems": args.problems,
        "jobs": jobs,
        "rounds": args.rounds,
        "ray_init_s": round(ray_start, 2),
        "ray_daemons_idle_cpu_share": round(idle_cpu / idle_wall, 4) if idle_wall else None,
        "median_wall_s": {k: median(k, "wall_s") for k in ("local", "ray")},
        "median_steady_s": {k: median(k, "steady_s") for k in ("local", "ray")},
        "ray_vs_local_wall": round(median("ray", "wall_s") / median("local", "wall_s"), 3),
        "ray_vs_local_steady": round(median("ray", "steady_s") / median("local", "steady_s"), 3),
        "each_round": rounds,
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "each_round"}, indent=2))
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(summary, fh, indent=2)


if __name__ == "__main__":
    main()
