"""Generated code is hostile: each test is an attack, and the sandbox must contain it.

Every attack runs on each backend (`backend_name`). A correct-looking test suite is paired with a
solution that tries to cheat the verdict, harm the host, or escape; the assertions check both the
verdict and the host.
"""

from __future__ import annotations

import os
import socket
import textwrap
import threading
import uuid

import pytest

from sandbox import Sample, Verifier, VerifyOptions
from sandbox.isolation.skeleton import interpreter_paths
from tests.sandbox.conftest import ATTACK_LIMITS, CANARY_SECRET, run_one, wait_until_gone

ADD_OK = "def add(a, b):\n    return a + b\n"
ADD_WRONG = "def add(a, b):\n    return a - b\n"
TEST_ADD = "from solution import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
TEST_ADD_FAILING = "from solution import add\n\n\ndef test_add():\n    assert add(2, 3) == 6\n"


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# Cheating the verdict ---------------------------------------------------------------------------
CHEATS = {
    "sys_exit_0_at_import": (ADD_WRONG + "import sys\nsys.exit(0)\n", TEST_ADD),
    "os_exit_0_at_import": (ADD_WRONG + "import os\nos._exit(0)\n", TEST_ADD),
    "sys_exit_0_in_test": (
        ADD_WRONG,
        "import sys\nfrom solution import add\n\n\ndef test_add():\n    sys.exit(0)\n"
        "    assert add(2, 3) == 5\n",
    ),
    "os_exit_0_in_test": (
        ADD_WRONG,
        "import os\nfrom solution import add\n\n\ndef test_add():\n    os._exit(0)\n"
        "    assert add(2, 3) == 5\n",
    ),
    "module_level_skip": (
        ADD_WRONG,
        "import pytest\npytest.skip('later', allow_module_level=True)\n" + TEST_ADD,
    ),
    "skip_in_solution_import": (
        ADD_WRONG + "import pytest\npytest.skip('no', allow_module_level=True)\n",
        TEST_ADD,
    ),
    "all_xfail": (
        ADD_WRONG,
        "import pytest\nfrom solution import add\n\n\n@pytest.mark.xfail\n"
        "def test_add():\n    assert add(2, 3) == 5\n",
    ),
    "no_tests": (ADD_OK, "from solution import add\n\n\ndef check():\n    assert add(2, 3) == 5\n"),
    "conftest_written_by_solution": (
        ADD_WRONG
        + d("""
            import pathlib
            pathlib.Path("conftest.py").write_text(
                "import pytest\\n"
                "@pytest.hookimpl(hookwrapper=True)\\n"
                "def pytest_runtest_makereport(item, call):\\n"
                "    out = yield\\n"
                "    rep = out.get_result()\\n"
                "    rep.outcome = 'passed'\\n"
            )
            """),
        TEST_ADD,
    ),
    "sitecustomize_written_by_solution": (
        ADD_WRONG
        + d("""
            import pathlib
            pathlib.Path("sitecustomize.py").write_text("import builtins\\nbuiltins.AssertionError = None\\n")
            pathlib.Path("usercustomize.py").write_text("raise SystemExit(0)\\n")
            """),
        TEST_ADD,
    ),
    "pytest_ini_written_by_solution": (
        ADD_WRONG
        + d("""
            import pathlib
            pathlib.Path("pytest.ini").write_text("[pytest]\\naddopts = -p no:python --co\\npython_functions = nothing\\n")
            pathlib.Path("pyproject.toml").write_text("[tool.pytest.ini_options]\\naddopts = '-x --co'\\n")
            """),
        TEST_ADD,
    ),
    "forged_reports_and_pass_lines": (
        ADD_WRONG
        + d("""
            import pathlib, sys
            junit = '<testsuite tests="1" failures="0" errors="0"><testcase name="test_add"/></testsuite>'
            for name in ("report.xml", "junit.xml", "/tmp/report.xml"):
                pathlib.Path(name).write_text(junit)
            pathlib.Path("report.json").write_text('{"summary": {"passed": 1, "total": 1}, "exitcode": 0}')
            print("test_solution.py::test_add PASSED")
            print("============================== 1 passed in 0.01s ===============================")
            sys.stderr.write("1 passed\\n")
            """),
        TEST_ADD,
    ),
    "junk_on_every_descriptor": (
        ADD_WRONG
        + d("""
            import json, os
            end = json.dumps({"t": "end", "exitstatus": 0, "seq": 0})
            for fake in (json.dumps({"body": end, "mac": "0" * 64}), "0" * 64 + " " + end):
                for fd in range(3, 64):
                    try:
                        os.write(fd, (fake + "\\n").encode())
                    except OSError:
                        pass
            """),
        TEST_ADD,
    ),
    "monkeypatch_assert_in_test": (
        ADD_WRONG,
        "from solution import add\n\n\ndef test_add():\n    try:\n"
        "        assert add(2, 3) == 5\n    except AssertionError:\n        raise SystemExit(0)\n",
    ),
}


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheats_are_rejected(verifier, name):
    solution, tests = CHEATS[name]
    verdict = run_one(verifier, solution, tests)
    assert not verdict.passed, f"{name} was accepted: {verdict}"
    assert verdict.stage != "error", verdict.reason
    assert verdict.feedback


