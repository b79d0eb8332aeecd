"""`assay run` end to end: a real loopback HTTP teacher, the real sandbox, SQLite and the CLI.

One run of every scenario (tests/pipeline/scenarios.py) with K = 2, HTTP 500 and 429 injected on
the first requests; the tests below each check one promise of the loop on that run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pipeline.cli import main
from pipeline.jsonl import iter_jsonl
from pipeline.store import RunStore
from tests.pipeline import scenarios
from tests.pipeline.teacher_server import TeacherServer

K = 2
NAMES = [*scenarios.SCENARIOS, "right-dup", "right-dup"]


def run_cli(server: TeacherServer, seeds: str, run_dir: str, *extra: str) -> int:
    return main(
        [
            "run",
            "--generator", "openai",
            "--model", server.model,
            "--base-url", server.base_url,
            "--seeds", seeds,
            "--problems", str(len(NAMES)),
            "--max-revisions", str(K),
            "--run-dir", run_dir,
            "--timeout", "2",
            "--retry-base", "0.05",
            "--no-progress",
            *extra,
        ]
    )  # fmt: skip


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("run")
    seeds = scenarios.write_seeds(str(root / "seeds.jsonl"), NAMES)
    run_dir = str(root / "run")
    with TeacherServer(scenarios.teacher, faults=[500, 429, 503]) as server:
        assert run_cli(server, seeds, run_dir) == 0
        requests = list(server.requests)
        # A rerun of a finished run calls nobody and changes nothing.
        assert run_cli(server, seeds, run_dir) == 0
        assert len(server.requests) == len(requests)
    with RunStore.open_readonly(run_dir) as store:
        problems = {
            p.problem.split("]")[0].removeprefix("[scenario "): p
            for p in store.iter_problems()
            if p.problem
        }
    corpus = [
        r
        for path in sorted(os.listdir(f"{run_dir}/corpus"))
        for r in iter_jsonl(f"{run_dir}/corpus/{path}")
    ]
    return {"run_dir": run_dir, "requests": requests, "problems": problems, "corpus": corpus}  # fmt: skip


def test_right_first_answer_is_accepted(finished):
    problem = finished["problems"]["right"]
    assert problem.status == "accepted"
    assert [a.stage for a in problem.trail] == ["passed"]


# scenario -> text the revision prompt must quote: the part of the feedback that explains the failure
FIXED_AFTER_FEEDBACK = [
    ("wrong_value", "assert [2, 4, 7] == [1, 3, 6]", "tests"),
    ("undefined_name", "F821 Undefined name `VOWELS`", "lint"),
    ("infinite_loop", "wall clock limit of 2 s exceeded", "timeout"),
    ("wrong_test", "assert False is True", "tests"),
    ("refusal", "no ```python code block", "no_code"),
    ("truncated", "cut off at the token limit", "truncated"),
]


@pytest.mark.parametrize(("name", "quoted", "stage"), FIXED_AFTER_FEEDBACK)
def test_failure_is_fixed_after_feedback(finished, name, quoted, stage):
    problem = finished["problems"][name]
    assert problem.status == "accepted", problem.trail[-1].feedback
    first, second = problem.trail
    assert (first.stage, second.stage) == (stage, "passed")
    assert quoted in first.feedback
    # The revision prompt the teacher received quotes that feedback, whole.
    revise = second.messages[-1]["content"]
    assert first.feedback.strip() in revise and quoted in revise
    sent = [r for r in finished["requests"] if r.status == 200 and r.messages == second.messages]
    assert len(sent) == 1
    # The dialog keeps the faulty answer before the revision request.
    assert second.messages[-2] == {"role": "assistant", "content": first.raw}


def test_never_fixed_is_rejected_after_k_plus_1_attempts(finished):
    problem = finished["problems"]["never_fixed"]
    assert problem.status == "rejected" and problem.reason == "tests"
    assert [a.round for a in problem.trail] == list(range(K + 1))
    assert all(a.stage == "tests" for a in problem.trail)


def test_http_500_and_429_are_retried(finished):
    statuses = [r.status for r in finished["requests"]]
    assert statuses[:3] == [500, 429, 503]
    assert all(
        p.status in ("accepted", "rejected", "duplicate") for p in finished["problems"].values()
    )


def test_every_step_is_recorded(finished):
    for problem in finished["problems"].values():
        assert problem.raw and problem.prompt and problem.seed_source.endswith(tuple("0123456789"))
        for attempt in problem.trail:
            assert attempt.status == "verified" and attempt.verdict is not None
            assert attempt.raw is not None and attempt.messages[-1]["content"] == attempt.prompt
            assert attempt.tokens_out > 0 and attempt.teacher == "openai:scripted-teacher"
            assert attempt.sampling["max_tokens"] == 2048


def test_duplicate_is_not_added_twice(finished):
    with RunStore.open_readonly(finished["run_dir"]) as store:
        copies = [p for p in store.iter_problems() if p.problem.startswith("[scenario right-dup]")]
    assert sorted(p.status for p in copies) == ["accepted", "duplicate"]
    duplicate = next(p for p in copies if p.status == "duplicate")
    assert duplicate.reason == "duplicate_problem"
    problems = [r["problem"] for r in finished["corpus"]]
    assert len(problems) == len(set(problems))


def test_corpus_holds_only_verified_samples_with_provenance(finished):
    corpus = finished["corpus"]
    with RunStore.open_readonly(finished["run_dir"]) as store:
        accepted = {p.sample_id for p in store.iter_problems("accepted")}
    assert len(corpus) == len(scenarios.SCENARIOS)  # all but never_fixed, and one right-dup
    assert {r["id"] for r in corpus} == accepted
    for record in corpus:
        assert record["verdict"]["passed"] is True
        assert [m["role"] for m in record["messages"]] == ["user", "assistant"]
        assert record["messages"][0]["content"] == record["problem"]
        assert record["solution"] in record["messages"][1]["content"]
        meta = record["meta"]
        assert meta["teacher"] == "openai:scripted-teacher" and meta["sampling"]["top_p"] == 0.95
        assert meta["attempts"] == len(meta["trail"]) and meta["trail"][-1]["stage"] == "passed"
        assert meta["source"].startswith(os.path.dirname(finished["run_dir"]))
        assert meta["verifier_version"] and meta["time"]


@pytest.mark.slow
def test_corpus_reverifies_clean_with_assay_verify(finished, tmp_path):
    parts = sorted(os.path.join(finished["run_dir"], "corpus", p) for p in os.listdir(os.path.join(finished["run_dir"], "corpus")))  # fmt: skip
    out = tmp_path / "reverified"
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "verify", *parts, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["passed"] == len(finished["corpus"]) and summary["rejected"] == 0


def test_config_is_saved_resolved(finished):
    text = open(os.path.join(finished["run_dir"], "config.toml")).read()
    assert 'generator = "openai"' in text and "max_revisions = 2" in text and "[verifier]" in text


def test_sequential_path_gives_the_same_outcomes(tmp_path):
    """--concurrency 1 --jobs 1: one problem at a time, the path to debug with a breakpoint."""
    names = ["right", "wrong_value", "never_fixed"]
    seeds = scenarios.write_seeds(str(tmp_path / "seeds.jsonl"), names)
    with TeacherServer(scenarios.teacher) as server:
        status = main(
            ["run", "--model", server.model, "--base-url", server.base_url, "--seeds", seeds,
             "--problems", "3", "--max-revisions", "1", "--concurrency", "1", "--jobs", "1",
             "--run-dir", str(tmp_path / "run"), "--no-progress"]
        )  # fmt: skip
    assert status == 0 and server.in_flight_max == 1
    with RunStore.open_readonly(str(tmp_path / "run")) as store:
        got = {p.problem.split("]")[0][10:]: (p.status, p.attempts) for p in store.iter_problems()}
    assert got == {
        "right": ("accepted", 1),
        "wrong_value": ("accepted", 2),
        "never_fixed": ("rejected", 2),
    }


def test_scripted_teacher_plugs_into_the_same_registry(tmp_path, capsys):
    seeds = scenarios.write_seeds(str(tmp_path / "seeds.jsonl"), ["right", "refusal"])
    status = main(
        ["run", "--generator", "scripted", "--model", "tests.pipeline.scenarios:teacher",
         "--seeds", seeds, "--problems", "2", "--run-dir", str(tmp_path / "run"), "--no-progress",
         "--json"]
    )  # fmt: skip
    assert status == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["accepted"] == 2 and summary["this_run"]["teacher_calls"] == 5


def test_seed_lines_that_give_no_seed_are_counted_and_the_first_named(tmp_path, capsys):
    seeds = scenarios.write_seeds(str(tmp_path / "seeds.jsonl"), ["right"])
    with open(seeds, "a") as fh:
        fh.write('{"code": "x = 1",\n[1]\n{"source": "y = 2"}\n')
    argv = ["run", "--generator", "scripted", "--model", "tests.pipeline.scenarios:teacher",
            "--seeds", seeds, "--problems", "1", "--run-dir", str(tmp_path / "run"),
            "--no-progress"]  # fmt: skip
    assert main([*argv, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["accepted"] == 1
    assert summary["seeds_skipped"] == {
        "lines": 3,
        "first": f"{seeds}:2: invalid JSON: Expecting property name enclosed in double quotes"
        ": column 18",
    }
    assert main(argv) == 0  # resumed: nothing left to do, the summary says it again
    out = " ".join(capsys.readouterr().out.split())
    assert (
        f"seeds: 3 lines skipped (not JSON, or without a code, content or text string); the first: {seeds}:2:"
        in out
    )


def test_a_run_dir_that_cannot_be_used_is_named_before_any_teacher_call(
    tmp_path, capsys, locked_elsewhere
):
    """A damaged run store, a file given as --run-dir, an empty one, one another process runs in,
    or checks ruff refuses stop
    the run with what and where, before any teacher call, and leave what is there alone."""
    seeds = scenarios.write_seeds(str(tmp_path / "seeds.jsonl"), ["right"])
    argv = ["run", "--generator", "scripted", "--model", "tests.pipeline.scenarios:teacher",
            "--seeds", seeds, "--problems", "1", "--no-progress"]  # fmt: skip
    run_dir = tmp_path / "run"
    assert main([*argv, "--run-dir", str(run_dir)]) == 0
    store = run_dir / "run.sqlite"
    good = store.read_bytes()
    with open(store, "r+b") as fh:  # a torn copy: the first page stands, the rest is gone
        fh.truncate(len(good) // 2)
    capsys.readouterr()
    assert main([*argv, "--problems", "2", "--run-dir", str(run_dir)]) == 1
    err = capsys.readouterr().err
    assert f"the run store {store} cannot be used: " in err and "Traceback" not in err
    afile = tmp_path / "afile"
    afile.write_text("mine")
    assert main([*argv, "--run-dir", str(afile)]) == 1
    assert f"--run-dir {afile} is a file, not a directory" in capsys.readouterr().err
    assert afile.read_text() == "mine"
    assert main([*argv, "--run-dir", ""]) == 1
    assert "--run-dir is empty" in capsys.readouterr().err
    busy = tmp_path / "busy"
    busy.mkdir()
    pid = locked_elsewhere(busy)  # another `assay run` on it
    assert main([*argv, "--run-dir", str(busy)]) == 1
    assert f"--run-dir {busy} is in use by another assay process (pid {pid})" in (
        capsys.readouterr().err
    )
    assert os.listdir(busy) == [".assay.lock"]
    fresh = tmp_path / "fresh"
    assert main([*argv, "--run-dir", str(fresh), "--lint-select", "F8211"]) == 2
    assert "Unknown rule selector `F8211`" in capsys.readouterr().err
    assert not fresh.exists()  # refused before the run dir was made, so a fix is not a change
