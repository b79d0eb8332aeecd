"""The teacher as Ray actors: `replicas` copies of the configured generator, spread over nodes.

For `--generator vllm` each replica is vLLM's AsyncLLMEngine on one GPU group: the actor holds
`gpus` GPUs (tensor_parallel_size x pipeline_parallel_size of `[teacher] engine_args` by default)
and vLLM runs its tensor-parallel workers as processes on them, so a group is one node's GPUs. By
default there is one replica per group the cluster has. Any other generator can be placed in
replicas too (`[executor] teacher_replicas`); the tests do so with the scripted teacher. An
OpenAI-compatible endpoint needs none: the driver calls it as on one machine.

A chat goes to the replica with the fewest calls in flight. A replica that is lost takes its calls
with it, unanswered and so unrecorded: they go to another replica, and a new one is started.
Not exercised here with vLLM (no GPU on the test machine): the actor plumbing is, with the
scripted teacher.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipeline.executors import ExecutorError
from pipeline.executors.ray_errors import import_ray, lost_errors, unwrap
from pipeline.generators import Chat, Completion, Generator, GeneratorError, lookup

if TYPE_CHECKING:
    from pipeline.config import ExecutorConfig, SamplingConfig, TeacherConfig

REPLICA_START_TIMEOUT_S = 1800.0  # a big model's weights load for minutes


def placement(
    config: ExecutorConfig, teacher: TeacherConfig, resources: dict[str, float]
) -> tuple[int, float]:
    """(replicas, GPUs per replica) for this teacher on a cluster with `resources` in all."""
    if teacher.generator != "vllm":
        return config.teacher_replicas or 0, config.teacher_gpus or 0.0
    args = teacher.engine_args
    gpus = config.teacher_gpus
    if gpus is None:
        gpus = float(
            int(args.get("tensor_parallel_size", 1)) * int(args.get("pipeline_parallel_size", 1))
        )
    total = resources.get("GPU", 0.0)
    replicas = config.teacher_replicas
    if replicas is None:
        replicas = int(total // gpus) if gpus else 1
        if replicas == 0:
            raise ExecutorError(
                f"the vllm teacher needs {gpus:g} GPUs per replica and the Ray cluster has "
                f"{total:g}: add GPU nodes (`ray start --address HEAD:6379 --num-gpus N`), lower "
                "tensor_parallel_size, or serve the model elsewhere (`vllm serve`) and use "
                "--generator openai --base-url"
            )
    elif replicas * gpus > total:
        raise ExecutorError(
            f"[executor] teacher_replicas = {replicas} x {gpus:g} GPUs, but the Ray cluster has "
            f"{total:g} GPUs: lower teacher_replicas or add GPU nodes"
        )
    return replicas, gpus


@dataclass
class Replica:
    handle: Any
    node_id: str = ""
    pid: int = 0
    load: int = 0
    answered: int = 0
    lost: bool = False

    def describe(self) -> dict[str, Any]:
        return {"node_id": self.node_id, "answered": self.answered, "lost": self.lost}


@dataclass
class _Pool:
    live: list[Replica] = field(default_factory=list)
    every: list[Replica] = field(default_factory=list)


class RayTeacher(Generator):
    """A generator whose calls go to teacher actors; batches stay whole (`max_batch` of the
    configured generator)."""

    name = "ray-replicas"

    def __init__(
        self, teacher: TeacherConfig, sampling: SamplingConfig, replicas: int, gpus: float
    ) -> None:
        super().__init__(teacher, sampling)
        self.max_batch = lookup(teacher.generator).max_batch  # type: ignore[misc]
        self.replicas = replicas
        self.gpus = gpus
        self.room = max(1, math.ceil(teacher.concurrency / replicas))  # calls per replica
        self.pool = _Pool()
        self.relaunched = 0
        self._changed: asyncio.Event | None = None  # set when a replica has room or joined
        self._starting: set[asyncio.Task] = set()
        self._launch_error: BaseException | None = None

    async def start(self) -> None:
        self.ray = import_ray()
        self._changed = asyncio.Event()
        started = await asyncio.gather(
            *(self._launch() for _ in range(self.replicas)), return_exceptions=True
        )
        errors = [e for e in started if isinstance(e, BaseException)]
        if errors:
            raise errors[0]

    async def _launch(self) -> Replica:
        """One more replica, spread over the nodes; GeneratorError when it cannot start."""
        from pipeline.executors.ray_actors import TeacherActor

        handle = TeacherActor.options(
            num_cpus=0, num_gpus=self.gpus, scheduling_strategy="SPREAD"
        ).remote()
        replica = Replica(handle)
        try:
            ready = handle.start.remote(self.teacher, self.sampling)
            info = await asyncio.wait_for(ready, REPLICA_START_TIMEOUT_S)
        except TimeoutError:
            self._kill(replica)
            raise GeneratorError(
                f"a teacher replica on Ray did not start within {REPLICA_START_TIMEOUT_S:.0f} s "
                f"(it needs {self.gpus:g} GPUs on one node; `ray status` shows what is free)"
            ) from None
        except Exception as exc:
            self._kill(replica)
            cause = unwrap(exc)
            if isinstance(cause, GeneratorError):
                raise GeneratorError(f"a teacher replica on Ray: {cause}") from None
            raise GeneratorError(f"a teacher replica on Ray could not start: {cause}") from None
        replica.node_id, replica.pid = info["node_id"], info["pid"]
        self.pool.live.append(replica)
        self.pool.every.append(replica)
        assert self._changed is not None
        self._changed.set()
        return replica

    async def generate(self, chats: Sequence[Chat]) -> list[Completion]:
        while True:
            replica = await self._acquire()
            try:
                answers = await replica.handle.generate.remote(list(chats))
            except lost_errors():
                self._lose(replica)
                continue  # never stored, so asking again elsewhere repeats nothing recorded
            except Exception as exc:
                raise unwrap(exc) from None  # GeneratorError, RequestRefused: as on one machine
            finally:
                replica.load -= 1
                assert self._changed is not None
                self._changed.set()
            replica.answered += len(answers)
            return answers

    async def _acquire(self) -> Replica:
        assert self._changed is not None, "start() first"
        while True:  # no await between looking and taking: one event loop, no lock needed
            free = [r for r in self.pool.live if r.load < self.room]
            if free:
                replica = min(free, key=lambda r: r.load)
                replica.load += 1
                return replica
            if not self.pool.live and not self._starting:
                raise GeneratorError(
                    f"every teacher replica on Ray is lost and none could be started again: "
                    f"{self._launch_error}"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), 1.0)

    def _lose(self, replica: Replica) -> None:
        """Drop it and start another in its place (elsewhere, if its node is gone)."""
        if replica.lost:
            return
        replica.lost = True
        self.pool.live.remove(replica)
        self._kill(replica)
        self.relaunched += 1
        task = asyncio.create_task(self._launch())
        self._starting.add(task)
        task.add_done_callback(self._launched)

    def _launched(self, task: asyncio.Task) -> None:
        self._starting.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._launch_error = task.exception()
        assert self._changed is not None
        self._changed.set()

    def _kill(self, replica: Replica) -> None:
        with contextlib.suppress(Exception):
            self.ray.kill(replica.handle, no_restart=True)

    async def close(self) -> None:
        for task in list(self._starting):
            task.cancel()
        await asyncio.gather(*self._starting, return_exceptions=True)
        live = list(self.pool.live)
        self.pool.live.clear()
        with contextlib.suppress(Exception):
            stops = [r.handle.stop.remote() for r in live]
            await asyncio.wait_for(asyncio.gather(*stops, return_exceptions=True), 60)
        for replica in live:
            self._kill(replica)

    def describe(self) -> dict[str, Any]:
        return {
            "generator": self.teacher.generator,
            "gpus_per_replica": self.gpus,
            "replicas": [r.describe() for r in self.pool.every],
            "relaunched": self.relaunched,
        }