def test_the_same_sample_without_the_cheat_is_judged_normally(verifier):
    assert run_one(verifier, ADD_OK, TEST_ADD).passed
    verdict = run_one(verifier, ADD_WRONG, TEST_ADD)
    assert verdict.stage == "tests"
    assert "assert -1 == 5" in verdict.feedback


def test_skip_and_xfail_only_are_no_tests(verifier):
    verdict = run_one(verifier, *CHEATS["module_level_skip"])
    assert verdict.stage == "no_tests"
    verdict = run_one(verifier, *CHEATS["all_xfail"])
    assert verdict.stage == "no_tests"


def test_early_exit_is_rejected_with_its_reason(verifier):
    verdict = run_one(verifier, *CHEATS["os_exit_0_in_test"])
    assert verdict.stage == "tests"
    assert "before the test report was complete" in verdict.reason
    assert verdict.exit_code == 0


# Resource attacks -------------------------------------------------------------------------------
RESOURCE = {
    "fork_bomb": (
        "import os\n\ndef add(a, b):\n    while True:\n        try:\n            os.fork()\n"
        "        except OSError:\n            pass\n",
        TEST_ADD,
        {"timeout", "tests", "crash", "memory"},
    ),
    "thread_bomb": (
        "import threading, time\n\ndef add(a, b):\n    while True:\n"
        "        threading.Thread(target=time.sleep, args=(100,)).start()\n",
        TEST_ADD,
        {"tests"},
    ),
    "memory_bomb": (
        "def add(a, b):\n    hog = []\n    while True:\n        hog.append(bytearray(10 << 20))\n",
        TEST_ADD,
        {"memory"},
    ),
    "sigterm_ignoring_loop": (
        "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n\ndef add(a, b):\n"
        "    while True:\n        pass\n",
        TEST_ADD,
        {"timeout"},
    ),
    "sleeping_forever": (
        "import time\n\ndef add(a, b):\n    time.sleep(3600)\n",
        TEST_ADD,
        {"timeout"},
    ),
    "output_flood": (
        "import sys\n\ndef add(a, b):\n    while True:\n        sys.stdout.write('x' * 65536)\n",
        TEST_ADD,
        {"output"},
    ),
    "stderr_flood_without_newlines": (
        "import os\n\ndef add(a, b):\n    while True:\n        os.write(2, b'y' * 65536)\n",
        TEST_ADD,
        {"output"},
    ),
    "disk_flood": (
        d("""
            import os
            def add(a, b):
                i = 0
                while True:
                    with open(f"fill{i}", "wb") as fh:
                        fh.write(b"0" * (8 << 20))
                    i += 1
            """),
        TEST_ADD,
        {"tests", "crash", "memory"},
    ),
    "inode_flood": (
        d("""
            import os
            def add(a, b):
                i = 0
                while True:
                    open(f"f{i}", "w").close()
                    i += 1
            """),
        TEST_ADD,
        {"tests"},
    ),
    "big_file": (
        "def add(a, b):\n    with open('big', 'wb') as fh:\n"
        "        for _ in range(1000):\n            fh.write(b'0' * (1 << 20))\n",
        TEST_ADD,
        {"crash", "tests", "memory"},
    ),
    "segfault": (
        "import ctypes\n\ndef add(a, b):\n    return ctypes.string_at(0)\n",
        TEST_ADD,
        {"crash"},
    ),
    "abort": ("import os\n\ndef add(a, b):\n    os.abort()\n", TEST_ADD, {"crash"}),
}


