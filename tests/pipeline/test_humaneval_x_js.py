"""HumanEval-X JavaScript records as samples (the converter alone; runs are in tests/sandbox)."""

from __future__ import annotations

import pytest

from pipeline.humaneval_x import ConversionError, to_sample
from pipeline.humaneval_x_js import convert, exported_names

RECORD = {
    "task_id": "JavaScript/38",
    "prompt": "/* encode */\nconst encodeCyclic = (s) => {\n  return s;\n}\n\n/* decode */\n"
    "const decodeCyclic = (s) => {\n",
    "declaration": "\nconst decodeCyclic = (s) => {\n",
    "canonical_solution": "  return encodeCyclic(encodeCyclic(s));\n}\n\n",
    "test": "const testDecodeCyclic = () => {\n  console.assert(decodeCyclic('abc') === 'abc')\n}\n"
    "testDecodeCyclic()\n",
}


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("const f = (x) => {\n}\n", ["f"]),
        (
            "function f(x) {}\nasync function* g() {}\nclass C {}\nlet v = 1\nvar w\n",
            ["f", "g", "C", "v", "w"],
        ),  # fmt: skip
        ("const f = () => {\n  const inner = 1;\n  return inner;\n}\nconst f = 2\n", ["f"]),
    ],
)
def test_exported_names_are_the_top_level_declarations(source, names):
    assert exported_names(source) == names


def test_the_solution_exports_every_function_and_the_test_runs_the_script():
    solution, tests = convert(RECORD, RECORD["canonical_solution"])
    assert solution.startswith(RECORD["prompt"] + RECORD["canonical_solution"].rstrip("\n"))
    assert solution.endswith("module.exports = { encodeCyclic, decodeCyclic };\n")
    assert 'const { encodeCyclic, decodeCyclic } = require("./solution.js");' in tests
    assert 'test("JavaScript/38", () => {' in tests
    assert RECORD["test"] in tests
    # The script's console is a local one whose assert counts; the test fails unless it ran.
    assert "const console = Object.create(globalThis.console" in tests
    assert tests.index(RECORD["test"]) < tests.index("asserted > 0")


def test_a_record_becomes_a_javascript_sample():
    sample = to_sample({**RECORD, "completion": "  return s;\n}\n"})
    assert sample.language == "javascript"
    assert sample.id == "JavaScript/38"
    assert sample.meta == {"source": "humaneval-x", "task_id": "JavaScript/38"}
    assert "return s;\n}" in sample.solution


def test_a_record_without_declarations_is_refused():
    with pytest.raises(ConversionError, match="no top-level declaration"):
        convert({**RECORD, "prompt": "/* nothing */\n"}, "  return 1;\n")
