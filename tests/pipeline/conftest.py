"""Fixtures of the pipeline tests that need a model: a tiny one built here (tiny_student.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_student(tmp_path_factory) -> str:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tests.pipeline.tiny_student import build

    return build(str(tmp_path_factory.mktemp("tiny-student")))
