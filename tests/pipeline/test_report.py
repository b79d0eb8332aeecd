"""`assay report`: every number of `--json` against what the run did, bad input, the HTML page in
headless Chromium, and an end-to-end run with the scripted teacher on loopback."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time

import pytest

from pipeline.cli import main
from pipeline.store import RunStore
from tests.pipeline import runfixtures as rf
from tests.pipeline import scenarios
from tests.pipeline.chromium import Chromium, chromium_binary
from tests.pipeline.teacher_server import TeacherServer


def report_json(capsys, *args: str) -> dict:
    capsys.readouterr()
    assert main(["report", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("report") / "standard")
    rf.build_standard_run(path)
    return path


# --- the numbers -------------------------------------------------------------------------------

# What the standard run did (tests/pipeline/runfixtures.py), slot by slot:
#   0 accepted r0 · 1 lint -> accepted r1 · 2 tests, timeout -> accepted r2 · 3 tests x3 rejected
#   4 no_code -> accepted r1 · 5 weak_tests, truncated, syntax rejected · 6 duplicate of 0
#   7 no problem: rejected · 8 accepted r0 · 9 tests, in progress · 10 answered, unverified
#   11 pending
ROUNDS = {0: 1, 1: 2, 2: 3, 3: 3, 4: 2, 5: 3, 6: 1, 7: 0, 8: 1, 9: 1, 10: 1, 11: 0}
EXPECTED = {
    "status": "unfinished",
    "max_revisions": 2,
    "problems": 12,
    "problems_by_status": {
        "pending": 1,
        "solving": 2,
        "accepted": 5,
        "rejected": 3,
        "duplicate": 1,
    },
    "in_progress": 3,
    "finished": 9,
    "attempts": 18,
    "attempts_verified": 17,
    "attempts_unverified": 1,
    "first_attempts": 10,
    "passed_first_try": 3,
    "revisions": 8,
    "accepted": 5,
    "rejected": 3,
    "duplicates": 1,
    "accepted_first_try": 2,
    "accepted_after_revision": 3,
    "acceptance_rate": round(5 / 9, 4),
    "accepted_by_round": {"0": 2, "1": 2, "2": 1},
    "rejected_by_attempts": {"0": 1, "3": 2},
    "rejections_by_stage": {
        "first_attempt": {"tests": 3, "lint": 1, "no_code": 1, "weak_tests": 1},
        "final": {"no_problem": 1, "syntax": 1, "tests": 1},
    },
    "rejections_by_cause": {
        "first_attempt": {
            "tests: AssertionError": 3,
            "lint: F821": 1,
            "no_code": 1,
            "weak_tests": 1,
        },
        "final": {"no_problem": 1, "syntax: SyntaxError": 1, "tests: AssertionError": 1},
    },
    "attempts_by_stage": {
        "passed": 6,
        "tests": 5,
        "lint": 1,
        "no_code": 1,
        "syntax": 1,
        "timeout": 1,
        "truncated": 1,
        "weak_tests": 1,
    },
    "corpus": {"files": 1, "records": 5, "torn_lines": 1, "bad_lines": 0},
    "teachers": {rf.TEACHER: 12},
}
SELF_CORRECTION = {
    "share": 0.6,
    "by_round": {"1": 0.4, "2": 0.2},
    "cumulative_acceptance_by_round": {
        "0": round(2 / 9, 4),
        "1": round(4 / 9, 4),
        "2": round(5 / 9, 4),
    },
    "revised_problems": 5,
    "revised_accepted": 3,
    "fix_rate": 0.6,
}
# failed at stage -> (revised, fixed by the next round, first failures, fixed in the end)
FIXES = {
    "lint": (1, 1, 1, 1),
    "no_code": (1, 1, 1, 1),
    "tests": (3, 0, 2, 1),
    "timeout": (1, 1, 0, 0),
    "truncated": (1, 0, 0, 0),
    "weak_tests": (1, 0, 1, 0),
}
# seed source -> (problems, accepted, rejected, duplicates, in progress, accepted first try)
SEEDS = {
    "pipeline/a.py": (3, 2, 0, 1, 0, 1),
    "pipeline/b.py": (3, 1, 0, 0, 2, 0),
    "seeds.jsonl": (2, 1, 1, 0, 0, 0),
    "hf:org/snippets:train:content": (2, 1, 1, 0, 0, 1),
    "pipeline/c.py": (2, 0, 1, 0, 1, 0),
}


def test_every_number_matches_the_run(run_dir, capsys):
    got = report_json(capsys, run_dir)
    for key, value in EXPECTED.items():
        assert got[key] == value, key
    sc = got["self_correction"]
    assert {k: sc[k] for k in SELF_CORRECTION} == SELF_CORRECTION
    assert {
        s: (v["revised"], v["fixed_next_round"], v["first_failed"], v["fixed_eventually"])
        for s, v in sc["by_stage"].items()
    } == FIXES
    assert {
        s: (
            v["problems"],
            v["accepted"],
            v["rejected"],
            v["duplicates"],
            v["in_progress"],
            v["accepted_first_try"],
        )
        for s, v in got["by_seed_source"].items()
    } == SEEDS

    # Tokens and timings, from the fixed costs of each call that was made.
    stated = [
        i
        for i, plan in enumerate(rf.standard_plans() + rf.in_progress_plans())
        if plan.problem != ""
    ]
    rounds = [r for slot, n in ROUNDS.items() for r in range(n)]
    attempt_in = sum(rf.attempt_tokens(r)[0] for r in rounds)
    attempt_out = sum(rf.attempt_tokens(r)[1] for r in rounds)
    problem_in, problem_out = (len(stated) * t for t in rf.PROBLEM_TOKENS)
    tokens = got["tokens"]
    assert (tokens["problem_in"], tokens["problem_out"]) == (problem_in, problem_out)
    assert (tokens["attempt_in"], tokens["attempt_out"]) == (attempt_in, attempt_out)
    assert tokens["total"] == problem_in + problem_out + attempt_in + attempt_out
    assert tokens["per_accepted"] == round(tokens["total"] / 5, 1)
    teacher_s = len(stated) * rf.PROBLEM_TEACHER_S + len(rounds) * rf.ATTEMPT_TEACHER_S
    timings = got["timings"]
    assert timings["teacher_s"] == pytest.approx(teacher_s)
    assert timings["teacher_s_per_accepted"] == pytest.approx(teacher_s / 5, abs=1e-3)
    verdicts = rf.standard_verdicts()
    verified = [(slot, r) for slot, n in ROUNDS.items() for r in range(n) if slot != 10]
    sandbox_s = sum(verdicts[key].duration_s for key in verified)
    verify_s = sandbox_s + len(verified) * rf.VERIFY_OVERHEAD_S
    assert timings["verify_s"] == pytest.approx(verify_s, abs=2e-3)
    assert timings["sandbox_s"] == pytest.approx(sandbox_s, abs=2e-3)
    assert timings["verify_s_per_attempt"] == pytest.approx(verify_s / 17, abs=1e-3)
    assert 0 < timings["wall_s"] < 600
    assert any("cut off mid-write" in w for w in got["warnings"])
    assert any("3 of 12 problems are not finished" in w for w in got["warnings"])


def test_terminal_summary_and_html(run_dir, capsys):
    assert main(["report", run_dir]) == 0
    out, err = capsys.readouterr()
    assert "Funnel" in out and "Rejections by stage" in out and "Self-correction" in out
    assert "cut off mid-write" in err and "report.html" in err
    html = open(os.path.join(run_dir, "report.html")).read()
    # Self-contained: no fetched resource, plots inline.
    assert not re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", html)
    assert html.count('src="data:image/svg+xml;base64,') >= 4
    assert "F821 Undefined name" in html and "wall clock limit" in html  # trails with feedback


def test_several_runs_side_by_side(run_dir, tmp_path, capsys):
    other = str(tmp_path / "small")
    plans = rf.standard_plans()[:2]
    rf.build_run(
        other, plans, verdicts={k: v for k, v in rf.standard_verdicts().items() if k[0] < 2}
    )
    page = str(tmp_path / "both.html")
    got = report_json(capsys, run_dir, other, "--out", page)
    a, b = got["runs"]
    assert (a["name"], b["name"]) == ("standard", "small")
    assert (b["problems"], b["accepted"], b["accepted_first_try"], b["status"]) == (
        2,
        2,
        1,
        "complete",
    )
    total = got["total"]
    for key in ("problems", "attempts", "accepted", "rejected", "accepted_first_try", "revisions"):
        assert total[key] == a[key] + b[key], key
    assert total["tokens"]["total"] == a["tokens"]["total"] + b["tokens"]["total"]
    assert total["rejections_by_stage"]["first_attempt"]["lint"] == 2
    assert total["runs"] == 2
    html = open(page).read()
    assert "Runs side by side" in html and "standard" in html and "small" in html


def test_piped_tables_keep_whole_names(run_dir, tmp_path, capsys, monkeypatch):
    """Piped or redirected (a file, `less`), the tables are as wide as they need: rich's 80-column
    guess would cut the runs' names short."""
    monkeypatch.delenv("COLUMNS", raising=False)
    names = ["a-run-with-a-long-descriptive-name-one", "a-run-with-a-long-descriptive-name-two"]
    for name in names:
        rf.build_run(str(tmp_path / name), rf.standard_plans()[:2])
    capsys.readouterr()
    assert main(["report", run_dir, *(str(tmp_path / n) for n in names), "--no-html"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in names), out
    assert "passed first try" in out and "…" not in out


# --- bad input ---------------------------------------------------------------------------------


def _foreign(tmp_path, kind: str) -> str:
    path = tmp_path / kind
    if kind == "missing":
        return str(path)
    if kind == "file":
        path.write_text("hello")
        return str(path)
    path.mkdir()
    if kind == "verify-output":
        (path / "summary.json").write_text("{}")
    elif kind == "not-sqlite":
        (path / "run.sqlite").write_text("this is not a database" * 100)
    elif kind == "other-sqlite":
        sqlite3.connect(path / "run.sqlite").execute("CREATE TABLE t (x)").connection.commit()
    elif kind == "newer-schema":
        store = RunStore(str(path))
        store.set_meta("schema_version", "99")
        store.close()
    return str(path)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", "does not exist"),
        ("file", "is a file, not a run directory"),
        ("empty-dir", "not an assay run directory (no run.sqlite)"),
        ("verify-output", "output directory of `assay verify`"),
        ("not-sqlite", "is not an assay run store"),
        ("other-sqlite", "not an assay run store"),
        ("newer-schema", "upgrade assay"),
    ],
)
def test_bad_run_dir_gives_a_clear_message(tmp_path, capsys, kind, message):
    path = _foreign(tmp_path, kind)
    assert main(["report", path, "--json"]) == 2
    out, err = capsys.readouterr()
    assert message in err and "Traceback" not in err and out == ""


