"""The teacher interface: a batch of chat conversations in, answers with token counts out.

`complete` is the second, optional mode: plain prompts that a base model continues (benchmarks
such as HumanEval), cut at the first stop sequence. Every backend (openai, vllm, transformers, scripted) is one small class registered by name; the
engine picks one with `create(config)` and never asks which it got (STYLE 9). Retries, batching
and concurrency limits live in the backend that needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from pipeline.config import SamplingConfig, TeacherConfig

Chat = list[dict[str, str]]


class GeneratorError(RuntimeError):
    """The teacher cannot be used at all (down, misconfigured); the run stops with this message."""


class RequestRefused(RuntimeError):
    """The teacher refused this one request (e.g. a prompt over its context length); the problem
    is rejected with this reason and the run goes on."""


@dataclass
class Completion:
    """One answer of the teacher."""

    text: str
    finish_reason: str = "stop"  # stop | length | ...
    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


class Generator:
    """A teacher backend. `max_batch` > 1 tells the engine to gather prompts into batches."""

    name: ClassVar[str] = ""
    max_batch: ClassVar[int] = 1

    def __init__(self, teacher: TeacherConfig, sampling: SamplingConfig) -> None:
        self.teacher = teacher
        self.sampling = sampling

    async def start(self) -> None:
        """Connect or load; raise GeneratorError with a fix when that fails. Called once."""

    async def generate(self, chats: Sequence[Chat]) -> list[Completion]:
        raise NotImplementedError

    async def complete(self, prompts: Sequence[str], stop: Sequence[str] = ()) -> list[Completion]:
        """Continue each prompt as plain text (a base model's mode); each answer is cut before
        the first of `stop`. Backends without this mode say so."""
        raise GeneratorError(
            f"the {self.name} generator has no completion mode: use a chat prompt "
            "(--prompt-style chat) or another generator"
        )

    def has_chat_template(self) -> bool | None:
        """Whether the model brings a chat format of its own (None: cannot tell). Known after
        `start`; `assay eval --prompt-style auto` picks chat or completion prompts by it."""
        return None

    async def close(self) -> None:
        """Release connections, threads, GPU memory."""


def cut_at_stop(completion: Completion, stop: Sequence[str]) -> Completion:
    """The completion up to (not including) the earliest stop sequence; a cut answer stopped."""
    found = [i for i in (completion.text.find(s) for s in stop if s) if i >= 0]
    if found:
        completion.text = completion.text[: min(found)]
        completion.finish_reason = "stop"
    return completion


_REGISTRY: dict[str, type[Generator]] = {}
# Built-in backends, imported on first use so that e.g. torch loads only for `transformers`.
_BUILTIN = {
    "openai": "pipeline.generators.openai",
    "vllm": "pipeline.generators.vllm",
    "transformers": "pipeline.generators.transformers",
    "scripted": "pipeline.generators.scripted",
}


def register(name: str) -> Callable[[type[Generator]], type[Generator]]:
    def wrap(cls: type[Generator]) -> type[Generator]:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return wrap


def available() -> list[str]:
    return sorted(set(_BUILTIN) | set(_REGISTRY))


def lookup(name: str) -> type[Generator]:
    if name not in _REGISTRY and name in _BUILTIN:
        import importlib

        importlib.import_module(_BUILTIN[name])
    try:
        return _REGISTRY[name]
    except KeyError:
        raise GeneratorError(
            f"unknown generator {name!r}: use one of {', '.join(available())}"
        ) from None


def create(teacher: TeacherConfig, sampling: SamplingConfig) -> Generator:
    return lookup(teacher.generator)(teacher, sampling)