@pytest.mark.parametrize("name", sorted(RESOURCE))
def test_resource_attacks_are_contained(verifier, name):
    solution, tests, stages = RESOURCE[name]
    verdict = run_one(verifier, solution, tests)
    assert verdict.stage in stages, f"{name}: {verdict.stage} {verdict.reason}"
    # The verifier is still healthy afterwards.
    assert run_one(verifier, ADD_OK, TEST_ADD).passed


def test_a_sample_holding_every_process_it_may_have_starves_no_other(verifier):
    """A sample that forks until it may not, and holds its children, runs beside honest samples
    that fork (on the other worker): theirs must not fail for want of processes. On the Docker
    backend every container runs as one uid, and RLIMIT_NPROC counts a uid's processes across
    the host, so the limit there is each container's pids limit alone."""
    hog = d("""
        import os, time

        def add(a, b):
            while True:
                try:
                    if os.fork() == 0:
                        time.sleep(4)
                        os._exit(0)
                except OSError:
                    time.sleep(4)
                    return a + b
        """)
    forks = d("""
        import subprocess, time

        def add(a, b):
            time.sleep(0.3)
            subprocess.run(["true"], check=True)
            return a + b
        """)
    samples = [Sample(solution=hog, tests=TEST_ADD, id="hog")] + [
        Sample(solution=forks, tests=TEST_ADD, id=f"forks-{i}") for i in range(8)
    ]
    verdicts = list(verifier.verify(samples))
    assert [(v.id, v.stage, v.reason) for v in verdicts[1:] if not v.passed] == []


def test_memory_bomb_is_memory_not_crash(verifier):
    verdict = run_one(verifier, *RESOURCE["memory_bomb"][:2])
    assert verdict.stage == "memory"
    assert "memory limit" in verdict.reason


def test_output_is_truncated_not_buffered(verifier):
    verdict = run_one(verifier, *RESOURCE["output_flood"][:2])
    assert len(verdict.stdout) < 10_000
    assert "truncated" in verdict.stdout


def test_segfault_is_a_crash_with_its_signal(verifier):
    verdict = run_one(verifier, *RESOURCE["segfault"][:2])
    assert verdict.stage == "crash"
    assert "SIGSEGV" in verdict.reason


# Escaping and spying ----------------------------------------------------------------------------
def test_runs_unprivileged_with_no_capabilities(verifier):
    tests = d("""
        import os
        def test_identity():
            assert os.getuid() != 0 and os.geteuid() != 0
            with open("/proc/self/status") as fh:
                caps = {k: v.strip() for k, v in (l.split(":", 1) for l in fh if l.startswith("Cap"))}
            for kind in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
                assert caps[kind] == "0000000000000000", caps
            with open("/proc/self/status") as fh:
                assert "NoNewPrivs:\t1" in fh.read()
        """)
    verdict = run_one(verifier, ADD_OK, tests)
    assert verdict.passed, verdict.feedback


def test_environment_is_empty_of_secrets(verifier):
    tests = d("""
        import os, glob
        def test_spy():
            found = dict(os.environ)
            for path in glob.glob("/proc/*/environ"):
                try:
                    found[path] = open(path, "rb").read().decode("latin-1")
                except OSError:
                    pass
            print(found)
            blob = repr(found)
            assert "assay-canary" not in blob
            assert "API_KEY" not in blob
        """)
    verdict = run_one(verifier, ADD_OK, tests)
    assert CANARY_SECRET not in verdict.stdout + verdict.stderr
    assert verdict.passed, verdict.feedback


