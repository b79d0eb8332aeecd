"""`vllm serve` on loopback with `assay run --generator openai`, and a server that dies."""

from __future__ import annotations

import signal
import subprocess

from tests.engines.checks import assert_recorded_in_full
from tests.engines.engines import (
    SERVED_NAME,
    assay_run,
    env,
    outcomes,
    run_args,
    stop_group,
    stored_answers,
    tail,
    vllm_server,
    wait_for_answers,
)
from tests.engines.tiny_problems import TASKS


def openai_args(base_url: str, problems: int, *extra: str) -> list[str]:
    return run_args("openai", SERVED_NAME, problems, "--base-url", base_url, *extra)


def test_vllm_serve_grows_a_verified_corpus(tiny_coder, served, run_dir):
    problems = len(TASKS) + 1
    status, summary, log = assay_run(run_dir, openai_args(served, problems, "--concurrency", "8"))
    assert status == 0, log[-3000:]
    assert outcomes(summary) == {"accepted": len(TASKS), "rejected": 1}, summary
    assert_recorded_in_full(run_dir / "run", tiny_coder, f"openai:{SERVED_NAME}", refused=1)


def test_a_server_that_dies_stops_the_run_and_the_rerun_resumes(tiny_coder, served, run_dir):
    """The server is killed mid-run: the run stops with a message naming the server and what to
    do; a rerun against a live server loses nothing and repeats no stored teacher call."""
    seeds = len(TASKS) + 1
    problems = 4 * seeds  # the seeds come round four times: long enough to kill it mid-run
    with vllm_server(tiny_coder, run_dir / "dying.log") as (base_url, server):
        args = openai_args(
            base_url, problems, "--concurrency", "1", "--max-retries", "2", "--retry-base", "0.2"
        )
        with open(run_dir / "first.log", "w") as err:
            proc = subprocess.Popen(
                args, cwd=run_dir, env=env(), stdout=subprocess.DEVNULL, stderr=err
            )
        try:
            wait_for_answers(run_dir / "run", 4, proc)
            stop_group(server, signal.SIGKILL)
            status = proc.wait(120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    log = tail(run_dir / "first.log", 50)
    assert status == 1, log
    assert f"teacher at {base_url} still failing after 3 tries" in log, log
    assert "check the server's logs, or raise --max-retries" in log
    stored = stored_answers(run_dir / "run")
    assert stored >= 4

    status, summary, log = assay_run(run_dir, openai_args(served, problems))
    assert status == 0, log[-3000:]
    assert summary["this_run"]["teacher_calls"] == stored_answers(run_dir / "run") - stored
    assert summary["this_run"]["replayed"] >= 1
    assert_recorded_in_full(run_dir / "run", tiny_coder, f"openai:{SERVED_NAME}", refused=4)
