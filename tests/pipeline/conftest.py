"""Fixtures of the pipeline tests: a tiny model built here (tiny_student.py), a scripted run, and
a directory locked by another process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.pipeline import languages

# The test language `snake` (and Python's stand-in while the sandbox has no Python language module).
languages.install()


@pytest.fixture(scope="session")
def tiny_student(tmp_path_factory) -> str:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tests.pipeline.tiny_student import build

    return build(str(tmp_path_factory.mktemp("tiny-student")))


SCENARIO_SEEDS = [
    "right-1", "wrong_value-2", "undefined_name-3", "never_fixed-4",
    "wrong_test-5", "right-6", "infinite_loop-7", "right-8",
]  # fmt: skip


@pytest.fixture(scope="session")
def scripted_run(tmp_path_factory) -> str:
    """A finished `assay run` of the scripted teacher: 8 problems, 7 accepted (one never fixed)."""
    from pipeline.cli import main
    from tests.pipeline.scenarios import write_seeds

    root = tmp_path_factory.mktemp("scripted-run")
    seeds = write_seeds(str(root / "seeds.jsonl"), SCENARIO_SEEDS)
    run_dir = str(root / "run")
    status = main(
        ["run", "--generator", "scripted", "--model", "tests.pipeline.scenarios:teacher",
         "--seeds", seeds, "--problems", "8", "--max-revisions", "1", "--run-dir", run_dir,
         "--no-progress", "--json", "--jobs", "2", "--timeout", "3"]
    )  # fmt: skip
    assert status == 0
    return run_dir


@pytest.fixture
def locked_elsewhere():
    """`lock(path)`: another process holds assay's lock on the directory `path` (as a second
    assay command on it would find it) until the test ends; returns that process's pid."""
    holders: list[subprocess.Popen] = []

    def lock(path) -> int:
        code = (
            "import time\nfrom pipeline import dirlock\n"
            f"dirlock.hold({str(path)!r}, '--out')\nprint('held', flush=True)\ntime.sleep(120)\n"
        )
        holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        holders.append(holder)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        return holder.pid

    yield lock
    for holder in holders:
        holder.kill()
        holder.wait()
