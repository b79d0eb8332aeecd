"""Running a request's steps as programs (a compiler, node, a test binary), in a fork server.

The fork server (`forkserver.ForkServer`, in any box) writes each phase's
files into a fresh work dir and runs the phase's steps there one after the other, each a fresh
process that sets its rlimits, drops every privilege, and executes the step's program with the
sample's empty environment. A step that reports gets its run's token on descriptor 4 and writes
its authenticated lines on descriptor 3 (`channel`). When a step ends, times out or floods its
output, everything it started is killed, as for Python's runners. A phase goes on to its next
step only if the step before succeeded, and the next phase (the strength check's stub) runs only
after a clean pass. Files a step `keeps` (a test binary) are read into the server's memory the
moment the step succeeded, before the sample's tests run, and written into the work dir of a
later phase that `takes` them: the second phase runs what the build made, whatever the first
phase's tests did to their work dir.

A test step that `chains` (a harness that can go on, such as JavaScript's) may run the next phase
itself: the next phase's files that differ from this one's are written beside this phase's, their
names prefixed with `NEXT`, and the harness reads and removes them before any of the sample's
code runs, then runs the sample's tests in a child of its process. After a clean pass, when the
child left nothing behind that could reach into the second run, it reports `next`, puts the next
phase's files in place, and runs the tests again in the process the child was forked from (which
never ran any of the sample's code), its output going nowhere.
The step's report then stands for two runs (`split_chained`); a second run that did not finish
(or that the harness did not start) is run again on its own, in a fresh process.
"""

from __future__ import annotations

import fcntl
import os
import stat
from typing import Any

from sandbox.isolation import channel, runner_setup
from sandbox.isolation.forkserver import ForkServer
from sandbox.isolation.skeleton import SANDBOX_USER
from sandbox.languages.python import phases
from sandbox.requests import Phase, PhaseResult, RunRequest, RunResult, Step, StepResult

NEXT = ".assay_next."  # the prefix of the next phase's files, for a step that chains


def run_request(server: ForkServer, request: RunRequest, cg: Any) -> RunResult:
    """Every phase of `request` whose turn comes, in fresh work dirs."""
    limits = request.limits.to_wire()
    box = server.box
    result = RunResult(phases=[], isolation=box.isolation)
    kept: dict[str, bytes] = {}
    chained: PhaseResult | None = None  # the next phase, run by the step before
    for index, phase in enumerate(request.phases):
        if index and not clean_pass(result.phases[-1]):
            break
        if chained is not None:
            result.phases.append(chained)
            chained = None
            continue
        missing = [name for name in phase.takes if name not in kept]
        if missing:
            return result._replace(error=f"no earlier step kept {', '.join(missing)}")
        done = PhaseResult(steps=[])
        files = {**phase.files, **{name: kept[name] for name in phase.takes}}
        following = _chained_phase(request, index)
        if following is not None:
            files.update(
                (NEXT + name, text)
                for name, text in following.files.items()
                if phase.files.get(name) != text
            )
        box.prepare(files, limits)
        try:
            for step in phase.steps:
                ran = run_step(server, step, limits, cg)
                if following is not None and step is phase.steps[-1]:
                    ran, second = split_chained(ran)
                    if second is not None:
                        chained = PhaseResult(steps=[second])
                done.steps.append(ran)
                if ran.exit_code != 0 or ran.timed_out or ran.output_exceeded:
                    break
                kept.update(keep(box.workdir, step.keeps, request.limits.disk_mb << 20))
        finally:
            problems = box.clean()
        result.phases.append(done)
        if problems:  # the box could not be cleaned: no further run in it
            break
    return result


def _chained_phase(request: RunRequest, index: int) -> Phase | None:
    """The phase after `index`, if the last step of `index` may run it: that step `chains`, and
    the next phase is one reporting step that takes nothing an earlier step kept."""
    if index + 1 >= len(request.phases) or not request.phases[index].steps[-1].chains:
        return None
    following = request.phases[index + 1]
    if following.takes or len(following.steps) != 1 or not following.steps[0].reports:
        return None
    return following


def split_chained(ran: StepResult) -> tuple[StepResult, StepResult | None]:
    """A step that went on to the next phase (`next` in its report), as the two runs it stands
    for: the first, and the second if it finished. The first ended cleanly where the harness
    said `next` (it says so only then), so its status is 0 whatever the second did, and a
    timeout is the second's; the second's output went nowhere."""
    messages = list(ran.messages)
    at = next((i for i, m in enumerate(messages) if m.get("t") == "next"), None)
    if at is None:
        return ran, None
    head, tail = messages[:at], messages[at + 1 :]
    if not phases.clean_pass(head, 0):  # not reached: a harness goes on only after a clean pass
        return ran._replace(messages=head), None
    first = ran._replace(messages=head, status=0, timed_out=False, channel_problem=None)
    kinds = [m.get("t") for m in tail]
    finished = (
        "start" in kinds
        and "end" in kinds
        and ran.channel_problem is None
        and not ran.timed_out
        and not ran.output_exceeded
        and ran.exit_code is not None
    )
    if not finished:
        return first, None
    second = ran._replace(messages=tail, stdout="", stderr="", stdout_bytes=0, stderr_bytes=0)
    return first, second


def keep(workdir: str, names: tuple[str, ...], limit: int) -> dict[str, bytes]:
    """The regular files `names` of the work dir, as they are now (a link or anything else, or
    a file over `limit` bytes, is not kept: a later phase that takes it gets an error)."""
    out = {}
    for name in names:
        try:
            fd = os.open(os.path.join(workdir, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
                continue
            chunks, size = [], 0
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    break
            else:
                out[name] = b"".join(chunks)
        finally:
            os.close(fd)
    return out


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
    # A pipe holds it until the harness reads it; then the strength check's switch (`Step.stub`).
    os.write(token_w, token + b"1" if step.stub else token)
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
        watched = None
        if step.warm:
            for zygote in server.zygotes.values():
                if zygote.usable(step.argv, env):
                    watched = zygote.fork_and_watch(box, step.argv, token, limits, cg)
                    break
        if watched is None:
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
