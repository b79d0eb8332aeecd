"""The PHP zygote (process backend, as root): runs forked from a warm PHP outside the front's pid
namespace. Each run must be as isolated as a fresh PHP start, the zygote out of every sample's
reach, and a lost zygote must cost nothing but speed.

Where a run was forked from the zygote, FFI is loaded (its runner set itself up with it): the
tests read that to know which way a run went, and use it as a sample would, for system calls.
"""

from __future__ import annotations

import json
import os
import re
import signal

import pytest

from sandbox import Limits, Sample, Verifier, VerifyOptions
from tests.sandbox.conftest import processes_with, quick_runs
from tests.sandbox.test_php import ADD_OK, ADD_WRONG, TEST_ADD, php_tests, run_php

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="the PHP zygote runs where the worker is root"
)


def sample_test(body: str) -> str:
    """Tests whose one test runs `body` (PHP), then checks add()."""
    return php_tests(
        "public function testInTheBox(): void\n{\n"
        + body
        + "\n$this->assertSame(5, add(2, 3));\n}\n"
    )


def reports(body: str) -> str:
    """Tests that fail on purpose, with the JSON of `body`'s value as the failure's message."""
    return php_tests(
        "public function testReports(): void\n{\n"
        f"$this->fail('REPORT' . json_encode({body}) . 'END');\n}}\n"
    )


def reported(verdict) -> str:
    match = re.search(r"REPORT(.*?)END", verdict.feedback, re.S)
    assert match, verdict.feedback
    return match.group(1)


FROM_ZYGOTE = "$this->assertTrue(class_exists('FFI'), 'not forked from the zygote');"


def zygotes() -> list[int]:
    return processes_with("/php/zygote.php")


def test_runs_are_forked_from_the_zygote_and_judged_as_ever(zygote_verifier):
    passed = run_php(zygote_verifier, ADD_OK, sample_test(FROM_ZYGOTE))
    assert passed.passed, passed.feedback
    failed = run_php(zygote_verifier, ADD_WRONG, TEST_ADD)
    assert (failed.stage, failed.reason) == ("tests", "AssertionFailedError"), failed.feedback
    assert "Failed asserting that -1 is identical to 5." in failed.feedback


def test_many_quick_runs_in_a_row_each_end_in_time(zygote_verifier):
    """A runner that ends before the front reads that it attached is reaped all the same."""
    sample = Sample(solution=ADD_OK, tests=TEST_ADD, language="php")
    stages, seconds = quick_runs(zygote_verifier, sample)
    assert stages == ["passed"] * 40
    assert seconds < 30


def test_the_run_has_the_sample_uid_no_capability_and_no_root_process_in_sight(zygote_verifier):
    body = (
        "(function () { preg_match_all('/^(Uid|Groups|CapInh|CapPrm|CapEff|CapAmb|NoNewPrivs):"
        "[ \\t]*(.*)$/m', file_get_contents('/proc/self/status'), $m);"
        " $root = array_values(array_filter(scandir('/proc'), fn ($p) => ctype_digit($p)"
        ' && (int) $p !== 1 && fileowner("/proc/$p") === 0));'
        " return [array_combine($m[1], $m[2]), $root]; })()"
    )
    fields, root = json.loads(reported(run_php(zygote_verifier, ADD_OK, reports(body))))
    uid = fields["Uid"].split()
    assert uid[0] != "0" and len(set(uid)) == 1, fields
    assert fields["Groups"].strip() == ""
    for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        assert int(fields[cap], 16) == 0, cap
    assert fields["NoNewPrivs"].strip() == "1"
    assert root == []  # the front is pid 1; the zygote is outside the pid namespace


def test_no_descriptor_of_the_zygote_reaches_the_sample(zygote_verifier):
    """Every pipe the run holds is one of its own three (stdout, stderr, the result channel)."""
    body = (
        "array_combine($f = array_values(array_diff(scandir('/proc/self/fd'), ['.', '..'])),"
        ' array_map(fn ($fd) => @readlink("/proc/self/fd/$fd"), $f))'
    )
    fds = json.loads(reported(run_php(zygote_verifier, ADD_OK, reports(body))))
    if isinstance(fds, list):  # descriptors 0..n, none missing
        fds = {str(fd): target for fd, target in enumerate(fds)}
    own = {fds.get("1"), fds.get("2"), fds.get("3")}
    pipes = {fd: target for fd, target in fds.items() if str(target).startswith("pipe:")}
    assert set(pipes.values()) <= own, fds
    assert fds.get("0") == "/dev/null"


def test_a_sample_that_kills_all_it_can_leaves_the_zygote_serving(zygote_verifier):
    before = zygotes()
    assert before, "no zygote running"
    killer = sample_test("posix_kill(-1, SIGKILL);")
    run_php(
        zygote_verifier, ADD_OK, killer
    )  # ends itself with the rest; the verdict does not matter
    assert zygotes() == before
    after = run_php(zygote_verifier, ADD_OK, sample_test(FROM_ZYGOTE))
    assert after.passed, after.feedback


def test_system_v_objects_and_network_state_do_not_outlive_their_sample(zygote_verifier):
    """One run leaves a System V segment and loopback traffic; the next sees neither (its IPC
    and network namespaces are the front's fresh ones, as a fresh PHP's would be)."""
    leave = (
        "(function () { $c = FFI::cdef('int shmget(int, size_t, int);', 'libc.so.6');"
        " $id = $c->shmget(0x4153, 4096, 01000 | 0600);"
        " $s = stream_socket_server('tcp://127.0.0.1:45123'); $k = stream_socket_client("
        "'tcp://127.0.0.1:45123'); fwrite($k, 'x');"
        " return [$id, readlink('/proc/self/ns/net'), readlink('/proc/self/ns/ipc')]; })()"
    )
    first = json.loads(reported(run_php(zygote_verifier, ADD_OK, reports(leave))))
    assert first[0] >= 0
    look = (
        "(function () { $c = FFI::cdef('int shmget(int, size_t, int);', 'libc.so.6');"
        " return [$c->shmget(0x4153, 0, 0), readlink('/proc/self/ns/net'),"
        " readlink('/proc/self/ns/ipc')]; })()"
    )
    second = json.loads(reported(run_php(zygote_verifier, ADD_OK, reports(look))))
    assert second[0] == -1  # no such segment
    assert second[1] != first[1] and second[2] != first[2]


def test_a_lost_zygote_costs_only_speed():
    others = set(zygotes())
    options = VerifyOptions(jobs=1, strength_check=True, limits=Limits(timeout_s=10))
    with Verifier(options) as verifier:
        assert run_php(verifier, ADD_OK, sample_test(FROM_ZYGOTE)).passed
        mine = set(zygotes()) - others
        assert mine
        for pid in mine:
            os.kill(pid, signal.SIGKILL)
        assert run_php(verifier, ADD_OK, TEST_ADD).passed
        assert run_php(verifier, ADD_WRONG, TEST_ADD).stage == "tests"
        fresh = run_php(verifier, ADD_OK, sample_test("$this->assertFalse(class_exists('FFI'));"))
        assert fresh.passed, fresh.feedback  # PHP started afresh for the run
