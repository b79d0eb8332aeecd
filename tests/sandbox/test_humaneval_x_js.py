"""The verifier on HumanEval-X's JavaScript: canonical solutions pass as the reference harness's
do, the same problems with stub bodies are rejected, and the converted tests pass only when the
script ran to its end."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pipeline.humaneval_x import to_sample
from pipeline.humaneval_x_js import EXPECTED_FAILURES
from sandbox import Limits, Verifier, VerifyOptions


def humaneval_x_file() -> Path | None:
    """shared/data/humaneval-x/js.jsonl.gz beside the checkout (or its parent), or under /work."""
    here = Path(__file__).resolve().parents[2]
    for base in (here.parent, here.parent.parent, Path("/work")):
        path = base / "shared" / "data" / "humaneval-x" / "js.jsonl.gz"
        if path.exists():
            return path
    return None


def records() -> list[dict]:
    path = humaneval_x_file()
    if path is None:
        pytest.skip("HumanEval-X data (shared/data/humaneval-x/js.jsonl.gz) not found")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def hx_verifier(backend_name):
    options = VerifyOptions(sandbox=backend_name, jobs=2, limits=Limits(timeout_s=10.0))
    with Verifier(options) as verifier:
        yield verifier


def test_canonical_solutions_pass_except_those_the_reference_fails(hx_verifier):
    samples = [to_sample(r) for r in records()]
    assert len(samples) == 164
    verdicts = list(hx_verifier.verify(samples))
    failed = {v.id: (v.stage, v.reason) for v in verdicts if not v.passed}
    assert sorted(failed) == sorted(EXPECTED_FAILURES), failed
    assert all(stage == "tests" for stage, _ in failed.values())
    assert all(v.weak_tests == [] for v in verdicts if v.passed)


def test_stub_bodies_are_rejected(hx_verifier):
    body = "  return undefined;\n}\n"
    samples = [to_sample({**r, "completion": body}) for r in records()]
    verdicts = list(hx_verifier.verify(samples))
    accepted = [v.id for v in verdicts if v.passed]
    assert not accepted
    assert {v.stage for v in verdicts} <= {"tests", "weak_tests", "timeout", "lint"}


def test_a_failed_console_assert_is_shown_with_its_line(hx_verifier):
    record = records()[0]
    wrong = record["canonical_solution"].replace("return true", "return false")
    (verdict,) = hx_verifier.verify([to_sample({**record, "completion": wrong})])
    assert verdict.stage == "tests"
    assert "console.assert calls failed" in verdict.feedback
    assert "console.assert(hasCloseElements(" in verdict.feedback


CHEATING_BODIES = {
    "exit_0": "  process.exit(0);\n}\n",
    "exit_0_at_load": "  return false;\n}\nprocess.exit(0);\n",
    "console_assert_replaced": "  return false;\n}\nconsole.assert = () => {};\n",
    "console_replaced": "  return false;\n}\nglobalThis.console = { assert() {}, log() {} };\n",
    "json_replaced": "  return false;\n}\nJSON.stringify = () => '';\n",
}


@pytest.mark.parametrize("name", sorted(CHEATING_BODIES))
def test_cheating_completions_are_rejected(hx_verifier, name):
    record = records()[0]
    (verdict,) = hx_verifier.verify([to_sample({**record, "completion": CHEATING_BODIES[name]})])
    assert not verdict.passed
    assert verdict.stage in {"tests", "lint"}, (verdict.stage, verdict.reason)
