"""The test runner that executes inside the sandbox, in the same process as the untrusted code.

It runs pytest in-process (the interpreter was warmed up before the sample arrived) and streams one
authenticated message per event over a pipe that only the supervisor reads. The supervisor trusts
nothing else: not the exit code, not stdout, not files. A message is accepted only with a valid MAC
(keyed BLAKE2b) and the next sequence number, so junk written blindly to every descriptor, printed
pass lines or forged report files are worthless; what remains is code that deliberately
introspects this module's memory to forge the stream, which is out of reach of accidental reward
hacking (noted in README).
"""

from __future__ import annotations

import json
import os
import resource
import sys
from collections.abc import Callable
from typing import Any

# Python's own BLAKE2 and constant-time comparison, not hashlib's and hmac's: those load OpenSSL,
# half a megabyte more in every fork server (and so in every fork of it).
try:
    from _blake2 import blake2b
except ImportError:  # an interpreter built without it
    from hashlib import blake2b
from _operator import _compare_digest as compare_digest

try:  # the same for SHA-256 (the verifier's shipped code, the depth fingerprint, sample ids)
    from _sha256 import sha256
except ImportError:
    try:
        from _sha2 import sha256  # Python 3.12
    except ImportError:
        from hashlib import sha256  # noqa: F401 (re-exported)

SOLUTION_FILE = "solution.py"
TESTS_FILE = "test_solution.py"
MAX_FIELD = 2000  # characters kept of a failure message or traceback
MAX_CASES = 1000  # tests beyond this many are a protocol error


def _clip(text: str, limit: int = MAX_FIELD, tail: bool = False) -> str:
    if len(text) <= limit:
        return text
    return "..." + text[-limit:] if tail else text[:limit] + "..."


def mac(key: bytes, body: bytes) -> bytes:
    """The message authentication code: keyed BLAKE2b (a MAC by design), in hex. Python's own
    implementation, not OpenSSL's HMAC, whose first use in a freshly forked runner touches (and so
    copies) ~150 pages of OpenSSL's state: 0.7 ms a run."""
    return blake2b(body, key=key, digest_size=32).hexdigest().encode()


class Channel:
    """Writes `seq`-numbered, authenticated JSON lines to a file descriptor: the MAC, a space, the
    message."""

    def __init__(self, fd: int, key: bytes) -> None:
        self.fd = fd
        self.key = key
        self.seq = 0
        # Buffered, messages wait for `flush`: the fast path flushes before it runs any of the
        # sample's code, so that what was reported is on the pipe whatever that code does, and
        # the server reading the pipe wakes once for several messages, not once for each.
        self.buffered = False
        self.pending: list[bytes] = []

    def send(self, message: dict[str, Any]) -> None:
        message["seq"] = self.seq
        body = _dumps(message).encode()
        data = mac(self.key, body) + b" " + body + b"\n"
        self.seq += 1
        if self.buffered:
            self.pending.append(data)
        else:
            self._write(data)

    def flush(self) -> None:
        if self.pending:
            data = b"".join(self.pending)
            self.pending.clear()
            self._write(data)

    def _write(self, data: bytes) -> None:
        while data:
            written = os.write(self.fd, data)
            data = data[written:]


