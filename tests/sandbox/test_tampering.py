"""A wrong solution (or its tests) that changes the ground its tests stand on: a trace or profile
function that skips asserts or rewrites the tests as they load, test functions changed after
collection, `math`, `operator`, `unittest`'s and pytest's judges replaced, a pytest plugin that
flips failures, a guard fooled by `__module__` or by an `__eq__` that looks at its caller. Each is
rejected, in both backends, on the fast path and under pytest; samples that use those libraries
honestly (and patch them the way tests do) still pass (`box/tamper.py`)."""

from __future__ import annotations

import textwrap

import pytest

from tests.sandbox.conftest import run_one

ADD_WRONG = "def add(a, b):\n    return a - b\n"
TEST_ADD = (
    "from solution import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\n"
    "def test_add_neg():\n    assert add(-1, -1) == -2\n"
)
CLASS_TEST_ADD = (
    "from solution import add\n\n\nclass TestAdd:\n    def test_add(self):\n"
    "        assert add(2, 3) == 5\n"
)
UNITTEST_ADD = (
    "import unittest\nfrom solution import add\n\n\nclass TestAdd(unittest.TestCase):\n"
    "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n"
)


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# Each: (solution, tests, what the reason names).
TAMPERING = {
    "settrace_skips_asserts": (
        ADD_WRONG
        + d("""
            import sys
            def _lines(frame, event, arg):
                if event == "line" and frame.f_code.co_name.startswith("test"):
                    try:
                        frame.f_lineno = frame.f_lineno + 1
                    except Exception:
                        pass
                return _lines
            sys.settrace(lambda frame, event, arg: _lines)
            """),
        TEST_ADD.replace("== 5\n", "== 5\n    x = 1\n").replace("== -2\n", "== -2\n    x = 1\n"),
        "sys.settrace",
    ),
    "settrace_neuters_tests_as_they_load": (
        ADD_WRONG
        + d("""
            import sys
            def _noop():
                return None
            def _local(frame, event, arg):
                if event == "return":
                    for key, value in list(frame.f_globals.items()):
                        if key.startswith("test") and hasattr(value, "__code__"):
                            value.__code__ = _noop.__code__
                    sys.settrace(None)
                return _local
            _f = sys._getframe()
            while _f is not None:
                if _f.f_code.co_filename.endswith("test_solution.py"):
                    _f.f_trace = _local
                _f = _f.f_back
            sys.settrace(lambda *a: None)
            """),
        TEST_ADD,
        "sys.settrace",
    ),
    "setprofile_left_set": (
        ADD_WRONG + "import sys\nsys.setprofile(lambda *a: None)\n",
        TEST_ADD,
        "sys.setprofile",
    ),
    "settrace_set_in_a_test": (
        ADD_WRONG,
        "import sys\nfrom solution import add\n\n\ndef test_add():\n"
        "    sys.settrace(lambda *a: None)\n\n\ndef test_more():\n    assert add(2, 3) == 5\n",
        "sys.settrace",
    ),
    "threading_settrace": (
        ADD_WRONG + "import threading\nthreading.settrace(lambda *a: None)\n",
        TEST_ADD,
        "threading.settrace",
    ),
    "later_tests_neutered_by_a_call": (
        d("""
            import sys
            def _noop():
                return None
            def add(a, b):
                f = sys._getframe(1)
                while f.f_globals.get("__name__") != "test_solution":
                    f = f.f_back
                for key, value in list(f.f_globals.items()):
                    if key.startswith("test") and key != f.f_code.co_name:
                        value.__code__ = _noop.__code__
                return a - b
            """),
        "from solution import add\n\n\ndef test_zero():\n    assert add(0, 0) == 0\n\n\n"
        "def test_add():\n    assert add(2, 3) == 5\n",
        "test_add was changed after collection",
    ),
    "later_tests_replaced_in_their_class": (
        d("""
            import sys
            def add(a, b):
                f = sys._getframe(1)
                while "self" not in f.f_locals:
                    f = f.f_back
                type(f.f_locals["self"]).test_add = lambda self: None
                return a - b
            """),
        "from solution import add\n\n\nclass TestAdd:\n    def test_zero(self):\n"
        "        assert add(0, 0) == 0\n\n    def test_add(self):\n        assert add(2, 3) == 5\n",
        "test_add was changed after collection",
    ),
    "math_isclose_replaced": (
        "import math\n\n\ndef area(r):\n    return 3.0 * r * r\n\n\n"
        "math.isclose = lambda *a, **k: True\n",
        "import math\n\nfrom solution import area\n\n\ndef test_area():\n"
        "    assert math.isclose(area(1), 3.14159, rel_tol=1e-4)\n",
        "math.isclose",
    ),
    "operator_eq_replaced": (
        ADD_WRONG + "import operator\noperator.eq = lambda a, b: True\n",
        "import operator\nfrom solution import add\n\n\ndef test_add():\n"
        "    assert operator.eq(add(2, 3), 5)\n",
        "operator.eq",
    ),
    "math_replaced_in_sys_modules": (
        "import sys, types\n\n\ndef area(r):\n    return 3.0 * r * r\n\n\n"
        "_fake = types.SimpleNamespace(isclose=lambda *a, **k: True)\nsys.modules['math'] = _fake\n",
        "from solution import area\nimport math\n\n\ndef test_area():\n"
        "    assert math.isclose(area(1), 3.14159, rel_tol=1e-4)\n",
        "sys.modules",
    ),
    "builtin_replaced": (
        "import builtins\n\n\ndef words(s):\n    return s.split(',')\n\n\n"
        "builtins.len = lambda x: 3\n",
        "from solution import words\n\n\ndef test_words():\n    assert len(words('a b c')) == 3\n",
        "builtins.len",
    ),
    "unittest_assert_equal_replaced": (
        ADD_WRONG + "import unittest\nunittest.TestCase.assertEqual = lambda self, *a, **k: None\n",
        UNITTEST_ADD,
        "assertEqual",
    ),
    "unittest_assert_equal_replaced_plain_tests": (
        ADD_WRONG + "import unittest\nunittest.TestCase.assertEqual = lambda self, *a, **k: None\n",
        "import unittest\nfrom solution import add\n\n\ndef test_add():\n"
        "    unittest.TestCase().assertEqual(add(2, 3), 5)\n",
        "assertEqual",
    ),
    "unittest_base_assert_replaced": (
        ADD_WRONG
        + "import unittest\nunittest.case.TestCase._baseAssertEqual = lambda self, *a, **k: None\n",
        UNITTEST_ADD,
        "_baseAssertEqual",
    ),
    "pytest_approx_replaced": (
        ADD_WRONG
        + "import pytest\nfrom unittest import mock\npytest.approx = lambda *a, **k: mock.ANY\n",
        "import pytest\nfrom solution import add\n\n\ndef test_add():\n"
        "    assert add(2, 3) == pytest.approx(5)\n",
        "pytest.approx",
    ),
    "pytest_approx_eq_replaced": (
        ADD_WRONG + "import pytest\ntype(pytest.approx(1.0)).__eq__ = lambda self, other: True\n",
        "import pytest\nfrom solution import add\n\n\ndef test_add():\n"
        "    assert add(2.0, 3.0) == pytest.approx(5.0)\n",
        "__eq__",
    ),
    "pytest_raises_replaced": (
        "def add(a, b):\n    return a + b\n\n\n"
        "import contextlib, pytest\npytest.raises = lambda *a, **k: contextlib.nullcontext()\n",
        "import pytest\nfrom solution import add\n\n\ndef test_add():\n"
        "    with pytest.raises(TypeError):\n        add(1, None) if False else add(1, 2)\n",
        "pytest.raises",
    ),
    "plugin_registered_by_the_tests": (
        ADD_WRONG,
        d("""
            import sys
            import pytest
            from solution import add

            class _Flip:
                @pytest.hookimpl(hookwrapper=True)
                def pytest_runtest_makereport(self, item, call):
                    out = yield
                    rep = out.get_result()
                    if rep.failed:
                        rep.outcome = "passed"
                        rep.longrepr = None

            _f = sys._getframe()
            while _f is not None:
                _s = _f.f_locals.get("self")
                if _s is not None and hasattr(getattr(_s, "config", None), "pluginmanager"):
                    _s.config.pluginmanager.register(_Flip(), "flip")
                    break
                _f = _f.f_back

            class TestAdd:
                def test_add(self):
                    assert add(2, 3) == 5
            """),
        "plugin",
    ),
    "plugin_named_by_pytest_plugins": (
        ADD_WRONG
        + d("""
            import pytest

            @pytest.hookimpl(tryfirst=True)
            def pytest_runtest_logreport(report):
                if report.failed:
                    report.outcome = "passed"
            """),
        "pytest_plugins = ['solution']\n" + CLASS_TEST_ADD,
        "plugin",
    ),
}

