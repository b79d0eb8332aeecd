"""What every real-engine test ends with: the run recorded in full, and a verified corpus."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.store import RunStore
from sandbox import Sample, verify
from tests.engines.engines import MAX_MODEL_LEN, TASK_OF_STATEMENT, expected_tokens
from tests.engines.tiny_problems import TASKS


def assert_recorded_in_full(run_dir: Path, model: str, teacher: str, refused: int = 0) -> None:
    """Every task accepted with the tiny coder's very answers (wrong first answers revised),
    each call's tokens as the model's tokenizer counts them, finish reasons, timings, verdicts;
    `refused` problems rejected for a prompt over the context; the corpus verified again."""
    with RunStore.open_readonly(str(run_dir)) as store:
        problems = list(store.iter_problems())
    solved = [p for p in problems if p.status in ("accepted", "duplicate")]
    rejected = [p for p in problems if p.status == "rejected"]
    assert len(rejected) == refused, [(p.id, p.reason) for p in rejected]
    assert len(solved) + len(rejected) == len(problems)
    for p in rejected:  # refused before any answer: nothing else recorded for it
        assert p.reason.startswith("teacher_refused:") and str(MAX_MODEL_LEN) in p.reason, p.reason
        assert '{"error"' not in p.reason  # the engine's own words, not its JSON
        assert p.raw is None and p.trail == []
    for p in solved:
        task = TASK_OF_STATEMENT.get(p.problem)
        assert task is not None, f"problem {p.id}: unexpected statement {p.raw!r}"
        assert p.teacher == teacher and p.finish_reason == "stop" and p.teacher_s > 0
        chat = [{"role": "user", "content": p.prompt}]
        assert (p.tokens_in, p.tokens_out) == expected_tokens(model, chat, p.raw)
        assert [a.round for a in p.trail] == list(range(len(task.answers)))
        for attempt, answer in zip(p.trail, task.answers, strict=True):
            assert attempt.raw == answer, f"problem {p.id} round {attempt.round}"
            assert attempt.status == "verified" and attempt.finish_reason == "stop"
            assert attempt.messages[-1]["content"] == attempt.prompt
            expected = expected_tokens(model, attempt.messages, attempt.raw)
            assert (attempt.tokens_in, attempt.tokens_out) == expected
            assert attempt.teacher_s > 0 and attempt.verify_s > 0
            assert attempt.verdict["stage"] == attempt.stage
        assert [a.passed for a in p.trail] == [False] * (len(p.trail) - 1) + [True]
        if len(p.trail) > 1:  # the revision prompt quoted the verifier's feedback
            assert p.trail[0].feedback and p.trail[0].feedback in p.trail[1].prompt
    records = [
        json.loads(line)
        for part in sorted((run_dir / "corpus").glob("part-*.jsonl"))
        for line in part.read_text().splitlines()
    ]
    assert sorted(r["problem"] for r in records) == sorted(t.statement for t in TASKS)
    assert len({r["id"] for r in records}) == len(records)
    assert all(r["meta"]["teacher"] == teacher for r in records)
    again = verify([Sample(solution=r["solution"], tests=r["tests"]) for r in records])
    assert all(v.passed for v in again), [v.reason for v in again if not v.passed]
