"""The run store: RUN_DIR/run.sqlite records every problem and every attempt of a run.

It is the run's memory. Every teacher answer is written here *before* it is verified, so a rerun
(after kill -9, Ctrl-C or a crash) replays recorded answers instead of calling the teacher again.
WAL journal, `synchronous=NORMAL`: a committed row survives the process being killed.

The schema, its statuses and its row types are in `pipeline/store_schema.py` (re-exported here).

Read helpers for other commands (`assay report`, `export`, `rejudge`): `RunStore.open_readonly`,
`iter_problems()` (each `ProblemRow` with its `AttemptRow`s), `iter_attempts()`, `counts()`,
`counts_by_language()`, `reasons()`, `finished_ids()`,
`get_meta()`. Writers are the engine's; nothing else should write problems or attempts.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

from pipeline.store_schema import (
    ACCEPTED,
    ANSWERED,
    DUPLICATE,
    FINAL_STATUSES,
    PENDING,
    REJECTED,
    SCHEMA,
    SCHEMA_VERSION,
    SOLVING,
    STORE_FILE,
    VERIFIED,
    AttemptRow,
    ProblemRow,
)

__all__ = [
    "ACCEPTED",
    "ANSWERED",
    "DUPLICATE",
    "FINAL_STATUSES",
    "PENDING",
    "REJECTED",
    "SCHEMA_VERSION",
    "SOLVING",
    "STORE_FILE",
    "VERIFIED",
    "AttemptRow",
    "ProblemRow",
    "RunStore",
    "StoreError",
]


class StoreError(RuntimeError):
    """The run store cannot be used; the message says why and what to do."""


class RunStore:
    """RUN_DIR/run.sqlite. One writer (the engine, in one thread); any number of readers."""

    def __init__(self, path: str, readonly: bool = False) -> None:
        if os.path.isdir(path):
            path = os.path.join(path, STORE_FILE)
        self.path = path
        if readonly:
            if not os.path.exists(path):
                raise StoreError(f"no run store at {path}: is this a run directory of `assay run`?")
            uri = f"file:{os.path.abspath(path)}?mode=ro"
            self.db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        else:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
            if self.get_meta("schema_version") is None:
                self.set_meta("schema_version", str(SCHEMA_VERSION))
                self.set_meta("created_at", repr(time.time()))
        self.db.row_factory = sqlite3.Row
        version = self.get_meta("schema_version")
        if version is not None and int(version) > SCHEMA_VERSION:
            self.db.close()
            raise StoreError(
                f"{path} was written by a newer assay (schema {version}); upgrade assay to read it"
            )
        if not readonly and version is not None and int(version) < SCHEMA_VERSION:
            self._migrate(int(version))

    def _migrate(self, version: int) -> None:
        """Bring an older store up to SCHEMA_VERSION in place, in one transaction."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            columns = {row[1] for row in self.db.execute("PRAGMA table_info(problems)")}
            if version < 2 and "language" not in columns:
                # Version 1 stores were made before runs had a language: they are Python.
                self.db.execute(
                    "ALTER TABLE problems ADD COLUMN language TEXT NOT NULL DEFAULT 'python'"
                )
            self.set_meta("schema_version", str(SCHEMA_VERSION))

    @classmethod
    def open_readonly(cls, run_dir: str) -> RunStore:
        return cls(run_dir, readonly=True)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- meta ---------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # --- reading ------------------------------------------------------------------------------

    def problem(self, problem_id: int) -> ProblemRow | None:
        row = self.db.execute("SELECT * FROM problems WHERE id = ?", (problem_id,)).fetchone()
        if row is None:
            return None
        problem = ProblemRow.from_row(row)
        problem.trail = self.attempts_of(problem_id)
        return problem

    def attempts_of(self, problem_id: int) -> list[AttemptRow]:
        rows = self.db.execute(
            "SELECT * FROM attempts WHERE problem_id = ? ORDER BY round", (problem_id,)
        )
        return [AttemptRow.from_row(r) for r in rows]

    def iter_problems(self, status: str | None = None) -> Iterator[ProblemRow]:
        """Problems in slot order, each with its attempts (`trail`) in round order."""
        where, args = ("WHERE status = ?", (status,)) if status else ("", ())
        problems = [
            ProblemRow.from_row(r)
            for r in self.db.execute(f"SELECT * FROM problems {where} ORDER BY id", args)
        ]
        by_id: dict[int, list[AttemptRow]] = {p.id: [] for p in problems}
        for attempt in self.iter_attempts():
            if attempt.problem_id in by_id:
                by_id[attempt.problem_id].append(attempt)
        for problem in problems:
            problem.trail = by_id[problem.id]
            yield problem

    def iter_attempts(self) -> Iterator[AttemptRow]:
        """Every attempt, ordered by problem then round."""
        for row in self.db.execute("SELECT * FROM attempts ORDER BY problem_id, round"):
            yield AttemptRow.from_row(row)

    def counts(self) -> dict[str, int]:
        """Problems per status, plus totals of attempts and tokens."""
        out = {s: 0 for s in (PENDING, SOLVING, ACCEPTED, REJECTED, DUPLICATE)}
        for status, n in self.db.execute("SELECT status, COUNT(*) FROM problems GROUP BY status"):
            out[status] = n
        row = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0) "
            "FROM attempts"
        ).fetchone()
        prow = self.db.execute(
            "SELECT COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0) FROM problems"
        ).fetchone()
        out["attempts"] = row[0]
        out["tokens_in"] = row[1] + prow[0]
        out["tokens_out"] = row[2] + prow[1]
        return out

    def counts_by_language(self) -> dict[str, dict[str, int]]:
        """Problems per language and status (a store of schema 1 holds only Python)."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(problems)")}
        language = "language" if "language" in columns else "'python'"
        out: dict[str, dict[str, int]] = {}
        rows = self.db.execute(
            f"SELECT {language}, status, COUNT(*) FROM problems GROUP BY 1, 2 ORDER BY 1"
        )
        for name, status, n in rows:
            out.setdefault(name, {})[status] = n
        return out

    def finished_ids(self) -> set[int]:
        """Slots whose problem reached a final status."""
        marks = ",".join("?" * len(FINAL_STATUSES))
        rows = self.db.execute(f"SELECT id FROM problems WHERE status IN ({marks})", FINAL_STATUSES)
        return {row[0] for row in rows}

    def has_work(self) -> bool:
        """Whether any problem has been recorded (a run dir that only holds a config has none)."""
        return self.db.execute("SELECT 1 FROM problems LIMIT 1").fetchone() is not None

    def reasons(self, status: str = REJECTED) -> dict[str, int]:
        """How many problems of `status` ended for each reason, most frequent first."""
        rows = self.db.execute(
            "SELECT COALESCE(reason, ''), COUNT(*) AS n FROM problems WHERE status = ?"
            " GROUP BY 1 ORDER BY n DESC",
            (status,),
        )
        return {reason: n for reason, n in rows}

    # --- writing (the engine) -----------------------------------------------------------------

    def ensure_problem(
        self,
        problem_id: int,
        seed_source: str,
        seed_text: str,
        teacher: str,
        sampling: dict,
        language: str = "python",
    ) -> ProblemRow:
        """The row of slot `problem_id`, created as pending when new (an existing row, with its
        language, is kept as it is)."""
        now = time.time()
        self.db.execute(
            "INSERT OR IGNORE INTO problems(id, status, seed_source, seed_text, language, teacher,"
            " sampling, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                problem_id,
                PENDING,
                seed_source,
                seed_text,
                language,
                teacher,
                json.dumps(sampling),
                now,
                now,
            ),
        )
        problem = self.problem(problem_id)
        assert problem is not None
        return problem

    def record_problem(
        self,
        problem_id: int,
        *,
        prompt: str,
        raw: str,
        problem: str | None,
        finish_reason: str,
        tokens_in: int,
        tokens_out: int,
        teacher_s: float,
    ) -> None:
        """Store the teacher's answer to the problem prompt; the slot moves on to solving."""
        self.db.execute(
            "UPDATE problems SET status = ?, prompt = ?, raw = ?, problem = ?, finish_reason = ?,"
            " tokens_in = ?, tokens_out = ?, teacher_s = ?, updated_at = ? WHERE id = ?",
            (
                SOLVING,
                prompt,
                raw,
                problem,
                finish_reason,
                tokens_in,
                tokens_out,
                teacher_s,
                time.time(),
                problem_id,
            ),
        )

    def record_answer(
        self,
        problem_id: int,
        round: int,
        *,
        prompt: str,
        messages: list[dict[str, str]],
        raw: str,
        finish_reason: str,
        solution: str | None,
        tests: str | None,
        teacher: str,
        sampling: dict,
        tokens_in: int,
        tokens_out: int,
        teacher_s: float,
    ) -> None:
        """Store one teacher answer before it is verified (the resume point)."""
        now = time.time()
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(
                "INSERT OR REPLACE INTO attempts(problem_id, round, status, prompt, messages, raw,"
                " finish_reason, solution, tests, teacher, sampling, tokens_in, tokens_out,"
                " teacher_s, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    problem_id,
                    round,
                    ANSWERED,
                    prompt,
                    json.dumps(messages),
                    raw,
                    finish_reason,
                    solution,
                    tests,
                    teacher,
                    json.dumps(sampling),
                    tokens_in,
                    tokens_out,
                    teacher_s,
                    now,
                ),
            )
            self.db.execute(
                "UPDATE problems SET attempts = (SELECT COUNT(*) FROM attempts WHERE problem_id = ?),"
                " updated_at = ? WHERE id = ?",
                (problem_id, now, problem_id),
            )

    def record_verdict(
        self, problem_id: int, round: int, verdict: dict[str, Any], verify_s: float
    ) -> None:
        """Store the verdict of an answered attempt."""
        self.db.execute(
            "UPDATE attempts SET status = ?, verdict = ?, passed = ?, stage = ?, reason = ?,"
            " feedback = ?, verify_s = ?, verified_at = ? WHERE problem_id = ? AND round = ?",
            (
                VERIFIED,
                json.dumps(verdict),
                int(bool(verdict.get("passed"))),
                verdict.get("stage"),
                verdict.get("reason"),
                verdict.get("feedback"),
                verify_s,
                time.time(),
                problem_id,
                round,
            ),
        )

    def finish_problem(
        self, problem_id: int, status: str, reason: str = "", sample_id: str | None = None
    ) -> None:
        """Mark a slot accepted, rejected or duplicate."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"not a final status: {status!r}")
        self.db.execute(
            "UPDATE problems SET status = ?, reason = ?, sample_id = ?, updated_at = ? WHERE id = ?",
            (status, reason or None, sample_id, time.time(), problem_id),
        )
