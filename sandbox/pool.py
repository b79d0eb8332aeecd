"""The verifier: cheap checks in the caller's thread, tests on a pool of warm isolated workers.

Samples stream through in chunks: ruff runs once per chunk while the workers test the previous
chunk, and at most a few chunks are in memory at once, so a million-line input keeps memory flat.
"""

from __future__ import annotations

import functools
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from sandbox.checks import python as py
from sandbox.isolation.base import Backend, BackendError, SetupRefused
from sandbox.options import VerifyOptions
from sandbox.records import Sample, Verdict

VERIFIER_VERSION = "assay-verifier/1"
CHUNK_FIRST, CHUNK_MAX = 16, 128  # samples a ruff call checks (`Verifier.verify`)
# Requests a worker may hold at once, where its backend takes more than one (`Backend.depth`): the
# next sample waits in the worker's pipe while the current one runs, so that the worker never
# idles while the verifier judges a result or prepares the next request.
MAX_DEPTH = 2


def make_backend(options: VerifyOptions, slot: int) -> Backend:
    if options.sandbox == "docker":
        from sandbox.isolation.docker import DockerBackend

        return DockerBackend(slot=slot, options=options)
    from sandbox.isolation.process import ProcessBackend

    return ProcessBackend(isolation=options.isolation, slot=slot)


def spawn_backends(options: VerifyOptions) -> dict[int, Any]:
    """Workers for every slot, started at once and not waited for: the process backend's share
    one interpreter's start-up (-4.6% wall on HumanEval at --jobs 2). Others start per slot."""
    if options.sandbox != "process":
        return {}
    from sandbox.isolation.process import ProcessBackend

    slots = list(range(options.jobs))
    return dict(zip(slots, ProcessBackend.spawn(options.isolation, slots), strict=True))


