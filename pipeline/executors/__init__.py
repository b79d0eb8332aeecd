"""Where a run's teacher calls and sandbox runs happen: this process, or a Ray cluster.

The engine asks an executor for three things: a teacher (`generator`), a verdict for a sample
(`verify`) and how many samples it can verify at once (`slots`). Everything else stays with the
engine in the driver process, whichever executor runs: the revision loop, the run store and the
corpus (the single writer: SQLite, append-only, fsynced), so resume after kill -9 is the same.

    local  the teacher and a `sandbox.Verifier` in this process (the default; the sequential path)
    ray    a warm verifier actor on every node of a Ray cluster, teacher replicas as actors
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from pipeline.config import ExecutorConfig, SamplingConfig, TeacherConfig
    from pipeline.generators import Generator
    from sandbox import Sample, Verdict, VerifyOptions


class ExecutorError(RuntimeError):
    """The executor cannot run (Ray missing, a cluster unreachable); the message says the fix."""


class Executor:
    """The seam between the engine and the machines that do the work."""

    name: ClassVar[str] = ""

    def __init__(self, config: ExecutorConfig) -> None:
        self.config = config

    async def start(self, options: VerifyOptions) -> None:
        """Connect and start warm verifiers; everything that can fail fails here."""

    def generator(self, teacher: TeacherConfig, sampling: SamplingConfig) -> Generator:
        """The teacher this executor calls (not started; the engine starts it after `start`)."""
        from pipeline.generators import create

        return create(teacher, sampling)

    @property
    def slots(self) -> int:
        """Samples that can be in the sandbox at once (sizes how many problems stay open)."""
        raise NotImplementedError

    async def verify(self, sample: Sample) -> Verdict:
        raise NotImplementedError

    async def close(self) -> None:
        """Stop what `start` started; safe to call when `start` failed half-way."""

    def describe(self) -> dict[str, Any]:
        """What ran where, for the run's summary."""
        return {"kind": self.name}


def create(config: ExecutorConfig) -> Executor:
    if config.kind == "ray":
        from pipeline.executors.ray_cluster import RayExecutor

        return RayExecutor(config)
    from pipeline.executors.local import LocalExecutor

    return LocalExecutor(config)


__all__ = ["Executor", "ExecutorError", "create"]
