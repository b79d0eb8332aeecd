"""Running a request's steps as programs (a compiler, node, a test binary), in a fork server.

The fork server (`forkserver.ForkServer`, in any box) writes each phase's
files into a fresh work dir and runs the phase's steps there one after the other, each a fresh
process that sets its rlimits, drops every privilege, and executes the step's program with the
sample's empty environment. A step that reports gets its run's token on descriptor 4 and writes
its authenticated lines on descriptor 3 (`channel`). When a step ends, times out or floods its
output, everything it started is killed, as for Python's runners. A phase goes on to its next
step only if the step before succeeded, and the next phase (the strength check's stub) runs only
after a clean pass.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from sandbox.isolation import channel, runner_setup
from sandbox.isolation.forkserver import ForkServer
from sandbox.isolation.skeleton import SANDBOX_USER
from sandbox.languages.python import phases
from sandbox.requests import PhaseResult, RunRequest, RunResult, Step, StepResult


def run_request(server: ForkServer, request: RunRequest, cg: Any) -> RunResult:
    """Every phase of `request` whose turn comes, in fresh work dirs."""
    limits = request.limits.to_wire()
    box = server.box
    result = RunResult(phases=[], isolation=box.isolation)
    for index, phase in enumerate(request.phases):
        if index and not clean_pass(result.phases[-1]):
            break
        done = PhaseResult(steps=[])
        box.prepare(phase.files, limits)
        try:
            for step in phase.steps:
                ran = run_step(server, step, limits, cg)
                done.steps.append(ran)
                if ran.exit_code != 0 or ran.timed_out or ran.output_exceeded:
                    break
        finally:
            problems = box.clean()
        result.phases.append(done)
        if problems:  # the box could not be cleaned: no further run in it
            break
    return result


def clean_pass(phase: PhaseResult) -> bool:
    """Every step succeeded and the last reported every test passed: the stub's run is worth
    starting. Not a verdict: the verifier judges every run again, fully."""
    if not phase.steps or any(s.exit_code != 0 for s in phase.steps):
        return False
    last = phase.last
    return last.channel_problem is None and phases.clean_pass(last.messages, last.status)


def run_step(server: ForkServer, step: Step, limits: dict[str, Any], cg: Any) -> StepResult:
    """Fork a runner for one step in the prepared box, read its streams, end what it started."""
    if step.timeout_s is not None:
        limits = {**limits, "timeout_s": step.timeout_s, "cpu_s": step.timeout_s}
    box = server.box
    token = channel.new_token()
    env = {
        **runner_setup.sample_environment(box.workdir, box.tmpdir, SANDBOX_USER),
        **dict(step.env),
    }
    argv = list(step.argv)
    token_r, token_w = os.pipe()
    os.write(token_w, token)  # a pipe holds it until the harness reads it
    os.close(token_w)
    # Above the descriptors the runner sets up (0-3): a server with few open (a container's) gets
    # 3 here, which the result channel would take over before the token reaches 4.
    low, token_r = token_r, fcntl.fcntl(token_r, fcntl.F_DUPFD, channel.TOKEN_FD + 1)
    os.close(low)

    def become() -> None:
        try:
            if token_r != channel.TOKEN_FD:
                os.dup2(token_r, channel.TOKEN_FD)
                os.close(token_r)
            os.chdir(box.workdir)
            os.execve(argv[0], argv, env)
        except BaseException as exc:
            try:
                os.write(2, f"{channel.CANNOT_EXECUTE} {argv[:1]}: {exc!r}\n".encode())
            finally:
                os._exit(channel.EXEC_FAILED)

    try:
        watched = server.fork_and_watch(become, limits, cg, keep_fds=(token_r,))
    finally:
        os.close(token_r)
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
