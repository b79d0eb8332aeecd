"""Reading samples from JSONL (optionally gzipped): assay's own format, HumanEval's, HumanEval-X's
and MultiPL-E's.

Dataset quirks live here, not in the sandbox (STYLE 6): a HumanEval record becomes an ordinary
sample whose tests import the solution and call `check`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from pipeline.jsonl import json_kind, read_objects

if TYPE_CHECKING:
    from sandbox.records import Sample

FORMATS = ("auto", "assay", "humaneval", "humaneval-x", "multipl-e")
HUMANEVAL_FIELDS = ("task_id", "prompt", "test", "entry_point")


class InputError(ValueError):
    """A bad input line; the message names the file and line."""


class Record(NamedTuple):
    path: str
    line: int
    data: dict[str, Any] | None  # None when the line is bad
    error: str = ""
    sample: Sample | None = None


def detect_format(data: dict[str, Any]) -> str:
    from pipeline.humaneval_x import is_humaneval_x
    from pipeline.multipl_e import is_multipl_e

    if is_humaneval_x(data):
        return "humaneval-x"
    if is_multipl_e(data):
        return "multipl-e"
    if all(k in data for k in HUMANEVAL_FIELDS):
        return "humaneval"
    return "assay"


def humaneval_sample(data: dict[str, Any]) -> Sample:
    from pipeline.humaneval_x import body_of, require_strings
    from sandbox.records import Sample  # not at import: `assay verify` starts its workers first

    require_strings(data, HUMANEVAL_FIELDS, "HumanEval")
    body = body_of(data, "HumanEval")
    entry = data["entry_point"]
    if not entry.isidentifier():
        raise InputError(f"field 'entry_point' must be a Python name, got {entry!r}")
    tests = (
        "from solution import *  # noqa: F403\n"
        f"from solution import {entry}\n\n"
        f"{data['test']}\n\n\n"
        f"def test_check():\n    check({entry})\n"
    )
    return Sample(
        id=data["task_id"],
        problem=data["prompt"],
        solution=data["prompt"] + body,
        tests=tests,
        meta={"source": "humaneval", "task_id": data["task_id"]},
    )


def assay_sample(data: dict[str, Any]) -> Sample:
    from sandbox.records import Sample

    for name in ("solution", "tests"):
        if name not in data:
            raise InputError(f"missing field '{name}'")
        if not isinstance(data[name], str):
            raise InputError(f"field '{name}' must be a string, got {json_kind(data[name])}")
    meta = data.get("meta") or {}
    if not isinstance(meta, dict):
        raise InputError("field 'meta' must be an object")
    language = data.get("language") or "python"
    if not isinstance(language, str):
        raise InputError(f"field 'language' must be a string, got {json_kind(language)}")
    return Sample(
        solution=data["solution"],
        tests=data["tests"],
        problem=str(data.get("problem", "")),
        id=str(data.get("id") or ""),
        language=_language(language),
        meta=meta,
    )


def _language(name: str) -> str:
    """The canonical name of a sample's language; an unknown one is a bad input line."""
    from sandbox.languages import canonical, names

    key = canonical(name)
    if key != "python" and key not in names():  # the plugin scan only for other languages
        raise InputError(f"unknown language {name!r}: use one of {', '.join(names())}")
    return key


def to_sample(data: dict[str, Any], fmt: str) -> Sample:
    if fmt == "auto":
        fmt = detect_format(data)
    if fmt == "humaneval-x":
        from pipeline import humaneval_x

        try:
            return humaneval_x.to_sample(data)
        except humaneval_x.ConversionError as exc:
            raise InputError(str(exc)) from None
    if fmt == "multipl-e":
        from pipeline import humaneval_x, multipl_e

        try:
            return multipl_e.to_sample(data)
        except humaneval_x.ConversionError as exc:
            raise InputError(str(exc)) from None
    if fmt == "humaneval":
        from pipeline import humaneval_x

        try:
            return humaneval_sample(data)
        except humaneval_x.ConversionError as exc:
            raise InputError(str(exc)) from None
    return assay_sample(data)


def read_records(path: str, fmt: str = "auto") -> Iterator[Record]:
    """Every non-blank line of `path` as a Record: a Sample, or the error that names the line. A
    file that cannot be read to its end (a gzip stream cut off or corrupt, an I/O error) ends with
    one error record, for the line that could not be read; the lines before it stand."""
    for number, data in read_objects(path):
        if isinstance(data, str):
            yield Record(path, number, None, data)
            continue
        try:
            yield Record(path, number, data, sample=to_sample(data, fmt))
        except InputError as exc:
            yield Record(path, number, data, str(exc))
