"""The transformers teacher end to end on a tiny random model built here (no hub).

Its answers are noise, so every attempt fails before the sandbox; the point is that the loop
records them properly: problems, attempts, verdicts with feedback, tokens, and nothing in the corpus.
"""

from __future__ import annotations

import json

import pytest

from pipeline.cli import main
from pipeline.store import RunStore


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> str:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tests.pipeline import tiny_student

    # Every answer ends with end-of-text at the token limit, so problems get a (noise) statement
    # and the loop reaches its attempts.
    return tiny_student.build(str(tmp_path_factory.mktemp("tiny-model")), forced_eos=True)


@pytest.mark.slow
def test_transformers_teacher_end_to_end(tiny_model, tmp_path, capsys):
    run_dir = tmp_path / "run"
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for i in range(3):
        (seeds / f"m{i}.py").write_text(f"def f{i}(x):\n    return x * {i}\n")
    status = main(
        ["run", "--generator", "transformers", "--model", tiny_model, "--seeds", str(seeds),
         "--problems", "3", "--max-revisions", "1", "--max-tokens", "16", "--batch-size", "4",
         "--sampling-seed", "0", "--device", "cpu", "--run-dir", str(run_dir), "--no-progress",
         "--json"]
    )  # fmt: skip
    assert status == 0
    summary = json.loads(capsys.readouterr().out)
    with RunStore.open_readonly(str(run_dir)) as store:
        problems = list(store.iter_problems())
    assert len(problems) == 3 and all(p.status == "rejected" for p in problems)
    for problem in problems:
        assert problem.raw is not None and problem.problem and problem.tokens_out == 16
        assert problem.teacher == f"transformers:{tiny_model}"
        assert [a.round for a in problem.trail] == [0, 1]  # K + 1 attempts, each recorded
        for attempt in problem.trail:
            assert attempt.status == "verified" and attempt.passed is False
            assert attempt.stage in ("no_code", "no_tests") and attempt.feedback
            assert attempt.tokens_in > 0 and attempt.tokens_out == 16
            assert attempt.finish_reason == "stop"
        revise = problem.trail[1].messages[-1]["content"]
        assert problem.trail[0].feedback in revise
    assert summary["corpus"] == 0 and summary["this_run"]["teacher_calls"] == 9
    assert not list((run_dir / "corpus").glob("part-*.jsonl"))
