"""One node's verifier actor as the driver sees it: samples out in batches, verdicts back in batches.

A Ray call costs about a millisecond of CPU between the two ends, as much as a sandbox run on the
fast path, so one call per sample would halve throughput on a small node. Instead two loops run
per node: the sender ships every sample that arrived while its previous call was under way (one
call, `submit`), and the collector fetches every verdict finished since its previous call (one
call, `collect`, which waits until there is one). Batches grow with the load and shrink to one
sample when the cluster is idle; a verdict never waits for a slower sample of its batch.

When either call fails because the actor or its node is gone, `on_lost` gets the node back with
the samples it held (`waiting`), to be sent elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from pipeline.executors.ray_actors import BUSY, LINGER_S
from pipeline.executors.ray_errors import lost_errors, unwrap

if TYPE_CHECKING:
    from sandbox import Sample, Verdict


class NodeVerifier:
    """The verifier actor of one node, its queue and its counts."""

    def __init__(
        self,
        node_id: str,
        ip: str,
        jobs: int,
        handle: Any,
        on_change: Callable[[], None],
        on_lost: Callable[[NodeVerifier], None],
    ) -> None:
        self.node_id, self.ip, self.jobs, self.handle = node_id, ip, jobs, handle
        self.on_change, self.on_lost = on_change, on_lost
        self.waiting: dict[int, tuple[Sample, asyncio.Future[Verdict]]] = {}  # sent, unanswered
        self.outbox: list[tuple[int, Sample]] = []
        self.verified = 0
        self.calls = 0  # Ray calls made for samples and verdicts (batches, both ways)
        self.lost = False
        self._wake = asyncio.Event()
        self._loops: list[asyncio.Task] = []

    @property
    def load(self) -> int:
        return len(self.waiting)

    def start(self) -> None:
        self._loops = [asyncio.create_task(self._send()), asyncio.create_task(self._collect())]

    def send(self, ticket: int, sample: Sample, future: asyncio.Future[Verdict]) -> None:
        self.waiting[ticket] = (sample, future)
        self.outbox.append((ticket, sample))
        self._wake.set()

    async def _send(self) -> None:
        with self._failures():
            while True:
                await self._wake.wait()
                if self.load - len(self.outbox) >= BUSY * self.jobs:
                    await asyncio.sleep(LINGER_S)  # the node has plenty: gather more per call
                self._wake.clear()
                batch, self.outbox = self.outbox, []
                if batch:
                    self.calls += 1
                    await self.handle.submit.remote(batch)

    async def _collect(self) -> None:
        with self._failures():
            while True:
                self.calls += 1
                for ticket, verdict, error in await self.handle.collect.remote():
                    _, future = self.waiting.pop(ticket, (None, None))
                    if future is None or future.done():
                        continue  # cancelled meanwhile (Ctrl-C)
                    if error is not None:
                        future.set_exception(error)
                    else:
                        self.verified += 1
                        future.set_result(verdict)
                self.on_change()

    @contextlib.contextmanager
    def _failures(self) -> Iterator[None]:
        try:
            yield
        except lost_errors():
            if not self.lost:
                self.lost = True
                self.on_lost(self)
        except Exception as exc:  # the verifier itself failed: as on one machine, the run stops
            for _, future in self.waiting.values():
                if not future.done():
                    future.set_exception(unwrap(exc))

    def take_back(self) -> list[tuple[Sample, asyncio.Future[Verdict]]]:
        """The samples this node holds that still wait for a verdict, now no longer its own."""
        back = [(s, f) for s, f in self.waiting.values() if not f.done()]
        self.waiting.clear()
        self.outbox.clear()
        return back

    async def stop(self) -> None:
        """End both loops, then close the actor's workers cleanly (their cgroups removed)."""
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        if not self.lost:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.handle.stop.remote(), 30)

    def describe(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "ip": self.ip,
            "jobs": self.jobs,
            "verified": self.verified,
            "calls": self.calls,
            "lost": self.lost,
        }
