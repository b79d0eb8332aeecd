"""The Ray executor, driver side: verifier actors on every node, samples to the one with room.

Each alive node whose Ray CPU resource is not 0 gets one `VerifierActor` (ray_actors.py), pinned
there by node affinity, holding a warm `sandbox.Verifier` with full isolation and one worker per
CPU of that node (`[executor] node_jobs` overrides). A sample goes to the node with the lowest
load per worker among those with room (at most DEPTH samples per worker), so a big node takes more
and no node idles while another queues; samples and verdicts travel in batches (ray_nodes.py).
The driver keeps the revision loop, the run store and the corpus (the engine); only samples and
verdicts cross the network.

Failures: the samples a lost node held (its node died, its actor's process was killed) are sent
again to other nodes. That is safe because the engine records a verdict only once it has one, and never
asks again for a verdict it has recorded. A watcher places actors on nodes that join, and replaces
a lost actor on a node that is still alive. When no node is left for WAIT_FOR_NODES_S, the run
stops with a message; a rerun resumes as after any interruption.

Not handled: the number of problems open at once is sized from the nodes present at start (the
engine's workers), so nodes that join later share the load but do not raise that number.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pipeline.executors import Executor, ExecutorError
from pipeline.executors.ray_errors import import_ray, lost_errors, unwrap
from pipeline.executors.ray_nodes import NodeVerifier
from sandbox import SetupRefused

if TYPE_CHECKING:
    from pipeline.config import ExecutorConfig, SamplingConfig, TeacherConfig
    from pipeline.generators import Generator
    from sandbox import Sample, Verdict, VerifyOptions

DEPTH = 32  # samples per sandbox worker a node holds at once (its verifier batches ruff over them)
WATCH_S = 5.0  # how often the cluster is checked for nodes that joined
START_TIMEOUT_S = 120.0  # for a verifier actor to start (a process, then warm sandbox workers)
WAIT_FOR_NODES_S = 120.0  # how long to wait for a node when every verifier is lost
MAX_LOSSES_PER_NODE = 3  # a node whose actor keeps dying gets no more
PROBE_TIMEOUT_S = 5.0  # to reach the head's port before Ray itself is asked to connect
LOCAL_OBJECT_STORE = 256 << 20  # `ray.init()` on this machine: samples and verdicts are small


def probe(address: str) -> None:
    """Fail in seconds where nothing listens at `address` (ray.init would retry for minutes)."""
    if address in ("", "auto"):
        return  # Ray on this machine: found (or refused) at once
    host, colon, port = address.removeprefix("ray://").rpartition(":")
    if not colon or not port.isdigit() or not host:
        raise ExecutorError(
            f"--ray-address {address!r}: give HOST:PORT (the head's GCS, 6379 by default), "
            "ray://HOST:PORT (Ray Client, 10001 by default) or auto"
        )
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=PROBE_TIMEOUT_S).close()
    except OSError as exc:
        raise ExecutorError(
            f"nothing answers at the Ray address {address} ({exc}): start the head there with "
            "`ray start --head`, or fix --ray-address"
        ) from None


class RayExecutor(Executor):
    name = "ray"

    def __init__(self, config: ExecutorConfig) -> None:
        super().__init__(config)
        self.ray: Any = None
        self.owns_ray = False  # True when this executor started or joined Ray (and leaves it)
        self.nodes: dict[str, NodeVerifier] = {}  # node id -> its live verifier
        self.history: list[NodeVerifier] = []  # every verifier placed, lost ones too
        self.refused: dict[str, str] = {}  # node id -> why it gets no verifier
        self.losses: dict[str, int] = {}
        self.resubmitted = 0
        self.teacher: Generator | None = None
        self.backlog: deque[tuple[Sample, asyncio.Future[Verdict]]] = deque()  # for a node
        self._ticket = 0
        self._no_nodes_since: float | None = None
        self._wake: asyncio.Event | None = None
        self._watcher: asyncio.Task | None = None
        self._starting: dict[str, asyncio.Task] = {}  # node id -> its verifier starting
        self._slots = 0

    # Start-up ---------------------------------------------------------------------------------
    async def start(self, options: VerifyOptions) -> None:
        self.ray = import_ray()
        self.options = options
        self._connect()
        self._wake = asyncio.Event()
        tried = await self._place(first=True)
        if not tried:
            raise ExecutorError(
                f"no node of the Ray cluster at {self.address} has a CPU for the sandbox (nodes "
                "started with --num-cpus 0 get no verifier): start workers with `ray start "
                "--address HEAD:6379`, or give a node CPUs"
            )
        if not self.nodes:
            raise ExecutorError(
                f"no verifier started on the {tried} node(s) of the Ray cluster at "
                f"{self.address} within {START_TIMEOUT_S:.0f} s: see the nodes' logs "
                "(/tmp/ray/session_latest/logs), then rerun"
            )
        self._slots = sum(n.jobs for n in self.nodes.values())
        self._watcher = asyncio.create_task(self._watch())

    @property
    def address(self) -> str:
        return self.config.address or "this machine"

    def _connect(self) -> None:
        ray = self.ray
        if ray.is_initialized():  # an embedding program (or a test) connected already
            return
        common = {"log_to_driver": False, "logging_level": logging.WARNING}
        probe(self.config.address)
        try:
            if self.config.address:
                ray.init(address=self.config.address, **common)
            else:
                # "local": a new instance for this run, even where one runs already (`auto`).
                ray.init(
                    address="local",
                    include_dashboard=False,
                    object_store_memory=LOCAL_OBJECT_STORE,
                    **common,
                )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ExecutorError(
                f"cannot join the Ray cluster at {self.address}: {str(exc).rstrip('.')}. Start "
                "one with `ray start --head`, or pass its address: --ray-address HOST:6379 (or "
                "auto, or ray://HOST:10001)"
            ) from None
        self.owns_ray = True

    async def _place(self, first: bool = False) -> int:
        """Start a verifier actor on each alive node with CPUs that has none, nor one starting.
        `first`: wait for them, and stop at a node that refuses the sandbox (as on one machine,
        before any work); later, such a node is left out with a warning. Returns how many nodes
        got an actor to start."""
        tasks = []
        for node in await asyncio.to_thread(self.ray.nodes):
            node_id = node["NodeID"]
            cpus = int(node.get("Resources", {}).get("CPU", 0))
            if not node.get("Alive") or cpus < 1:
                continue
            if node_id in self.nodes or node_id in self.refused or node_id in self._starting:
                continue
            ip = node.get("NodeManagerAddress", "")
            task = asyncio.create_task(
                self._start_on(node_id, ip, self.config.node_jobs or cpus, first)
            )
            self._starting[node_id] = task
            task.add_done_callback(lambda _, node_id=node_id: self._starting.pop(node_id, None))
            tasks.append(task)
        if first:
            await asyncio.gather(*tasks)
        return len(tasks)

    async def _start_on(self, node_id: str, ip: str, jobs: int, first: bool) -> None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        from pipeline.executors.ray_actors import VerifierActor

        handle = VerifierActor.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False),
            num_cpus=0,  # placed whatever else holds the node's CPUs; its workers use them
        ).remote()
        try:
            ready = handle.start.remote(replace(self.options, jobs=jobs))
            await asyncio.wait_for(ready, START_TIMEOUT_S)
        except (TimeoutError, *lost_errors()):
            self._kill(handle)  # the node went away, or gave the actor no process: next round
            return
        except BaseException as exc:
            self._kill(handle)
            if not isinstance(exc, Exception):
                raise  # cancelled
            cause = unwrap(exc)
            why = f"Ray node {ip} ({node_id[:8]}): {cause}"
            self.refused[node_id] = why
            if first:
                error = SetupRefused if isinstance(cause, SetupRefused) else ExecutorError
                raise error(why) from None
            logging.getLogger("assay").warning("no verifier on %s; it gets no samples", why)
            return
        verifier = NodeVerifier(node_id, ip, jobs, handle, self._dispatch, self._lose)
        verifier.start()
        self.nodes[node_id] = verifier
        self.history.append(verifier)
        self._dispatch()

    async def _watch(self) -> None:
        """Place verifiers on nodes that joined, and anew on alive nodes whose actor was lost."""
        assert self._wake is not None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), WATCH_S)
            self._wake.clear()
            self._give_up_without_nodes()
            try:
                await self._place()
            except Exception as exc:  # the GCS briefly unreachable: try again at the next round
                logging.getLogger("assay").warning(
                    "could not list the Ray cluster's nodes: %s", exc
                )

    # The teacher --------------------------------------------------------------------------------
    def generator(self, teacher: TeacherConfig, sampling: SamplingConfig) -> Generator:
        from pipeline.executors.ray_teacher import RayTeacher, placement

        replicas, gpus = placement(self.config, teacher, self.ray.cluster_resources())
        if replicas == 0:
            return super().generator(teacher, sampling)
        self.teacher = RayTeacher(teacher, sampling, replicas, gpus)
        return self.teacher

    # Verification -------------------------------------------------------------------------------
    @property
    def slots(self) -> int:
        return self._slots

    async def verify(self, sample: Sample) -> Verdict:
        future: asyncio.Future[Verdict] = asyncio.get_running_loop().create_future()
        self.backlog.append((sample, future))
        self._dispatch()
        return await future

    def _dispatch(self) -> None:
        """Samples from the backlog to the nodes with room, the least loaded per worker first.
        Synchronous: nothing else runs in the event loop meanwhile, so no lock is needed."""
        while self.backlog:
            free = [v for v in self.nodes.values() if v.load < DEPTH * v.jobs]
            if not free:
                return
            node = min(free, key=lambda v: v.load / v.jobs)
            sample, future = self.backlog.popleft()
            if not future.done():  # not cancelled meanwhile
                self._ticket += 1
                node.send(self._ticket, sample, future)

    def _lose(self, verifier: NodeVerifier) -> None:
        """Its samples go to other nodes; the watcher looks for a node for a new actor."""
        if self.nodes.get(verifier.node_id) is verifier:
            del self.nodes[verifier.node_id]
        self.losses[verifier.node_id] = self.losses.get(verifier.node_id, 0) + 1
        if self.losses[verifier.node_id] >= MAX_LOSSES_PER_NODE:
            self.refused[verifier.node_id] = "its verifier was lost too often"
        back = verifier.take_back()
        self.resubmitted += len(back)
        self.backlog.extendleft(reversed(back))
        asyncio.get_running_loop().create_task(verifier.stop())
        self._kill(verifier.handle)
        assert self._wake is not None
        self._wake.set()
        self._dispatch()

    def _give_up_without_nodes(self) -> None:
        """With no node left for WAIT_FOR_NODES_S, waiting samples fail: the run stops."""
        if self.nodes or not self.backlog:
            self._no_nodes_since = None
            return
        now = time.monotonic()
        if self._no_nodes_since is None:
            self._no_nodes_since = now
        elif now - self._no_nodes_since > WAIT_FOR_NODES_S:
            error = ExecutorError(
                f"no node of the Ray cluster at {self.address} is left to verify on (waited "
                f"{WAIT_FOR_NODES_S:.0f} s for one to join): add nodes, then rerun the same "
                "command to resume"
            )
            while self.backlog:
                _, future = self.backlog.popleft()
                if not future.done():
                    future.set_exception(error)

    def _kill(self, handle: Any) -> None:
        with contextlib.suppress(Exception):
            self.ray.kill(handle, no_restart=True)

    # Shutdown -----------------------------------------------------------------------------------
    async def close(self) -> None:
        pending = [t for t in (self._watcher, *self._starting.values()) if t is not None]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if self.ray is None or not self.ray.is_initialized():
            return
        live = list(self.nodes.values())
        self.nodes.clear()
        await asyncio.gather(*(v.stop() for v in live), return_exceptions=True)
        for verifier in live:
            self._kill(verifier.handle)
        if self.owns_ray:
            self.ray.shutdown()

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.name,
            "address": self.config.address or "local",
            "nodes": [v.describe() for v in self.history],
            "resubmitted": self.resubmitted,
        }
        if self.refused:
            out["refused"] = dict(self.refused)
        if self.teacher is not None:
            out["teacher"] = self.teacher.describe()
        return out
