"""The warm checkers' shared batching (sandbox/languages/warm.py) against a real server process:
one request for a chunk; a sample the checker breaks on is rejected alone and the rest of its chunk
is still checked; a checker that breaks on everything is an error, not a rejection of every sample;
a checker process that dies is started again for the next request."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest

from sandbox.languages.warm import ServerError, WarmServer, answers, check_chunk
from sandbox.records import Sample, Verdict

# A checker that answers each file with its length, and dies on a file that says so (as a parser
# may on hostile input): the whole request fails, as a real one's would.
SERVER = r"""
import json, os, sys
for line in sys.stdin:
    files = json.loads(line)
    if any("DIE" in text for _, text in files):
        os._exit(3)
    print(json.dumps([{"length": len(text)} for _, text in files]), flush=True)
"""


@dataclass
class Checked:
    verdict: Verdict | None = None
    lengths: tuple[int, ...] = ()


@pytest.fixture
def server():
    warm = WarmServer([sys.executable, "-c", SERVER], what="test checker")
    yield warm
    warm.close()


def check(samples: list[Sample], server: WarmServer, max_bytes: int = 1000) -> list[Checked]:
    def ask(chunk):
        results = [Checked() for _ in chunk]
        for index, _, answer in answers(server, chunk, "a.txt", "b.txt"):
            results[index].lengths += (answer["length"],)
        return results

    return check_chunk(
        samples, ("a.txt", "b.txt"), ask, Checked, max_bytes, ("syntax", "the checker failed")
    )


def test_a_chunk_is_one_request_with_both_files_of_each_sample(server):
    results = check([Sample(solution="ab", tests="abc"), Sample(solution="", tests="x")], server)
    assert [r.lengths for r in results] == [(2, 3), (0, 1)]
    assert all(r.verdict is None for r in results)


def test_a_sample_that_breaks_the_checker_is_rejected_alone(server):
    samples = [Sample(solution="ok", tests="ok"), Sample(solution="DIE", tests=""), Sample("x", "")]
    results = check(samples, server)
    assert results[1].verdict.stage == "syntax"
    assert results[1].verdict.reason.startswith("the checker failed: the test checker process")
    assert [results[0].lengths, results[2].lengths] == [(2, 2), (1, 0)]  # restarted, checked


def test_a_checker_broken_on_every_sample_is_an_error(server):
    with pytest.raises(ServerError, match="test checker"):
        check([Sample(solution="DIE", tests=""), Sample(solution="", tests="DIE")], server)


def test_a_file_over_the_size_limit_is_rejected_without_a_request(server):
    samples = [Sample(solution="", tests="DIE" * 5), Sample(solution="ok", tests="")]
    results = check(samples, server, max_bytes=10)
    assert results[0].verdict.reason == "b.txt is larger than 10 bytes"  # the server never saw it
    assert results[1].verdict is None and results[1].lengths == (2, 0)


def test_kept_stubs_are_bounded_oldest_out_and_a_reuse_keeps_one():
    from sandbox.languages.stubs import StubCache

    cache: StubCache[str] = StubCache(entries=2, chars=1000)
    cache.put("a", "stub a")
    cache.put("b", None)  # a solution with no function: kept as such
    cache.put("a", "stub a")  # used again: now the newest
    cache.put("c", "stub c")
    assert [cache.get(s) for s in "abc"] == [(True, "stub a"), (False, None), (True, "stub c")]
    small: StubCache[tuple[str, ...]] = StubCache(entries=10, chars=12)
    small.put("x", ("1234", "5678"))  # 9 characters
    small.put("y", ("12",))  # 12 in all
    small.put("z", ("1",))  # past the limit: x goes
    assert [small.get(s)[0] for s in "xyz"] == [False, True, True]


@pytest.mark.parametrize(
    "name", ["python", "javascript", "typescript", "cpp", "php", "go", "rust", "java"]
)
def test_every_language_rejects_an_oversized_file_before_any_tool_reads_it(name):
    from sandbox import VerifyOptions
    from sandbox.languages import lookup

    language = lookup(name)(VerifyOptions(jobs=1, max_source_bytes=64))
    if (why := language.unavailable()) is not None:
        pytest.skip(why)
    sample = Sample(solution="x" * 100, tests="", language=name)
    (checked,) = language.precheck([sample])
    assert checked.verdict.stage == "syntax"
    assert checked.verdict.reason == f"{language.solution_file} is larger than 64 bytes"
