"""TypeScript's type check for a chunk of samples at once: one `tsc` in the box for all the samples
that cannot reach past their own files, so that the checker's start (~25 ms: the binary, the
standard library's declarations) is paid once a chunk instead of once a sample (~0.3 ms a sample
more in the batch).

Only a pass is taken from a batch. A sample with any message in the batch, every sample of a batch
that did not end cleanly (time, memory, output over the cap, a message that names no sample), and
every sample `alone` keeps its own type check in its own run, exactly as without batching: its
messages are always its own run's.

Why a batch cannot pass a sample that fails alone: every file is a module (`--moduleDetection
force`), so its declarations are its own; the flags are the same; and a batched sample's text has
none of the ways one file can change what another one sees (`alone`):
- `declare` (`declare global { ... }`, `declare module "x" { ... }`: the global scope, another
  module);
- a triple-slash directive (`/// <reference path|types|lib>`: files, types or a library for the
  whole program);
- `.solution`: every file of a batch is named `<n>.solution.ts` or `<n>.solution.test.ts`, so a
  path that reaches another sample's file has it;
- a backslash escape in a string (`\\u`, `\\x`, octal), a path spelt another way.
The batch renames each sample's files, and its references to its own solution ("./solution",
"./solution.js") with them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence

from sandbox.languages.typescript.checks import tsc_messages
from sandbox.languages.typescript.toolchain import SOLUTION_FILE, TESTS_FILE
from sandbox.limits import Limits
from sandbox.records import Sample
from sandbox.requests import COMPILE, Phase, RunRequest, RunResult, Step

MIN_BATCH = 2  # one sample's batch saves nothing: its own run type-checks it as cheaply
MAX_BYTES = 2 << 20  # of source in one batch, far below a box's disk
_REACHES = re.compile(r"\bdeclare\b|///|\.solution|\\[ux0-7]")
_OWN_SOLUTION = re.compile(r"""(["'`])\./solution(\.js)?\1""")


def alone(sample: Sample) -> bool:
    """Whether the sample must be type-checked on its own (see the module's docstring)."""
    return any(_REACHES.search(text) for text in (sample.solution, sample.tests))


def names(index: int) -> tuple[str, str]:
    """The batch's names of a sample's solution and tests."""
    return f"{index}.{SOLUTION_FILE}", f"{index}.{TESTS_FILE}"


def batches(samples: Sequence[Sample], indices: list[int]) -> list[list[int]]:
    """`indices` in batches of at most MAX_BYTES of source each (a larger sample alone)."""
    out: list[list[int]] = [[]]
    size = 0
    for i in indices:
        cost = len(samples[i].solution) + len(samples[i].tests)
        if out[-1] and size + cost > MAX_BYTES:
            out.append([])
            size = 0
        out[-1].append(i)
        size += cost
    return [batch for batch in out if batch]


def request(
    samples: Sequence[Sample], argv: Callable[[list[str]], tuple[str, ...]], limits: Limits
) -> RunRequest:
    """The batch's request: every sample's two files, renamed, and one `tsc` over all of them
    (`argv(files)`: the type check's command line for those files)."""
    files: dict[str, str] = {}
    for index, sample in enumerate(samples):
        own = f"./{index}.solution"
        for name, text in zip(names(index), (sample.solution, sample.tests), strict=True):
            files[name] = _OWN_SOLUTION.sub(
                lambda m, own=own: m[1] + own + (m[2] or "") + m[1], text
            )
    step = Step(name=COMPILE, argv=argv(list(files)), reports=False)
    return RunRequest(
        language="typescript", phases=(Phase(files=files, steps=(step,)),), limits=limits
    )


def passed(result: RunResult, count: int) -> set[int]:
    """The samples the batch's `tsc` found nothing in; none where the batch did not end cleanly."""
    if result.error or not result.phases or not result.phases[0].steps:
        return set()
    step = result.phases[0].steps[0]
    if step.timed_out or step.output_exceeded or result.oom_kills or step.status is None:
        return set()
    if not os.WIFEXITED(step.status) or os.WEXITSTATUS(step.status) not in (0, 1, 2):
        return set()
    failed: set[int] = set()
    for message in tsc_messages(step.stdout + "\n" + step.stderr):
        index, dot, rest = message.file.partition(".")
        if not (dot and index.isdigit() and rest in (SOLUTION_FILE, TESTS_FILE)):
            return set()  # a message that names no sample: nothing is taken from this batch
        failed.add(int(index))
    if failed and os.WEXITSTATUS(step.status) == 0:
        return set()
    if not failed and os.WEXITSTATUS(step.status) != 0:
        return set()
    return set(range(count)) - failed
