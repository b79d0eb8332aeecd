"""`assay rejudge`: recorded attempts re-verified under other options, the funnel replayed, and
nothing of the run touched."""

from __future__ import annotations

import glob
import hashlib
import json
import os

import pytest

from pipeline.cli import main
from pipeline.store import RunStore
from sandbox.options import DEFAULT_LINT_REJECT
from tests.pipeline import runfixtures as rf
from tests.pipeline import scenarios

# The standard run: 18 attempts; one not verified yet, one without code, one cut off.
REVERIFIED, KEPT = 15, 3


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("rejudge") / "standard")
    rf.build_standard_run(path)
    return path


def rejudge(capsys, run_dir: str, *args: str) -> dict:
    capsys.readouterr()
    assert main(["rejudge", run_dir, "--json", "--jobs", "2", *args]) == 0
    return json.loads(capsys.readouterr().out)


def changes(summary: dict) -> dict[str, int]:
    return {k: v["change"] for k, v in summary["funnel"].items() if v["change"]}


def test_same_options_give_the_same_funnel(run_dir, tmp_path, capsys):
    got = rejudge(capsys, run_dir, "--out", str(tmp_path / "same.json"))
    assert (got["reverified"], got["kept"]) == (REVERIFIED, KEPT)
    assert changes(got) == {} and got["changed_attempts"] == 0 and got["problems_changed"] == []
    assert all(a == b for a, b in (t.split(" -> ") for t in got["transitions"]))
    assert got["options"]["timeout_s"] == 2.0  # the run's own options, from its config.toml


def test_stricter_lint_rule_changes_the_funnel(run_dir, tmp_path, capsys):
    # F401 (unused import) made a rejecting rule: slot 8 was accepted at once with `import os`.
    strict = ",".join([*DEFAULT_LINT_REJECT, "F401"])
    got = rejudge(capsys, run_dir, "--lint-select", strict, "--out", str(tmp_path / "strict.json"))
    assert got["transitions"]["passed -> lint"] == 1 and got["changed_attempts"] == 1
    assert changes(got) == {
        "accepted": -1,
        "accepted_first_try": -1,
        "passed_first_try": -1,
        "in_progress": +1,  # its next round would need the teacher
    }
    assert got["needs_teacher"] == 1
    assert got["problems_changed"] == [
        {"problem_id": 8, "before": "accepted", "after": "solving", "reason": None}
    ]
    assert got["rejections_by_stage"]["after"]["first_attempt"]["lint"] == 2
    written = json.load(open(tmp_path / "strict.json"))
    (changed,) = [a for a in written["attempts"] if a["before"] != a["after"]]
    assert (changed["problem_id"], changed["round"], changed["after"]) == (8, 0, "lint")
    assert changed["verdict"]["lint"][0]["code"] == "F401"


def test_looser_options_accept_more_and_leave_the_run_alone(run_dir, capsys):
    def digest() -> str:
        h = hashlib.sha256()
        for path in sorted(glob.glob(os.path.join(run_dir, "**"), recursive=True)):
            if os.path.isfile(path) and not os.path.basename(path).startswith("rejudge-"):
                h.update(path.encode() + open(path, "rb").read())
        return h.hexdigest()

    before = digest()
    # Without the strength check, slot 5's weak tests pass at once: rejected -> accepted.
    got = rejudge(capsys, run_dir, "--no-strength-check")
    assert got["transitions"]["weak_tests -> passed"] == 1
    assert changes(got) == {
        "accepted": +1,
        "accepted_first_try": +1,
        "passed_first_try": +1,
        "rejected": -1,
    }
    assert got["rejections_by_stage"]["before"]["final"]["syntax"] == 1
    assert "syntax" not in got["rejections_by_stage"]["after"]["final"]
    assert got["problems_changed"] == [
        {"problem_id": 5, "before": "rejected", "after": "accepted", "reason": None}
    ]
    first = got["written_to"]
    assert os.path.dirname(first) == run_dir and os.path.basename(first).startswith("rejudge-")
    second = rejudge(capsys, run_dir, "--no-strength-check")["written_to"]
    assert second != first and os.path.exists(first)  # a rerun never clobbers an earlier one
    assert digest() == before  # run.sqlite and the corpus are untouched
    with RunStore.open_readonly(run_dir) as store:
        assert store.problem(5).status == "rejected"


def test_terminal_summary(run_dir, tmp_path, capsys):
    assert main(["rejudge", run_dir, "--timeout", "0.5", "--out", str(tmp_path / "t.json")]) == 0
    out = capsys.readouterr().out
    assert "before" in out and "after" in out and "attempts re-verified" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/nonexistent/run"], "does not exist"),
        (["RUN", "--timeout", "-1"], "--timeout must be positive"),
        (["RUN", "--timeout", "nan"], "--timeout must be positive and at most 86400 s"),
        (["RUN", "--timeout", "inf"], "--timeout must be positive and at most 86400 s"),
        (["RUN", "--lint-select", "F8211"], "Unknown rule selector `F8211`"),
        (["RUN", "--lint-ignore", "ZZZ"], "Unknown rule selector `ZZZ`"),
    ],
)
def test_bad_input_gives_a_clear_message(run_dir, capsys, args, message):
    args = [run_dir if a == "RUN" else a for a in args]
    assert main(["rejudge", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_empty_run(tmp_path, capsys):
    path = tmp_path / "empty"
    path.mkdir()
    RunStore(str(path)).close()
    got = rejudge(capsys, str(path))
    assert got["reverified"] == 0 and changes(got) == {}


def test_the_runs_own_checks_stand_without_its_config_file(tmp_path, capsys):
    """Options not given are the run's own: its run store records its checks, so a config.toml
    gone missing does not turn them into the defaults; where neither records any, a warning
    says the defaults stand in."""
    path = str(tmp_path / "run")
    seeds = scenarios.write_seeds(str(tmp_path / "seeds.jsonl"), ["right", "wrong_value"])
    assert main(
        ["run", "--generator", "scripted", "--model", "tests.pipeline.scenarios:teacher",
         "--seeds", seeds, "--problems", "2", "--run-dir", path, "--no-progress",
         "--no-strength-check", "--timeout", "3"]
    ) == 0  # fmt: skip
    os.remove(os.path.join(path, "config.toml"))
    got = rejudge(capsys, path)
    assert (got["options"]["strength_check"], got["options"]["timeout_s"]) == (False, 3.0)
    with RunStore(path) as store:
        store.db.execute("DELETE FROM meta WHERE key = 'config_identity'")
    assert main(["rejudge", path, "--json", "--jobs", "2"]) == 0
    captured = capsys.readouterr()
    assert "records no verifier options" in captured.err
    assert json.loads(captured.out)["options"]["strength_check"] is True


def test_an_out_that_is_a_directory_is_refused_before_the_work(run_dir, tmp_path, capsys):
    assert main(["rejudge", run_dir, "--out", str(tmp_path)]) == 2
    assert f"--out {tmp_path} is a directory" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []  # no temporary file left behind
    afile = tmp_path / "afile"
    afile.write_text("mine")
    assert main(["rejudge", run_dir, "--out", str(afile / "x.json")]) == 2
    assert f"{afile} is a file, not a directory" in capsys.readouterr().err
    assert main(["rejudge", run_dir, "--out", str(tmp_path / "nowhere" / "x.json")]) == 2
    assert "its directory does not exist" in capsys.readouterr().err
