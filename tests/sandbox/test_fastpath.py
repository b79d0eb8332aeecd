"""The fast path (sandbox/languages/python/box/fastpath.py) concludes only what pytest concludes.

Which modules it takes is checked on trusted modules in this process; that its verdicts equal
pytest's is checked in the real sandbox, with the fast path on and off, on samples chosen to probe
where running test functions directly could differ from pytest."""

from __future__ import annotations

import textwrap
import types

import pytest

from sandbox import Limits, Sample, Verifier, VerifyOptions
from sandbox.languages.python.box import fastimport, fastpath
from sandbox.languages.python.box.fastpath import Undecided, plain_tests

LIMITS = Limits(timeout_s=5)


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def module(source: str, filename: str = "/sandbox/work/test_solution.py") -> types.ModuleType:
    mod = types.ModuleType("test_solution")
    mod.__file__ = filename
    exec(compile(source, filename, "exec"), mod.__dict__)  # trusted: this file's own sources
    return mod


# Which modules the fast path takes ---------------------------------------------------------------
PLAIN = {
    "functions": "def helper():\n    return 1\n\ndef test_a():\n    assert helper() == 1\n\n"
    "def test_b():\n    pass\n",
    "pytest_raises_and_approx": "import pytest\n\ndef test_a():\n    with pytest.raises(ZeroDivisionError):"
    "\n        1 / 0\n    assert 0.1 + 0.2 == pytest.approx(0.3)\n",
    "data_named_test": "test_cases = [(1, 2)]\n\ndef test_a():\n    assert test_cases\n",
    "helper_class": "class Point:\n    x = 1\n\ndef test_a():\n    assert Point.x == 1\n",
    "humaneval": "def check(candidate):\n    assert candidate(1) == 1\n\n"
    "def test_check():\n    check(abs)\n",
}
NOT_PLAIN = {
    "parametrize": "import pytest\n\n@pytest.mark.parametrize('x', [1])\ndef test_a(x):\n    pass\n",
    "fixture_argument": "def test_a(tmp_path):\n    pass\n",
    "autouse_fixture": "import pytest\n\n@pytest.fixture(autouse=True)\ndef env():\n    yield\n\n"
    "def test_a():\n    pass\n",
    "module_mark": "import pytest\npytestmark = pytest.mark.skip\n\ndef test_a():\n    pass\n",
    "test_class": "class TestA:\n    def test_a(self):\n        pass\n",
    "unittest_case": "import unittest\n\nclass Checks(unittest.TestCase):\n"
    "    def test_a(self):\n        pass\n",
    "setup_module": "def setup_module():\n    pass\n\ndef test_a():\n    pass\n",
    "setup_function": "def setup_function(f):\n    pass\n\ndef test_a():\n    pass\n",
    "dunder_test": "__test__ = False\n\ndef test_a():\n    pass\n",
    "generator": "def test_a():\n    yield 1\n",
    "coroutine": "async def test_a():\n    pass\n",
    "decorated": "import functools\n\ndef deco(f):\n    @functools.wraps(f)\n"
    "    def inner():\n        return f()\n    return inner\n\n@deco\ndef test_a():\n    pass\n",
    "callable_object": "class Call:\n    def __call__(self):\n        pass\n\ntest_a = Call()\n",
    "default_argument": "def test_a(x=1):\n    pass\n",
    "marked_attribute": "def test_a():\n    pass\n\ntest_a.__test__ = False\n",
    "no_tests": "def check():\n    pass\n",
    "plugin_hook": "def pytest_runtest_setup(item):\n    pass\n\ndef test_a():\n    pass\n",
}


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_plain_modules_are_taken(name):
    assert [n for n, *_ in plain_tests(module(PLAIN[name]))] == [
        n
        for n in module(PLAIN[name]).__dict__
        if n.startswith("test") and callable(module(PLAIN[name]).__dict__[n])
    ]


@pytest.mark.parametrize("name", sorted(NOT_PLAIN))
def test_modules_that_need_pytest_are_left_to_it(name):
    with pytest.raises(Undecided):
        plain_tests(module(NOT_PLAIN[name]))


def test_test_functions_from_other_files_are_left_to_pytest():
    helper = module("def test_shared():\n    pass\n", filename="/sandbox/work/solution.py")
    tests = module("def test_own():\n    pass\n")
    tests.test_shared = helper.test_shared  # as `from solution import test_shared` would
    with pytest.raises(Undecided):
        plain_tests(tests)


