"""A local or hub model run in-process with Hugging Face transformers, for CPU and small GPUs.

Prompts are gathered into batches (`batch_size`) and rendered with the model's chat template
(`complete` feeds plain prompts to a base model, with stop strings); `generate` runs in a worker thread so verification goes on meanwhile. Extra `assay[transformers]`.
Not handled: multi-GPU sharding, quantisation (use the vllm backends for scale).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from typing import Any

from pipeline.generators.base import (
    Chat,
    Completion,
    Generator,
    GeneratorError,
    cut_at_stop,
    register,
)

# Used when a model has no chat template of its own (base models).
FALLBACK_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


@register("transformers")
class TransformersGenerator(Generator):
    @property
    def max_batch(self) -> int:  # type: ignore[override]
        return self.teacher.batch_size

    async def start(self) -> None:
        await asyncio.to_thread(self._load)

    def _load(self) -> None:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError:
            raise GeneratorError(
                "the transformers teacher needs torch and transformers: "
                "pip install 'assay[transformers]'"
            ) from None
        hf_logging.disable_progress_bar()  # assay draws its own progress
        model_id = self.teacher.model
        try:
            tokenizer = AutoTokenizer.from_pretrained(model_id)
            dtype: Any = (
                "auto" if self.teacher.dtype == "auto" else getattr(torch, self.teacher.dtype)
            )
            model = AutoModelForCausalLM.from_pretrained(model_id, dtype=dtype)
        except (OSError, ValueError) as exc:
            raise GeneratorError(
                f"cannot load model {model_id!r} with transformers: {exc}. Give a local model "
                "directory or a hub id (the hub must be reachable on first use)"
            ) from None
        device = self.teacher.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.torch = torch
        self.device = device
        self.model = model.to(device).eval()
        tokenizer.padding_side = "left"  # decoder-only models continue from the right edge
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self._native_template = bool(getattr(tokenizer, "chat_template", None))
        if not self._native_template:
            tokenizer.chat_template = FALLBACK_TEMPLATE
        self.tokenizer = tokenizer
        self._lock = threading.Lock()

    async def generate(self, chats: Sequence[Chat]) -> list[Completion]:
        return await asyncio.to_thread(self._generate, list(chats))

    async def complete(self, prompts: Sequence[str], stop: Sequence[str] = ()) -> list[Completion]:
        answers = await asyncio.to_thread(self._run, list(prompts), True, list(stop))
        return [cut_at_stop(answer, stop) for answer in answers]

    def has_chat_template(self) -> bool | None:
        return getattr(self, "_native_template", None)

    def _generate(self, chats: list[Chat]) -> list[Completion]:
        tok = self.tokenizer
        texts = [
            tok.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in chats
        ]
        return self._run(texts, False, [])

    def _run(self, texts: list[str], special: bool, stop: list[str]) -> list[Completion]:
        """Generate from rendered texts; `special` adds the tokenizer's BOS (plain prompts)."""
        started = time.monotonic()
        tok, torch, s = self.tokenizer, self.torch, self.sampling
        batch = tok(texts, return_tensors="pt", padding=True, add_special_tokens=special)
        # Only what a decoder's generate takes: tokenizers of BERT-like lineage add
        # token_type_ids, which transformers 4.x's generate refuses.
        batch = {k: batch[k].to(self.device) for k in ("input_ids", "attention_mask")}
        kwargs: dict[str, Any] = {"max_new_tokens": s.max_tokens, "pad_token_id": tok.pad_token_id}
        if stop:  # generation ends once every row has produced one of them
            kwargs.update(stop_strings=stop, tokenizer=tok)
        if s.temperature > 0:
            kwargs.update(do_sample=True, temperature=s.temperature, top_p=s.top_p)
        else:
            kwargs.update(do_sample=False)
        with self._lock, torch.inference_mode():
            if s.seed is not None:
                torch.manual_seed(s.seed)
            output = self.model.generate(**batch, **kwargs)
        width = batch["input_ids"].shape[1]
        eos = _eos_ids(self.model, tok)
        completions = []
        for row, mask in zip(output, batch["attention_mask"], strict=True):
            new = row[width:].tolist()
            ended = next((i for i, t in enumerate(new) if t in eos), None)
            tokens = new if ended is None else new[:ended]
            completions.append(
                Completion(
                    text=tok.decode(tokens, skip_special_tokens=True),
                    finish_reason="stop" if ended is not None else "length",
                    tokens_in=int(mask.sum()),
                    tokens_out=len(tokens) + (ended is not None),
                )
            )
        elapsed = time.monotonic() - started
        for completion in completions:
            completion.seconds = elapsed
        return completions

    async def close(self) -> None:
        self.__dict__.pop("model", None)


def _eos_ids(model: Any, tokenizer: Any) -> set[int]:
    ids = model.generation_config.eos_token_id
    found = set(ids if isinstance(ids, list) else [ids] if ids is not None else [])
    if tokenizer.eos_token_id is not None:
        found.add(tokenizer.eos_token_id)
    return found
