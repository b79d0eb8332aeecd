"""The verifier: cheap checks in the caller's thread, tests on a pool of warm isolated workers.

Samples stream through in chunks: ruff runs once per chunk while the workers test the previous
chunk, and at most a few chunks are in memory at once, so a million-line input keeps memory flat.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from sandbox import languages
from sandbox.isolation.base import Backend, BackendError, SetupRefused
from sandbox.judge import WEAK_EMPTY, WEAK_STUBBED, SandboxFailure, feedback, judge, unchecked_note
from sandbox.languages import Language, Prechecked
from sandbox.options import VerifyOptions
from sandbox.records import Sample, Verdict
from sandbox.requests import RunRequest, RunResult
from sandbox.workers import MAX_DEPTH, Workers, make_backend

VERIFIER_VERSION = "assay-verifier/2"
CHUNK_FIRST, CHUNK_MAX = 16, 128  # samples a ruff call checks (`Verifier.verify`)


class Verifier(Workers):
    """Long-lived verifier: `verify(samples)` streams verdicts in input order; `close()` ends it.

    With `jobs == 1` everything but the worker runs in the caller's thread (the sequential path for
    debugging with a breakpoint)."""

    def __init__(
        self,
        options: VerifyOptions | None = None,
        backend_factory: Callable[[VerifyOptions, int], Backend] = make_backend,
        wait: bool = True,
    ) -> None:
        options = options or VerifyOptions()
        options.validate()
        self._closed = False
        self._executor = (
            ThreadPoolExecutor(options.jobs * MAX_DEPTH, thread_name_prefix="assay-verify")
            if options.jobs > 1
            else None
        )
        self._languages: dict[str, Language | Verdict] = {}
        self._inbox: queue.Queue[tuple[Sample, Future[Verdict]] | None] = queue.Queue()
        self._batcher: threading.Thread | None = None
        super().__init__(options, backend_factory, wait)

    # Running ------------------------------------------------------------------------------------
    def _language(self, name: str) -> Language | Verdict:
        """The language of a sample, made once per verifier; a rejection naming the fix where it is
        unknown or its toolchain is missing."""
        with self._lock:
            found = self._languages.get(name)
        if found is None:
            try:
                cls = languages.lookup(name)
                found = cls(self.options)
                why = found.unavailable()
            except languages.LanguageError as exc:
                why = str(exc)
            if why is not None:
                found = Verdict(passed=False, stage="error", reason=why[:500])
            with self._lock:
                self._languages[name] = found
        return found

    def _execute(self, request: RunRequest, phase: int = 0) -> tuple[Verdict, RunResult]:
        """Run a request on a worker; a sandbox failure replaces the worker and retries once."""
        backend = self.acquire()
        try:
            for attempt in (1, 2):
                try:
                    result = backend.run(request)
                    return judge(result, self.options.limits, phase), result
                except (BackendError, SandboxFailure) as exc:
                    backend = self.replace(backend)
                    if attempt == 2:
                        verdict = Verdict(passed=False, stage="error", reason=str(exc)[:500])
                        return verdict, RunResult()
            raise AssertionError("unreachable")
        finally:
            self.release(backend)

    def _test(self, sample: Sample, pre: Prechecked) -> Verdict:
        """A sample's verdict, given its prechecks (a rejection there is its verdict)."""
        started = time.monotonic()
        language = self._language(sample.language)
        verdict = pre.verdict
        stub = None
        if verdict is None and isinstance(language, Language):
            if self.options.strength_check:
                try:
                    stub = language.stub(sample.solution)
                except (
                    Exception
                ) as exc:  # on code that parsed: the stubber's fault, not the sample's
                    reason = f"the strength check could not stub the solution: {type(exc).__name__}"
                    verdict = Verdict(passed=False, stage="error", reason=f"{reason}: {exc}"[:500])
        if verdict is None and isinstance(language, Language):
            request = language.request(sample, pre, stub)
            verdict, result = self._execute(request)
            unchecked = verdict.stage == "compile" and language.stub_broke_compile(request, result)
            if unchecked:
                stub = None
                request = language.request(sample, pre, stub)
                verdict, result = self._execute(request)
            verdict.lint = [*pre.lint, *language.diagnostics(result)]
            if unchecked and verdict.passed:
                verdict.lint.append(unchecked_note(language.solution_file))
            if verdict.stage == "compile":
                verdict.reason = language.compile_reason(verdict.lint) or verdict.reason
            if verdict.passed and stub is not None:
                empty = stub == language.empty_solution
                verdict = self._strength(verdict, request, result, empty, language.solution_file)
            verdict.feedback = feedback(verdict, language.details(result))
        elif verdict is None:
            verdict = replace(language)
        if not verdict.lint:
            verdict.lint = pre.lint
        if not verdict.feedback and not verdict.passed:
            verdict.feedback = feedback(verdict)
        verdict.id = sample.id
        if verdict.isolation == "full" and self.options.isolation == "weak":
            verdict.isolation = "weak"
        verdict.duration_s = round(time.monotonic() - started, 4)
        return verdict

    def _strength(
        self,
        verdict: Verdict,
        request: RunRequest,
        done: RunResult,
        empty: bool,
        solution_file: str,
    ) -> Verdict:
        """The strength check: the stub's run, done by the worker right after the clean pass where
        it could, else on its own (with the sample's phase before it, where the stub's phase
        takes what that one built). `empty`: the stub is the language's empty solution."""
        stub_verdict = None
        if len(done.phases) > 1:
            try:
                stub_verdict = judge(done, self.options.limits, phase=1)
            except SandboxFailure:
                stub_verdict = None  # the sandbox failed on the stub phase: run it on its own
        if stub_verdict is None and request.phases[1].takes:
            stub_verdict, _ = self._execute(request, phase=1)
        elif stub_verdict is None:
            alone = RunRequest(
                language=request.language,
                phases=request.phases[1:],
                limits=request.limits,
                fast=request.fast,
            )
            stub_verdict, _ = self._execute(alone)
        if stub_verdict.stage == "error":
            return replace(verdict, passed=False, stage="error", reason=stub_verdict.reason)
        if stub_verdict.stage == "compile":  # a stub that does not compile kills no test
            verdict.lint.append(unchecked_note(solution_file))
            return verdict
        tests = stub_verdict.tests
        if tests is None:
            return verdict
        weak = [c.name for c in tests.cases if c.outcome == "passed"]
        verdict.weak_tests = weak
        if stub_verdict.passed:
            verdict.passed, verdict.stage = False, "weak_tests"
            verdict.reason = WEAK_EMPTY if empty else WEAK_STUBBED
        return verdict

    def _precheck(self, chunk: list[Sample]) -> list[Prechecked]:
        """The trusted-side checks of a chunk, one batch per language (one linter call each)."""
        out: list[Prechecked | None] = [None] * len(chunk)
        by_language: dict[str, list[int]] = {}
        for i, sample in enumerate(chunk):
            by_language.setdefault(sample.language, []).append(i)
        for name, indexes in by_language.items():
            language = self._language(name)
            if not isinstance(language, Language):
                for i in indexes:
                    out[i] = Prechecked(verdict=replace(language))
                continue
            for i, pre in zip(indexes, language.precheck([chunk[i] for i in indexes]), strict=True):
                out[i] = pre
        return out  # type: ignore[return-value]

    def verify(self, samples: Iterable[Sample], chunk_size: int | None = None) -> Iterator[Verdict]:
        """Verdicts for `samples`, in input order, each yielded as soon as it and all before it
        are done (so a caller that writes them out loses only what is in flight). Samples are
        checked in chunks, one linter call each: the first small, so that workers start at once,
        the next ones twice as large up to `CHUNK_MAX` (a ruff call has a fixed cost: 0.7 ms a
        sample in chunks of 32, 0.3 in chunks of 128)."""
        size = chunk_size or CHUNK_FIRST
        largest = chunk_size or max(CHUNK_MAX, 32 * self.options.jobs)
        pending: deque[Future[Verdict] | Callable[[], Verdict]] = deque()
        chunk: list[Sample] = []

        def flush() -> None:
            for sample, pre in zip(chunk, self._precheck(chunk), strict=True):
                if self._executor is None:  # the sequential path: run when taken
                    pending.append(lambda s=sample, p=pre: self._test(s, p))
                else:
                    pending.append(self._executor.submit(self._test, sample, pre))
            chunk.clear()

        def ready() -> bool:
            head = pending[0]
            return not isinstance(head, Future) or head.done()

        def take() -> Verdict:
            item = pending.popleft()
            return item.result() if isinstance(item, Future) else item()

        for sample in samples:
            chunk.append(sample)
            if len(chunk) >= size:
                flush()
                size = min(2 * size, largest)
            while pending and (len(pending) > size or ready()):
                yield take()
        flush()
        while pending:
            yield take()

    # Asynchronous use ---------------------------------------------------------------------------
    def submit(self, sample: Sample) -> Future[Verdict]:
        """Verify one sample in the background. Samples submitted close together share one ruff
        call; `asyncio.wrap_future` turns the result into an awaitable."""
        future: Future[Verdict] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the verifier is closed")
            if self._batcher is None:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(1, thread_name_prefix="assay-verify")
                self._batcher = threading.Thread(
                    target=self._batch_loop, name="assay-lint-batcher", daemon=True
                )
                self._batcher.start()
        self._inbox.put((sample, future))
        return future

    def _batch_loop(self) -> None:
        while True:
            first = self._inbox.get()
            if first is None:
                return
            items = [first]
            deadline = time.monotonic() + 0.02
            while len(items) < 64:
                try:
                    item = self._inbox.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    self._inbox.put(None)
                    break
                items.append(item)
            try:
                prechecks = self._precheck([sample for sample, _ in items])
            except Exception as exc:
                for _, future in items:
                    future.set_exception(exc)
                continue
            for (sample, future), pre in zip(items, prechecks, strict=True):
                inner = self._executor.submit(self._test, sample, pre)
                inner.add_done_callback(lambda f, out=future: _chain(f, out))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._batcher is not None:
            self._inbox.put(None)
            self._batcher.join()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        self.close_workers()
        for language in self._languages.values():
            if isinstance(language, Language):
                language.close()

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _chain(inner: Future[Verdict], outer: Future[Verdict]) -> None:
    # The caller may have cancelled `outer` (asyncio.wrap_future does on Ctrl-C): then drop it.
    if not outer.set_running_or_notify_cancel():
        return
    if inner.cancelled():
        outer.set_exception(RuntimeError("verification was cancelled"))
    elif inner.exception() is not None:
        outer.set_exception(inner.exception())
    else:
        outer.set_result(inner.result())


__all__ = ["Verifier", "SetupRefused", "VERIFIER_VERSION"]