def test_host_files_are_invisible(verifier, tmp_path):
    marker = tmp_path / "host-secret.txt"
    marker.write_text(CANARY_SECRET)
    cwd_probe = os.path.abspath("pyproject.toml")
    tests = d(f"""
        import os, sys
        PATHS = [{str(marker)!r}, {cwd_probe!r}, "/etc/shadow", "/root/.bashrc", "/home",
                 "/var/run/docker.sock", "/run/docker.sock", "/proc/1/root/etc/shadow"]
        def test_spy():
            seen = []
            for path in PATHS:
                try:
                    with open(path, "rb") as fh:
                        seen.append((path, fh.read(200)))
                except OSError:
                    pass
            for path in ("/home", "/root", "/tmp", "/var/run"):
                try:
                    seen.append((path, os.listdir(path)))
                except OSError:
                    pass
            print(seen)
            # Directory listings may show only the way to the interpreter, which lives there.
            on_the_way = set()
            for path in (sys.prefix, sys.base_prefix, os.path.realpath(sys.executable)):
                on_the_way.update(path.split("/"))
            leaks = [(p, c) for p, c in seen
                     if isinstance(c, bytes) or set(c) - on_the_way]
            assert not leaks
        """)
    verdict = run_one(verifier, ADD_OK, tests)
    assert CANARY_SECRET not in verdict.stdout
    assert verdict.passed, verdict.feedback


def test_symlinks_and_writes_outside_do_not_reach_the_host(verifier, tmp_path):
    target = tmp_path / "written-by-sample"
    tests = d(f"""
        import os
        def test_escape():
            os.symlink({str(tmp_path)!r}, "out")
            os.symlink("/", "root")
            attempts = ["out/written-by-sample", {str(target)!r}, "root/usr/lib/evil",
                        "/usr/evil", "/etc/evil", "../../escape", "/sandbox/../escape"]
            for path in attempts:
                try:
                    with open(path, "w") as fh:
                        fh.write("pwned")
                except OSError:
                    pass
        """)
    run_one(verifier, ADD_OK, tests)
    assert not target.exists()
    assert not os.path.exists("/usr/evil") and not os.path.exists("/etc/evil")


def test_samples_do_not_see_each_other(verifier):
    token = uuid.uuid4().hex
    writer = d(f"""
        import os
        def test_write():
            for path in ("/tmp/shared-{token}", "/dev/shm/shared-{token}", "shared-{token}",
                         os.path.expanduser("~/shared-{token}")):
                with open(path, "w") as fh:
                    fh.write("x")
        """)
    reader = d(f"""
        import os, glob
        def test_read():
            found = [p for p in ("/tmp/shared-{token}", "/dev/shm/shared-{token}", "shared-{token}",
                                 os.path.expanduser("~/shared-{token}"))
                     if os.path.exists(p)]
            found += glob.glob("/sandbox/*/shared-{token}") + glob.glob("/**/shared-{token}")
            assert not found, found
        """)
    assert run_one(verifier, ADD_OK, writer).passed
    for _ in range(3):  # land on each worker
        verdict = run_one(verifier, ADD_OK, reader)
        assert verdict.passed, verdict.feedback
    assert not os.path.exists(f"/tmp/shared-{token}")


LEAVES_BEHIND = {
    "files": d("""
        import os
        def test_leave():
            with open("/tmp/big", "wb") as fh:
                fh.write(b"0" * (12 << 20))
            with open("data", "wb") as fh:
                fh.write(b"1" * (12 << 20))
            os.link("/tmp/big", "/tmp/hard")  # one inode, two names
            os.symlink("/etc/passwd", "/tmp/sym")
            os.mkfifo("/tmp/fifo")
            os.chmod(".", 0o500)
        """),
    "a_tree": d("""
        import os
        def test_leave():
            os.makedirs("/tmp/d/e/f")
            open("/tmp/d/e/f/g", "w").close()
            os.makedirs("nested/dir")
        """),
    "many_files": d("""
        def test_leave():
            for i in range(500):
                open(f"/tmp/f{i}", "w").close()
        """),
}
# An interpreter under /tmp (a checkout there) is bound into each run's /tmp, at its own path.
UNDER_TMP = sorted(
    {
        os.path.relpath(p, "/tmp").split(os.sep)[0]
        for p in interpreter_paths()
        if p.startswith("/tmp/")
    }
)
CLEAN_START = d(f"""
    import os
    def test_clean():
        assert sorted(os.listdir("/tmp")) == {UNDER_TMP!r}
        assert sorted(os.listdir(".")) == ["solution.py", "test_solution.py"]
        assert os.stat(".").st_mode & 0o777 == 0o755
        with open("/tmp/room", "wb") as fh:  # the whole size cap is there again
            fh.write(b"0" * (28 << 20))
    """)
