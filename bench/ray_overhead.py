"""The Ray executor's overhead on one machine: the same `assay run`, local executor vs Ray.

The whole loop of bench/loop_throughput.py (an instant scripted teacher, half the problems needing
one revision; seeds, prompts, the run store, the sandbox with full isolation, the corpus), run by
the local executor (`--jobs N`, N = this machine's CPUs) and by the Ray executor on a one-node Ray
instance with N CPUs (one verifier actor, N workers), in interleaved rounds. Ray is started once,
as on a cluster where it runs before `assay run`; its own start is reported apart, and so is the
CPU its daemons use while idle (during the local rounds). Per round:

    wall_s     engine.run() from start to end: the executor's start included
    steady_s   from the executor ready to the end: what a long run's throughput sees
    cpu_s      CPU time of everything the run used (this process, Ray's daemons and actors, the
               sandbox), from a cgroup of its own (cgroup v1 cpuacct, as root; else left out):
               steadier than wall time on a machine others use too
    steady_cpu_s   the same from the executor ready to the end

Run: .venv/bin/python bench/ray_overhead.py [--problems 600] [--rounds 5] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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


class CpuMeter:
    """CPU seconds used by this process and everything it starts (Ray's daemons included): a
    cpuacct cgroup of its own, entered at once, so its children are born in it."""

    def __init__(self) -> None:
        self.path = f"/sys/fs/cgroup/cpuacct/assay-bench-{os.getpid()}"
        try:
            os.makedirs(self.path, exist_ok=True)
            with open(os.path.join(self.path, "cgroup.procs"), "w") as fh:
                fh.write(str(os.getpid()))
        except OSError:
            self.path = ""

    def usage(self) -> float | None:
        if not self.path:
            return None
        with open(os.path.join(self.path, "cpuacct.usage")) as fh:
            return int(fh.read()) / 1e9

    def close(self) -> None:
        if self.path:
            with open("/sys/fs/cgroup/cpuacct/cgroup.procs", "w") as fh:
                fh.write(str(os.getpid()))
            with contextlib.suppress(OSError):  # a straggler of Ray's still in it
                os.rmdir(self.path)


def one_run(kind: str, seeds: str, run_dir: str, problems: int, jobs: int, meter: CpuMeter) -> dict:
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
    ready_cpu: list[float | None] = []

    async def timed_start(options):
        await start(options)
        ready.append(time.perf_counter())
        ready_cpu.append(meter.usage())

    engine.executor.start = timed_start  # type: ignore[method-assign]
    cpu = meter.usage()
    began = time.perf_counter()
    stats = asyncio.run(engine.run())
    ended = time.perf_counter()
    assert stats.accepted == problems, stats
    cpu_s = steady_cpu_s = None
    if cpu is not None:
        cpu_s, steady_cpu_s = round(meter.usage() - cpu, 3), round(meter.usage() - ready_cpu[0], 3)
    return {
        "executor": kind,
        "wall_s": round(ended - began, 3),
        "steady_s": round(ended - ready[0], 3),
        "cpu_s": cpu_s,
        "steady_cpu_s": steady_cpu_s,
        "sandbox_runs": stats.verified,
        "samples_per_s": round(problems / (ended - began), 2),
        "steady_samples_per_s": round(problems / (ended - ready[0]), 2),
    }


def _pairs(rounds: list[dict]) -> list[tuple[dict, dict]]:
    """(ray, local) of each round."""
    by_round: dict[int, dict[str, dict]] = {}
    for r in rounds:
        by_round.setdefault(r["round"], {})[r["executor"]] = r
    return [(pair["ray"], pair["local"]) for pair in by_round.values()]


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


def interleaved(problems: int, rounds: int, jobs: int, meter: CpuMeter) -> dict:
    """Ray started once, then local and Ray runs in turns (which goes first alternates)."""
    import ray

    began = time.perf_counter()
    ray.init(
        address="local",
        num_cpus=jobs,
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.WARNING,
    )
    try:
        ray_start = time.perf_counter() - began
        node = ray._private.worker._global_node
        daemons = [p.process.pid for infos in node.all_processes.values() for p in infos]
        runs: list[dict] = []
        idle_cpu = idle_wall = 0.0
        with tempfile.TemporaryDirectory() as root:
            seeds = write_seeds(os.path.join(root, "seeds.jsonl"), problems)
            one_run("local", seeds, os.path.join(root, "warm-local"), 10, jobs, meter)  # caches
            one_run("ray", seeds, os.path.join(root, "warm-ray"), 10, jobs, meter)
            for i in range(rounds):
                for kind in ("local", "ray") if i % 2 == 0 else ("ray", "local"):
                    cpu0 = cpu_seconds(daemons)
                    run_dir = os.path.join(root, f"{kind}-{i}")
                    result = one_run(kind, seeds, run_dir, problems, jobs, meter)
                    if kind == "local":
                        idle_cpu += cpu_seconds(daemons) - cpu0
                        idle_wall += result["wall_s"]
                    runs.append({"round": i, **result})
                    print(json.dumps(runs[-1]), flush=True)
    finally:
        ray.shutdown()
    return {
        "ray_init_s": round(ray_start, 2),
        "ray_daemons_idle_cpu_share": round(idle_cpu / idle_wall, 4) if idle_wall else None,
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default=None, help="write the JSON result here too")
    args = parser.parse_args()
    jobs = len(os.sched_getaffinity(0))
    meter = CpuMeter()
    try:
        measured = interleaved(args.problems, args.rounds, jobs, meter)
    finally:
        meter.close()
    rounds = measured["runs"]

    def median(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in rounds if r["executor"] == kind)

    ratios = {
        key: [
            round(ray_run[key] / local_run[key], 3)
            for ray_run, local_run in _pairs(rounds)
            if ray_run[key] is not None
        ]
        for key in ("wall_s", "steady_s", "cpu_s", "steady_cpu_s")
    }
    summary = {
        "problems": args.problems,
        "jobs": jobs,
        "rounds": args.rounds,
        "ray_init_s": measured["ray_init_s"],
        "ray_daemons_idle_cpu_share": measured["ray_daemons_idle_cpu_share"],
        "median_wall_s": {k: median(k, "wall_s") for k in ("local", "ray")},
        "median_steady_s": {k: median(k, "steady_s") for k in ("local", "ray")},
        # The median of each round's ratio: a round's two runs saw the same load of the machine.
        **{
            f"ray_vs_local_{key.removesuffix('_s')}": (
                round(statistics.median(ratios[key]), 3) if ratios[key] else None
            )
            for key in ("wall_s", "steady_s", "cpu_s", "steady_cpu_s")
        },
        "ratios_by_round": ratios,
        "each_round": rounds,
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "each_round"}, indent=2))
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(summary, fh, indent=2)


if __name__ == "__main__":
    main()