def test_a_run_given_twice_and_a_negative_cap_are_refused(run_dir, capsys):
    assert main(["report", run_dir, run_dir + "/", "--json"]) == 2
    assert f"{run_dir}/ is given twice (as {run_dir})" in capsys.readouterr().err
    assert main(["report", run_dir, "--max-trails", "-1"]) == 2
    assert "--max-trails -1: give 0 or more" in capsys.readouterr().err


@pytest.mark.parametrize("empty", ["new-store", "zero-bytes"])
def test_empty_run(tmp_path, capsys, empty):
    path = tmp_path / "run"
    path.mkdir()
    if empty == "new-store":
        RunStore(str(path)).close()
    else:
        (path / "run.sqlite").write_bytes(b"")
    got = report_json(capsys, str(path))
    assert got["status"] == "empty" and got["problems"] == 0 and got["accepted"] == 0
    assert got["self_correction"]["share"] is None
    assert main(["report", str(path)]) == 0  # the page and the tables render with no data
    assert "no problems yet" in capsys.readouterr().err
    assert os.path.getsize(path / "report.html") > 1000


def test_run_in_progress_reads_a_consistent_snapshot(tmp_path, capsys):
    path = str(tmp_path / "live")
    rf.build_run(path, rf.standard_plans()[:1], verdicts={(0, 0): rf.standard_verdicts()[(0, 0)]})
    writer = RunStore(path)  # the engine, mid-step: a write transaction not yet committed
    writer.db.execute("BEGIN IMMEDIATE")
    writer.ensure_problem(1, "x.py:1-2", "x", rf.TEACHER, rf.SAMPLING)
    try:
        got = report_json(capsys, path)
        assert (got["problems"], got["accepted"], got["status"]) == (1, 1, "complete")
    finally:
        writer.db.execute("COMMIT")
    got = report_json(capsys, path)
    assert (got["problems"], got["in_progress"], got["status"]) == (2, 1, "unfinished")
    writer.close()
    # The WAL files the live writer left are read, not needed to be writable.
    assert main(["report", path, "--no-html"]) == 0