# As root, the tmpfs is root's and the sample's uid another: it can write in its work dir and in
# /tmp alone. Without root the sample has the worker's uid and owns the tmpfs, which is made
# afresh for every run instead (boxes.NamespaceBox.clean).
NOTHING_BESIDE_WORK = """
    try:
        open("/sandbox/outside", "w").close()
    except PermissionError:
        pass
    else:
        raise AssertionError("a sample could write beside its work dir")
"""


@pytest.mark.parametrize("what", sorted(LEAVES_BEHIND))
def test_what_a_run_leaves_is_gone_for_the_next_on_the_same_worker(backend_name, what, is_root):
    """The process backend keeps a worker's tmpfs from run to run and empties it after each (or
    replaces it, where a run left a tree or too much): the next run starts as on a fresh one."""
    if backend_name != "process":
        pytest.skip("the Docker backend wipes its containers its own way (test_docker.py)")
    options = VerifyOptions(jobs=1, limits=ATTACK_LIMITS, strength_check=False)
    with Verifier(options) as verifier:
        assert run_one(verifier, ADD_OK, LEAVES_BEHIND[what]).passed
        (worker,) = verifier._all
        tests = CLEAN_START + (NOTHING_BESIDE_WORK if is_root else "")
        verdict = run_one(verifier, ADD_OK, tests)
        assert verdict.passed, verdict.feedback
        assert verifier._all == [worker]  # on that same worker, not a replacement


def test_the_strength_check_run_starts_clean(backend_name):
    """The stub run follows the real run (in the same sandbox instance, on the process backend):
    nothing the real run left behind may reach it. These tests pass against the stubs only if they
    find a leftover, so a leak would turn a sound sample into `weak_tests`."""
    token = str(uuid.uuid4().int)[:12]
    nap = f"600.{token}"  # the daemon's unique command line
    tests = d(f"""
        import ctypes, os, subprocess
        from solution import real

        KEY = 0x5A5A

        def test_leftovers():
            libc = ctypes.CDLL(None, use_errno=True)
            if real():  # the real run: leave everything a later run could find
                for path in ("/tmp/left-{token}", "left-{token}", "/dev/shm/left-{token}"):
                    open(path, "w").close()
                libc.shmget(KEY, 4096, 0o1666)  # IPC_CREAT | 0666
                subprocess.Popen(["sleep", "{nap}"], start_new_session=True)
                return
            daemons = []
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open(f"/proc/{{pid}}/cmdline", "rb") as fh:
                        if b"{nap}" in fh.read():
                            daemons.append(pid)
                except OSError:
                    pass
            files = [p for p in ("/tmp/left-{token}", "left-{token}", "/dev/shm/left-{token}")
                     if os.path.exists(p)]
            segment = libc.shmget(KEY, 0, 0)
            assert files or daemons or segment >= 0
        """)
    options = VerifyOptions(sandbox=backend_name, jobs=1, limits=ATTACK_LIMITS)
    with Verifier(options) as verifier:
        verdict = run_one(verifier, "def real():\n    return True\n", tests)
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.weak_tests)
    assert verdict.weak_tests == []
    assert not wait_until_gone(nap)


