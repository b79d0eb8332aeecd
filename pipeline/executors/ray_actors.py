"""The code that runs on Ray's nodes: a warm verifier per node and teacher replicas.

Ray imports this module in its worker processes, on every node: assay (the same version as the
driver's) must be installed there. Both actors are asyncio actors, so many calls are in flight in
each at once. Neither is restarted by Ray (`max_restarts=0`): a restart would land on the same
node, which may be the one that is gone; the driver replaces a lost actor itself and sends its
calls elsewhere (ray_cluster.py). Nothing here writes the run store or the corpus.
"""

from __future__ import annotations

import asyncio
import functools
import os
from typing import TYPE_CHECKING, Any

import ray

if TYPE_CHECKING:
    from pipeline.config import SamplingConfig, TeacherConfig
    from pipeline.generators import Chat, Completion
    from sandbox import Sample, Verdict, VerifyOptions


# A batch waits up to LINGER_S for more samples (verdicts) only while the node holds at least
# BUSY samples per worker, so batching never starves a worker nor delays the last verdicts.
LINGER_S = 0.05
BUSY = 2


def _where() -> dict[str, Any]:
    context = ray.get_runtime_context()
    return {"node_id": context.get_node_id(), "pid": os.getpid()}


@ray.remote(max_restarts=0, max_task_retries=0)
class VerifierActor:
    """One node's `sandbox.Verifier`: full isolation, `options.jobs` warm workers. Samples come in
    batches (`submit`) and verdicts leave in batches (`collect`), each tagged with the driver's
    ticket: one Ray call per batch, not per sample (ray_nodes.py)."""

    def __init__(self) -> None:
        self.verifier = None
        self.finished: list[tuple[int, Verdict | None, BaseException | None]] = []
        self.ready = asyncio.Event()
        self.pending = 0  # submitted, not finished
        self.jobs = 1

    async def start(self, options: VerifyOptions) -> dict[str, Any]:
        """Start the workers; raises the sandbox's own SetupRefused where the node refuses."""
        from sandbox import Verifier

        self.verifier = Verifier(options)  # waits for the first worker: refusals come out here
        self.jobs = options.jobs
        return {**_where(), "jobs": options.jobs}

    async def submit(self, batch: list[tuple[int, Sample]]) -> None:
        assert self.verifier is not None, "start() first"
        self.pending += len(batch)
        for ticket, sample in batch:
            future = asyncio.wrap_future(self.verifier.submit(sample))
            future.add_done_callback(functools.partial(self._finish, ticket))

    def _finish(self, ticket: int, future: asyncio.Future) -> None:
        self.pending -= 1
        if future.cancelled():
            return
        error = future.exception()
        self.finished.append((ticket, None if error else future.result(), error))
        self.ready.set()

    async def collect(self) -> list[tuple[int, Verdict | None, BaseException | None]]:
        """Every verdict finished since the last call; waits for one if there is none."""
        await self.ready.wait()
        if self.pending >= BUSY * self.jobs:  # the workers have plenty: gather more per call
            await asyncio.sleep(LINGER_S)
        self.ready.clear()
        finished, self.finished = self.finished, []
        return finished

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