# The same verdicts as pytest -------------------------------------------------------------------
ADD = "def add(a, b):\n    return a + b\n"
DEPTH = "def depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\n"
LEAVES = """\
import builtins, ctypes, os, subprocess, sys, threading, time, types
from solution import add

def msgget():
    ctypes.CDLL(None).msgget(0, 0o1600)  # IPC_PRIVATE, IPC_CREAT

def test_add():
    if {seen}:
        return
    {leave}
    assert add(2, 3) == 5
"""
WARNS = d("""
    import warnings

    def old(x):
        warnings.warn("old() is deprecated", DeprecationWarning)
        return x * 2
    """)
SAMPLES = {
    "passes": (ADD, "from solution import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"),
    # pytest's warning filters: deprecation warnings shown (Python ignores them outside
    # __main__), recorded, and what a test changes in the filters undone after it
    "expects_a_deprecation_warning": (
        WARNS,
        "import warnings\nfrom solution import old\n\ndef test_old():\n"
        "    with warnings.catch_warnings(record=True) as caught:\n"
        "        assert old(2) == 4\n    assert len(caught) == 1\n",
    ),
    "a_test_leaves_warnings_as_errors": (
        WARNS,
        "import warnings\nfrom solution import old\n\ndef test_a():\n"
        "    warnings.simplefilter('error')\n\ndef test_b():\n    assert old(1) == 2\n",
    ),
    "many_deprecation_warnings": (
        WARNS,
        "from solution import old\n\ndef test_old():\n"
        "    assert sum(old(i) for i in range(20000)) == 399980000\n",
    ),
    "fails": (ADD, "from solution import add\n\ndef test_add():\n    assert add(2, 3) == 6\n"),
    "one_of_three_fails": (
        ADD,
        "from solution import add\n\ndef test_a():\n    assert add(1, 1) == 2\n\n"
        "def test_b():\n    assert add(1, 1) == 3\n\ndef test_c():\n    assert add(0, 0) == 0\n",
    ),
    "returns_a_value": (ADD, "from solution import add\n\ndef test_add():\n    return add(2, 3)\n"),
    "system_exit_in_test": (ADD, "import sys\n\ndef test_add():\n    sys.exit(0)\n"),
    "skip_in_test": (ADD, "import pytest\n\ndef test_add():\n    pytest.skip('later')\n"),
    "skip_at_import": (
        ADD,
        "import pytest\npytest.skip('no', allow_module_level=True)\n\ndef test_a():\n    pass\n",
    ),
    "xfail_in_test": (ADD, "import pytest\n\ndef test_add():\n    pytest.xfail('known')\n"),
    "fail_call": (ADD, "import pytest\n\ndef test_add():\n    pytest.fail('no')\n"),
    "keyboard_interrupt": (ADD, "def test_add():\n    raise KeyboardInterrupt\n"),
    "import_error": (ADD, "from solution import sub\n\ndef test_sub():\n    pass\n"),
    "error_in_solution_import": (
        "raise ValueError('boom')\n",
        "import solution\n\ndef test_a():\n    pass\n",
    ),
    # Tests whose first statement imports the solution are imported without the import system
    # (`fastimport.import_directly`): the same modules, attributes and order as pytest's import.
    "solution_sees_the_tests_module_as_the_import_system_leaves_it": (
        "import sys\nSEEN = list(vars(sys.modules['test_solution']))\n",
        # (then pytest's assertion rewriting adds its own names, which the fast path does not)
        "from solution import SEEN\n\ndef test_a():\n    assert SEEN[:8] == ['__name__', '__doc__', "
        "'__package__', '__loader__', '__spec__', '__file__', '__cached__', '__builtins__']\n",
    ),
    "module_attributes": (
        ADD,
        "import solution as s\nimport os\n\ndef test_a():\n    assert s.__spec__.name == 'solution'\n"
        "    assert s.__spec__.origin == s.__file__ == os.path.abspath('solution.py')\n"
        "    assert s.__cached__ == s.__spec__.cached and s.__cached__.endswith('.pyc')\n"
        "    assert s.__package__ == s.__spec__.parent == ''\n"
        "    assert 'return a + b' in s.__loader__.get_source('solution')\n"
        "    assert not s.__spec__._initializing\n",
    ),
    "solution_replaces_itself_in_sys_modules": (
        "import sys, types\nsys.modules[__name__] = types.SimpleNamespace(add=lambda a, b: a - b)\n",
        "from solution import add\n\ndef test_add():\n    assert add(2, 3) == -1\n",
    ),
    "reload_and_getsource": (
        ADD,
        "from solution import add\nimport importlib, inspect, solution\n\ndef test_a():\n"
        "    assert importlib.reload(solution).add(1, 2) == 3\n"
        "    assert 'return a + b' in inspect.getsource(add)\n",
    ),
    "solution_imported_after_a_docstring": (
        ADD,
        '"""The tests."""\nfrom solution import add\n\ndef test_add():\n    assert add(2, 3) == 5\n',
    ),
    "solution_imported_inside_the_test": (
        "import sys\nIMPORTED_BY = sys._getframe(1).f_code.co_name\n",
        "import sys\n\ndef test_a():\n    assert 'solution' not in sys.modules\n"
        "    import solution\n    assert solution.IMPORTED_BY\n",
    ),
    "prints": (ADD, "def test_add():\n    print('hello')\n"),
    "raises_checked": (
        ADD,
        "import pytest\nfrom solution import add\n\ndef test_add():\n"
        "    with pytest.raises(TypeError):\n        add(1, 'a')\n",
    ),
    "hostile_str_exception": (
        ADD,
        "class E(Exception):\n    def __str__(self):\n        raise RuntimeError\n\n"
        "def test_add():\n    raise E()\n",
    ),
    "test_class": (
        ADD,
        "from solution import add\n\nclass TestAdd:\n    def test_add(self):\n"
        "        assert add(1, 2) == 3\n",
    ),
    "fixture": (ADD, "def test_add(tmp_path):\n    assert tmp_path.is_dir()\n"),
    "generator_test": (ADD, "def test_add():\n    yield 1\n"),
    "async_test": (ADD, "async def test_add():\n    pass\n"),
    "no_tests": (ADD, "def check():\n    pass\n"),
    "weak_tests": (ADD, "from solution import add\n\ndef test_runs():\n    add(1, 2)\n"),
    "partly_weak": (
        ADD,
        "from solution import add\n\ndef test_runs():\n    add(1, 2)\n\n"
        "def test_value():\n    assert add(1, 2) == 3\n",
    ),
    # The strength check runs in the same runner, right after a pass (`chain`): what the first
    # run leaves must not sway the second. Each test returns early, passing even on stubs, when
    # it sees what an earlier run of it left behind; in a fresh runner it sees nothing.
    **{
        f"leaves_{name}": (ADD, LEAVES.format(seen=seen, leave=leave))
        for name, (seen, leave) in {
            "a_file_in_the_work_dir": ("os.path.exists('seen')", "open('seen', 'w').close()"),
            "a_file_in_tmp": ("os.path.exists('/tmp/seen')", "open('/tmp/seen', 'w').close()"),
            "a_file_in_dev_shm": (
                "os.path.exists('/dev/shm/seen')",
                "open('/dev/shm/seen', 'w').close()",
            ),
            "its_solution_changed": (
                "'seen' in open('solution.py').read()",
                "open('solution.py', 'a').write('# seen')",
            ),
            "an_environment_variable": ("'SEEN' in os.environ", "os.environ['SEEN'] = '1'"),
            "another_cwd": ("not os.path.exists('solution.py')", "os.chdir('/')"),
            "a_sys_path_entry": ("'/seen' in sys.path", "sys.path.append('/seen')"),
            "a_sys_attribute": ("hasattr(sys, 'seen')", "sys.seen = 1"),
            "a_builtin": ("hasattr(builtins, 'seen')", "builtins.seen = 1"),
            "a_replaced_builtin": ("builtins.ascii is repr", "builtins.ascii = repr"),
            "a_module": ("'seen' in sys.modules", "sys.modules['seen'] = types.ModuleType('seen')"),
            "a_recursion_limit": ("sys.getrecursionlimit() == 1234", "sys.setrecursionlimit(1234)"),
            "a_thread": (
                "threading.active_count() > 1",
                "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()",
            ),
            "a_process": (
                "len([p for p in os.listdir('/proc') if p.isdigit()]) > 2",
                "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])",
            ),
            "an_ipc_object": ("len(open('/proc/sysvipc/msg').readlines()) > 1", "msgget()"),
        }.items()
    },
    # The same, for tests imported without the import system (the solution imported first).
    "leaves_a_changed_module_spec": (
        ADD,
        "from solution import add\nimport sys\n\ndef test_add():\n"
        "    spec = sys.modules['solution'].__spec__\n    if getattr(spec, 'seen', False):\n"
        "        return\n    spec.seen = True\n    assert add(2, 3) == 5\n",
    ),
    # Near the recursion limit: pytest's frames sit below the test; the fast path's do not.
    **{
        f"recursion_{n}": (
            DEPTH,
            f"from solution import depth\n\ndef test_d():\n    assert depth({n}) == {n}\n",
        )
        for n in (850, 900, 930, 950, 970, 990)
    },
    # The sample's own limit, set at import and inside a test, is offset the same way.
    **{
        f"own_limit_{where}_{n}": (
            DEPTH,
            "import sys\nfrom solution import depth\n"
            + ("sys.setrecursionlimit(3000)\n" if where == "import" else "")
            + "\ndef test_d():\n"
            + ("    sys.setrecursionlimit(3000)\n" if where == "test" else "")
            + f"    assert depth({n}) == {n}\n",
        )
        for where in ("import", "test")
        for n in (2900, 2950, 2970, 2990)
    },
}

