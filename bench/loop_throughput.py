"""Samples/s through the whole `assay run` loop with an instant scripted teacher.

Everything but the model is real: seeds, prompts, the run store, the sandbox, the corpus. Half the
problems pass at once, half need one revision (a wrong value fixed after feedback), so the number
covers the revision path too. Run: .venv/bin/python bench/loop_throughput.py [--problems N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pipeline.config import RunConfig  # noqa: E402
from pipeline.engine import Engine  # noqa: E402

SOLUTION = '''
def scale_{n}(xs: list[int]) -> list[int]:
    """Multiply each item by {n}."""
    return [x * {factor} for x in xs]
'''
TESTS = """
from solution import scale_{n}


def test_scale():
    assert scale_{n}([1, 2]) == [{n}, {twice}]
    assert scale_{n}([]) == []
"""


def teacher(chat: list[dict[str, str]]) -> str:
    """Problem n: scale by n; odd n first answers with a wrong factor, then fixes it."""
    n = int(re.search(r"(?:seed|problem) (\d+)", chat[0]["content"]).group(1))
    if "inspired by this snippet" in chat[0]["content"]:
        return f"[problem {n}] Write scale_{n}(xs) that multiplies every item of xs by {n}."
    revised = any(m["role"] == "assistant" for m in chat)
    factor = n + 1 if n % 2 and not revised else n
    solution = SOLUTION.format(n=n, factor=factor)
    tests = TESTS.format(n=n, twice=2 * n)
    return f"```python\n{solution.strip()}\n```\n\n```python\n{tests.strip()}\n```\n"


def bench(problems: int, jobs: int, root: str) -> dict:
    seeds = os.path.join(root, f"seeds-{jobs}.jsonl")
    with open(seeds, "w") as fh:
        for n in range(2, problems + 2):
            fh.write(json.dumps({"code": f"# seed {n}"}) + "\n")
    config = RunConfig.model_validate(
        {
            "run_dir": os.path.join(root, f"run-{jobs}"),
            "problems": problems,
            "max_revisions": 1,
            "progress": False,
            "seeds": {"path": seeds},
            "teacher": {"generator": "scripted", "model": f"{__file__}:teacher", "concurrency": 64},
            "verifier": {"jobs": jobs},
        }
    )
    engine = Engine(config)
    started = time.perf_counter()
    stats = asyncio.run(engine.run())
    wall = time.perf_counter() - started
    assert stats.accepted == problems, stats
    return {
        "jobs": jobs,
        "problems": problems,
        "sandbox_runs": stats.verified,
        "wall_s": round(wall, 2),
        "samples_per_s": round(stats.accepted / wall, 2),
        "sandbox_runs_per_s": round(stats.verified / wall, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=60)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        for jobs in args.jobs:
            print(json.dumps(bench(args.problems, jobs, root)))


if __name__ == "__main__":
    main()