class Verifier:
    """Long-lived verifier: `verify(samples)` streams verdicts in input order; `close()` ends it.

    With `jobs == 1` everything but the worker runs in the caller's thread (the sequential path for
    debugging with a breakpoint)."""

    def __init__(
        self,
        options: VerifyOptions | None = None,
        backend_factory: Callable[[VerifyOptions, int], Backend] = make_backend,
        wait: bool = True,
    ) -> None:
        self.options = options or VerifyOptions()
        self.options.validate()
        self._factory = backend_factory
        self._all: list[Backend] = []
        self._successors: dict[Backend, Future[Backend]] = {}  # replaced workers
        self._lock = threading.Lock()
        # The requests in each worker that takes them; a request goes to the least loaded one
        # with room, so that requests wait in a worker's pipe only when every worker is busy.
        self._load: dict[Backend, int] = {}
        self._changed = threading.Condition(self._lock)
        self._closed = False
        self._executor = (
            ThreadPoolExecutor(self.options.jobs * MAX_DEPTH, thread_name_prefix="assay-verify")
            if self.options.jobs > 1
            else None
        )
        self._inbox: queue.Queue[tuple[Sample, Future[Verdict]] | None] = queue.Queue()
        self._batcher: threading.Thread | None = None
        # Started together where the backend can (the default factory only): taken by slot.
        self._spawned = spawn_backends(self.options) if backend_factory is make_backend else {}
        # All workers start now, side by side, so that they are warm when samples arrive; the
        # constructor waits for the first, so a machine that refuses isolation fails before any
        # work. With `wait=False` it does not (the caller's own start-up overlaps the workers'),
        # and the first sample meets such a failure instead. A worker that fails to start in the
        # background is started again when needed.
        self._started = self.options.jobs
        first = 0 if wait else None
        self._starters = [
            threading.Thread(target=self._prestart, args=(slot,), daemon=True)
            for slot in range(self.options.jobs)
            if slot != first
        ]
        for starter in self._starters:
            starter.start()
        if first is not None:
            try:
                self._offer(self._new_backend(first))
            except BaseException:
                self.close()
                raise

    def _new_backend(self, slot: int) -> Backend:
        with self._lock:
            spawned = self._spawned.pop(slot, None)
        if spawned is not None:
            spawned.wait_ready()  # closes it and raises if it could not start
            backend = spawned
        else:
            backend = self._factory(self.options, slot)
        with self._lock:
            self._all.append(backend)
        return backend

    def _prestart(self, slot: int) -> None:
        try:
            backend = self._new_backend(slot)
        except Exception:
            with self._lock:
                self._started -= 1
            return
        self._offer(backend)

    def _offer(self, backend: Backend, load: int = 0) -> None:
        with self._changed:
            self._load[backend] = self._load.get(backend, 0) + load
            self._changed.notify_all()

    def _acquire(self) -> Backend:
        """A place on a worker for one request: on the least loaded worker with room; else on a
        worker started here, if fewer than `jobs` are running or starting; else the next free."""
        with self._changed:
            while True:
                free = [b for b, n in self._load.items() if n < _depth(b)]
                if free:
                    backend = min(free, key=self._load.__getitem__)
                    self._load[backend] += 1
                    return backend
                if self._started < self.options.jobs:
                    self._started += 1
                    slot = self._started - 1
                    break
                # One still starting, or one that failed to: then it is started here instead.
                self._changed.wait(0.05)
        try:
            backend = self._new_backend(slot)  # raises what keeps workers from starting
        except BaseException:
            with self._lock:  # the slot is free again: a later sample tries anew
                self._started -= 1
            raise
        self._offer(backend, load=1)
        return backend

    def _release(self, backend: Backend) -> None:
        with self._changed:
            if backend in self._load:  # not if it was replaced meanwhile
                self._load[backend] -= 1
                self._changed.notify_all()

    def _replace(self, backend: Backend) -> Backend:
        """A fresh worker for one that failed, with the caller's request in it. Requests that were
        in the failed one at once all fail; the first to get here replaces it, and the others
        move to that replacement too."""
        with self._changed:
            self._load.pop(backend, None)  # no request goes to it any more
            successor = self._successors.get(backend)
            mine = successor is None
            if mine:
                successor = self._successors[backend] = Future()
        if not mine:
            new = successor.result()  # raises what kept the replacement from starting
            self._offer(new, load=1)
            return new
        try:
            try:
                backend.close()
            finally:
                with self._lock:
                    if backend in self._all:
                        self._all.remove(backend)
            new = self._new_backend(0)
        except BaseException as exc:
            successor.set_exception(exc)
            raise
        self._offer(new, load=1)
        successor.set_result(new)
        return new

    # Running ------------------------------------------------------------------------------------
    def _execute(self, request: dict[str, Any]) -> tuple[Verdict, dict[str, Any]]:
        """Run a request on a worker; a sandbox failure replaces the worker and retries once."""
        backend = self._acquire()
        try:
            for attempt in (1, 2):
                try:
                    result = backend.run(request)
                    return py.judge_run(result, self.options.limits), result
                except (BackendError, py.SandboxFailure) as exc:
                    backend = self._replace(backend)
                    if attempt == 2:
                        verdict = Verdict(passed=False, stage="error", reason=str(exc)[:500])
                        return verdict, {}
            raise AssertionError("unreachable")
        finally:
            self._release(backend)

    def _test(
        self,
        sample: Sample,
        pre: Verdict | None,
        lint: list | Callable[[], tuple[Verdict | None, list]],
        code: dict[str, tuple[str, bytes]] | None = None,
    ) -> Verdict:
        """A sample's verdict; `pre` is its syntax or lint rejection, if any. `lint` is its lint
        messages, or (the first chunk's, whose tests start before ruff is done) a call that
        waits for its lint verdict and messages: a lint rejection then stands, as the first check
        that failed, and the tests' result is dropped."""
        started = time.monotonic()
        lint_later = lint if callable(lint) else None
        if lint_later is not None:
            lint = []
        stubbed = None
        if pre is None and self.options.strength_check:
            try:
                stubbed = py.stub_solution(sample.solution)
            except Exception as exc:  # on code that compiled: the parser's fault, not the sample's
                reason = f"the strength check could not stub the solution: {type(exc).__name__}"
                pre = Verdict(passed=False, stage="error", reason=f"{reason}: {exc}"[:500])
                pre.lint = lint
        if pre is not None:
            verdict = pre
        else:
            limits = self.options.limits
            request = py.test_request(sample, limits, code=code)
            request["fast"] = self.options.fast_path
            if stubbed is not None:
                # Backends that can run the strength check in the same sandbox instance, right
                # after a clean pass, return it as `next`; others ignore it and get a second run.
                stub_code = None
                if code:
                    stub_code = {py.TESTS_FILE: code[py.TESTS_FILE]}
                    if (shipped := py.compiled(stubbed, py.SOLUTION_FILE)) is not None:
                        stub_code[py.SOLUTION_FILE] = shipped
                request["then"] = py.test_request(
                    sample, limits, stubbed, outcomes_only=True, code=stub_code
                )
                del request["then"]["limits"], request["then"]["test_file"]
            verdict, result = self._execute(request)
            verdict.lint = lint
            details = py.case_details(result)
            if verdict.passed and stubbed is not None:
                verdict = self._strength(sample, verdict, stubbed, result.get("next"))
            verdict.feedback = py.feedback(verdict, details)
        if lint_later is not None:
            rejected, lint = lint_later()
            if rejected is not None:  # the first check that failed (the stub's is later)
                verdict = rejected
            verdict.lint = lint
        if not verdict.feedback and not verdict.passed:
            verdict.feedback = py.feedback(verdict)
        verdict.id = sample.id
        if verdict.isolation == "full" and self.options.isolation == "weak":
            verdict.isolation = "weak"
        verdict.duration_s = round(time.monotonic() - started, 4)
        return verdict

    def _strength(
        self, sample: Sample, verdict: Verdict, stubbed: str, done: dict[str, Any] | None
    ) -> Verdict:
        stub_verdict = None
        if done is not None:
            try:
                stub_verdict = py.judge_run(done, self.options.limits)
            except py.SandboxFailure:
                stub_verdict = None  # the sandbox failed on the stub phase: run it on its own
        if stub_verdict is None:
            stub_verdict, _ = self._execute(
                py.test_request(sample, self.options.limits, stubbed, outcomes_only=True)
            )
        if stub_verdict.stage == "error":
            return replace(verdict, passed=False, stage="error", reason=stub_verdict.reason)
        tests = stub_verdict.tests
        if tests is None:
            return verdict
        weak = [c.name for c in tests.cases if c.outcome == "passed"]
        verdict.weak_tests = weak
        if stub_verdict.passed:
            verdict.passed, verdict.stage = False, "weak_tests"
            verdict.reason = "every test passes against a solution whose functions return None"
        return verdict

    def _precheck(self, chunk: list[Sample], lint_later: bool = False) -> list[tuple[Any, ...]]:
        """Syntax and lint for a chunk: (verdict or None, lint messages, the files' code). With
        `lint_later`, ruff runs in the background, and each sample's lint messages are a call that
        waits for them (`_test`)."""
        out: list[tuple[Any, ...]] = []
        parsed: list[int] = []
        ship = self.options.sandbox == "process"  # only the process backend imports shipped code
        for i, sample in enumerate(chunk):
            code: dict[str, tuple[str, bytes]] = {}
            verdict = py.syntax_error(sample, self.options.max_source_bytes, code if ship else None)
            if sample.language != "python":
                verdict = Verdict(False, "error", f"language {sample.language!r} is not supported")
            out.append((verdict, [], code))
            if verdict is None:
                parsed.append(i)
        linted = [chunk[i] for i in parsed]
        if lint_later and linted:
            lints: Future[list] = Future()
            threading.Thread(
                target=_run_into, args=(lints, py.lint, linted, self.options), daemon=True
            ).start()
            for n, i in enumerate(parsed):
                out[i] = (None, functools.partial(_lint_of, lints, n), out[i][2])
            return out
        for i, messages in zip(parsed, py.lint(linted, self.options), strict=True):
            out[i] = (py.lint_verdict(messages), messages, out[i][2])
        return out

    def verify(self, samples: Iterable[Sample], chunk_size: int | None = None) -> Iterator[Verdict]:
        """Verdicts for `samples`, in input order, each yielded as soon as it and all before it
        are done (so a caller that writes them out loses only what is in flight). Samples are
        checked in chunks, one ruff call each: the first small, so that workers start at once, the
        next ones twice as large up to `CHUNK_MAX` (a ruff call has a fixed cost: 0.7 ms a sample
        in chunks of 32, 0.3 in chunks of 128)."""
        size = chunk_size or CHUNK_FIRST
        largest = chunk_size or max(CHUNK_MAX, 32 * self.options.jobs)
        pending: deque[Future[Verdict] | Callable[[], Verdict]] = deque()
        chunk: list[Sample] = []
        first = [self._executor is not None]

        def flush() -> None:
            # The first chunk's tests start before its ruff call is done: workers that are ready
            # do not wait for it (a sample that lint rejects then ran its tests for nothing).
            prechecked = self._precheck(chunk, lint_later=first.pop() if first else False)
            for sample, (pre, lint, code) in zip(chunk, prechecked, strict=True):
                if self._executor is None:  # the sequential path: run when taken
                    pending.append(lambda s=sample, p=pre, li=lint, c=code: self._test(s, p, li, c))
                else:
                    pending.append(self._executor.submit(self._test, sample, pre, lint, code))
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
            for (sample, future), (pre, lint, code) in zip(items, prechecks, strict=True):
                inner = self._executor.submit(self._test, sample, pre, lint, code)
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
        for starter in self._starters:
            starter.join()
        with self._lock:
            backends, self._all = list(self._all), []
            backends += self._spawned.values()  # started, never taken
            self._spawned.clear()
        # Side by side: each waits for its worker to end and clean up after itself.
        closers = [threading.Thread(target=_close_quietly, args=(b,)) for b in backends]
        for closer in closers:
            closer.start()
        for closer in closers:
            closer.join()

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _run_into(future: Future[Any], function: Callable[..., Any], *args: Any) -> None:
    try:
        future.set_result(function(*args))
    except BaseException as exc:
        future.set_exception(exc)


def _lint_of(lints: Future[list], index: int) -> tuple[Verdict | None, list]:
    messages = lints.result()[index]
    return py.lint_verdict(messages), messages


def _depth(backend: Backend) -> int:
    return min(getattr(backend, "depth", 1), MAX_DEPTH)


def _close_quietly(backend: Backend) -> None:
    try:
        backend.close()
    except Exception:
        pass


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