# A sample that names pytest has all its runs on the worker's pytest server, the fast path's too
# (sandbox/isolation/worker.py): the same verdicts there, at the same depths.
SAMPLES.update(
    {
        f"with_pytest_{name}": (SAMPLES[name][0], "import pytest  # noqa\n" + SAMPLES[name][1])
        for name in (
            "passes",
            "fails",
            "weak_tests",
            "recursion_950",
            "recursion_990",
            "own_limit_test_2990",
            "leaves_a_builtin",
            "leaves_a_file_in_tmp",
        )
    }
)


def outcome(verdict) -> tuple:
    cases = [(c.name, c.outcome) for c in verdict.tests.cases] if verdict.tests else None
    return verdict.passed, verdict.stage, verdict.reason, cases, verdict.weak_tests


@pytest.fixture(scope="module")
def both(backend_name):
    on = Verifier(VerifyOptions(sandbox=backend_name, jobs=2, limits=LIMITS, fast_path=True))
    off = Verifier(VerifyOptions(sandbox=backend_name, jobs=2, limits=LIMITS, fast_path=False))
    try:
        yield on, off
    finally:
        on.close()
        off.close()


def test_verdicts_equal_pytests(both):
    on, off = both
    samples = [Sample(solution=s, tests=t, id=name) for name, (s, t) in SAMPLES.items()]
    fast = {v.id: outcome(v) for v in on.verify(samples)}
    slow = {v.id: outcome(v) for v in off.verify(samples)}
    differ = {name: (fast[name], slow[name]) for name in SAMPLES if fast[name] != slow[name]}
    assert not differ
    assert fast["passes"][0] and not fast["fails"][0] and fast["weak_tests"][1] == "weak_tests"
    warned = ("expects_a_deprecation_warning", "a_test_leaves_warnings_as_errors")
    assert all(fast[name][0] for name in (*warned, "many_deprecation_warnings")), fast


