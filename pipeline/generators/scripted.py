"""A scripted teacher: a Python function answers each chat. For tests, benchmarks and dry runs.

`--generator scripted --model MODULE:FUNCTION` (or `path/to/file.py:FUNCTION`). The function takes
the chat (a list of {role, content}) and returns the answer text, or a dict with `content` and
optionally `finish_reason` and `delay` (seconds to wait, to mimic a slow teacher). In completion
mode (`complete`) it gets the prompt text (a str) instead and returns its continuation.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from pipeline.generators.base import (
    Chat,
    Completion,
    Generator,
    GeneratorError,
    cut_at_stop,
    register,
)

Script = Callable[["Chat | str"], "str | dict[str, Any]"]


def load_script(spec: str) -> Script:
    """`module:function` or `file.py:function` to the function."""
    target, _, name = spec.rpartition(":")
    if not target or not name:
        raise GeneratorError(f"scripted teacher {spec!r}: give MODULE:FUNCTION or FILE.py:FUNCTION")
    try:
        if target.endswith(".py") or os.sep in target:
            loader = importlib.util.spec_from_file_location("assay_teacher_script", target)
            if loader is None or loader.loader is None:
                raise ImportError(target)
            module = importlib.util.module_from_spec(loader)
            loader.loader.exec_module(module)
        else:
            module = importlib.import_module(target)
        return getattr(module, name)
    except (ImportError, AttributeError, OSError) as exc:
        raise GeneratorError(f"cannot load scripted teacher {spec!r}: {exc}") from None


def to_completion(result: str | dict[str, Any], chat: Chat | str) -> Completion:
    if isinstance(result, str):
        result = {"content": result}
    text = result.get("content") or ""
    texts = [chat] if isinstance(chat, str) else [m["content"] for m in chat]
    prompt_words = sum(len(t.split()) for t in texts)
    return Completion(
        text=text,
        finish_reason=result.get("finish_reason", "stop"),
        tokens_in=prompt_words,
        tokens_out=len(text.split()),
    )


@register("scripted")
class ScriptedGenerator(Generator):
    max_batch = 1

    async def start(self) -> None:
        self.script = load_script(self.teacher.model)
        self._limit = asyncio.Semaphore(self.teacher.concurrency)

    async def generate(self, chats: Sequence[Chat]) -> list[Completion]:
        return list(await asyncio.gather(*(self._one(chat) for chat in chats)))

    async def complete(self, prompts: Sequence[str], stop: Sequence[str] = ()) -> list[Completion]:
        answers = await asyncio.gather(*(self._one(prompt) for prompt in prompts))
        return [cut_at_stop(answer, stop) for answer in answers]

    async def _one(self, chat: Chat | str) -> Completion:
        async with self._limit:
            started = time.monotonic()
            result = self.script(chat)
            if isinstance(result, dict) and result.get("delay"):
                await asyncio.sleep(float(result["delay"]))
            completion = to_completion(result, chat)
            completion.seconds = time.monotonic() - started
            return completion
