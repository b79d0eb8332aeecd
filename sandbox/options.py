"""Verifier options, parsed once and passed down (STYLE 7)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from sandbox.limits import Limits, OptionsError

# Rules that reject a sample: real bugs, not style. Prefixes as ruff takes them.
DEFAULT_LINT_REJECT = (
    "F821",  # undefined name
    "F822",  # undefined name in __all__
    "F823",  # local variable referenced before assignment
    "F632",  # `is` comparison with a literal
    "F633",  # `>>` used with print
    "F701",  # break outside loop
    "F702",  # continue outside loop
    "F704",  # yield outside function
    "F706",  # return outside function
    "F707",  # bare except not last
    "E9",  # syntax and io errors
    "PLE",  # pylint errors (e.g. nonlocal/global misuse, bad str methods)
)
# Rules reported to the teacher without rejecting.
DEFAULT_LINT_WARN = ("E4", "E7", "F", "B")


def default_jobs() -> int:
    """Sandbox workers by default: one per CPU this process may run on (its affinity, which a
    container's cpuset or `taskset` narrows), not the machine's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class VerifyOptions:
    sandbox: str = "process"  # process | docker
    isolation: str = "full"  # full | weak (asked for by name only)
    jobs: int = field(default_factory=default_jobs)
    limits: Limits = field(default_factory=Limits)
    lint_select: tuple[str, ...] = DEFAULT_LINT_REJECT
    lint_warn: tuple[str, ...] = DEFAULT_LINT_WARN
    lint_ignore: tuple[str, ...] = ()
    strength_check: bool = True
    # Plain test modules run on the fast path (pytest semantics, not pytest's machinery); anything
    # else, and every failure, runs under pytest itself. Process backend, full isolation only.
    fast_path: bool = True
    max_source_bytes: int = 1 << 20

    def validate(self) -> None:
        if self.sandbox not in ("process", "docker"):
            raise OptionsError(f"--sandbox must be process or docker, got {self.sandbox!r}")
        if self.isolation not in ("full", "weak"):
            raise OptionsError(f"--isolation must be full or weak, got {self.isolation!r}")
        if self.jobs < 1:
            raise OptionsError(f"--jobs must be at least 1, got {self.jobs}")
        self.limits.validate()
        lint = (self.lint_select, self.lint_warn, self.lint_ignore)
        if lint != (DEFAULT_LINT_REJECT, DEFAULT_LINT_WARN, ()):  # the defaults are known good
            from sandbox.languages.python.checks import lint_codes_problem

            if problem := lint_codes_problem(self):
                raise OptionsError(f"--lint-select/--lint-ignore: ruff refuses them: {problem}")
