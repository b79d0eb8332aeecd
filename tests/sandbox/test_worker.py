"""The process backend's worker: two fork servers, the pytest one started only when a sample needs
it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from sandbox import Limits, Sample, Verifier, VerifyOptions
from sandbox.isolation import process
from sandbox.requests import RunRequest
from tests.sandbox.conftest import python_request

ADD = "def add(a, b):\n    return a + b\n"
PASSES = "from solution import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"
FAILS = "from solution import add\n\ndef test_add():\n    assert add(2, 3) == 6\n"
DEPTH = "def depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\n"
OPTIONS = VerifyOptions(jobs=1, limits=Limits(timeout_s=10))


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def fork_servers(verifier: Verifier) -> int:
    """The processes of `verifier`'s workers that are pid 1 of their pid namespace: the fork
    servers (each worker's front, and its pytest server once started)."""
    count = 0
    workers = [backend.pid for backend in verifier._all]
    for pid in [p for worker in workers for p in _descendants(worker)]:
        try:
            with open(f"/proc/{pid}/status") as fh:
                nspid = next(line.split()[1:] for line in fh if line.startswith("NSpid:"))
        except (OSError, StopIteration):
            continue
        count += len(nspid) == 2 and nspid[-1] == "1"
    return count


def test_the_pytest_server_starts_only_when_a_sample_needs_it():
    with Verifier(OPTIONS) as verifier:
        passing = [Sample(solution=ADD, tests=PASSES)] * 3
        assert [v.passed for v in verifier.verify(passing)] == [True] * 3
        assert fork_servers(verifier) == 1  # samples that pass on the fast path never need pytest
        (failed,) = verifier.verify([Sample(solution=ADD, tests=FAILS)])
        assert failed.stage == "tests" and "assert 5 == 6" in failed.feedback  # pytest's report
        assert fork_servers(verifier) == 2  # started for the failure


def test_a_runner_starts_from_a_lean_fork_server():
    """Every sample is a fork of the front, and a fork costs by the page: the front holds the
    modules samples commonly import, not what `importlib.abc` drags in (pathlib, tempfile,
    importlib.resources: ~5% of HumanEval's throughput). (Tests that name pytest go to pytest.)"""
    lean = (
        "import sys\nfrom solution import add\n\ndef test_lean():\n"
        "    assert add(2, 3) == 5\n"
        "    heavy = {'importlib.abc', 'importlib.resources', 'pathlib', 'tempfile', 'inspect'}\n"
        "    assert not heavy & set(sys.modules), sorted(heavy & set(sys.modules))\n"
        "    assert {'typing', 'collections', 're', 'math'} <= set(sys.modules)\n"
    )
    with Verifier(OPTIONS) as verifier:
        (verdict,) = verifier.verify([Sample(solution=ADD, tests=lean)])
    assert verdict.passed, verdict.feedback


def test_the_fast_path_and_pytest_agree_at_every_depth_near_the_limit():
    """Near the recursion limit the fast path must not pass what pytest fails: its offset
    (`depth.OFFSET`) leaves a test less depth than pytest's frames do, and a recursion that
    runs out of it on the fast path is pytest's to decide. Every depth around pytest's own limit
    gets the same verdict both ways, and the boundary lies inside the range looked at."""

    def verdicts(fast_path: bool) -> dict[int, bool]:
        samples = [
            Sample(solution=DEPTH, tests=f"from solution import depth\n\ndef test_d():\n"
                   f"    assert depth({n}) == {n}\n", id=str(n))
            for n in range(930, 1000, 3)
        ]  # fmt: skip
        options = VerifyOptions(jobs=1, fast_path=fast_path, strength_check=False)
        with Verifier(options) as verifier:
            return {int(v.id): v.passed for v in verifier.verify(samples)}

    under_pytest = verdicts(fast_path=False)
    assert any(under_pytest.values()) and not all(under_pytest.values())
    assert verdicts(fast_path=True) == under_pytest


def _fork_server_pids(verifier: Verifier) -> list[int]:
    found = []
    for worker in [backend.pid for backend in verifier._all]:
        for pid in _descendants(worker):
            try:
                with open(f"/proc/{pid}/status") as fh:
                    nspid = next(line.split()[1:] for line in fh if line.startswith("NSpid:"))
            except (OSError, StopIteration):
                continue
            if len(nspid) == 2 and nspid[-1] == "1":
                found.append(pid)
    return found


@pytest.mark.parametrize("which", ["front", "pytest server"])
def test_a_fork_server_killed_outright_costs_no_verdict(which):
    """A worker whose front or pytest server dies (an OOM kill, a bug) is replaced, and the sample
    it was given is judged on the new one, as if nothing happened."""
    with Verifier(OPTIONS) as verifier:
        (failed,) = verifier.verify([Sample(solution=ADD, tests=FAILS)])  # both servers up
        assert failed.stage == "tests"
        (victim,) = [backend.pid for backend in verifier._all]
        front, server = sorted(_fork_server_pids(verifier))  # the front starts first
        victims = [victim, *_descendants(victim)]
        os.kill(front if which == "front" else server, 9)
        verdicts = list(verifier.verify([Sample(solution=ADD, tests=t) for t in (FAILS, PASSES)]))
        assert [v.stage for v in verdicts] == ["tests", "passed"], [v.reason for v in verdicts]
        assert "assert 5 == 6" in verdicts[0].feedback
        # The killed worker's processes are all gone (the starter, the waiter, the other server,
        # runners), within moments: the kernel ends a pid namespace when its pid 1 dies.
        deadline = time.monotonic() + 5
        while (left := [p for p in victims if _alive(p)]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not left


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


NETNS = "import os\n\ndef test_ns():\n    print(os.readlink('/proc/self/ns/net'))\n"
TALKS = """
import socket

def test_talk():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    conn.close()  # the server's end closes first: its port lingers in TIME_WAIT
    client.close()
    server.close()
"""
FRESH_COUNTERS = """
def test_counters():
    rows = [line.split() for line in open("/proc/net/snmp") if line.startswith("Tcp:")]
    assert dict(zip(rows[0], rows[1]))["ActiveOpens"] == "0", rows
"""


def test_a_network_namespace_is_kept_only_while_no_sample_used_it():
    with Verifier(VerifyOptions(jobs=1, strength_check=False)) as verifier:
        quiet = [Sample(solution=ADD, tests=NETNS, id=f"q{i}") for i in range(2)]
        talk = Sample(solution=ADD, tests=TALKS, id="talk")
        after = Sample(solution=ADD, tests=NETNS, id="after")
        counters = Sample(solution=ADD, tests=FRESH_COUNTERS, id="counters")
        verdicts = list(verifier.verify([*quiet, talk, after]))
        assert all(v.passed for v in verdicts), [v.feedback for v in verdicts]
        namespaces = [v.stdout.strip() for v in verdicts]
        assert namespaces[0] == namespaces[1]  # nothing used it: kept
        assert namespaces[3] != namespaces[1]  # a sample sent packets in it: a fresh one after
        (talked, fresh) = verifier.verify([talk, counters])
        assert talked.passed and fresh.passed, fresh.feedback  # no counter of the talk is seen


def test_ipc_objects_do_not_outlive_their_run():
    make = (
        "import ctypes\n\ndef test_make():\n"
        "    assert ctypes.CDLL(None).shmget(0x5A17, 4096, 0o1666) >= 0\n"
    )
    find = (
        "import ctypes\n\ndef test_find():\n"
        "    assert ctypes.CDLL(None).shmget(0x5A17, 0, 0) == -1\n"
    )
    with Verifier(VerifyOptions(jobs=1, strength_check=False)) as verifier:
        made, found = verifier.verify([Sample(solution=ADD, tests=t) for t in (make, find)])
    assert made.passed and found.passed, found.feedback


@pytest.mark.parametrize("server", ["front", "pytest server"])
def test_each_run_has_its_own_random_seed(server):
    """Runners are forked without Python's fork hooks; the one a sample could notice, `random`'s
    reseed, still happens (on the pytest server `random` is loaded before the fork)."""
    tests = "import random\n\ndef test_draw():\n    print(random.random())\n"
    if server == "pytest server":
        tests = "import pytest  # noqa\n" + tests
    with Verifier(VerifyOptions(jobs=1, strength_check=False)) as verifier:
        draws = [v.stdout for v in verifier.verify([Sample(solution=ADD, tests=tests)] * 3)]
    assert all(draws) and len(set(draws)) == 3, draws


def _request(tests: str, timeout_s: float = 10) -> RunRequest:
    return python_request(Sample(solution=ADD, tests=tests), Limits(timeout_s=timeout_s))


def _printing(word: str, sleep: float = 0.0) -> str:
    return (
        "import time\nfrom solution import add\n\ndef test_add():\n"
        f"    time.sleep({sleep})\n    print({word!r})\n    assert add(2, 3) == 5\n"
    )


def test_a_worker_holds_two_requests_and_each_caller_reads_its_own_answer():
    """Requests wait in the worker's pipe while the one before runs (`ProcessBackend.depth`); the
    answers come back in order, each to the caller that sent it."""
    backend = process.ProcessBackend()
    try:
        words = [f"word{i}" for i in range(6)]
        answers: dict[str, str] = {}

        def ask(word: str) -> None:
            result = backend.run(_request(_printing(word, 0.05)))
            answers[word] = result.phases[0].last.stdout

        threads = [threading.Thread(target=ask, args=(w,)) for w in words]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert {w: a.strip() for w, a in answers.items()} == {w: w for w in words}
    finally:
        backend.close()


def test_a_worker_that_dies_with_two_requests_in_it_fails_both_and_no_other():
    backend = process.ProcessBackend()
    errors: list[BaseException] = []
    try:

        def ask(tests: str) -> None:
            try:
                backend.run(_request(tests))
            except BaseException as exc:  # noqa: BLE001 - what each caller got
                errors.append(exc)

        slow = threading.Thread(target=ask, args=(_printing("slow", 2.0),))
        slow.start()
        time.sleep(0.3)  # the slow one runs; the next waits in the pipe
        queued = threading.Thread(target=ask, args=(_printing("queued"),))
        queued.start()
        time.sleep(0.2)
        front = next(
            pid
            for pid in _descendants(backend.pid)
            if open(f"/proc/{pid}/status").read().split("NSpid:")[1].split("\n")[0].split()[-1]
            == "1"
        )
        os.kill(front, 9)
        slow.join(30)
        queued.join(30)
        assert len(errors) == 2
        assert all(type(e).__name__ == "BackendError" for e in errors), errors
        with pytest.raises(process.BackendError):  # and no request is taken any more
            backend.run(_request(PASSES))
    finally:
        backend.close()


def test_requests_in_a_killed_worker_are_judged_on_its_replacement():
    """With `--jobs 2`, each worker holds two samples at once: both are given to the worker that
    replaces a dead one, and judged as if nothing happened."""
    samples = [Sample(solution=ADD, tests=_printing(f"w{i}", 0.3), id=str(i)) for i in range(8)]
    with Verifier(VerifyOptions(jobs=2, limits=Limits(timeout_s=10))) as verifier:
        deadline = time.monotonic() + 20
        while len(verifier._all) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        victim = verifier._all[0].pid
        killer = threading.Timer(
            0.5,
            lambda: [
                os.kill(p, 9) for p in _fork_server_pids(verifier) if p in _descendants(victim)
            ],
        )
        killer.start()
        verdicts = list(verifier.verify(samples))
        killer.join()
    assert [(v.id, v.stage) for v in verdicts] == [(str(i), "passed") for i in range(8)], [
        v.reason for v in verdicts
    ]


def test_workers_spawned_together_share_a_start_up_and_end_apart():
    spawned = process.ProcessBackend.spawn("full", [5, 6])
    try:
        assert spawned[0].proc.poll() is None and spawned[1].proc is None  # forked by the first
        for backend in spawned[::-1]:
            backend.wait_ready()
            assert backend.run(_request(PASSES)).phases[0].last.status == 0
            assert backend.pid and os.path.exists(f"/proc/{backend.pid}")
        assert spawned[0].pid not in _descendants(spawned[1].pid)
        assert spawned[1].pid not in _descendants(spawned[0].pid)  # apart: each ends on its own
    finally:
        for backend in spawned:
            backend.close()
    # Closing waits until each has cleaned up and closed its end (the process is gone moments
    # later: its pipe closes as it exits).
    deadline = time.monotonic() + 2
    while any(_alive(b.pid) for b in spawned) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(_alive(b.pid) for b in spawned)


def test_a_verifier_closed_while_its_workers_boot_leaves_none_behind(monkeypatch):
    spawned: list = []
    real_spawn = process.ProcessBackend.spawn

    def spawn(*args, **kwargs):
        spawned.extend(real_spawn(*args, **kwargs))
        return spawned

    monkeypatch.setattr(process.ProcessBackend, "spawn", spawn)
    verifier = Verifier(VerifyOptions(jobs=2), wait=False)
    verifier.close()
    assert len(spawned) == 2 and all(b.pid for b in spawned)  # taken over, then closed
    deadline = time.monotonic() + 20
    while any(_alive(b.pid) for b in spawned) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(b.pid) for b in spawned)
    assert verifier._spawned == {} and verifier._all == []


AS_INIT = """
import os, sys, time
from sandbox import Sample, Verifier, VerifyOptions

sample = Sample(solution={add!r}, tests={passes!r})
with Verifier(VerifyOptions(jobs=2)) as verifier:
    passed = [v.passed for v in verifier.verify([sample] * 4)]
zombies = []
for entry in (e for e in os.listdir("/proc") if e.isdigit()):
    with open(f"/proc/{{entry}}/stat") as fh:
        if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
            zombies.append(int(entry))
print(os.getpid(), passed, zombies)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="a pid namespace of its own needs root")
def test_assay_as_a_containers_init_leaves_no_zombie_worker():
    # Where assay is pid 1 (`docker run image assay verify ...`), a worker forked by another one
    # is re-parented to it and is its to wait for.
    script = AS_INIT.format(add=ADD, passes=PASSES)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", script],
        capture_output=True, text=True, timeout=120, cwd=root,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split(maxsplit=1) == ["1", "[True, True, True, True] []\n"]


def test_a_request_waits_in_a_workers_pipe_only_when_every_worker_is_busy():
    slow = [Sample(solution=ADD, tests=_printing(f"s{i}", 1.0), id=str(i)) for i in range(2)]
    options = VerifyOptions(jobs=2, limits=Limits(timeout_s=10), strength_check=False)
    with Verifier(options) as verifier:
        deadline = time.monotonic() + 20
        while len(verifier._all) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        started = time.monotonic()
        assert all(v.passed for v in verifier.verify(slow))
        elapsed = time.monotonic() - started
    assert elapsed < 1.8, f"the two ran one after the other ({elapsed:.2f} s): on one worker"


def test_the_toolchain_check_names_each_language_asked_for_or_an_unknown_one(capsys):
    """`python -m sandbox.languages check [LANGUAGE ...]`, as setup scripts and users run it."""
    from sandbox.languages.__main__ import main

    assert main(["check", "klingon"]) == 2
    assert "unknown language 'klingon'" in capsys.readouterr().err
    assert main(["check", "python", "py"]) == 0
    assert capsys.readouterr().out == "python: ready\n"
