"""What a sample can import, in every backend and isolation: the standard library (beyond what
a worker preloads) and its own solution, with the work dir first on sys.path as pytest's default
import mode puts it. pytest 9's import reads sys.path[0]: a runner that left sys.path empty
rejected every sample with "collection error: IndexError". Weak isolation as root runs the
sample as an unprivileged uid on the host's file system, where the interpreter may sit in a
private directory (this machine's pyenv under /root, mode 700)."""

from __future__ import annotations

import os
import sys

import pytest

from sandbox import Limits, Sample, Verifier, VerifyOptions

SOLUTION = """
import fractions
import statistics


def half_mean(xs):
    return fractions.Fraction(statistics.mean(xs)) / 2
"""
TESTS = """
import decimal
import os
import sys

from solution import half_mean


def test_imports_and_path():
    assert half_mean([1, 3]) == 1
    assert decimal.Decimal("0.5") * 2 == 1
    assert sys.path[0] == os.getcwd()
"""


def _private_interpreter() -> bool:
    """Whether the interpreter's files are out of reach of other users here."""
    path = os.path.realpath(sys.executable)
    while path != "/":
        path = os.path.dirname(path)
        if os.stat(path).st_mode & 0o001 == 0:
            return True
    return False


@pytest.mark.parametrize("isolation", ["full", "weak"])
def test_a_sample_imports_the_standard_library_and_its_solution(backend_name, isolation):
    if backend_name == "docker" and isolation == "weak":
        pytest.skip("weak isolation is the process backend's")
    options = VerifyOptions(
        sandbox=backend_name, isolation=isolation, limits=Limits(timeout_s=30), jobs=1
    )
    with Verifier(options) as verifier:
        (verdict,) = verifier.verify([Sample(solution=SOLUTION, tests=TESTS)])
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.feedback)
    assert verdict.isolation == (isolation if backend_name == "process" else "docker")


@pytest.mark.skipif(os.geteuid() != 0, reason="the sample's uid differs from ours only as root")
def test_weak_isolation_reaches_a_private_interpreter_and_nothing_beside_it():
    """Where the interpreter is private, the sample reads the installation through the
    descriptors its runner holds; the private directory above it stays closed."""
    private = os.path.dirname(os.path.realpath(sys.executable))
    while os.path.dirname(private) != "/" and os.stat(private).st_mode & 0o001:
        private = os.path.dirname(private)
    tests = f"""
import os


def test_private_directory_stays_closed():
    try:
        os.listdir({private!r})
    except PermissionError:
        return
    raise AssertionError("listed the private directory")
"""
    if not _private_interpreter():
        pytest.skip("the interpreter here is readable by every user")
    options = VerifyOptions(isolation="weak", limits=Limits(timeout_s=30), strength_check=False)
    with Verifier(options) as verifier:
        (verdict,) = verifier.verify([Sample(solution="", tests=tests)])
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.feedback)
