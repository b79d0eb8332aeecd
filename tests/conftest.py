"""Shared fixtures. Tests use the real sandbox, real ruff and real SQLite; fakes only at the model."""

from __future__ import annotations

import os
import signal

import pytest

# Tests send Ctrl-C (SIGINT) to the commands they start. A shell that runs the suite in the
# background without job control (`make test &` in a script) starts it with SIGINT ignored, which
# its children inherit; a handler here is reset to the default in each child instead.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def docker_unavailable_reason() -> str | None:
    """Why the Docker backend cannot be tested here, or None when it can."""
    try:
        from sandbox.isolation.docker import unavailable_reason
    except ImportError:
        return "the Docker backend is not built yet"
    return unavailable_reason()


def _backends() -> list:
    params = [pytest.param("process", id="process")]
    reason = docker_unavailable_reason()
    params.append(
        pytest.param(
            "docker",
            id="docker",
            marks=[pytest.mark.docker, *([pytest.mark.skip(reason=reason)] if reason else [])],
        )
    )
    return params


@pytest.fixture(params=_backends(), scope="session")
def backend_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def is_root() -> bool:
    return os.geteuid() == 0
