"""A verifier per backend, shared by the sandbox tests, and helpers to look at the host."""

from __future__ import annotations

import dataclasses
import os
import time

import pytest

from sandbox import Limits, Sample, Verdict, Verifier, VerifyOptions
from sandbox.languages import Prechecked
from sandbox.requests import RunRequest

# A value only the caller's environment holds: no sample may ever see it.
CANARY_SECRET = "assay-canary-7f3c9e1d"

ATTACK_LIMITS = Limits(timeout_s=6.0, memory_mb=256, processes=64, disk_mb=32, inodes=2000)


@pytest.fixture(scope="module")
def full_verifier(backend_name: str):
    """Every check on, a timeout that leaves room for a build (Go, Python under pytest)."""
    options = VerifyOptions(sandbox=backend_name, jobs=2, limits=Limits(timeout_s=10.0))
    with Verifier(options) as verifier:
        yield verifier


@pytest.fixture(scope="session")
def verifier(backend_name: str):
    os.environ["ASSAY_CANARY_SECRET"] = CANARY_SECRET
    os.environ["OPENAI_API_KEY"] = CANARY_SECRET
    try:
        options = VerifyOptions(
            sandbox=backend_name, jobs=2, limits=ATTACK_LIMITS, strength_check=False
        )
        with Verifier(options) as v:
            yield v
    finally:
        os.environ.pop("ASSAY_CANARY_SECRET", None)
        os.environ.pop("OPENAI_API_KEY", None)


@pytest.fixture(scope="module")
def zygote_verifier():
    """One worker, no strength check: each sample's one run goes through the worker's zygote."""
    options = VerifyOptions(jobs=1, strength_check=False, limits=Limits(timeout_s=10))
    with Verifier(options) as verifier:
        yield verifier


def quick_runs(verifier: Verifier, sample: Sample, count: int = 40) -> tuple[list[str], float]:
    """`count` copies of `sample` (ids of their own) verified in a row: their stages, and the
    seconds they took."""
    samples = [dataclasses.replace(sample, id=f"quick-{i}") for i in range(count)]
    started = time.monotonic()
    stages = [verdict.stage for verdict in verifier.verify(samples)]
    return stages, time.monotonic() - started


def run_one(verifier: Verifier, solution: str, tests: str) -> Verdict:
    (verdict,) = verifier.verify([Sample(solution=solution, tests=tests)])
    return verdict


def processes_with(marker: str) -> list[int]:
    """Host pids whose command line contains `marker` (the test's own process excluded)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                if marker.encode() in fh.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


def wait_until_gone(marker: str, seconds: float = 3.0) -> list[int]:
    end = time.monotonic() + seconds
    while (pids := processes_with(marker)) and time.monotonic() < end:
        time.sleep(0.05)
    return pids


def python_request(
    sample: Sample, limits: Limits, stub: str | None = None, fast: bool = True
) -> RunRequest:
    """The run the verifier asks for a Python sample (the stub's phase after it, if given)."""
    from sandbox.languages.python.language import Python

    language = Python(VerifyOptions(limits=limits, fast_path=fast))
    return language.request(sample, Prechecked(), stub)