def _encoder() -> Callable[[Any], str]:
    """`json.dumps` with its defaults, minus its Python layers: the C encoder, made once. In a
    freshly forked runner each Python function run for the first time costs copied pages."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return json.dumps
    encode = make(
        {}, json.JSONEncoder().default, json.encoder.encode_basestring_ascii, None,
        ": ", ", ", False, False, True,
    )  # fmt: skip

    def dumps(message: Any) -> str:
        return "".join(encode(message, 0))

    return dumps


_dumps = _encoder()


def read_channel(raw: bytes, key: bytes) -> tuple[list[dict[str, Any]], str | None]:
    """Trusted side: the authenticated messages in order, and the first problem, if any."""
    messages: list[dict[str, Any]] = []
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        signature, _, body = line.partition(b" ")
        expected = mac(key, body)
        if not compare_digest(expected, signature):
            if len(signature) != len(expected) or not body:
                return messages, "the result channel carried bytes that are not a result message"
            return messages, "a result message failed authentication"
        try:
            message = json.loads(body)
        except ValueError:  # signed, so ours: not reached unless the key leaked
            return messages, "the result channel carried bytes that are not a result message"
        if not isinstance(message, dict) or message.get("seq") != len(messages):
            return messages, "result messages out of sequence"
        messages.append(message)
    return messages, None


RESULT_FD = 3  # where a runner writes its authenticated messages


def attach_streams(result_w: int, out_w: int, err_w: int, keep: tuple[int, ...] = ()) -> None:
    """In a forked runner: its own session, stdin from /dev/null, stdout and stderr and the result
    channel on the pipes the server reads, and no other descriptor of the server's but `keep`
    (above the result channel's)."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    os.dup2(result_w, RESULT_FD)
    low = RESULT_FD + 1
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)


def sample_rlimits(limits: dict[str, Any]) -> list[tuple[int, tuple[int, int]]]:
    """The rlimits every backend sets on a runner: CPU time, open files, file size, no core."""
    cpu = int(limits.get("cpu_s") or limits["timeout_s"]) + 1
    file_size = limits["file_size_mb"] << 20
    return [
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_NOFILE, (limits["open_files"], limits["open_files"])),
        (resource.RLIMIT_FSIZE, (file_size, file_size)),
        (resource.RLIMIT_CORE, (0, 0)),
    ]


def settle_in(workdir: str, tmpdir: str, user: str, import_paths: list[str] | None = None) -> None:
    """In a runner about to become the sample: its work dir, its environment and nothing of the
    caller's, no bytecode written; on sys.path the work dir first (where pytest's default import
    mode puts a test's rootdir, and where pytest 9 looks for it), then `import_paths`, or the
    absolute existing paths of sys.path."""
    os.chdir(workdir)
    settle_state(workdir, tmpdir, user)
    if import_paths is not None:
        sys.path[:] = import_paths
    sys.path.insert(0, workdir)


def settle_state(workdir: str, tmpdir: str, user: str) -> None:
    """`settle_in` but the work dir: what a fork server does once for all its runners."""
    os.environ.clear()
    os.environ.update(sample_environment(workdir, tmpdir, user))
    tempfile = sys.modules.get("tempfile")  # a cached choice of directory is the caller's
    if tempfile is not None:
        tempfile.tempdir = None
    sys.dont_write_bytecode = True
    sys.path[:] = [p for p in sys.path if p and os.path.isabs(p) and os.path.isdir(p)]
    from sandbox import solution_guard

    solution_guard.install()


