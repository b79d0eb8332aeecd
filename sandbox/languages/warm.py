"""A warm checker on the trusted side: one long-lived process per verifier (ESLint, TypeScript's
server, PHP's parser) answers for a whole chunk of samples, so its start-up is paid once.

It parses and reads text; it never runs it. A request is one line of JSON on its stdin (the files of
a chunk), the answer one line on its stdout (one answer per file). If the process dies or stops
answering it is started again for the next request. `check_chunk` is the batching every such
checker shares: one request for the chunk, each sample alone where that fails.
"""

from __future__ import annotations

import json
import select
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from sandbox.languages import too_large
from sandbox.records import Sample, Verdict

TIMEOUT_S = 300  # for one chunk's answer: far more than any checker takes on a real chunk


class ServerError(RuntimeError):
    """The checker itself failed (not a sample's check): the message says how."""


class WarmServer:
    """A long-lived checker process (`argv`) that answers one JSON line per request line; `lint`
    is safe to call from any thread. ESLint's here; TypeScript's and PHP's servers too."""

    def __init__(self, argv: list[str], what: str = "ESLint") -> None:
        self.argv, self.what = argv, what
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def lint(self, files: list[tuple[str, str]]) -> list[list[dict] | dict]:
        """Each file's answer, in order (a dict with `error` where the checker failed on it)."""
        request = json.dumps(files, ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n"
        with self._lock:
            proc = self._started()
            try:
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(request)
                proc.stdin.flush()
                ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT_S)
                line = proc.stdout.readline() if ready else b""
            except OSError as exc:
                self._stop()
                raise ServerError(f"the {self.what} process failed: {exc}") from None
            if not line:
                self._stop()
                raise ServerError(f"the {self.what} process stopped answering")
        answers = json.loads(line)
        if len(answers) != len(files):
            raise ServerError(f"the {self.what} process answered for other files")
        return answers

    def _started(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
        return self._proc

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def close(self) -> None:
        """End the process (it also ends on its own when this one's end of its stdin closes)."""
        with self._lock:
            if self._proc is not None:
                if self._proc.stdin is not None:
                    self._proc.stdin.close()
                try:
                    self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._stop()
                self._proc = None


def answers(
    server: WarmServer, samples: Sequence[Sample], solution_file: str, tests_file: str
) -> Iterator[tuple[int, str, Any]]:
    """Both files of every sample in one request: (sample index, file name, the file's answer)."""
    files = []
    for i, sample in enumerate(samples):
        files += [(f"{i}/{solution_file}", sample.solution), (f"{i}/{tests_file}", sample.tests)]
    for (path, _), answer in zip(files, server.lint(files), strict=True):
        index, _, name = path.partition("/")
        yield int(index), name, answer


class HasVerdict(Protocol):
    verdict: Verdict | None


C = TypeVar("C", bound=HasVerdict)


def check_chunk(
    samples: Sequence[Sample],
    files: tuple[str, str],
    ask: Callable[[Sequence[Sample]], list[C]],
    new: Callable[[], C],
    max_bytes: int,
    failed: tuple[str, str],
) -> list[C]:
    """`ask` over every sample that is not too large (a `syntax` rejection), in one request; where
    that fails, each sample alone, and a sample the checker fails on gets the rejection `failed`
    (stage, reason prefix). If it fails on every one, the checker is broken: its error is raised."""
    out = [new() for _ in samples]
    todo = []
    for i, sample in enumerate(samples):
        out[i].verdict = too_large(sample, files, max_bytes)
        if out[i].verdict is None:
            todo.append(i)
    if not todo:
        return out
    try:
        results = ask([samples[i] for i in todo])
    except ServerError as exc:
        if len(todo) == 1:
            raise
        first, results = exc, []
        stage, prefix = failed
        for i in todo:  # one sample that breaks the checker does not take the chunk with it
            try:
                results += ask([samples[i]])
            except ServerError as exc:
                results.append(new())
                reason = f"{prefix}: {exc}"
                results[-1].verdict = Verdict(passed=False, stage=stage, reason=reason)
        if all(r.verdict and r.verdict.reason.startswith(prefix) for r in results):
            raise first from None  # the checker is broken, not the samples
    for i, checked in zip(todo, results, strict=True):
        out[i] = checked
    return out
