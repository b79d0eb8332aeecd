"""HumanEval-X records (CodeGeeX): HumanEval's problems in C++, Go, Java, JavaScript and Rust.

A record is `task_id` ("CPP/0", "JavaScript/12"), `prompt`, `canonical_solution` (or a model's
`completion`), `test` (a whole test program: a `main` of asserts, a script of `console.assert`s,
a Go test function) and `declaration`. The language comes from the task id. Each language's
converter (a module of its own, `CONVERTERS`) turns the record into an ordinary sample of that
language's layout, so that the test program passes only when it ran to its end and every assert
held: dataset quirks live here, not in the sandbox (STYLE 6).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pipeline.jsonl import json_kind

if TYPE_CHECKING:
    from sandbox.records import Sample

FIELDS = ("task_id", "prompt", "test", "declaration")
# The task id's prefix to assay's language name.
LANGUAGES = {
    "CPP": "cpp",
    "JavaScript": "javascript",
    "Go": "go",
    "Java": "java",
    "Rust": "rust",
    "TypeScript": "typescript",
    "PHP": "php",
    "Python": "python",
}
# A converter takes the record and the solution's body (canonical or completion) and returns
# (solution, tests) in its language's layout. Each lives in its own module, loaded when needed.
Converter = Callable[[dict[str, Any], str], tuple[str, str]]
CONVERTERS: dict[str, str] = {
    "javascript": "pipeline.humaneval_x_js:convert",
    "cpp": "pipeline.humaneval_x_cpp:convert",
    "go": "pipeline.humaneval_x_go:convert",
    "rust": "pipeline.humaneval_x_rust:convert",
    "java": "pipeline.humaneval_x_java:convert",
}


class ConversionError(ValueError):
    """The record cannot become a sample; the message says why."""


def require_strings(data: dict[str, Any], names: tuple[str, ...], kind: str) -> None:
    """Each of `names` present in `data` as a string, or a ConversionError naming the field."""
    for name in names:
        if name not in data:
            raise ConversionError(f"missing field '{name}' ({kind} format)")
        if not isinstance(data[name], str):
            got = json_kind(data[name])
            raise ConversionError(f"field '{name}' must be a string, got {got} ({kind} format)")


def body_of(data: dict[str, Any], kind: str) -> str:
    """The code under test: a model's `completion`, or else the `canonical_solution`."""
    name = "completion" if data.get("completion") is not None else "canonical_solution"
    if data.get(name) is None:
        raise ConversionError(
            f"missing field 'completion' (or 'canonical_solution') ({kind} format)"
        )
    require_strings(data, (name,), kind)
    return data[name]


def is_humaneval_x(data: dict[str, Any]) -> bool:
    prefix = str(data.get("task_id", "")).split("/", 1)[0]
    return all(k in data for k in FIELDS) and prefix in LANGUAGES


def language_of(data: dict[str, Any]) -> str:
    prefix = str(data.get("task_id", "")).split("/", 1)[0]
    try:
        return LANGUAGES[prefix]
    except KeyError:
        known = ", ".join(sorted(LANGUAGES))
        raise ConversionError(f"task_id {data.get('task_id')!r}: not one of {known}") from None


def converter(language: str) -> Converter:
    target = CONVERTERS.get(language)
    if target is None:
        raise ConversionError(f"HumanEval-X {language} is not supported yet")
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def to_sample(data: dict[str, Any]) -> Sample:
    from sandbox.records import Sample

    require_strings(data, FIELDS, "HumanEval-X")
    language = language_of(data)
    solution, tests = converter(language)(data, body_of(data, "HumanEval-X"))
    return Sample(
        id=data["task_id"],
        problem=data["prompt"],
        solution=solution,
        tests=tests,
        language=language,
        meta={"source": "humaneval-x", "task_id": data["task_id"]},
    )