# --- the page in a real browser ----------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    binary = chromium_binary()
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium; .ci/run does it)")
    with Chromium(binary) as chromium:
        yield chromium


def test_report_html_in_headless_chromium(run_dir, browser, tmp_path):
    assert main(["report", run_dir]) == 0
    browser.open("file://" + os.path.abspath(os.path.join(run_dir, "report.html")))
    shot = browser.screenshot(str(tmp_path / "report.png"))
    assert open(shot, "rb").read(8) == b"\x89PNG\r\n\x1a\n" and os.path.getsize(shot) > 20_000
    # Every plot decoded.
    assert browser.evaluate(
        "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"
    )
    assert browser.evaluate("document.images.length") >= 5
    # The drill-down filters client-side and opens a trail.
    count = "document.getElementById('count').textContent"
    assert browser.evaluate(count) == "10 of 10 shown"
    browser.evaluate(
        "var s = document.getElementById('f-stage'); s.value = 'lint';"
        "s.dispatchEvent(new Event('change'))"
    )
    assert browser.evaluate(count) == "1 of 10 shown"
    browser.evaluate(
        "var s = document.getElementById('f-stage'); s.value = '';"
        "s.dispatchEvent(new Event('change'));"
        "var q = document.getElementById('q'); q.value = 'fibonacci';"
        "q.dispatchEvent(new Event('input'))"
    )
    assert browser.evaluate(count) == "1 of 10 shown"
    opened = browser.evaluate(
        "var row = document.querySelector('#trails tr.row:not([hidden])'); row.click();"
        "row.nextElementSibling.hidden === false && row.nextElementSibling.innerText"
    )
    assert "assert fib(10) == 55" in opened and "revision 2" in opened
    browser.screenshot(str(tmp_path / "report-full.png"), full_page=True)
    assert browser.errors == []


