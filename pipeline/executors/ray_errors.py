"""Ray's errors as the executor reads them, and Ray itself imported with the fix when missing."""

from __future__ import annotations

from typing import Any

from pipeline.executors import ExecutorError


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ExecutorError(
            "--executor ray needs Ray: pip install 'assay[ray]' (on every node of the cluster)"
        ) from None
    return ray


def lost_errors() -> tuple[type[BaseException], ...]:
    """Ray's errors for a call that never got an answer because its actor or node is gone."""
    from ray import exceptions as rx

    return (
        rx.RayActorError,
        rx.ActorUnschedulableError,
        rx.NodeDiedError,
        rx.ObjectLostError,
        rx.WorkerCrashedError,
        rx.LocalRayletDiedError,
    )


def unwrap(exc: BaseException) -> BaseException:
    """The exception an actor raised (SetupRefused, GeneratorError...), not Ray's wrapper."""
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, BaseException) else exc
