"""Limits through cgroups, as the process backend uses them: per-sample numbers from a per-worker
cgroup, nothing left behind."""

from __future__ import annotations

import os
import time

import pytest

from sandbox import Limits, Sample, Verifier, VerifyOptions
from sandbox.isolation import cgroups

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for cgroups")

ADD = "def add(a, b):\n    return a + b\n"
TESTS = "from solution import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
HOG = "HOG = b'x' * (120 << 20)\n\n\n" + ADD


def _leftovers() -> list[str]:
    """This process's `assay-PID-N` cgroups, in every hierarchy the backend uses."""
    version = cgroups.Cgroups._detect()
    parents = (
        [cgroups.ROOT, cgroups.ROOT + cgroups._own_path(None)]
        if version == 2
        else [
            os.path.join(cgroups.ROOT, c + cgroups._own_path(c).rstrip("/"))
            for c in ("memory", "pids")
        ]
    )
    return [
        os.path.join(parent, entry)
        for parent in parents
        for entry in os.listdir(parent)
        if entry.startswith(f"assay-{os.getpid()}-")
    ]


def test_peak_memory_is_each_samples_own():
    options = VerifyOptions(jobs=1, strength_check=False, limits=Limits(memory_mb=256))
    with Verifier(options) as verifier:
        small, big, small_again = verifier.verify(
            [Sample(solution=s, tests=TESTS) for s in (ADD, HOG, ADD)]
        )
    assert small.passed and big.passed and small_again.passed
    assert big.max_rss_mb >= 120
    # The worker's cgroup outlives samples: the peak must be reset for each, not carried over.
    assert small_again.max_rss_mb < big.max_rss_mb - 80, (small.max_rss_mb, small_again.max_rss_mb)


def test_the_memory_limit_holds_sample_after_sample():
    options = VerifyOptions(jobs=1, strength_check=False, limits=Limits(memory_mb=96))
    with Verifier(options) as verifier:
        verdicts = list(verifier.verify([Sample(solution=s, tests=TESTS) for s in (HOG, ADD, HOG)]))
    assert [v.stage for v in verdicts] == ["memory", "passed", "memory"]


def test_no_cgroup_is_left_behind():
    before = set(_leftovers())  # other tests' verifiers may still be running
    with Verifier(VerifyOptions(jobs=2)) as verifier:
        assert all(v.passed for v in verifier.verify([Sample(solution=ADD, tests=TESTS)] * 4))
        assert set(_leftovers()) - before  # the workers' subtrees exist while they run
    assert set(_leftovers()) - before == set()


def test_a_killed_verifiers_cgroup_is_removed_but_never_one_just_made():
    # A verifier's cgroup is named by its pid; one whose pid is gone was killed, unless it was made
    # moments ago by a verifier this process cannot see (another pid namespace, another node).
    version = cgroups.Cgroups._detect()
    parent = (
        cgroups.ROOT + cgroups._own_path(None)
        if version == 2
        else os.path.join(cgroups.ROOT, "memory" + cgroups._own_path("memory").rstrip("/"))
    )
    dead = os.path.join(parent, "assay-4999999-1")  # above the kernel's largest pid
    os.mkdir(dead)
    try:
        cgroups.Cgroups.remove_stale(parent)
        assert os.path.isdir(dead)
        an_hour_ago = time.time() - 3600
        os.utime(dead, (an_hour_ago, an_hour_ago))
        cgroups.Cgroups.remove_stale(parent)
        assert not os.path.exists(dead)
    finally:
        if os.path.isdir(dead):
            os.rmdir(dead)
