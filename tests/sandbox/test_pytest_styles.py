"""Python tests in the styles teachers write beside plain functions, which run under pytest (not
the fast path): unittest.TestCase classes, test classes, fixtures, parametrize. A right solution
passes, a wrong one is rejected naming its failing test, on both backends."""

from __future__ import annotations

import textwrap

import pytest

from sandbox import Sample


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


SOLUTION = d('''
    """Words."""


    def count_words(text: str) -> int:
        """The number of words in `text`."""
        if not isinstance(text, str):
            raise TypeError("text must be a str")
        return len(text.split())
    ''')
WRONG = SOLUTION.replace("len(text.split())", "text.count(' ') + 1")

STYLES = {
    "unittest": d("""
        import unittest

        from solution import count_words


        class CountWordsTest(unittest.TestCase):
            def setUp(self):
                self.cases = {"": 0, "one": 1, "two words": 2, "  spaced   out  ": 2}

            def test_cases(self):
                for text, want in self.cases.items():
                    with self.subTest(text=text):
                        self.assertEqual(count_words(text), want)

            def test_rejects_non_strings(self):
                with self.assertRaises(TypeError):
                    count_words(3)


        if __name__ == "__main__":
            unittest.main()
        """),
    "unittest_and_functions": d("""
        import unittest

        from solution import count_words


        def test_one_word():
            assert count_words("one") == 1


        class Spaces(unittest.TestCase):
            def test_spaces(self):
                self.assertEqual(count_words("  spaced   out  "), 2)
        """),
    "class_fixture_parametrize": d("""
        import pytest

        from solution import count_words


        @pytest.fixture
        def sentence():
            return "the quick brown fox"


        class TestCountWords:
            def test_sentence(self, sentence):
                assert count_words(sentence) == 4

            @pytest.mark.parametrize("text, want", [("", 0), ("a  b", 2), ("  spaced   out  ", 2)])
            def test_cases(self, text, want):
                assert count_words(text) == want
        """),
}


@pytest.mark.parametrize("style", sorted(STYLES))
def test_each_style_passes_a_right_solution_and_rejects_a_wrong_one(full_verifier, style):
    right, wrong = full_verifier.verify(
        [
            Sample(solution=SOLUTION, tests=STYLES[style]),
            Sample(solution=WRONG, tests=STYLES[style]),
        ]
    )
    assert right.passed, right.feedback
    assert right.tests.failed == 0 and right.tests.passed == right.tests.collected >= 1
    assert wrong.stage == "tests", wrong.feedback
    assert any(c.outcome == "failed" for c in wrong.tests.cases)


def test_a_breakpoint_left_in_a_test_fails_it_at_once(full_verifier):
    """pdb reads the run's empty stdin and quits: the test fails, the run does not hang."""
    call = "self.assertEqual(count_words"
    tests = STYLES["unittest"].replace(call, f"breakpoint()\n{' ' * 16}{call}")
    (verdict,) = full_verifier.verify([Sample(solution=SOLUTION, tests=tests)])
    assert not verdict.passed and verdict.stage == "tests", verdict.feedback
    assert verdict.duration_s < 10