# --- end to end: `assay run` with the scripted teacher, then `assay report` --------------------

K = 2
NAMES = [*scenarios.SCENARIOS, "right-dup", "right-dup"]


@pytest.fixture(scope="module")
def scripted_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    seeds = scenarios.write_seeds(str(root / "seeds.jsonl"), NAMES)
    run_dir = str(root / "run")
    with TeacherServer(scenarios.teacher) as server:
        started = time.monotonic()
        status = main(
            [
                "run", "--generator", "openai", "--model", server.model,
                "--base-url", server.base_url, "--seeds", seeds,
                "--problems", str(len(NAMES)), "--max-revisions", str(K),
                "--run-dir", run_dir, "--timeout", "2", "--no-progress",
            ]
        )  # fmt: skip
        elapsed = time.monotonic() - started
        assert status == 0
        answered = server.answered()
    return {"run_dir": run_dir, "answered": answered, "elapsed": elapsed, "seeds": seeds}


# scenario -> the round that passed, or the final stage of a rejection (tests/pipeline/scenarios.py)
OUTCOMES = {
    "right": 0,
    "wrong_value": 1,
    "undefined_name": 1,
    "infinite_loop": 1,
    "wrong_test": 1,
    "never_fixed": "tests",
    "refusal": 1,
    "truncated": 1,
}
FIRST_FAILURES = {
    "wrong_value": "tests",
    "undefined_name": "lint",
    "infinite_loop": "timeout",
    "wrong_test": "tests",
    "never_fixed": "tests",
    "refusal": "no_code",
    "truncated": "truncated",
}


