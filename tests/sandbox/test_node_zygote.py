"""The node zygote (process backend, as root): JavaScript runs forked from a warm node outside the
front's pid namespace. Each run must be as isolated as a fresh node start, the zygote out of every
sample's reach, and a lost zygote must cost nothing but speed.

A run forked from the zygote has V8's `--single-threaded` among node's flags (a fresh node in the
box has not): the tests read that to know which way a run went.
"""

from __future__ import annotations

import json
import os
import re
import signal

import pytest

from sandbox import Limits, Sample, Verifier, VerifyOptions
from tests.sandbox.conftest import processes_with, quick_runs
from tests.sandbox.js_helpers import ADD_OK, ADD_WRONG, HEAD, TEST_ADD, d, run_js

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="the node zygote runs where the worker is root"
)

FORKED = 'process.execArgv.includes("--single-threaded")'


def sample_test(body: str) -> str:
    """Tests whose one test runs `body` (JavaScript), then checks add()."""
    return HEAD + f'test("in the box", () => {{\n{body}\n  assert.equal(add(2, 3), 5);\n}});\n'


def reports(expression: str) -> str:
    """Tests that fail on purpose, with the JSON of `expression`'s value as the failure."""
    return HEAD + (
        'test("reports", () => {\n'
        f'  assert.fail("REPORT" + JSON.stringify({expression}) + "END");\n'
        "});\n"
    )


def reported(verdict):
    match = re.search(r"REPORT(.*?)END", verdict.feedback, re.S)
    assert match, verdict.feedback
    return json.loads(match.group(1))


def zygotes() -> list[int]:
    return processes_with("/javascript/zygote.js")


def test_runs_are_forked_from_the_zygote_and_judged_as_ever(zygote_verifier):
    passed = run_js(zygote_verifier, ADD_OK, sample_test(f"  assert.ok({FORKED}, 'not forked');"))
    assert passed.passed, passed.feedback
    failed = run_js(zygote_verifier, ADD_WRONG, TEST_ADD)
    assert (failed.stage, failed.reason) == ("tests", "AssertionError"), failed.feedback
    assert "-1 !== 5" in failed.feedback
    assert zygotes()


def test_many_quick_runs_in_a_row_each_end_in_time(zygote_verifier):
    """A runner that ends before the front reads that it attached is reaped all the same."""
    sample = Sample(solution=ADD_OK, tests=TEST_ADD, language="javascript")
    stages, seconds = quick_runs(zygote_verifier, sample)
    assert stages == ["passed"] * 40
    assert seconds < 30


def test_the_run_has_the_sample_uid_no_capability_and_no_root_process_in_sight(zygote_verifier):
    expression = (
        '[require("fs").readFileSync("/proc/self/status", "utf8").split("\\n").filter((line) =>'
        ' /^(Uid|Groups|Cap(Inh|Prm|Eff|Amb)|NoNewPrivs):/.test(line)).join("\\n"), require("fs")'
        '.readdirSync("/proc").filter((p) => /^\\d+$/.test(p) && +p !== 1'
        ' && require("fs").statSync("/proc/" + p).uid === 0), process.pid,'
        ' +require("fs").readlinkSync("/proc/self"), ' + FORKED + "]"
    )
    status, root, pid, own, forked = reported(run_js(zygote_verifier, ADD_OK, reports(expression)))
    assert forked
    fields = dict(re.findall(r"^(\w+):[ \t]*(.*)$", status, re.M))
    uid = fields["Uid"].split()
    assert uid[0] != "0" and len(set(uid)) == 1, fields
    assert fields["Groups"].strip() == ""
    for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        assert int(fields[cap], 16) == 0, cap
    assert fields["NoNewPrivs"].strip() == "1"
    assert root == []  # the front is pid 1; the zygote is outside the pid namespace
    assert pid == own  # process.pid is the run's, not the zygote's


