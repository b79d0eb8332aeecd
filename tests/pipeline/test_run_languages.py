"""`assay run` of a language mix end to end: the scripted teacher answers in the fence the prompt
asks for; each slot's language comes from the mix, its prompts show that language's conventions,
its answers are read by that language's fences, and its verdicts and corpus records carry it. A
rerun in another language on the same run dir is refused. `snake` is the test language (Python
code under its own fences); Python is verified for real."""

from __future__ import annotations

import json
import os
import re

import pytest

from pipeline.cli import main
from pipeline.jsonl import iter_jsonl
from pipeline.languages import Mix
from pipeline.store import RunStore
from tests.pipeline import scenarios
from tests.pipeline.languages import SNAKE_CONVENTIONS, python, verified_by_the_sandbox

NAMES = ["right-1", "wrong_value-2", "right-3", "wrong_value-4", "right-5", "right-6"]
MIX, SEED = "python=1,snake=1", 3


def teacher(messages: list[dict[str, str]]):
    """The scenarios' answers, fenced as the solve prompt asks (```python, ```snake, ...)."""
    answer = scenarios.teacher(messages)
    asked = re.search(r"two ```(\w+) code blocks", messages[0]["content"])
    if asked and isinstance(answer, str):
        answer = answer.replace("```python\n", f"```{asked.group(1)}\n")
    return answer


def run(run_dir: str, seeds: str, *extra: str) -> int:
    return main(
        ["run", "--generator", "scripted", "--model", f"{__name__}:teacher", "--seeds", seeds,
         "--problems", str(len(NAMES)), "--max-revisions", "1", "--run-dir", run_dir,
         "--seed", str(SEED), "--no-progress", "--json", "--jobs", "2", "--timeout", "3", *extra]
    )  # fmt: skip


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    root = tmp_path_factory.mktemp("mix")
    seeds = scenarios.write_seeds(str(root / "seeds.jsonl"), NAMES)
    run_dir = str(root / "run")
    assert run(run_dir, seeds, "--language", MIX) == 0
    with RunStore.open_readonly(run_dir) as store:
        problems = list(store.iter_problems())
    corpus = [r for p in sorted(os.listdir(f"{run_dir}/corpus")) for r in iter_jsonl(f"{run_dir}/corpus/{p}")]  # fmt: skip
    return {"run_dir": run_dir, "seeds": seeds, "problems": problems, "corpus": corpus}


def test_each_slot_runs_in_the_language_the_mix_gives_it(mixed):
    mix = Mix.parse(MIX)
    languages = [p.language for p in mixed["problems"]]
    assert languages == [mix.language_of(slot, SEED) for slot in range(len(NAMES))]
    assert set(languages) == {"python", "snake"}


def test_prompts_show_the_languages_conventions_and_fence(mixed):
    for problem in mixed["problems"]:
        solve = problem.trail[0].prompt
        if problem.language == "snake":
            assert SNAKE_CONVENTIONS in problem.prompt and SNAKE_CONVENTIONS in solve
            assert "two ```snake code blocks" in solve and "Python" not in solve
        else:
            assert python().conventions.strip() in problem.prompt
            assert "two ```python code blocks" in solve and SNAKE_CONVENTIONS not in solve


def test_answers_are_read_by_their_languages_fences_and_verified_in_it(mixed):
    for problem in mixed["problems"]:
        first = problem.trail[0]
        assert f"```{problem.language}\n" in first.raw
        assert first.solution and first.tests  # found under the language's own fence
        if problem.language == "python" or verified_by_the_sandbox("snake"):
            assert problem.status == "accepted"
            if "wrong_value" in (problem.problem or ""):
                assert [a.stage for a in problem.trail] == ["tests", "passed"]
                assert f"```{problem.language}\n" in problem.trail[1].prompt  # the revise prompt
        else:  # a verifier that checks only Python refuses the sample by its language
            assert first.stage == "error" and "'snake'" in first.reason


def test_corpus_records_carry_the_language(mixed):
    assert mixed["corpus"]
    for record in mixed["corpus"]:
        tag = record["language"]
        assert record["messages"][1]["content"].startswith(f"```{tag}\n")
    accepted = {p.language for p in mixed["problems"] if p.status == "accepted"}
    assert {r["language"] for r in mixed["corpus"]} == accepted


def test_the_report_counts_each_language(mixed, capsys):
    capsys.readouterr()
    assert main(["report", mixed["run_dir"], "--json"]) == 0
    by_language = json.loads(capsys.readouterr().out)["by_language"]
    counts = {p.language: 0 for p in mixed["problems"]}
    for p in mixed["problems"]:
        counts[p.language] += 1
    assert {k: v["problems"] for k, v in by_language.items()} == counts


def test_a_rerun_in_another_language_is_refused(mixed, capsys):
    capsys.readouterr()
    assert run(mixed["run_dir"], mixed["seeds"], "--language", "python") == 1
    err = capsys.readouterr().err
    assert "language: 'python=1,snake=1' -> 'python'" in err and "--force" in err
    # The same mix resumes: nothing to do, nothing asked.
    assert run(mixed["run_dir"], mixed["seeds"], "--language", "snake=1,python=1") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["this_run"]["teacher_calls"] == 0
    assert set(summary["by_language"]) == {"python", "snake"}