def sample_environment(home: str, tmpdir: str, user: str) -> dict[str, str]:
    """The whole environment a sample runs with: nothing of the caller's (no keys, no tokens)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": tmpdir,
        "LANG": "C.UTF-8",
        "USER": user,
        "PYTHONDONTWRITEBYTECODE": "1",
        # Plugins are the verifier's choice, not whatever happens to be installed.
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }


def clean_pass(messages: list[dict[str, Any]], status: int | None) -> bool:
    """Whether a run passed beyond doubt, so that a follow-up run (the strength check) is worth
    starting. Not a verdict: the verifier judges every run again, fully."""
    cases = [m for m in messages if m.get("t") == "case"]
    end = next((m for m in messages if m.get("t") == "end"), None)
    return (
        status == 0
        and end is not None
        and end.get("exitstatus") == 0
        and bool(cases)
        and all(c.get("outcome") == "passed" for c in cases)
    )


def run_phases(
    request: dict[str, Any],
    run_one: Callable[[dict[str, Any]], tuple[dict[str, Any], list[dict[str, Any]] | None]],
    fast: bool,
) -> dict[str, Any]:
    """A sample's runs, one after the other, each in a fresh runner on a fresh work dir (trusted
    side; both backends' servers use it). `run_one(spec)` returns a run's result (with `stopped`:
    it timed out or flooded; and `final`, if present and true: no further run may follow in this
    sandbox instance) and its authenticated messages, or None for a channel that failed.

    A phase is the sample's run, then, if it passed cleanly, the request's `then` (the strength
    check's stubbed solution). With `fast`, each phase first runs on the fast path
    (`sandbox/fastpath.py`); when that is undecided, the phase runs again under pytest, and a
    sample whose tests failed there and pass under pytest is marked `fast_failed` (flaky). A
    fast-path run carries the next phase's files (`chain`): when its tests all pass, the next
    phase runs in the same runner (`fastpath.run`), and only if that is undecided or does not
    finish does it run again, in a fresh runner."""
    phases = [request]
    if request.get("then"):
        phases.append({**request, **request["then"], "code": request["then"].get("code")})
    results: list[dict[str, Any]] = []
    phase, under_pytest, fast_failed = 0, not fast, False
    while True:
        spec = {**phases[phase], "fast": not under_pytest}
        if spec["fast"] and phase + 1 < len(phases):
            spec["chain"] = phases[phase + 1]["files"]
            spec["chain_code"] = phases[phase + 1].get("code")
        result, messages = run_one(spec)
        result, messages, chained = _split_chain(result, messages)
        # Stopped: it timed out or flooded. Final: no run may follow in this sandbox instance.
        stopped, final = result.pop("stopped"), result.pop("final", False)
        ended = stopped or final
        undecided = next((m for m in messages or () if m.get("t") == "undecided"), None)
        if undecided is not None and not under_pytest and not ended:
            fast_failed = bool(undecided.get("failed"))
            under_pytest = True  # the same phase again, under pytest
            continue
        if fast_failed and phase == 0:
            result["fast_failed"] = True
        results.append(result)
        clean = messages is not None and clean_pass(messages, result["runner"].get("status"))
        if ended or phase + 1 == len(phases) or not clean:
            break
        if chained is not None:
            results.append(chained)
            break
        phase, under_pytest = phase + 1, not fast
    if len(results) > 1:
        results[0]["next"] = results[1]
    return results[0]


def _split_chain(
    result: dict[str, Any], messages: list[dict[str, Any]] | None
) -> tuple[dict[str, Any], list[dict[str, Any]] | None, dict[str, Any] | None]:
    """A run that went on to the next phase (`next` in its messages), as the two runs it stands
    for: the first, and the second if it finished. The first ended cleanly where the runner said
    `next` (the runner says so only then), so its status is 0 whatever the second did, and a
    timeout is the second's; output the second wrote went nowhere."""
    at = next((i for i, m in enumerate(messages or ()) if m.get("t") == "next"), None)
    if messages is None or at is None or not clean_pass(messages[:at], 0):
        return result, messages, None
    head, tail = messages[:at], messages[at + 1 :]
    # Which of the channel's messages each stands for: a host that reads the channel again (the
    # Docker backend's) takes that slice.
    first = {
        **result,
        "part": [0, at],
        "timed_out": False,
        "stopped": result["output_exceeded"],
        "runner": {**result["runner"], "status": 0},
    }
    if "messages" in result:
        first["messages"] = head
    kinds = [m.get("t") for m in tail]
    finished = (
        "end" in kinds
        and "undecided" not in kinds
        and not result["stopped"]
        and result["runner"].get("status") == 0
    )
    if not finished:
        return first, head, None
    second = {
        **result,
        "part": [at + 1, len(messages)],
        "stdout": "",
        "stderr": "",
        "stdout_bytes": 0,
        "stderr_bytes": 0,
    }
    second.pop("stopped")
    second.pop("final", None)
    if "messages" in result:
        second["messages"] = tail
    return first, head, second


class Reporter:
    """A pytest plugin that reports collection and each test's outcome over the channel. This
    module does not import pytest (the fast path's fork server never loads it): the plugin's one
    hook option is set when a reporter is made, where pytest runs."""

    def __init__(self, channel: Channel | None) -> None:
        import pytest

        pytest.hookimpl(trylast=True)(Reporter.pytest_sessionfinish)  # marks it, in place
        self.channel = channel
        self.phases: dict[str, dict[str, Any]] = {}
        self.collection_errors: list[str] = []
        self.cases = 0
        self.exit_when_done = True

    # Collection ---------------------------------------------------------------------------------
    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.collection_errors.append(_clip(str(report.longreprtext), tail=True))

    def pytest_collection_finish(self, session: Any) -> None:
        ids = [item.nodeid for item in session.items][:MAX_CASES]
        self.channel.send({"t": "collected", "ids": ids, "errors": self.collection_errors[:5]})

    # Running ------------------------------------------------------------------------------------
    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        if self.cases < MAX_CASES:
            self.channel.send({"t": "begin", "id": nodeid})

    def pytest_runtest_logreport(self, report: Any) -> None:
        state = self.phases.setdefault(
            report.nodeid, {"outcome": None, "message": "", "detail": ""}
        )
        outcome = None
        if report.when == "call":
            if hasattr(report, "wasxfail"):
                outcome = "xpassed" if report.passed else "xfailed"
            else:
                outcome = report.outcome
        elif report.failed:
            outcome = "error"
        elif report.skipped:
            outcome = "xfailed" if hasattr(report, "wasxfail") else "skipped"
        if outcome is None:
            return
        if report.failed or state["outcome"] in (None, "passed"):
            state["outcome"] = outcome
        if report.failed or report.skipped:
            crash = getattr(report.longrepr, "reprcrash", None)
            if crash is not None:
                state["message"] = _clip(str(crash.message))
            elif isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
                state["message"] = _clip(str(report.longrepr[2]))
            state["detail"] = _clip(str(report.longreprtext), tail=True)
        state["duration"] = state.get("duration", 0.0) + float(report.duration)

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        state = self.phases.pop(nodeid, None)
        if state is None or self.cases >= MAX_CASES:
            return
        self.cases += 1
        self.channel.send({"t": "case", "id": nodeid, **state})

    def pytest_sessionfinish(self, session: Any, exitstatus: Any) -> None:
        self.channel.send({"t": "end", "exitstatus": int(exitstatus)})
        if self.exit_when_done:
            # The report is complete: nothing the sample left behind (atexit handlers, threads)
            # may run after it.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)


def pytest_args(test_file: str, rootdir: str) -> list[str]:
    """The trusted command line: no ini file, no conftest, no plugins of the sample's choosing."""
    return [
        test_file,
        "--rootdir",
        rootdir,
        "-c",
        os.devnull,
        "--noconftest",
        "--capture=no",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
        "-p",
        "no:stepwise",
        "-p",
        "no:junitxml",
        "-p",
        "no:pastebin",
        "-p",
        "no:nose",
        "-p",
        "no:doctest",
        "-p",
        "no:debugging",
        "-p",
        "no:faulthandler",
        "-p",
        "no:unraisableexception",
        "-p",
        "no:threadexception",
        "-p",
        "no:setuponly",
        "-p",
        "no:setupplan",
        "-W",
        "ignore::pytest.PytestConfigWarning",
    ]


def run_pytest(test_file: str, rootdir: str, channel: Channel, exit_when_done: bool = True) -> int:
    import pytest

    reporter = Reporter(channel)
    reporter.exit_when_done = exit_when_done
    channel.send({"t": "start"})
    return int(pytest.main(pytest_args(test_file, rootdir), plugins=[reporter]))
