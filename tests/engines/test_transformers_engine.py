"""`assay run --generator transformers` on the same tiny coder as the vLLM tests."""

from __future__ import annotations

from tests.engines.checks import assert_recorded_in_full
from tests.engines.engines import assay_run, make_run_dir, outcomes, run_args
from tests.engines.tiny_problems import TASKS


def test_transformers_grows_the_same_verified_corpus(tiny_coder, tmp_path):
    work = make_run_dir(tmp_path / "work", long_seed=False)
    args = run_args("transformers", tiny_coder, len(TASKS), "--device", "cpu", "--batch-size", "8")
    status, summary, log = assay_run(work, args)
    assert status == 0, log[-3000:]
    assert outcomes(summary) == {"accepted": len(TASKS)}, summary
    assert_recorded_in_full(work / "run", tiny_coder, f"transformers:{tiny_coder}")
