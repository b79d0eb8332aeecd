"""The local executor: the teacher and one `sandbox.Verifier` in this process (today's path)."""

from __future__ import annotations

import asyncio
from typing import Any

from pipeline.executors import Executor
from sandbox import Sample, Verdict, Verifier, VerifyOptions


class LocalExecutor(Executor):
    name = "local"
    verifier: Verifier | None = None
    options: VerifyOptions | None = None

    async def start(self, options: VerifyOptions) -> None:
        # In this thread: sandbox workers are tied to the thread that starts them.
        self.options = options
        self.verifier = Verifier(options)

    @property
    def slots(self) -> int:
        assert self.options is not None, "start() first"
        return self.options.jobs

    async def verify(self, sample: Sample) -> Verdict:
        assert self.verifier is not None, "start() first"
        # Shielded: cancelling (Ctrl-C) must not cancel the verifier's own future, whose
        # completion callback would then fail; verifier.close() lets it finish.
        return await asyncio.shield(asyncio.wrap_future(self.verifier.submit(sample)))

    async def close(self) -> None:
        if self.verifier is not None:
            await asyncio.to_thread(self.verifier.close)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.name, "jobs": self.options.jobs if self.options else None}
