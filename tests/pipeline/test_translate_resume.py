"""kill -9 in the middle of `assay translate`, then a rerun: nothing verified is lost or written
twice, and no teacher call whose answer was stored is made again (the engine's own resume)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from pipeline.cli import main
from pipeline.store import RunStore
from tests.pipeline import translate_teacher
from tests.pipeline.teacher_server import TeacherServer
from tests.pipeline.test_resume import ROOT, corpus, recorded_keys, wait_for

NAMES = [f"{base}-{i}" for i in range(6) for base in ("add", "running_sum", "clamp_weak")]


def start(server: TeacherServer, source: str, run_dir: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.pipeline.languages", "translate", source, "--to", "snake",
         "--model", server.model, "--base-url", server.base_url, "--max-revisions", "1",
         "--concurrency", "3", "--run-dir", run_dir, "--no-progress", "--jobs", "2"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.slow
def test_sigkill_then_rerun_loses_nothing(tmp_path):
    samples = translate_teacher.write_sources(str(tmp_path / "samples.jsonl"), NAMES)
    source = str(tmp_path / "verified")
    assert main(["verify", samples, "--out", source, "--jobs", "2"]) == 0
    run_dir = str(tmp_path / "run")
    with TeacherServer(translate_teacher.teacher, delay=0.05) as server:
        proc = start(server, source, run_dir)
        wait_for(run_dir, 4, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        before_keys, before_corpus = recorded_keys(run_dir), corpus(run_dir)
        asked = len(server.answered())
        assert before_corpus and len(before_keys) < 3 * len(NAMES)

        proc = start(server, source, run_dir)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        rerun = server.answered()[asked:]

    assert not {r.key for r in rerun} & before_keys  # nothing recorded was asked again
    final = corpus(run_dir)
    ids = [r["id"] for r in final]
    assert len(ids) == len(set(ids)) == 12  # add-* and running_sum-*: every one, once
    assert {r["id"] for r in before_corpus} <= set(ids)
    with RunStore.open_readonly(run_dir) as store:
        problems = list(store.iter_problems())
        assert len(problems) == len(NAMES)
        assert sorted(p.status for p in problems) == ["accepted"] * 12 + ["rejected"] * 6
        assert {p.reason for p in problems if p.status == "rejected"} == {"fewer_checks"}
        assert all(a.status == "verified" for p in problems for a in p.trail)
        routes = store.db.execute("SELECT route, COUNT(*) FROM translations GROUP BY 1")
        assert dict(routes.fetchall()) == {"mechanical": 12, "teacher": 6}
    assert recorded_keys(run_dir) == {r.key for r in server.answered()}
    assert os.path.exists(os.path.join(run_dir, "config.toml"))
