"""The run store's schema and its rows: what RUN_DIR/run.sqlite holds (pipeline/store.py writes it).

Schema (version 2; later versions only add tables or columns, never rename or drop; a writer
migrates an older file in place, and readers of an older file see the defaults of what it lacks):

    meta(key TEXT PRIMARY KEY, value TEXT)
        schema_version   "2" (version 1 had no `language` column: every problem was Python)
        created_at       unix time of the first open
        config_digest    digest of the options that must not change between reruns (see run_identity.py)
        config_identity  JSON of those options, to name what changed when a rerun is refused
        verifier_version sandbox.VERIFIER_VERSION at creation

    problems                      one row per problem slot of the run (slot = 0, 1, 2, ...)
        id             INTEGER PRIMARY KEY   the slot; the seed drawn for it is fixed by --seed
        status         TEXT    pending  (no problem statement yet)
                               solving  (statement recorded; attempts under way)
                               accepted (a passing attempt joined the corpus)
                               rejected (K + 1 attempts failed, or the teacher gave no problem)
                               duplicate (passed, but an equal problem/solution is in the corpus)
        reason         TEXT    for rejected/duplicate: the last attempt's stage ("tests", "lint",
                               "no_code", "truncated", ...) or "duplicate_problem"/"duplicate_solution"
        seed_source    TEXT    where the seed came from: "path/to/file.py:1-80", "data.jsonl:17",
                               "hf:name:split:column#row"
        seed_text      TEXT    the snippet itself
        language       TEXT    the language the problem is solved in ("python", "javascript", ...),
                               drawn from the run's mix when the slot is created; its attempts share it
        teacher        TEXT    "generator:model", e.g. "openai:Qwen/Qwen2.5-Coder-7B-Instruct"
        sampling       TEXT    JSON of the sampling parameters (temperature, top_p, max_tokens, seed)
        prompt         TEXT    the rendered problem prompt (prompts/problem.jinja)
        raw            TEXT    the teacher's raw answer to it (NULL until answered)
        problem        TEXT    the problem statement parsed from `raw`
        finish_reason  TEXT    "stop" | "length" | ...
        tokens_in      INTEGER prompt tokens of the problem call
        tokens_out     INTEGER completion tokens of the problem call
        teacher_s      REAL    seconds the problem call took
        attempts       INTEGER number of attempts recorded so far
        sample_id      TEXT    id of the corpus record when accepted (or of the record it duplicates)
        created_at     REAL    unix time
        updated_at     REAL    unix time

    attempts                      one row per solve/revise call; round 0 is the first solve
        problem_id     INTEGER REFERENCES problems(id)
        round          INTEGER 0 = solve prompt, 1..K = revision rounds;  PRIMARY KEY(problem_id, round)
        status         TEXT    answered (raw answer stored, not yet verified) | verified
        prompt         TEXT    the user message of this round (solve.jinja or revise.jinja)
        messages       TEXT    JSON list of the whole chat sent to the teacher ({role, content})
        raw            TEXT    the teacher's raw answer
        finish_reason  TEXT    "stop" | "length" | ...
        solution       TEXT    parsed solution code (NULL when the answer had no code)
        tests          TEXT    parsed pytest module (NULL when none)
        verdict        TEXT    JSON of sandbox.Verdict.to_dict(), or of the loop's own rejection
                               (stage "no_code"/"truncated") when nothing could be verified
        passed         INTEGER 1/0; NULL until verified
        stage          TEXT    verdict stage ("passed", "tests", "lint", ..., "no_code", "truncated")
        reason         TEXT    verdict reason
        feedback       TEXT    the feedback text the next revision prompt quotes
        teacher        TEXT    "generator:model"
        sampling       TEXT    JSON sampling parameters of this call
        tokens_in      INTEGER
        tokens_out     INTEGER
        teacher_s      REAL    seconds the teacher call took
        verify_s       REAL    seconds verification took (wall, queueing included)
        created_at     REAL    when the answer was stored
        verified_at    REAL    when the verdict was stored
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 2
STORE_FILE = "run.sqlite"

# Problem statuses; the last three are final.
PENDING, SOLVING, ACCEPTED, REJECTED, DUPLICATE = (
    "pending",
    "solving",
    "accepted",
    "rejected",
    "duplicate",
)
FINAL_STATUSES = (ACCEPTED, REJECTED, DUPLICATE)
# Attempt statuses.
ANSWERED, VERIFIED = "answered", "verified"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS problems (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'pending',
    reason TEXT,
    seed_source TEXT,
    seed_text TEXT,
    language TEXT NOT NULL DEFAULT 'python',
    teacher TEXT,
    sampling TEXT,
    prompt TEXT,
    raw TEXT,
    problem TEXT,
    finish_reason TEXT,
    tokens_in INTEGER,
    tokens_out INTEGER,
    teacher_s REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    sample_id TEXT,
    created_at REAL,
    updated_at REAL
);
CREATE TABLE IF NOT EXISTS attempts (
    problem_id INTEGER NOT NULL REFERENCES problems(id),
    round INTEGER NOT NULL,
    status TEXT NOT NULL,
    prompt TEXT,
    messages TEXT,
    raw TEXT,
    finish_reason TEXT,
    solution TEXT,
    tests TEXT,
    verdict TEXT,
    passed INTEGER,
    stage TEXT,
    reason TEXT,
    feedback TEXT,
    teacher TEXT,
    sampling TEXT,
    tokens_in INTEGER,
    tokens_out INTEGER,
    teacher_s REAL,
    verify_s REAL,
    created_at REAL,
    verified_at REAL,
    PRIMARY KEY (problem_id, round)
);
CREATE INDEX IF NOT EXISTS problems_status ON problems(status);
"""


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


