"""kill -9 midway, then Ctrl-C midway, then a rerun: nothing lost, duplicated or asked twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from pipeline.jsonl import iter_jsonl
from pipeline.store import RunStore
from tests.pipeline import scenarios
from tests.pipeline.teacher_server import TeacherServer, chat_key

NAMES = [
    f"{base}-{i}" for i in range(4) for base in ("right", "wrong_value", "refusal", "never_fixed")
]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start(server: TeacherServer, seeds: str, run_dir: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "run", "--model", server.model,
         "--base-url", server.base_url, "--seeds", seeds, "--problems", str(len(NAMES)),
         "--max-revisions", "1", "--concurrency", "3", "--run-dir", run_dir, "--no-progress"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_for(run_dir: str, accepted: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            db = sqlite3.connect(f"file:{run_dir}/run.sqlite?mode=ro", uri=True)
            n = db.execute("SELECT COUNT(*) FROM problems WHERE status = 'accepted'").fetchone()[0]
            db.close()
            if n >= accepted:
                return
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    raise AssertionError("the run made no progress")


def stop(proc: subprocess.Popen, sig: int, status: int, said: str) -> None:
    """Send `sig`; the run stops cleanly: `status`, its message, no traceback."""
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err
    assert f"{said}; everything written so far is kept" in err and "Traceback" not in err


def recorded_keys(run_dir: str) -> set[str]:
    """The chats whose answers the store holds: the calls a rerun must not make again."""
    keys = set()
    with RunStore.open_readonly(run_dir) as store:
        for problem in store.iter_problems():
            if problem.raw is not None:
                keys.add(chat_key([{"role": "user", "content": problem.prompt}]))
            keys.update(chat_key(a.messages) for a in problem.trail if a.raw is not None)
    return keys


def corpus(run_dir: str) -> list[dict]:
    folder = os.path.join(run_dir, "corpus")
    return [r for p in sorted(os.listdir(folder)) for r in iter_jsonl(os.path.join(folder, p))]


@pytest.mark.slow
def test_sigkill_then_sigint_then_rerun(tmp_path):
    seeds = scenarios.write_seeds(str(tmp_path / "seeds.jsonl"), NAMES)
    run_dir = str(tmp_path / "run")
    with TeacherServer(scenarios.teacher, delay=0.05) as server:
        # 1. kill -9 once a few problems are accepted.
        proc = start(server, seeds, run_dir)
        wait_for(run_dir, 3, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        before_keys, before_corpus = recorded_keys(run_dir), corpus(run_dir)
        asked = len(server.answered())
        assert before_corpus and len(before_keys) < 2 * len(NAMES)

        # 2. Ctrl-C a rerun midway: it stops cleanly, with exit status 130.
        proc = start(server, seeds, run_dir)
        wait_for(run_dir, len(before_corpus) + 2, proc)
        stop(proc, signal.SIGINT, 130, "interrupted")
        second = server.answered()[asked:]
        assert not {r.key for r in second} & before_keys  # nothing recorded was asked again
        middle_keys, middle_corpus = recorded_keys(run_dir), corpus(run_dir)
        asked = len(server.answered())

        # 3. The last rerun finishes the job.
        proc = start(server, seeds, run_dir)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        third = server.answered()[asked:]

    assert not {r.key for r in third} & middle_keys
    every = [r.key for r in server.answered()]
    lost_in_flight = len(every) - len(set(every))  # answered by the server, never stored: killed
    assert lost_in_flight <= 3 + 3  # at most `concurrency` per interruption
    final = corpus(run_dir)
    ids = [r["id"] for r in final]
    assert len(ids) == len(set(ids))  # no duplicate
    assert {r["id"] for r in before_corpus} <= set(ids) and {r["id"] for r in middle_corpus} <= set(
        ids
    )
    with RunStore.open_readonly(run_dir) as store:
        problems = list(store.iter_problems())
        assert len(problems) == len(NAMES)
        assert all(p.status in ("accepted", "rejected") for p in problems)
        accepted = {p.sample_id for p in problems if p.status == "accepted"}
        assert accepted == set(ids)
        rejected = [p for p in problems if p.status == "rejected"]
        assert all(p.problem.startswith("[scenario never_fixed") for p in rejected)
        assert len(rejected) == 4 and len(accepted) == 12
        # Every answer that reached the store was verified: none stranded half-way.
        assert all(a.status == "verified" for p in problems for a in p.trail)
    assert recorded_keys(run_dir) == set(every)  # every call's answer is stored


@pytest.mark.slow
def test_sigterm_stops_a_run_as_ctrl_c_does(tmp_path):
    """`kill`, `timeout` and batch schedulers send SIGTERM: the run stops cleanly (exit 143, its
    message, no traceback), its corpus holds what it accepted, and a rerun finishes the job
    without asking again what was answered."""
    seeds = scenarios.write_seeds(str(tmp_path / "seeds.jsonl"), NAMES)
    run_dir = str(tmp_path / "run")
    with TeacherServer(scenarios.teacher, delay=0.05) as server:
        proc = start(server, seeds, run_dir)
        wait_for(run_dir, 3, proc)
        stop(proc, signal.SIGTERM, 143, "terminated")
        with RunStore.open_readonly(run_dir) as store:
            done = {p.sample_id for p in store.iter_problems() if p.status == "accepted"}
        assert len(done) >= 3 and {r["id"] for r in corpus(run_dir)} == done
        asked, kept = len(server.answered()), recorded_keys(run_dir)

        proc = start(server, seeds, run_dir)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert not {r.key for r in server.answered()[asked:]} & kept  # nothing asked twice
    with RunStore.open_readonly(run_dir) as store:
        problems = list(store.iter_problems())
        assert all(a.status == "verified" for p in problems for a in p.trail)
        accepted = {p.sample_id for p in problems if p.status == "accepted"}
    assert len(accepted) == 12 and done <= accepted
    assert sorted(r["id"] for r in corpus(run_dir)) == sorted(accepted)  # once each
