"""Where export rows come from: a run's corpus records (with the revision dialog rebuilt from
`meta.trail`) and existing datasets given with --mix, all as one `Row` type.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

from pipeline.jsonl import iter_jsonl, names_a_file, read_rows
from pipeline.languages import DEFAULT, code_answer, fenced
from pipeline.report.rundir import ReportError, check_run_dir, corpus_files, scan_corpus

# The user turn of a multi-turn dialog after a faulty answer: the verifier's feedback.
FEEDBACK_TURN = (
    "The checker rejected this answer:\n\n{feedback}\n\n"
    "Fix the solution or the tests and answer again with both code blocks."
)


# The user turn of a translation pair (`--style translation-pairs`).
PAIR_TURN = "Translate this {source} code into {target}:\n\n{code}"


class ExportError(RuntimeError):
    """The export cannot be done as asked; the message says how to fix it."""


@dataclass
class Row:
    """One sample on its way out, whatever it came from."""

    id: str
    source: str
    problem: str
    solution: str
    tests: str = ""
    messages: list[dict[str, str]] = field(default_factory=list)
    dialog: list[dict[str, str]] | None = None  # multi-turn, when the trail is known
    language: str = DEFAULT
    meta: dict[str, Any] = field(default_factory=dict)


def _chat(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


def _dialog(
    record: dict[str, Any], messages: list[dict[str, str]], language: str
) -> list[dict[str, str]] | None:
    trail = (record.get("meta") or {}).get("trail")
    if not isinstance(trail, list) or not trail or not messages:
        return None
    dialog = [messages[0]]
    for step in trail[:-1]:
        if not isinstance(step, dict):
            return None
        if step.get("solution") and step.get("tests"):
            answer = code_answer(step["solution"], step["tests"], language)
        else:
            answer = step.get("answer") or ""
        feedback = step.get("feedback") or step.get("reason") or step.get("stage") or "failed"
        dialog += [
            _chat("assistant", answer),
            _chat("user", FEEDBACK_TURN.format(feedback=feedback)),
        ]
    return [*dialog, messages[-1]]


def translation_pair(row: Row) -> list[dict[str, str]] | None:
    """Source code -> target code as a chat, for a record of `assay translate`; else None."""
    translation = row.meta.get("translation")
    if not isinstance(translation, dict) or not translation.get("source_solution"):
        return None
    source = str(translation.get("source_language") or DEFAULT)
    user = PAIR_TURN.format(
        source=source, target=row.language, code=fenced(translation["source_solution"], source)
    )
    return [_chat("user", user), _chat("assistant", fenced(row.solution, row.language) + "\n")]


def run_rows(run_dir: str) -> tuple[list[Row], dict[str, int]]:
    """The corpus records of a run directory (torn and corrupt lines skipped, counted)."""
    try:
        check_run_dir(run_dir)
    except ReportError as exc:
        if not corpus_files(run_dir):
            raise ExportError(str(exc)) from None
    scan = scan_corpus(run_dir)
    name = os.path.basename(os.path.normpath(os.path.abspath(run_dir)))
    rows = []
    for path in corpus_files(run_dir):
        for record in iter_jsonl(path):
            problem, solution = record.get("problem") or "", record.get("solution") or ""
            tests = record.get("tests") or ""
            language = str(record.get("language") or DEFAULT)
            messages = [
                _chat(m["role"], m["content"]) for m in record.get("messages") or [] if "role" in m
            ] or [
                _chat("user", problem),
                _chat("assistant", code_answer(solution, tests, language)),
            ]
            rows.append(
                Row(
                    id=str(record.get("id") or _digest(problem, solution)),
                    source=f"assay:{name}",
                    problem=problem,
                    solution=solution,
                    tests=tests,
                    messages=messages,
                    dialog=_dialog(record, messages, language),
                    language=language,
                    meta=record.get("meta") or {},
                )
            )
    counts = {"records": len(rows), "torn_lines": scan.torn_lines, "bad_lines": scan.bad_lines}
    return rows, counts


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _load_records(spec: str) -> tuple[list[dict[str, Any]], str]:
    """The rows of a JSONL/JSON/Parquet file, a dataset directory, or a hub dataset NAME[:split]."""
    if os.path.isfile(spec):
        name = os.path.basename(spec).split(".")[0]
        if spec.endswith(".parquet"):
            import pyarrow.parquet as pq

            return pq.read_table(spec).to_pylist(), name
        try:
            return read_rows(spec), name
        except ValueError as exc:
            raise ExportError(f"--mix {exc}") from None
    import datasets

    if os.path.isdir(spec):
        name = os.path.basename(os.path.normpath(spec))
        if os.path.exists(os.path.join(spec, "run.sqlite")) or os.path.isdir(
            os.path.join(spec, "corpus")
        ):
            raise ExportError(f"--mix {spec} is a run directory: pass it as a RUN_DIR argument")
        saved = any(
            os.path.exists(os.path.join(spec, f)) for f in ("dataset_dict.json", "state.json")
        )
        loaded = datasets.load_from_disk(spec) if saved else datasets.load_dataset(spec)
    elif names_a_file(spec):
        raise ExportError(f"--mix {spec}: no such file or directory")
    else:
        name, _, split = spec.partition(":")
        try:
            loaded = datasets.load_dataset(name, split=split or None)
        except Exception as exc:  # the hub or the builder: their errors vary
            raise ExportError(
                f"--mix {spec}: not a file, a directory or a loadable dataset ({exc})"
            ) from None
    if isinstance(loaded, datasets.DatasetDict):
        order = sorted(loaded, key=lambda s: (s != "train", s))
        return [r for s in order for r in loaded[s].to_list()], name
    return loaded.to_list(), name


def mix_rows(spec: str) -> list[Row]:
    """An existing dataset as rows: `messages`, or problem/solution(/tests), or prompt/completion."""
    records, name = _load_records(spec)
    rows = []
    for i, r in enumerate(records):
        source = r["source"] if isinstance(r.get("source"), str) and r["source"] else name
        rid = str(r.get("id") or r.get("task_id") or f"{name}#{i}")
        problem = r.get("problem") or r.get("prompt") or r.get("instruction") or r.get("question")
        solution = (
            r.get("solution") or r.get("completion") or r.get("output") or r.get("answer") or ""
        )
        tests = r.get("tests") if isinstance(r.get("tests"), str) else ""
        language = (
            r["language"] if isinstance(r.get("language"), str) and r["language"] else DEFAULT
        )
        messages = r.get("messages")
        if isinstance(messages, list) and messages:
            if not all(
                isinstance(m, dict)
                and isinstance(m.get("role"), str)
                and isinstance(m.get("content"), str)
                for m in messages
            ):
                raise ExportError(
                    f"--mix {spec}: row {i}: each of `messages` must be an object with a string "
                    "`role` and `content`"
                )
            messages = [_chat(m["role"], m["content"]) for m in messages]
            problem = problem or "\n".join(m["content"] for m in messages if m["role"] == "user")
            solution = solution or "\n".join(
                m["content"] for m in messages if m["role"] == "assistant"
            )
        elif isinstance(problem, str) and isinstance(solution, str) and solution:
            answer = code_answer(solution, tests, language) if tests else solution
            messages = [_chat("user", problem), _chat("assistant", answer)]
        else:
            raise ExportError(
                f"--mix {spec}: row {i} has neither `messages` nor problem/solution (or "
                f"prompt/completion) columns; it has {', '.join(sorted(r)) or 'none'}"
            )
        rows.append(
            Row(rid, source, problem or "", solution, tests or "", messages, language=language)
        )
    return rows