def test_report_of_a_scripted_run(scripted_run, capsys):
    got = report_json(capsys, scripted_run["run_dir"])
    answered = scripted_run["answered"]
    problem_calls = [
        r for r in answered if "programming problem inspired" in r.messages[0]["content"]
    ]
    attempt_calls = [r for r in answered if r not in problem_calls]
    # "right-dup" twice: the first accepted at round 0, the second a duplicate (after its round 0).
    accepted_rounds = [r for r in OUTCOMES.values() if isinstance(r, int)] + [0]
    assert got["status"] == "complete"
    assert got["problems"] == len(NAMES) == len(problem_calls)
    assert got["attempts"] == len(attempt_calls) == (K + 1) + 1 + 6 * 2 + 2
    assert got["first_attempts"] == len(NAMES)
    assert got["revisions"] == len(attempt_calls) - len(NAMES)
    assert got["accepted"] == len(accepted_rounds) == got["corpus"]["records"]
    assert got["accepted_first_try"] == accepted_rounds.count(0)
    assert got["accepted_after_revision"] == accepted_rounds.count(1)
    assert got["accepted_by_round"] == {"0": 2, "1": 6}
    assert (got["rejected"], got["duplicates"], got["in_progress"]) == (1, 1, 0)
    assert got["passed_first_try"] == 3
    first = {}
    for stage in FIRST_FAILURES.values():
        first[stage] = first.get(stage, 0) + 1
    assert got["rejections_by_stage"] == {"first_attempt": first, "final": {"tests": 1}}
    assert got["rejections_by_cause"]["first_attempt"]["lint: F821"] == 1
    assert got["rejected_by_attempts"] == {str(K + 1): 1}
    assert got["self_correction"]["share"] == round(6 / 8, 4)
    assert got["self_correction"]["by_stage"]["timeout"]["fixed_next_round"] == 1
    assert got["self_correction"]["by_stage"]["tests"] == {
        "revised": 2 + K,  # wrong_value, wrong_test, and never_fixed's first K rounds
        "fixed_next_round": 2,
        "next_round_fix_rate": 0.5,
        "first_failed": 3,
        "fixed_eventually": 2,
        "eventual_fix_rate": round(2 / 3, 4),
    }
    # Tokens as the loopback server counted them (words of the chat in, words of the answer out).
    tokens_in = sum(sum(len(m["content"].split()) for m in r.messages) for r in answered)
    tokens_out = 0
    for r in answered:
        answer = scenarios.teacher(r.messages)
        text = answer["content"] if isinstance(answer, dict) else answer
        tokens_out += len(text.split())
    assert (got["tokens"]["in"], got["tokens"]["out"]) == (tokens_in, tokens_out)
    problem_in = sum(sum(len(m["content"].split()) for m in r.messages) for r in problem_calls)
    assert got["tokens"]["problem_in"] == problem_in
    timings = got["timings"]
    assert 0 < timings["wall_s"] <= scripted_run["elapsed"]
    assert 0 < timings["teacher_s"] and 0 < timings["verify_s"]
    assert timings["sandbox_s"] <= timings["verify_s"]
    assert timings["teacher_s_per_accepted"] == pytest.approx(timings["teacher_s"] / 8, abs=1e-3)
    assert list(got["by_seed_source"]) == [scenarios_source(scripted_run["seeds"])]
    assert got["by_seed_source"][scenarios_source(scripted_run["seeds"])]["accepted"] == 8
    assert got["warnings"] == []


def scenarios_source(seeds_path: str) -> str:
    return seeds_path