# A value equal to everything the guard used to miss: the function's `__module__` set to another
# module's, and an `__eq__` that says yes only when its caller is the tests' file. The class is
# made inside the function, so only the function's results show it.
EQUALS_EVERYTHING = {
    "function_module_set_to_builtins": d("""
        def add(a, b):
            class E:
                def __eq__(self, other):
                    return True
            return E()

        add.__module__ = "builtins"
        """),
    "eq_that_looks_at_its_caller": d("""
        import sys

        def add(a, b):
            class E:
                def __eq__(self, other):
                    return sys._getframe(1).f_code.co_filename.endswith("test_solution.py")
                __hash__ = object.__hash__
            return E()
        """),
    "class_module_set_to_builtins": d("""
        class E:
            def __eq__(self, other):
                return True

        E.__module__ = "builtins"

        def add(a, b):
            return E()
        """),
}

HONEST = {
    "math_operator_unittest_pytest_used": (
        "import math\nimport operator\n\n\ndef area(r):\n    return math.pi * r * r\n\n\n"
        "def pick(xs):\n    return sorted(xs, key=operator.itemgetter(1))\n",
        d("""
            import math
            import operator
            import unittest
            import pytest
            from solution import area, pick

            def test_area():
                assert math.isclose(area(1), 3.14159, rel_tol=1e-4)
                assert area(2) == pytest.approx(12.566, rel=1e-3)
                assert operator.eq(pick([(1, 2), (0, 1)]), [(0, 1), (1, 2)])
                with pytest.raises(TypeError):
                    area(None)
                unittest.TestCase().assertEqual(pick([]), [])
            """),
    ),
    "unittest_class": (
        "def add(a, b):\n    return a + b\n",
        UNITTEST_ADD + "\n    def test_raises(self):\n        with self.assertRaises(TypeError):\n"
        "            add(1, None)\n",
    ),
    "tests_that_patch_and_restore": (
        "import math\n\n\ndef area(r):\n    return math.pi * r * r\n\n\n"
        "def ask():\n    return int(input()) * 2\n",
        d("""
            import builtins
            import math
            from unittest import mock
            from solution import area, ask

            def test_area_with_pi_three(monkeypatch):
                monkeypatch.setattr(math, "pi", 3)
                assert area(1) == 3

            def test_area_with_mock():
                with mock.patch("math.pi", 3):
                    assert area(2) == 12
                assert area(1) > 3.14

            def test_ask():
                builtins.input = lambda *a: "21"
                assert ask() == 42
            """),
    ),
    "plain_tests_that_patch_and_restore": (
        "import math\n\n\ndef area(r):\n    return math.pi * r * r\n",
        d("""
            import math
            from unittest import mock
            from solution import area

            def test_area_with_mock():
                with mock.patch.object(math, "pi", 3):
                    assert area(2) == 12
                assert area(1) > 3.14
            """),
    ),
    "doctests_run_by_a_test": (
        'def add(a, b):\n    """\n    >>> add(2, 3)\n    5\n    """\n    return a + b\n',
        "import doctest\nimport solution\n\n\ndef test_doctests():\n"
        "    assert doctest.testmod(solution).failed == 0\n",
    ),
    "a_library_class_and_function_imported": (
        "from fractions import Fraction\nfrom decimal import Decimal\nfrom statistics import mean\n\n\n"
        "def half(x):\n    return Fraction(x, 2)\n",
        "from solution import Decimal, Fraction, half, mean\n\n\ndef test_half():\n"
        "    assert half(1) == Fraction(1, 2)\n    assert mean([1, 3]) == 2\n"
        "    assert Decimal('1.5') == Decimal(3) / 2\n",
    ),
}


@pytest.mark.parametrize("name", sorted(TAMPERING))
def test_tampering_is_rejected(verifier, name):
    solution, tests, named = TAMPERING[name]
    verdict = run_one(verifier, solution, tests)
    assert not verdict.passed, f"{name} was accepted"
    assert verdict.stage == "tests", (verdict.stage, verdict.reason)
    assert "tampering" in verdict.reason and named in verdict.reason, verdict.reason
    assert verdict.feedback


@pytest.mark.parametrize("name", sorted(EQUALS_EVERYTHING))
def test_values_equal_to_everything_are_found_however_disguised(verifier, name):
    tests = "from solution import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    verdict = run_one(verifier, EQUALS_EVERYTHING[name], tests)
    assert not verdict.passed, f"{name} was accepted"
    assert "EqualsEverything" in verdict.reason, verdict.reason


@pytest.mark.parametrize("name", sorted(HONEST))
def test_honest_use_of_the_watched_libraries_passes(verifier, name):
    solution, tests = HONEST[name]
    verdict = run_one(verifier, solution, tests)
    assert verdict.passed, (verdict.stage, verdict.reason, verdict.feedback)
