"""Any OpenAI-compatible chat-completions server: `vllm serve`, SGLang, llama.cpp, Ollama, OpenAI.

Many requests in flight (`concurrency`), each retried with exponential backoff and full jitter on
429, 5xx and connection errors, honouring Retry-After. `complete` uses /v1/completions (a base
model continues the prompt). Not handled: streaming, tool calls, n > 1.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Sequence
from typing import Any

import httpx

from pipeline.generators.base import (
    Chat,
    Completion,
    Generator,
    GeneratorError,
    RequestRefused,
    cut_at_stop,
    register,
)

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
MAX_BACKOFF_S = 60.0


@register("openai")
class OpenAIGenerator(Generator):
    max_batch = 1

    def __init__(self, teacher, sampling) -> None:
        super().__init__(teacher, sampling)
        self.base_url = teacher.base_url.rstrip("/")
        self._client: httpx.AsyncClient | None = None
        self._limit = asyncio.Semaphore(teacher.concurrency)
        self.requests = 0  # sent, retries included
        self.retries = 0

    def _headers(self) -> dict[str, str]:
        key = os.environ.get(self.teacher.api_key_env, "") if self.teacher.api_key_env else ""
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            headers=self._headers(),
            timeout=httpx.Timeout(
                self.teacher.request_timeout, connect=self.teacher.connect_timeout
            ),
            limits=httpx.Limits(
                max_connections=self.teacher.concurrency,
                max_keepalive_connections=self.teacher.concurrency,
            ),
        )
        await self._probe()

    async def _probe(self) -> None:
        """Fail in seconds when the server is down, the key is wrong or the model isn't served."""
        url = f"{self.base_url}/models"
        deadline = time.monotonic() + min(3.0, self.teacher.connect_timeout)
        while True:
            try:
                response = await self._client.get("/models", timeout=self.teacher.connect_timeout)
                break
            except httpx.TransportError as exc:
                if time.monotonic() >= deadline:
                    raise GeneratorError(
                        f"teacher server not reachable at {url} ({type(exc).__name__}: {exc}): "
                        f"start it (e.g. `vllm serve {self.teacher.model or 'MODEL'}`) or fix "
                        "--base-url"
                    ) from None
                await asyncio.sleep(0.5)
        if response.status_code in (401, 403):
            raise GeneratorError(
                f"teacher server at {self.base_url} refused the API key (HTTP "
                f"{response.status_code}): export the key in ${self.teacher.api_key_env} or name "
                "another variable with --api-key-env"
            )
        if response.status_code != 200:
            return  # some servers have no /models; the first request will tell
        try:
            served = [m.get("id") for m in response.json().get("data", [])]
        except (ValueError, AttributeError):
            return
        if served and self.teacher.model not in served:
            raise GeneratorError(
                f"model {self.teacher.model!r} is not served at {self.base_url}; it serves "
                f"{', '.join(map(str, served[:10]))}: pass one of those with --model"
            )

    def _payload(self, chat: Chat | None = None, prompt: str | None = None) -> dict[str, Any]:
        s = self.sampling
        payload: dict[str, Any] = {
            "model": self.teacher.model,
            **({"messages": chat} if prompt is None else {"prompt": prompt}),
            "temperature": s.temperature,
            "top_p": s.top_p,
            "max_tokens": s.max_tokens,
        }
        if s.seed is not None:
            payload["seed"] = s.seed
        return payload

    async def generate(self, chats: Sequence[Chat]) -> list[Completion]:
        return list(await asyncio.gather(*(self._one(self._payload(chat)) for chat in chats)))

    async def complete(self, prompts: Sequence[str], stop: Sequence[str] = ()) -> list[Completion]:
        payloads = [self._payload(prompt=p) for p in prompts]
        for payload in payloads:
            if stop:  # the server stops early; the cut below also covers servers that ignore it
                payload["stop"] = list(stop)
        answers = await asyncio.gather(*(self._one(p, "/completions") for p in payloads))
        return [cut_at_stop(answer, stop) for answer in answers]

    async def _one(
        self, payload: dict[str, Any], endpoint: str = "/chat/completions"
    ) -> Completion:
        if self._client is None:
            raise GeneratorError("the openai generator was not started")
        attempt = 0
        async with self._limit:
            started = time.monotonic()
            while True:
                problem, retry_after = await self._post(payload, endpoint)
                if isinstance(problem, Completion):
                    problem.seconds = time.monotonic() - started
                    return problem
                if attempt >= self.teacher.max_retries:
                    raise GeneratorError(
                        f"teacher at {self.base_url} still failing after {attempt + 1} tries: "
                        f"{problem}; check the server's logs, or raise --max-retries"
                    )
                backoff = min(MAX_BACKOFF_S, self.teacher.retry_base * 2**attempt)
                delay = retry_after if retry_after is not None else random.uniform(0, backoff)
                attempt += 1
                self.retries += 1
                await asyncio.sleep(delay)

    async def _post(
        self, payload: dict[str, Any], endpoint: str
    ) -> tuple[Completion | str, float | None]:
        """One try: a completion, or a retryable problem and the server's Retry-After."""
        self.requests += 1
        try:
            async with asyncio.timeout(self.teacher.request_timeout):
                response = await self._client.post(endpoint, json=payload)
        except (httpx.TransportError, TimeoutError) as exc:
            return f"{type(exc).__name__}: {exc}", None
        if response.status_code in RETRY_STATUS:
            return f"HTTP {response.status_code}: {response.text[:200]}", _retry_after(response)
        if response.status_code in (401, 403, 404):
            raise GeneratorError(
                f"teacher at {self.base_url} answered HTTP {response.status_code}: "
                f"{response.text[:300]}; check --base-url, --model and ${self.teacher.api_key_env}"
            )
        if response.status_code >= 400:
            raise RequestRefused(f"HTTP {response.status_code}: {_error_message(response)}")
        try:
            body = response.json()
            choice = body["choices"][0]
            if "messages" in payload:
                text = choice["message"].get("content") or ""
            else:
                text = choice.get("text") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return f"malformed response: {response.text[:200]}", None
        usage = body.get("usage") or {}
        return (
            Completion(
                text=text,
                finish_reason=choice.get("finish_reason") or "stop",
                tokens_in=int(usage.get("prompt_tokens") or 0),
                tokens_out=int(usage.get("completion_tokens") or 0),
            ),
            None,
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _error_message(response: httpx.Response) -> str:
    """The server's own words: OpenAI-style `{"error": {"message": ...}}` (vLLM, OpenAI), or
    `{"error": "..."}`, `{"detail": ...}`, else the body's start."""
    try:
        body = response.json()
        error = body.get("error", body.get("detail"))
        message = error.get("message") if isinstance(error, dict) else error
    except (ValueError, AttributeError):
        message = None
    return str(message)[:500] if message else response.text[:300]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return min(MAX_BACKOFF_S, max(0.0, float(value))) if value is not None else None
    except ValueError:
        return None