def test_no_descriptor_of_the_zygote_reaches_the_sample(zygote_verifier):
    """The run's descriptors are its own three pipes (stdout, stderr, the result channel), stdin
    on /dev/null, and what node made for itself after the fork: no pipe, event loop or file of
    the zygote's."""
    expression = (
        'Object.fromEntries(require("fs").readdirSync("/proc/self/fd").map((fd) => {'
        ' try { return [fd, require("fs").readlinkSync("/proc/self/fd/" + fd)]; }'
        " catch (e) { return [fd, null]; } }))"
    )
    fds = reported(run_js(zygote_verifier, ADD_OK, reports(expression)))
    assert fds["0"] == "/dev/null"
    own = {fds["1"], fds["2"], fds["3"]}
    assert all(target.startswith("pipe:") for target in own), fds
    theirs = set()
    for pid in zygotes():
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                theirs.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
            except OSError:
                pass
    pipes = [
        t for fd, t in fds.items() if t and t.startswith("pipe:") and fd not in ("1", "2", "3")
    ]
    assert not set(pipes) & theirs, (fds, theirs)
    assert all(pipes.count(t) == 2 for t in pipes), fds  # both ends its own (libuv's)
    others = {t for t in fds.values() if t and not t.startswith("pipe:") and t != "/dev/null"}
    # the listing's own directory is a descriptor too, gone when readlink looks
    assert others <= {"anon_inode:[eventpoll]", "anon_inode:[eventfd]"}, fds


def test_a_sample_that_kills_all_it_can_leaves_the_zygote_serving(zygote_verifier):
    run_js(zygote_verifier, ADD_OK, TEST_ADD)
    before = zygotes()
    assert before, "no zygote running"
    killer = sample_test("  process.kill(-1, 'SIGKILL');")
    run_js(
        zygote_verifier, ADD_OK, killer
    )  # ends itself with the rest; the verdict does not matter
    assert zygotes() == before
    after = run_js(zygote_verifier, ADD_OK, sample_test(f"  assert.ok({FORKED});"))
    assert after.passed, after.feedback


def test_signals_and_timers_work_in_a_forked_run(zygote_verifier):
    """The run's event loop is its own: a signal handler, a timer and the thread pool (an
    asynchronous file read) all come back to it."""
    body = (
        "(async () => {\n"
        "  const keep = setInterval(() => {}, 1000);  // a signal alone keeps no loop alive\n"
        "  const got = new Promise((resolve) => process.once('SIGUSR2', resolve));\n"
        "  process.kill(process.pid, 'SIGUSR2');\n"
        "  await got;\n"
        "  clearInterval(keep);\n"
        "  await new Promise((resolve) => setTimeout(resolve, 20));\n"
        "  return (await require('fs').promises.readFile('solution.js', 'utf8')).length;\n"
        "})()"
    )
    tests = HEAD + (
        'test("loop", async () => {\n'
        f"  assert.ok({FORKED});\n"
        f"  assert.equal(await {body}, {len(ADD_OK)});\n"
        "});\n"
    )
    verdict = run_js(zygote_verifier, ADD_OK, tests)
    assert verdict.passed, verdict.feedback


def test_child_processes_worker_threads_and_crypto_work_in_a_forked_run(zygote_verifier):
    """What a fresh node offers works in a forked one: a worker thread (an isolate of its own on
    a thread the zygote never had), child processes, synchronous and not, and crypto's thread
    pool."""
    solution = d("""
        const { Worker } = require("worker_threads");
        const square = (n) => new Promise((resolve, reject) => {
          const code = "const { parentPort, workerData } = require('worker_threads');"
            + " parentPort.postMessage(workerData * workerData);";
          const worker = new Worker(code, { eval: true, workerData: n });
          worker.once("message", resolve);
          worker.once("error", reject);
        });
        module.exports = { square };
        """)
    tests = HEAD.replace("{ add }", "{ square }") + d(f"""
        test("a worker, a child, crypto", async () => {{
          assert.ok({FORKED});
          assert.equal(await square(7), 49);
          const cp = require("child_process");
          const code = "process.stdout.write(String(6 * 7))";
          assert.equal(cp.execFileSync(process.execPath, ["-e", code]).toString(), "42");
          const out = await new Promise((resolve, reject) => cp.execFile(
            process.execPath, ["-e", code], (err, stdout) => (err ? reject(err) : resolve(stdout))));
          assert.equal(out, "42");
          const key = await new Promise((resolve, reject) => require("crypto").pbkdf2(
            "a", "b", 10, 8, "sha256", (err, k) => (err ? reject(err) : resolve(k))));
          assert.equal(key.length, 8);
        }});
        """)
    verdict = run_js(zygote_verifier, solution, tests)
    assert verdict.passed, verdict.feedback


