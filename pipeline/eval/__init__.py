"""`assay eval`: pass@k of a model on a benchmark, judged in assay's sandbox (runner.py)."""

from pipeline.eval.benchmarks import (
    BENCHMARKS,
    Benchmark,
    BenchmarkError,
    Task,
    load_benchmark,
    register_benchmark,
)
from pipeline.eval.passk import mean_pass_at_k, pass_at_k
from pipeline.eval.runner import EvalOptions, Evaluation, evaluate

__all__ = [
    "BENCHMARKS",
    "Benchmark",
    "BenchmarkError",
    "EvalOptions",
    "Evaluation",
    "Task",
    "evaluate",
    "load_benchmark",
    "mean_pass_at_k",
    "pass_at_k",
    "register_benchmark",
]
