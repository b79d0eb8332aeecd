"""The code that runs on Ray's nodes: a warm verifier per node and teacher replicas.

Ray imports this module in its worker processes, on every node: assay (the same version as the
driver's) must be installed there. Both actors are asyncio actors, so many calls are in flight in
each at once. Neither is restarted by Ray (`max_restarts=0`): a restart would land on the same
node, which may be the one that is gone; the driver replaces a lost actor itself and sends its
calls elsewhere (ray_cluster.py). Nothing here writes the run store or the corpus.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

import ray

if TYPE_CHECKING:
    from pipeline.config import SamplingConfig, TeacherConfig
    from pipeline.generators import Chat, Completion
    from sandbox import Sample, Verdict, VerifyOptions


def _where() -> dict[str, Any]:
    context = ray.get_runtime_context()
    return {"node_id": context.get_node_id(), "pid": os.getpid()}


@ray.remote(max_restarts=0, max_task_retries=0)
class VerifierActor:
    """One node's `sandbox.Verifier`: full isolation, `options.jobs` warm workers."""

    def __init__(self) -> None:
        self.verifier = None

    async def start(self, options: VerifyOptions) -> dict[str, Any]:
        """Start the workers; raises the sandbox's own SetupRefused where the node refuses."""
        from sandbox import Verifier

        self.verifier = Verifier(options)  # waits for the first worker: refusals come out here
        return {**_where(), "jobs": options.jobs}

    async def verify(self, sample: Sample) -> Verdict:
        assert self.verifier is not None, "start() first"
        return await asyncio.wrap_future(self.verifier.submit(sample))

    async def stop(self) -> None:
        if self.verifier is not None:
            await asyncio.to_thread(self.verifier.close)
            self.verifier = None

    async def where(self) -> dict[str, Any]:
        return _where()


@ray.remote(max_restarts=0, max_task_retries=0)
class TeacherActor:
    """One replica of the configured teacher (e.g. vLLM's AsyncLLMEngine on this actor's GPUs)."""

    def __init__(self) -> None:
        self.generator = None

    async def start(self, teacher: TeacherConfig, sampling: SamplingConfig) -> dict[str, Any]:
        from pipeline.generators import create

        if teacher.generator == "vllm":
            # Tensor-parallel workers as processes on this node's GPUs (those Ray gave this
            # actor), not as further Ray actors, which would wait for the GPUs this actor holds.
            args = {"distributed_executor_backend": "mp", **teacher.engine_args}
            teacher = teacher.model_copy(update={"engine_args": args})
        self.generator = create(teacher, sampling)
        await self.generator.start()
        return _where()

    async def generate(self, chats: list[Chat]) -> list[Completion]:
        assert self.generator is not None, "start() first"
        return await self.generator.generate(chats)

    async def stop(self) -> None:
        if self.generator is not None:
            await self.generator.close()
            self.generator = None
