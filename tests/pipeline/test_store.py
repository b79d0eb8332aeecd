"""The run store's schema and read helpers, and the corpus's append-only dedup."""

from __future__ import annotations

import sqlite3

import pytest

from pipeline.corpus import (
    ADDED,
    DUPLICATE_PROBLEM,
    DUPLICATE_SOLUTION,
    PRESENT,
    Corpus,
    problem_key,
    solution_key,
)
from pipeline.store import RunStore, StoreError


def fill(store: RunStore) -> None:
    store.ensure_problem(0, "a.py:1-5", "x = 1", "openai:m", {"temperature": 0.5})
    store.record_problem(
        0, prompt="P", raw="Write f.", problem="Write f.", finish_reason="stop",
        tokens_in=10, tokens_out=3, teacher_s=0.5,
    )  # fmt: skip
    for round, passed in ((0, False), (1, True)):
        store.record_answer(
            0, round, prompt=f"prompt {round}", messages=[{"role": "user", "content": "m"}],
            raw=f"raw {round}", finish_reason="stop", solution="def f(): ...", tests="def test(): ...",
            teacher="openai:m", sampling={"temperature": 0.5}, tokens_in=20, tokens_out=7, teacher_s=1.0,
        )  # fmt: skip
        store.record_verdict(0, round, {"passed": passed, "stage": "passed" if passed else "tests",
                                        "reason": "", "feedback": "fb"}, 0.2)  # fmt: skip
    store.finish_problem(0, "accepted", sample_id="abc")
    store.ensure_problem(1, "a.py:6-9", "y = 2", "openai:m", {})
    store.finish_problem(1, "rejected", reason="no_problem")


def test_store_round_trip_and_helpers(tmp_path):
    with RunStore(str(tmp_path)) as store:
        fill(store)
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with RunStore.open_readonly(str(tmp_path)) as store:
        problems = list(store.iter_problems())
        assert [p.status for p in problems] == ["accepted", "rejected"]
        first = problems[0]
        assert first.sampling == {"temperature": 0.5} and first.attempts == 2
        assert [(a.round, a.passed, a.stage) for a in first.trail] == [
            (0, False, "tests"),
            (1, True, "passed"),
        ]
        assert first.trail[0].messages == [{"role": "user", "content": "m"}]
        assert [p.id for p in store.iter_problems("rejected")] == [1]
        counts = store.counts()
        assert (counts["accepted"], counts["rejected"], counts["attempts"]) == (1, 1, 2)
        assert (counts["tokens_in"], counts["tokens_out"]) == (50, 17)
        assert store.reasons() == {"no_problem": 1}
        assert store.get_meta("schema_version") == "2"
        with pytest.raises(sqlite3.OperationalError):
            store.set_meta("x", "y")  # read-only


def test_readonly_on_a_missing_run(tmp_path):
    with pytest.raises(StoreError, match="is this a run directory"):
        RunStore.open_readonly(str(tmp_path / "nothing"))


def test_ensure_problem_keeps_the_first_seed(tmp_path):
    with RunStore(str(tmp_path)) as store:
        store.ensure_problem(0, "a", "one", "t", {})
        assert store.ensure_problem(0, "b", "two", "t", {}).seed_text == "one"


def record(id, problem, solution, slot):
    return {
        "id": id,
        "problem": problem,
        "solution": solution,
        "tests": "",
        "meta": {"problem_index": slot},
    }


def test_corpus_adds_once_and_survives_reopen(tmp_path):
    corpus = Corpus(str(tmp_path))
    assert corpus.add(record("a", "Write f.", "def f(): pass", 0)) == (ADDED, "a")
    assert corpus.add(record("a", "Write f.", "def f(): pass", 0)) == (PRESENT, "a")
    assert corpus.add(record("a", "Write f.", "def f(): pass", 5)) == (DUPLICATE_PROBLEM, "a")
    assert corpus.add(record("b", "  write F. ", "x", 1)) == (DUPLICATE_PROBLEM, "a")
    assert corpus.add(record("c", "Other.", "\n  def f(): pass  \n\n", 2)) == (
        DUPLICATE_SOLUTION,
        "a",
    )
    corpus.close()
    again = Corpus(str(tmp_path))
    assert len(again) == 1 and again.check(record("a", "Write f.", "", 0)) == (PRESENT, "a")
    assert again.add(record("d", "New.", "def g(): pass", 3)) == (ADDED, "d")
    again.close()
    lines = (tmp_path / "part-00000.jsonl").read_text().splitlines()
    assert len(lines) == 2


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [("Write f.", "write   f.", True), ("Write f.", "Write g.", False)],
)
def test_problem_key(a, b, same):
    assert (problem_key(a) == problem_key(b)) is same


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("def f():\n    return 1\n", "    def f():\n        return 1   \n\n", True),
        ("def f():\n    return 1\n", "def f():\n    return 2\n", False),
    ],
)
def test_solution_key(a, b, same):
    assert (solution_key(a) == solution_key(b)) is same
