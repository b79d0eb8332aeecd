"""Go verification throughput on HumanEval-X: `assay verify` against CodeGeeX's way of judging.

The reference is CodeGeeX's harness: each canonical solution as one `main_test.go` (test_setup,
the helper imports the code names, prompt without its import, solution, test) in a fresh
directory of the module `go-evaluation` (its vendor directory: testify), `go test
-timeout=10s main_test.go`, exit status 0 passes, no isolation, 2 at a time. The go command keeps
its build cache across samples (warmed before the first round), as it would for CodeGeeX. assay
is `assay verify --format humaneval-x` at its default flags: full isolation, the build with go
vet in the box, and the strength check's second build and run of the stubbed solution. Both on
the same records (Go/95 left out: its canonical solution depends on map iteration order, and
fails about 30% of runs in both), in interleaved rounds; medians and their ratio.
`--no-strength-check` is timed too, to show what the second build costs.

    .venv/bin/python bench/humaneval_x_go.py [--rounds 3] [--out bench/results/go.json]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import _humaneval_x as hx  # noqa: E402
from pipeline.humaneval_x_go import FLAKY, IMPORT_HELPER  # noqa: E402


def test_program(record: dict) -> str:
    """CodeGeeX's `process_humaneval_test` for Go."""
    code = record["canonical_solution"]
    prompt = (
        record["prompt"].replace(record["import"], "") if record["import"] else record["prompt"]
    )
    setup = record["test_setup"]
    others = [f'"{p}"' for p in IMPORT_HELPER if p not in setup and p.split("/")[-1] + "." in code]
    head = setup
    if others:
        head += "\nimport (\n" + "    ".join(p + "\n" for p in others) + ")"
    return head + "\n" + prompt + code + "\n" + record["test"]


class Reference:
    """CodeGeeX's Go harness: a module with testify vendored, a directory per sample."""

    def __init__(self, base: str) -> None:
        self.module = os.path.join(base, "go-evaluation")
        os.makedirs(os.path.join(self.module, "go"))
        source = hx.data_file("go-evaluation")
        for name in ("go.mod", "go.sum"):
            shutil.copy(source / name, self.module)
        with tarfile.open(source / "vendor.tar.gz") as tar:
            tar.extractall(self.module, filter="data")
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": base,
            "GOCACHE": os.path.join(base, "go-build"),
            "GOPATH": os.path.join(base, "gopath"),
            "GOPROXY": "off",
            "GOTOOLCHAIN": "local",
        }
        self.counter = 0

    def one(self, record: dict) -> bool:
        self.counter += 1
        work = os.path.join(
            self.module, "go", f"{record['task_id'].replace('/', '-')}-{self.counter}"
        )
        os.makedirs(work)
        try:
            Path(work, "main_test.go").write_text(test_program(record))
            try:
                done = subprocess.run(
                    ["go", "test", "-timeout=10s", "main_test.go"],
                    cwd=work,
                    env=self.env,
                    capture_output=True,
                    timeout=60,
                )
            except subprocess.TimeoutExpired:
                return False
            return done.returncode == 0
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def run(self, rows: list[dict]) -> float:
        return hx.two_at_a_time(self.one, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=0, help="only the first N records")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "go.json"))
    args = parser.parse_args()
    rows = [r for r in hx.records("go.jsonl.gz") if r["task_id"] not in FLAKY]
    if args.limit:
        rows = rows[: args.limit]
    results: dict[str, object] = {"samples": len(rows), "cpus": len(os.sched_getaffinity(0))}
    with tempfile.TemporaryDirectory(prefix="assay-bench-go-") as base:
        path = hx.write_records(rows, base, "go.jsonl.gz")
        reference = Reference(base)
        reference.one(rows[0])  # the go command's build cache: testify and the standard library
        # Go/32's tests are weak: the one rejection.
        results.update(hx.side_by_side(path, lambda: reference.run(rows), args.rounds))
    hx.save(results, args.out)


if __name__ == "__main__":
    main()
