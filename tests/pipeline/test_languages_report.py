"""A run of two languages read back: the report counts each language (JSON, terminal, HTML), the
export keeps a `language` column and fences code by language, rejudge sends each attempt to the
verifier in its language. `snake` is the test language: Python code under its own fences."""

from __future__ import annotations

import json
import os

import pytest

from pipeline.cli import main
from pipeline.jsonl import iter_jsonl
from tests.pipeline import runfixtures as rf
from tests.pipeline.chromium import Chromium, chromium_binary
from tests.pipeline.languages import snake, verified_by_the_sandbox

PLANS = [
    # 0 snake: accepted first try
    rf.Plan(
        "seeds/a.snk:1-9",
        "Write running_sum(xs), in snake.",
        [rf.Answer(rf.RUNNING_SUM, rf.RUNNING_SUM_TESTS)],
        language="snake",
    ),
    # 1 snake: lint, fixed in round 1
    rf.Plan(
        "seeds/b.snk:1-9",
        "Write count_vowels(text), in snake.",
        [rf.Answer(rf.VOWELS_UNDEFINED, rf.VOWELS_TESTS), rf.Answer(rf.VOWELS, rf.VOWELS_TESTS)],
        language="snake",
    ),
    # 2 snake: tests fail three times: rejected
    rf.Plan(
        "seeds/c.snk:1-9",
        "Write fib(n), in snake.",
        [rf.Answer(rf.FIB_WRONG, rf.FIB_TESTS)] * 3,
        language="snake",
    ),
    # 3 python: accepted first try
    rf.Plan("seeds/d.py:1-9", "Write clamp(x, lo, hi).", [rf.Answer(rf.CLAMP, rf.CLAMP_TESTS)]),
    # 4 python: a syntax error three times: rejected
    rf.Plan("seeds/e.py:1-9", "Write slugify(text).", [rf.Answer(rf.SLUG_BROKEN, rf.SLUG_TESTS)] * 3),
]  # fmt: skip

BY_LANGUAGE = {
    "snake": {
        "problems": 3,
        "attempts": 6,
        "accepted": 2,
        "rejected": 1,
        "duplicates": 0,
        "in_progress": 0,
        "accepted_first_try": 1,
        "accepted_after_revision": 1,
        "acceptance_rate": 0.6667,
        "accepted_by_round": {"0": 1, "1": 1},
        "rejections_by_stage": {"first_attempt": {"lint": 1, "tests": 1}, "final": {"tests": 1}},
    },
    "python": {
        "problems": 2,
        "attempts": 4,
        "accepted": 1,
        "rejected": 1,
        "duplicates": 0,
        "in_progress": 0,
        "accepted_first_try": 1,
        "accepted_after_revision": 0,
        "acceptance_rate": 0.5,
        "accepted_by_round": {"0": 1},
        "rejections_by_stage": {"first_attempt": {"syntax": 1}, "final": {"syntax": 1}},
    },
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> str:
    snake()
    path = str(tmp_path_factory.mktemp("languages") / "mixed")
    outcome = rf.build_run(path, PLANS)
    assert list(outcome.values()) == ["accepted", "accepted", "rejected", "accepted", "rejected"]
    return path


def test_report_json_breaks_down_by_language(run_dir, capsys):
    capsys.readouterr()
    assert main(["report", run_dir, "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["by_language"] == BY_LANGUAGE
    # Per-language numbers add up to the run's.
    for key in ("problems", "attempts", "accepted", "rejected"):
        assert sum(v[key] for v in got["by_language"].values()) == got[key]


def test_terminal_and_html_show_each_language(run_dir, capsys):
    assert main(["report", run_dir]) == 0
    out = capsys.readouterr().out
    assert "By language" in out
    rows = {line.split()[1]: line for line in out.splitlines() if line.split()[1:2] == ["snake"]}
    assert "66.7%" in rows["snake"] and "tests 1" in rows["snake"]
    html = open(os.path.join(run_dir, "report.html")).read()
    assert 'id="by-language"' in html and '<tr data-language="snake">' in html
    assert 'id="f-language"' in html and 'data-language="python"' in html
    assert "problem · snake" in html


def test_the_drill_down_filters_by_language_in_chromium(run_dir, capsys):
    binary = chromium_binary()
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium; .ci/run does it)")
    assert main(["report", run_dir]) == 0
    with Chromium(binary) as browser:
        browser.open("file://" + os.path.abspath(os.path.join(run_dir, "report.html")))
        count = "document.getElementById('count').textContent"
        assert browser.evaluate(count) == "3 of 3 shown"  # 1 and 2 (snake), 4 (python)
        browser.evaluate(
            "var s = document.getElementById('f-language'); s.value = 'snake';"
            "s.dispatchEvent(new Event('change'))"
        )
        assert browser.evaluate(count) == "2 of 3 shown"
        opened = browser.evaluate(
            "var row = document.querySelector('#trails tr.row:not([hidden])'); row.click();"
            "row.nextElementSibling.innerText"
        )
        assert "problem · snake" in opened.lower()  # the label is shown upper-case
        assert browser.errors == []


def test_export_keeps_the_language_and_fences_by_it(run_dir, tmp_path, capsys):
    out = str(tmp_path / "out")
    args = ["export", run_dir, "--out", out, "--no-decontaminate", "--no-dedup"]
    capsys.readouterr()
    assert main([*args, "--style", "multi-turn"]) == 0
    printed = capsys.readouterr().err  # the summary on the terminal counts rows by language
    assert "language snake" in printed and "language python" in printed
    rows = {r["language"]: r for r in iter_jsonl(os.path.join(out, "train.jsonl"))}
    assert set(rows) == {"python", "snake"}
    summary = json.load(open(os.path.join(out, "assay-export.json")))
    assert summary["by_language"] == {"snake": 2, "python": 1}
    assert "- languages: snake (2), python (1)" in open(os.path.join(out, "README.md")).read()
    snake_rows = [
        r for r in iter_jsonl(os.path.join(out, "train.jsonl")) if r["language"] == "snake"
    ]
    for row in snake_rows:
        answers = [m["content"] for m in row["messages"] if m["role"] == "assistant"]
        assert all(a.startswith("```snake\n") for a in answers)  # the faulty turns too
        assert not any("```python" in a for a in answers)
    assert max(len(r["messages"]) for r in snake_rows) == 4  # the revised one: its whole dialog
    assert rows["python"]["messages"][1]["content"].startswith("```python\n")


def test_rejudge_sends_each_attempt_in_its_language(run_dir, tmp_path, capsys):
    capsys.readouterr()
    out = str(tmp_path / "rejudge.json")
    assert main(["rejudge", run_dir, "--json", "--jobs", "2", "--out", out]) == 0
    summary = json.load(open(out))  # the file has every attempt's new verdict
    snake_slots = {i for i, plan in enumerate(PLANS) if plan.language == "snake"}
    attempts = [a for a in summary["attempts"] if a["problem_id"] in snake_slots]
    assert len(attempts) == 6
    if verified_by_the_sandbox("snake"):
        assert all(
            a["before"] == a["after"] for a in attempts
        )  # the same checks, the same verdicts
    else:  # a verifier that checks only Python refuses them by their language: it was sent along
        assert {a["after"] for a in attempts} == {"error"}
        assert all("'snake'" in a["verdict"]["reason"] for a in attempts)
    python = [a for a in summary["attempts"] if a["problem_id"] not in snake_slots]
    assert all(a["before"] == a["after"] for a in python)