class _Listener:
    """A real TCP server on the host's loopback that counts connections."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self.thread.join()
        self.sock.close()


def test_no_network_host_loopback_unreachable(verifier):
    listener = _Listener()
    try:
        tests = d(f"""
            import socket
            def test_connect():
                reached = []
                for addr in [("127.0.0.1", {listener.port}), ("8.8.8.8", 53), ("1.1.1.1", 443)]:
                    try:
                        socket.create_connection(addr, timeout=1).close()
                        reached.append(addr)
                    except OSError:
                        pass
                try:
                    socket.getaddrinfo("pypi.org", 443)
                    reached.append("dns")
                except OSError:
                    pass
                assert not reached, reached
            """)
        verdict = run_one(verifier, ADD_OK, tests)
        assert verdict.passed, verdict.feedback
        assert listener.connections == 0
    finally:
        listener.close()


def test_killing_the_parent_and_kill_minus_one_are_contained(verifier):
    tests = d("""
        import os, signal
        def test_kill():
            for pid in (os.getppid(), 1, -1):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            assert False, "still here"
        """)
    verdict = run_one(verifier, ADD_OK, tests)
    assert not verdict.passed and verdict.stage != "error"
    assert run_one(verifier, ADD_OK, TEST_ADD).passed


def test_ptrace_of_the_parent_is_refused(verifier):
    tests = d("""
        import ctypes, os
        def test_ptrace():
            libc = ctypes.CDLL(None, use_errno=True)
            PTRACE_ATTACH = 16
            results = [libc.ptrace(PTRACE_ATTACH, pid, 0, 0) for pid in (os.getppid(), 1)]
            assert all(r == -1 for r in results), results
        """)
    verdict = run_one(verifier, ADD_OK, tests)
    assert verdict.passed, verdict.feedback


def test_daemons_do_not_outlive_the_sample(verifier, tmp_path):
    marker = f"assay-daemon-{uuid.uuid4().hex}"
    tests = d(f"""
        import os, sys, time
        def test_daemonize():
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    os.execv(sys.executable, [sys.executable, "-c",
                             "import time\\nwhile True: time.sleep(1)", "{marker}"])
                os._exit(0)
            time.sleep(0.3)
        """)
    verdict = run_one(verifier, ADD_OK, tests)
    assert verdict.passed, verdict.feedback
    assert wait_until_gone(marker) == []


# Benign code that must still pass ---------------------------------------------------------------
BENIGN = {
    "threads": d("""
        import threading
        def test_threads():
            out = []
            ts = [threading.Thread(target=out.append, args=(i,)) for i in range(16)]
            [t.start() for t in ts]
            [t.join() for t in ts]
            assert sorted(out) == list(range(16))
        """),
    "multiprocessing_pool": d("""
        import multiprocessing
        from solution import add
        def test_pool():
            with multiprocessing.Pool(2) as pool:
                assert pool.starmap(add, [(1, 2), (3, 4)]) == [3, 7]
        """),
    "subprocess_sys_executable": d("""
        import subprocess, sys
        def test_subprocess():
            out = subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True,
                                 text=True, check=True)
            assert out.stdout.strip() == "42"
        """),
    "tempfile_and_tmp_path": d("""
        import tempfile
        def test_tempfile(tmp_path):
            with tempfile.NamedTemporaryFile("w+") as fh:
                fh.write("hi")
                fh.seek(0)
                assert fh.read() == "hi"
            (tmp_path / "x.txt").write_text("ok")
            assert (tmp_path / "x.txt").read_text() == "ok"
        """),
    "deep_recursion": d("""
        import sys
        sys.setrecursionlimit(100000)
        def depth(n):
            return 0 if n == 0 else 1 + depth(n - 1)
        def test_deep():
            assert depth(20000) == 20000
        """),
    "fixtures_parametrize_raises_classes": d("""
        import pytest
        from solution import add
        @pytest.fixture
        def pair():
            return (2, 3)
        @pytest.mark.parametrize("a,b,total", [(1, 1, 2), (0, 5, 5)])
        def test_param(a, b, total):
            assert add(a, b) == total
        def test_fixture(pair):
            assert add(*pair) == 5
        def test_raises():
            with pytest.raises(TypeError):
                add(1, "x")
        class TestAdd:
            def test_method(self):
                assert add(-1, 1) == 0
        """),
    "numpy_openblas_threads": d("""
        import numpy as np
        def test_numpy():
            a = np.arange(100.0).reshape(10, 10)
            assert float((a @ a.T).trace()) > 0
        """),
    "localhost_inside_sandbox": d("""
        import socket, threading
        def test_echo():
            srv = socket.socket()
            srv.bind(("127.0.0.1", 0))
            srv.listen(1)
            port = srv.getsockname()[1]
            def serve():
                conn, _ = srv.accept()
                conn.sendall(conn.recv(10))
                conn.close()
            threading.Thread(target=serve).start()
            c = socket.create_connection(("127.0.0.1", port))
            c.sendall(b"ping")
            assert c.recv(10) == b"ping"
        """),
}


@pytest.mark.parametrize("name", sorted(BENIGN))
def test_benign_code_passes(verifier, name):
    tests = "from solution import add  # noqa: F401\n" + BENIGN[name]
    verdict = run_one(verifier, ADD_OK, tests)
    assert verdict.passed, f"{name}: {verdict.stage} {verdict.reason}\n{verdict.feedback}"
