"""The verified samples `assay translate` reads: run directories and exported corpora.

    RUN_DIR          its corpus (RUN_DIR/corpus/part-*.jsonl): every record passed the verifier
    EXPORT_DIR       what `assay export` wrote (assay-export.json beside *.jsonl or *.parquet
                     splits, or a saved dataset): rows of an assay corpus (`source` assay:...);
                     rows mixed in from other data are not verified and are skipped
    FILE.jsonl       records with a passing `verdict` (a corpus part, `assay verify`'s
                     passed.jsonl); a VERIFY_DIR of `assay verify` reads its passed and rejected
A record is a sample when it has a problem, a solution and tests in a known language; an export
row in the `messages` style gives them back from its chat (the user turn, the answer's two code
blocks). Whatever is not a verified sample in a known language is skipped, and counted with its
reason; nothing is ever read twice (the same id in two sources counts as a duplicate).
"""

from __future__ import annotations

import glob
import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.jsonl import iter_jsonl, read_objects
from pipeline.languages import DEFAULT, known, language
from sandbox.records import sample_id

EXPORT_SUMMARY = "assay-export.json"
NOT_VERIFIED, UNKNOWN_LANGUAGE, NO_CODE, DUPLICATE, BAD_LINE = (
    "not verified",
    "unknown language",
    "no problem, solution or tests",
    "duplicate id",
    "not a JSON object",
)


class SourceError(ValueError):
    """A SOURCE cannot be read at all; the message says what it should be."""


@dataclass(frozen=True)
class SourceSample:
    """A verified sample to translate, with where it came from."""

    id: str
    language: str
    problem: str
    solution: str
    tests: str
    run: str  # the run directory, export or file it was read from
    index: int  # its position there

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SourceSample:
        return cls(**json.loads(text))


@dataclass
class Sources:
    samples: list[SourceSample] = field(default_factory=list)
    read: int = 0  # records seen
    skipped: Counter = field(default_factory=Counter)  # reason -> records
    first_bad_line: str = ""  # FILE:LINE: why, of a source file's first line that is no record


def read_sources(paths: list[str]) -> Sources:
    out = Sources()
    seen: set[str] = set()
    for path in paths:
        label = os.path.normpath(path)
        for index, (record, verified) in enumerate(_records(path)):
            out.read += 1
            if isinstance(record, str):  # a line of a source file that is no record: why
                out.skipped[BAD_LINE] += 1
                out.first_bad_line = out.first_bad_line or record
                continue
            reason, sample = _sample(record, verified, label, index)
            if sample is not None and sample.id in seen:
                reason, sample = DUPLICATE, None
            if sample is None:
                out.skipped[reason] += 1
                continue
            seen.add(sample.id)
            out.samples.append(sample)
    return out


def _records(path: str):
    """(record, whether it is known verified) of one SOURCE, in order."""
    if not os.path.exists(path):
        raise SourceError(
            f"source {path} does not exist: give a run directory, an export or a JSONL file"
        )
    if os.path.isfile(path):  # a file someone gave: every line, a bad one named
        for number, record in read_objects(path):
            yield (f"{path}:{number}: {record}" if isinstance(record, str) else record), None
        return
    parts = sorted(glob.glob(os.path.join(path, "corpus", "part-*.jsonl")))
    if parts or os.path.exists(os.path.join(path, "run.sqlite")):
        for part in parts:
            for record in iter_jsonl(part):
                yield record, True
        return
    if os.path.exists(os.path.join(path, EXPORT_SUMMARY)):
        try:
            rows = _export_rows(path)
        except (OSError, ValueError) as exc:  # a split gone or damaged (pyarrow's are ValueErrors)
            raise SourceError(f"source {path}: the export cannot be read: {exc}") from None
        yield from ((r, str(r.get("source", "")).startswith("assay:")) for r in rows)
        return
    verify = [os.path.join(path, n) for n in ("passed.jsonl", "rejected.jsonl")]
    if any(os.path.exists(p) for p in verify):
        for file in verify:
            for record in iter_jsonl(file):
                yield record, None
        return
    raise SourceError(
        f"source {path} is neither a run directory (no corpus/ or run.sqlite), an export of "
        "`assay export` (no assay-export.json), nor an `assay verify` output (no passed.jsonl)"
    )


def _export_rows(path: str) -> list[dict[str, Any]]:
    files = sorted(glob.glob(os.path.join(path, "*.jsonl")))
    if files:
        return [r for f in files for r in iter_jsonl(f)]
    parquet = sorted(glob.glob(os.path.join(path, "*.parquet")))
    if parquet:
        import pyarrow.parquet as pq

        return [r for f in parquet for r in pq.read_table(f).to_pylist()]
    import datasets

    loaded = datasets.load_from_disk(path)
    splits = loaded.values() if isinstance(loaded, datasets.DatasetDict) else [loaded]
    return [row for split in splits for row in split.to_list()]


def _sample(
    record: dict[str, Any], verified: bool | None, label: str, index: int
) -> tuple[str, SourceSample | None]:
    if verified is None:  # a plain record: its own verdict says
        verdict = record.get("verdict")
        verified = isinstance(verdict, dict) and verdict.get("passed") is True
    if not verified:
        return NOT_VERIFIED, None
    name = str(record.get("language") or DEFAULT)
    if not known(name):
        return f"{UNKNOWN_LANGUAGE} {name}", None
    name = language(name).name
    problem, solution, tests = (record.get(k) for k in ("problem", "solution", "tests"))
    if not (problem and solution and tests) and isinstance(record.get("messages"), list):
        problem, solution, tests = _from_messages(record["messages"], name)
    if not (isinstance(problem, str) and isinstance(solution, str) and isinstance(tests, str)):
        return NO_CODE, None
    if not (problem.strip() and solution.strip() and tests.strip()):
        return NO_CODE, None
    sid = str(record.get("id") or "") or sample_id(problem, solution, tests)
    return "", SourceSample(sid, name, problem, solution, tests, label, index)


def _from_messages(messages: list[Any], name: str) -> tuple[Any, Any, Any]:
    from pipeline.answers import parse_answer

    turns = [m for m in messages if isinstance(m, dict)]
    users = [m.get("content") for m in turns if m.get("role") == "user"]
    answers = [m.get("content") for m in turns if m.get("role") == "assistant"]
    if not users or not answers or not isinstance(answers[-1], str):
        return None, None, None
    answer = parse_answer(answers[-1], name)
    return users[0], answer.solution, answer.tests
