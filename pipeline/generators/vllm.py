"""vLLM's engine in-process (extra `assay[vllm]`, a GPU machine): the fastest teacher on one box.

Uses the async engine: every pending prompt goes in at once and vLLM's continuous batching packs
them onto the GPU, so there is no batch to wait for. The chat template comes from the model's
tokenizer. `[teacher] engine_args` passes anything else to AsyncEngineArgs (tensor_parallel_size,
gpu_memory_utilization, max_model_len, ...). Not exercised by the tests (no GPU, vllm not installed).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from typing import Any

from pipeline.generators.base import Chat, Completion, Generator, GeneratorError, register


@register("vllm")
class VLLMGenerator(Generator):
    # Each chat goes to the engine as soon as it is asked (up to --concurrency at once); batching
    # here would only make requests wait for the slowest of their batch.
    max_batch = 1

    async def start(self) -> None:
        try:
            from transformers import AutoTokenizer
            from vllm import AsyncEngineArgs, AsyncLLMEngine, SamplingParams
        except ImportError:
            raise GeneratorError(
                "the vllm teacher needs vLLM on a GPU machine: pip install 'assay[vllm]', or run "
                "`vllm serve MODEL` and use --generator openai --base-url http://HOST:8000/v1"
            ) from None
        t, s = self.teacher, self.sampling
        args: dict[str, Any] = {"model": t.model, **t.engine_args}
        if t.dtype != "auto":
            args["dtype"] = t.dtype
        if s.seed is not None:
            args.setdefault("seed", s.seed)
        try:
            self.engine = AsyncLLMEngine.from_engine_args(AsyncEngineArgs(**args))
        except Exception as exc:  # vLLM raises many kinds; all mean "cannot start"
            raise GeneratorError(f"vLLM could not start {t.model!r}: {exc}") from exc
        self.tokenizer = AutoTokenizer.from_pretrained(t.model)
        self.params = SamplingParams(
            temperature=s.temperature, top_p=s.top_p, max_tokens=s.max_tokens, seed=s.seed
        )

    async def generate(self, chats: Sequence[Chat]) -> list[Completion]:
        return list(await asyncio.gather(*(self._one(chat) for chat in chats)))

    async def _one(self, chat: Chat) -> Completion:
        started = time.monotonic()
        prompt = self.tokenizer.apply_chat_template(
            chat, tokenize=False, add_generation_prompt=True
        )
        final = None
        async for output in self.engine.generate(prompt, self.params, uuid.uuid4().hex):
            final = output  # RequestOutput; the last one holds the whole text
        if final is None or not final.outputs:
            raise GeneratorError("vLLM returned no output for a request")
        best = final.outputs[0]
        return Completion(
            text=best.text,
            finish_reason=best.finish_reason or "stop",
            tokens_in=len(final.prompt_token_ids or ()),
            tokens_out=len(best.token_ids),
            seconds=time.monotonic() - started,
        )

    async def close(self) -> None:
        engine = self.__dict__.pop("engine", None)
        shutdown = getattr(engine, "shutdown", None)
        if callable(shutdown):
            shutdown()