def test_network_state_does_not_outlive_its_sample(zygote_verifier):
    """One run listens on loopback and talks to itself; the next cannot connect to it and is in
    other network and IPC namespaces (the front's fresh ones, as a fresh node's would be)."""
    ns = '[require("fs").readlinkSync("/proc/self/ns/net"), require("fs").readlinkSync("/proc/self/ns/ipc")]'
    leave = HEAD + (
        'test("leaves a server", async () => {\n'
        '  const server = require("net").createServer().listen(45124, "127.0.0.1");\n'
        '  await new Promise((resolve) => server.once("listening", resolve));\n'
        '  const client = require("net").connect(45124, "127.0.0.1");\n'
        '  await new Promise((resolve) => client.once("connect", resolve));\n'
        '  await new Promise((resolve) => client.write("x", resolve));\n'
        "  client.unref();\n"
        "  server.unref();\n"
        f'  assert.fail("REPORT" + JSON.stringify({ns}) + "END");\n'
        "});\n"
    )
    first = reported(run_js(zygote_verifier, ADD_OK, leave))
    look = HEAD + (
        'test("looks", async () => {\n'
        "  const refused = await new Promise((resolve) => {\n"
        '    const socket = require("net").connect(45124, "127.0.0.1");\n'
        '    socket.once("connect", () => { socket.destroy(); resolve(false); });\n'
        '    socket.once("error", () => resolve(true));\n'
        "  });\n"
        f'  assert.fail("REPORT" + JSON.stringify([refused, ...{ns}]) + "END");\n'
        "});\n"
    )
    refused, net, ipc = reported(run_js(zygote_verifier, ADD_OK, look))
    assert refused
    assert net != first[0] and ipc != first[1]


def test_a_lost_zygote_costs_only_speed():
    others = set(zygotes())
    options = VerifyOptions(jobs=1, strength_check=True, limits=Limits(timeout_s=10))
    with Verifier(options) as verifier:
        assert run_js(verifier, ADD_OK, sample_test(f"  assert.ok({FORKED});")).passed
        mine = set(zygotes()) - others
        assert mine
        for pid in mine:
            os.kill(pid, signal.SIGKILL)
        assert run_js(verifier, ADD_OK, TEST_ADD).passed
        assert run_js(verifier, ADD_WRONG, TEST_ADD).stage == "tests"
        fresh = run_js(verifier, ADD_OK, sample_test(f"  assert.ok(!{FORKED});"))
        assert fresh.passed, fresh.feedback  # node started afresh for the run


def test_an_addon_another_user_could_change_is_not_loaded(tmp_path, monkeypatch):
    """Root loads the addon from the box cache: a cache another user could write to is refused
    (and the worker then starts node afresh for each run)."""
    from sandbox.languages import boxcache
    from sandbox.languages.javascript import zygote

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = zygote.addon()
    assert built.startswith(str(tmp_path)) and os.path.isfile(built)
    os.chmod(os.path.dirname(built), 0o777)
    with pytest.raises(boxcache.BuildError, match="another user"):
        zygote.addon()


def test_a_harness_module_unlike_the_zygotes_is_loaded_from_the_work_dir(monkeypatch):
    """The zygote holds the harness's own modules loaded; a run takes them only where its copy
    in the work dir is the same text, so that it always runs the harness it was given."""
    from sandbox.languages.javascript import language

    box = language._box_files()
    mark = 'throw new Error("the copy in the work dir");\n'
    given = {**box, "assay_node_test.js": mark + box["assay_node_test.js"]}
    monkeypatch.setattr(language, "_box_files", lambda: given)
    others = set(zygotes())
    options = VerifyOptions(jobs=1, strength_check=False, limits=Limits(timeout_s=10))
    with Verifier(options) as verifier:
        verdict = run_js(verifier, ADD_OK, TEST_ADD)
        assert set(zygotes()) - others  # the run went through a zygote
    assert not verdict.passed
    assert "the copy in the work dir" in verdict.feedback, verdict.feedback