def test_feedback_on_failure_is_pytests(both):
    on, _ = both
    (verdict,) = on.verify([Sample(solution=ADD, tests=SAMPLES["fails"][1])])
    assert "assert 5 == 6" in verdict.feedback  # assertion introspection: the pytest run's


def test_a_test_that_passes_only_under_pytest_is_rejected_as_flaky(both):
    on, off = both
    tests = d("""
        import inspect
        from solution import add

        def test_runner():
            assert add(1, 2) == 3
            assert any(frame.function == "pytest_pyfunc_call" for frame in inspect.stack())
        """)
    (fast,) = on.verify([Sample(solution=ADD, tests=tests)])
    assert not fast.passed and fast.stage == "tests" and fast.reason.startswith("flaky")
    (slow,) = off.verify([Sample(solution=ADD, tests=tests)])
    assert slow.passed


def test_the_verifiers_code_is_taken_only_for_the_bytes_it_was_compiled_from():
    from sandbox.languages.python import checks as py

    sample = Sample(solution=ADD, tests=SAMPLES["passes"][1])
    shipped: dict[str, str] = {}
    assert py.syntax_error(sample, 1 << 20, shipped) is None
    files = {"solution.py": sample.solution, "test_solution.py": sample.tests}
    fastimport.prepare_run("/sandbox/work", [(files, shipped)])
    taken = fastimport.compiled[0]["/sandbox/work/solution.py"][1]
    assert taken.co_filename == "/sandbox/work/solution.py"
    # Another text under the same name (the stub phase's solution, say) never gets that code.
    fastimport.prepare_run(
        "/sandbox/work", [({**files, "solution.py": "def add(a, b):\n    return None\n"}, shipped)]
    )
    stub = fastimport.compiled[0]["/sandbox/work/solution.py"]
    namespace: dict = {}
    exec(stub[1], namespace)  # trusted: this file's own source
    assert namespace["add"](2, 3) is None
    fastimport.compiled.clear()


def test_the_code_flags_left_to_pytest_are_inspects():
    import inspect

    flags = ("CO_VARARGS", "CO_VARKEYWORDS", "CO_GENERATOR", "CO_COROUTINE", "CO_ITERABLE_COROUTINE",
             "CO_ASYNC_GENERATOR")  # fmt: skip
    expected = 0
    for name in flags:
        expected |= getattr(inspect, name)
    assert fastpath.UNSUPPORTED_FLAGS == expected
