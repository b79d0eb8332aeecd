"""Running a request's steps as programs (a compiler, node, a test binary), in a fork server.

The fork server (`runs.Runs`: the worker's front, or a weak-isolation worker) writes each phase's
files into a fresh work dir and runs the phase's steps there one after the other, each a fresh
process that sets its rlimits, drops every privilege, and executes the step's program with the
sample's empty environment. A step that reports gets its run's token on descriptor 4 and writes
its authenticated lines on descriptor 3 (`channel`). When a step ends, times out or floods its
output, everything it started is killed, as for Python's runners. A phase goes on to its next
step only if the step before succeeded, and the next phase (the strength check's stub) runs only
after a clean pass.
"""

from __future__ import annotations

import os
import resource
from typing import Any

from sandbox import runner
from sandbox.isolation import channel, streams
from sandbox.isolation.cgroups import SampleCgroup
from sandbox.isolation.skeleton import SANDBOX_USER, WORK
from sandbox.requests import PhaseResult, RunRequest, RunResult, Step, StepResult


def run_request(runs: Any, request: RunRequest, cg: SampleCgroup | None) -> RunResult:
    """Every phase of `request` whose turn comes, in fresh work dirs."""
    limits = request.limits.to_wire()
    result = RunResult(phases=[], isolation=runs.mode)
    if runs.mode == "full":
        runs.fresh_network_if_used()
    for index, phase in enumerate(request.phases):
        if index and not clean_pass(result.phases[-1]):
            break
        done = PhaseResult(steps=[])
        sandbox_dir = runs._prepare_sandbox(phase.files, limits)
        try:
            workdir = WORK if runs.mode == "full" else os.path.join(sandbox_dir, "work")
            for step in phase.steps:
                ran = run_step(runs, step, limits, workdir, cg)
                done.steps.append(ran)
                if ran.exit_code != 0 or ran.timed_out or ran.output_exceeded:
                    break
        finally:
            runs._remove_sandbox(sandbox_dir)
        result.phases.append(done)
    return result


def clean_pass(phase: PhaseResult) -> bool:
    """Every step succeeded and the last reported every test passed: the stub's run is worth
    starting. Not a verdict: the verifier judges every run again, fully."""
    if not phase.steps or any(s.exit_code != 0 for s in phase.steps):
        return False
    last = phase.last
    return last.channel_problem is None and runner.clean_pass(last.messages, last.status)


def run_step(
    runs: Any, step: Step, limits: dict[str, Any], workdir: str, cg: SampleCgroup | None
) -> StepResult:
    """Fork a runner for one step, read its streams, end everything it started."""
    if step.timeout_s is not None:
        limits = {**limits, "timeout_s": step.timeout_s, "cpu_s": step.timeout_s}
    token = channel.new_token()
    cg_fds = cg.procs_fds() if cg is not None and cg is not runs.slot else []
    rlimits = runner.sample_rlimits(limits)
    rlimits.append((resource.RLIMIT_NPROC, (limits["processes"], limits["processes"])))
    tmpdir = "/tmp" if runs.mode == "full" else os.path.join(workdir, "..", "tmp")
    env = {**runner.sample_environment(workdir, tmpdir, SANDBOX_USER), **dict(step.env)}
    argv = list(step.argv)
    res_r, res_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    token_r, token_w = os.pipe()
    os.write(token_w, token)  # a pipe holds it until the harness reads it
    os.close(token_w)
    pid = os.fork()
    if pid == 0:
        for fd in (res_r, out_r, err_r):
            os.close(fd)
        _child(runs, argv, env, workdir, rlimits, (res_w, out_w, err_w), token_r, cg_fds)
    for fd in (res_w, out_w, err_w, token_r, *cg_fds):
        os.close(fd)
    watched = streams.watch(pid, res_r, out_r, err_r, limits, lambda: runs._end_run(pid, cg))
    report = watched["runner"]
    messages, problem = channel.read_lines(watched["channel"], token)
    if watched["channel_exceeded"]:
        problem = "the result channel carried more than the harness ever writes"
    return StepResult(
        name=step.name,
        status=report.get("status"),
        timed_out=watched["timed_out"],
        output_exceeded=watched["output_exceeded"],
        stdout=watched["stdout"],
        stderr=watched["stderr"],
        stdout_bytes=watched["stdout_bytes"],
        stderr_bytes=watched["stderr_bytes"],
        messages=messages if step.reports else [],
        channel_problem=problem if step.reports else None,
        duration_s=watched["duration_s"],
        maxrss_kb=int(report.get("maxrss_kb", 0) or 0),
    )


def _child(
    runs: Any,
    argv: list[str],
    env: dict[str, str],
    workdir: str,
    rlimits: list[tuple[int, tuple[int, int]]],
    fds: tuple[int, int, int],
    token_r: int,
    cg_fds: list[int],
) -> None:
    """The runner of a step, still trusted until it executes the program. Never returns."""
    try:
        runs.enter_runner(cg_fds)
        os.dup2(token_r, channel.TOKEN_FD)
        runner.attach_streams(*fds, keep=(channel.TOKEN_FD,))
        for which, value in rlimits:
            resource.setrlimit(which, value)
        runs._drop_privileges()
        os.chdir(workdir)
        os.execve(argv[0], argv, env)
    except BaseException as exc:
        try:
            os.write(2, f"{channel.CANNOT_EXECUTE} {argv[:1]}: {exc!r}\n".encode())
        finally:
            os._exit(channel.EXEC_FAILED)
