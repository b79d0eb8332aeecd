"""Fixtures of the real-engine tests (`make test-engines`): the tiny coder and a `vllm serve`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.engines.engines import make_run_dir, vllm_server
from tests.engines.tiny_model import build_tiny_coder

CACHE = os.environ.get("ASSAY_TINY_MODELS", "~/.cache/assay/tiny-models")


@pytest.fixture(scope="session")
def tiny_coder() -> str:
    return build_tiny_coder(CACHE)


@pytest.fixture(scope="session")
def served(tiny_coder, tmp_path_factory) -> str:
    """One `vllm serve` of the tiny coder for the session: its base URL."""
    log = tmp_path_factory.mktemp("serve") / "vllm-serve.log"
    with vllm_server(tiny_coder, log) as (base_url, _):
        yield base_url


@pytest.fixture
def run_dir(tmp_path) -> Path:
    """Where a test runs `assay run`: seeds.jsonl, engine.toml; the run lands in ./run."""
    return make_run_dir(tmp_path / "work")
