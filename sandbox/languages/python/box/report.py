"""Runs in the sandbox, in the sample's own process: Python's test reporting.

A pytest plugin (`Reporter`) reports collection and each test's outcome as messages on a pipe that
only the fork server reads (`Channel`: descriptor 3). A message is accepted only with a valid MAC
(keyed BLAKE2b) and the next sequence number, so junk written blindly to every descriptor, printed
pass lines or forged report files are worthless; what remains is code that deliberately
introspects this module's memory to forge the stream, which is out of reach of accidental reward
hacking. The fast path (`fastpath.py`) writes the same messages.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

from sandbox.languages.python.box import tamper

# Python's own BLAKE2 and constant-time comparison, not hashlib's and hmac's: those load OpenSSL,
# half a megabyte more in every fork server (and so in every fork of it).
try:
    from _blake2 import blake2b
except ImportError:  # an interpreter built without it
    from hashlib import blake2b

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


RESULT_FD = 3  # where a runner writes its authenticated messages


class Undecided(Exception):  # noqa: N818 - an outcome, not an error
    """The fast path cannot conclude what pytest would: the run goes to pytest."""

    def __init__(self, why: str, failed: bool = False) -> None:
        super().__init__(why)
        self.failed = failed  # a test failed (pytest's run then says how)


class Reporter:
    """A pytest plugin that reports collection and each test's outcome over the channel. This
    module does not import pytest (the fast path's fork server never loads it): the plugin's one
    hook option is set when a reporter is made, where pytest runs."""

    def __init__(self, channel: Channel | None) -> None:
        import pytest

        pytest.hookimpl(trylast=True)(Reporter.pytest_sessionfinish)  # marks it, in place
        pytest.hookimpl(tryfirst=True)(Reporter.pytest_runtest_call)
        pytest.hookimpl(tryfirst=True)(Reporter.pytest_collection)
        self.channel = channel
        self.phases: dict[str, dict[str, Any]] = {}
        self.collection_errors: list[str] = []
        self.cases = 0
        self.exit_when_done = True
        self.config: Any = None
        self.plugins: tuple[Any, ...] | None = None  # before the sample's code ran
        self.functions: dict[str, tuple[Any, Any]] = {}  # each test's, as collected

    # Tampering ------------------------------------------------------------------------------------
    def check(self, nodeid: str, ground: bool = False) -> None:
        """Reject the run (`tampered`) if the sample set a trace function, registered a plugin
        or (with `ground`) replaced a watched library's attribute."""
        what = tamper.tampering(ground)
        if what is None and self.plugins is not None:
            if not tamper.same(tamper.plugins(self.config), self.plugins):
                what = "a pytest plugin or hook implementation was registered at run time"
        if what is not None:
            tamper.tampered(self.channel, nodeid, what)

    def pytest_collection(self, session: Any) -> None:
        # In a runner, before the tests' module is imported (a parked session's runner returns
        # here from `ParkedSession.pytest_collection`).
        self.config = session.config
        self.plugins = tamper.plugins(session.config)
        if not tamper.taken():  # else the fork server took it (`fastreset.prepare`)
            tamper.take_ground()

    # Collection ---------------------------------------------------------------------------------
    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.collection_errors.append(_clip(str(report.longreprtext), tail=True))

    def pytest_collection_finish(self, session: Any) -> None:
        self.check(TESTS_FILE)
        self.functions = {item.nodeid: tamper.test_function(item) for item in session.items}
        ids = [item.nodeid for item in session.items][:MAX_CASES]
        self.channel.send({"t": "collected", "ids": ids, "errors": self.collection_errors[:5]})

    # Running ------------------------------------------------------------------------------------
    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.check(nodeid)
        if self.cases < MAX_CASES:
            self.channel.send({"t": "begin", "id": nodeid})

    def pytest_runtest_call(self, item: Any) -> None:
        """The test about to run is the one collected: its function and code unchanged."""
        function, code = tamper.test_function(item)
        collected = self.functions.get(item.nodeid, (None, None))
        if function is not collected[0] or code is not collected[1]:
            tamper.tampered(self.channel, item.nodeid, f"{item.name} was changed after collection")

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
        self.check(nodeid)
        state = self.phases.pop(nodeid, None)
        if state is None or self.cases >= MAX_CASES:
            return
        self.cases += 1
        self.channel.send({"t": "case", "id": nodeid, **state})

    def pytest_sessionfinish(self, session: Any, exitstatus: Any) -> None:
        self.check(TESTS_FILE, ground=True)
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
