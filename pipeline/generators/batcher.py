"""Single chats gathered into batches, for generators that answer a batch at once (`max_batch` >
1, as the transformers generator): `assay run`'s slots ask one chat each, and a batch goes out when
it is full or the first chat in it has waited `linger_s`."""

from __future__ import annotations

import asyncio
import time

from pipeline.generators.base import Chat, Completion, Generator


class Batcher:
    """One generator's batches: `ask` takes one chat and returns its completion."""

    def __init__(self, generator: Generator, linger_s: float = 0.02) -> None:
        self.generator = generator
        self.linger_s = linger_s
        self.queue: asyncio.Queue[tuple[Chat, asyncio.Future[Completion]]] = asyncio.Queue()
        self.task: asyncio.Task | None = None

    async def ask(self, chat: Chat) -> Completion:
        if self.task is None:
            self.task = asyncio.create_task(self._serve())
        future: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        await self.queue.put((chat, future))
        return await future

    async def _serve(self) -> None:
        while True:
            batch = [await self.queue.get()]
            deadline = time.monotonic() + self.linger_s
            while len(batch) < self.generator.max_batch:
                try:
                    timeout = max(0.0, deadline - time.monotonic())
                    batch.append(await asyncio.wait_for(self.queue.get(), timeout))
                except TimeoutError:
                    break
            live = [(chat, fut) for chat, fut in batch if not fut.done()]
            if not live:
                continue
            try:
                answers = await self.generator.generate([chat for chat, _ in live])
            except Exception as exc:
                for _, fut in live:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for (_, fut), answer in zip(live, answers, strict=True):
                if not fut.done():
                    fut.set_result(answer)

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
