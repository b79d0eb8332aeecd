"""The resource limits of a sandboxed run: a small typed record that crosses into the sandbox's
workers (its wire form is a plain dict of its fields), so it needs nothing but `typing`."""

from __future__ import annotations

from typing import NamedTuple

# A day: a run's deadline is a time of day the wire and the kernel's timers must hold.
MAX_TIMEOUT_S = 86400


class OptionsError(ValueError):
    """A verifier option has a value that cannot work; the message says how to fix it."""


class Limits(NamedTuple):
    """Resource limits of one sandboxed run."""

    timeout_s: float = 10.0
    cpu_s: float | None = None  # default: the wall timeout
    memory_mb: int = 1024
    processes: int = 128  # processes and threads together
    open_files: int = 256
    file_size_mb: int = 64
    disk_mb: int = 128  # size of the work directory (tmpfs), /tmp included
    inodes: int = 4096
    output_bytes: int = 1 << 20  # per stream; more is an `output` rejection
    keep_output_bytes: int = 4096  # how much of each stream a verdict keeps

    def to_wire(self) -> dict[str, object]:
        return self._asdict()

    @classmethod
    def from_wire(cls, data: dict[str, object]) -> Limits:
        return cls(**data)  # type: ignore[arg-type]

    def validate(self) -> None:
        if not 0 < self.timeout_s <= MAX_TIMEOUT_S:  # nan and inf too
            raise OptionsError(
                f"--timeout must be positive and at most {MAX_TIMEOUT_S} s, got {self.timeout_s}"
            )
        if self.memory_mb < 32:
            raise OptionsError(f"--memory must be at least 32 MB, got {self.memory_mb}")
        if self.processes < 4:
            raise OptionsError(f"--max-processes must be at least 4, got {self.processes}")
