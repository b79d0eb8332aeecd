"""assay's untrusted side: the only place generated code runs.

    from sandbox import Sample, verify
    verdicts = verify([Sample(solution=..., tests=...)])

`sandbox` never imports `pipeline`. The names below are loaded when first used, so that a sandbox
worker, which imports `sandbox.fastpath` and never the verifier, stays small: each sample's runner
is a fork of it, and a fork costs by the page.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.isolation.base import SetupRefused
    from sandbox.options import Limits, OptionsError, VerifyOptions
    from sandbox.pool import VERIFIER_VERSION, Verifier
    from sandbox.records import STAGES, LintMessage, Sample, TestCase, TestSummary, Verdict

_WHERE = {
    "SetupRefused": "sandbox.isolation.base",
    "Limits": "sandbox.options",
    "OptionsError": "sandbox.options",
    "VerifyOptions": "sandbox.options",
    "VERIFIER_VERSION": "sandbox.pool",
    "Verifier": "sandbox.pool",
    "STAGES": "sandbox.records",
    "LintMessage": "sandbox.records",
    "Sample": "sandbox.records",
    "TestCase": "sandbox.records",
    "TestSummary": "sandbox.records",
    "Verdict": "sandbox.records",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sandbox' has no attribute {name!r}")


def verify(samples: Iterable[Sample], options: VerifyOptions | None = None) -> list[Verdict]:
    """Verify `samples` and return their verdicts in order (a pool lives for this call only;
    keep a `Verifier` open to verify many batches on warm workers)."""
    from sandbox.pool import Verifier

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
