"""The verifier's workers: started side by side, kept busy, replaced when they fail.

A request goes to the least loaded worker with room (a worker holds a second request in its pipe
while it runs one, where its backend allows: `Backend.depth`), so that requests wait in a pipe
only when every worker is busy. A worker that fails is closed and replaced; the requests that were
in it go to the replacement.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from sandbox.isolation.base import Backend
from sandbox.options import VerifyOptions

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


class Workers:
    """The workers of one verifier, one per job slot."""

    def __init__(
        self,
        options: VerifyOptions | None = None,
        backend_factory: Callable[[VerifyOptions, int], Backend] = make_backend,
        wait: bool = True,
    ) -> None:
        self.options = options or VerifyOptions()
        self._factory = backend_factory
        self._all: list[Backend] = []
        self._successors: dict[Backend, Future[Backend]] = {}  # replaced workers
        self._lock = threading.Lock()
        # The requests in each worker that takes them; a request goes to the least loaded one
        # with room, so that requests wait in a worker's pipe only when every worker is busy.
        self._load: dict[Backend, int] = {}
        self._changed = threading.Condition(self._lock)
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
                self.close_workers()
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

    def acquire(self) -> Backend:
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

    def release(self, backend: Backend) -> None:
        with self._changed:
            if backend in self._load:  # not if it was replaced meanwhile
                self._load[backend] -= 1
                self._changed.notify_all()

    def replace(self, backend: Backend) -> Backend:
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

    def close_workers(self) -> None:
        """Close every worker, each waiting for its own to end and clean up, side by side."""
        for starter in self._starters:
            starter.join()
        with self._lock:
            backends, self._all = list(self._all), []
            backends += self._spawned.values()  # started, never taken
            self._spawned.clear()
        closers = [threading.Thread(target=_close_quietly, args=(b,)) for b in backends]
        for closer in closers:
            closer.start()
        for closer in closers:
            closer.join()


def _depth(backend: Backend) -> int:
    return min(getattr(backend, "depth", 1), MAX_DEPTH)


def _close_quietly(backend: Backend) -> None:
    try:
        backend.close()
    except Exception:
        pass
