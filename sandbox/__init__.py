"""assay's untrusted side: the only place generated code runs.

    from sandbox import Sample, verify
    verdicts = verify([Sample(solution=..., tests=...)])

`sandbox` never imports `pipeline`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sandbox.isolation.base import SetupRefused
from sandbox.options import Limits, OptionsError, VerifyOptions
from sandbox.pool import VERIFIER_VERSION, Verifier
from sandbox.records import STAGES, LintMessage, Sample, TestCase, TestSummary, Verdict


def verify(samples: Iterable[Sample], options: VerifyOptions | None = None) -> list[Verdict]:
    """Verify `samples` and return their verdicts in order (a pool lives for this call only;
    keep a `Verifier` open to verify many batches on warm workers)."""
    with Verifier(options) as verifier:
        return list(verifier.verify(samples))


__all__ = [
    "STAGES",
    "VERIFIER_VERSION",
    "Limits",
    "LintMessage",
    "OptionsError",
    "Sample",
    "SetupRefused",
    "TestCase",
    "TestSummary",
    "Verdict",
    "Verifier",
    "VerifyOptions",
    "verify",
]