@dataclass
class AttemptRow:
    """One teacher answer and its verdict, as stored."""

    problem_id: int
    round: int
    status: str
    prompt: str | None = None
    messages: list[dict[str, str]] | None = None
    raw: str | None = None
    finish_reason: str | None = None
    solution: str | None = None
    tests: str | None = None
    verdict: dict[str, Any] | None = None
    passed: bool | None = None
    stage: str | None = None
    reason: str | None = None
    feedback: str | None = None
    teacher: str | None = None
    sampling: dict[str, Any] | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    teacher_s: float | None = None
    verify_s: float | None = None
    created_at: float | None = None
    verified_at: float | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> AttemptRow:
        data = dict(row)
        data["messages"] = _loads(data["messages"])
        data["verdict"] = _loads(data["verdict"])
        data["sampling"] = _loads(data["sampling"])
        if data["passed"] is not None:
            data["passed"] = bool(data["passed"])
        return cls(**{k: v for k, v in data.items() if k in _ATTEMPT_FIELDS})


@dataclass
class ProblemRow:
    """One problem slot of the run with its attempts in round order."""

    id: int
    status: str
    reason: str | None = None
    seed_source: str | None = None
    seed_text: str | None = None
    language: str = "python"  # a store of schema 1 has no column: its problems are Python
    teacher: str | None = None
    sampling: dict[str, Any] | None = None
    prompt: str | None = None
    raw: str | None = None
    problem: str | None = None
    finish_reason: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    teacher_s: float | None = None
    attempts: int = 0
    sample_id: str | None = None
    created_at: float | None = None
    updated_at: float | None = None
    trail: list[AttemptRow] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ProblemRow:
        data = dict(row)
        data["sampling"] = _loads(data["sampling"])
        return cls(**{k: v for k, v in data.items() if k in _PROBLEM_FIELDS})


_ATTEMPT_FIELDS = set(AttemptRow.__dataclass_fields__)
_PROBLEM_FIELDS = set(ProblemRow.__dataclass_fields__) - {"trail"}
