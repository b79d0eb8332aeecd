"""MultiPL-E records (written here in MultiPL-E's exact shape: its dataset_builder's prompts, test
programs and stop tokens) verified through `assay verify --format multipl-e`: right completions
pass, wrong ones fail with the framework's per-test message, an early exit 0 is rejected, a
completion that runs past its stop tokens is cut as MultiPL-E cuts it, and bad records are named
by file and line while the rest verify."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pipeline import multipl_e
from pipeline.humaneval_x import ConversionError
from pipeline.importers import detect_format, read_records
from pipeline.multipl_e import cut_at_stop_tokens, entry_point, to_sample
from sandbox import Limits, Verifier, VerifyOptions

ADD_DOC = "Add two numbers x and y\n// >>> add(2, 3)\n// 5\n// >>> add(5, 7)\n// 12\n"
PY_ADD = {
    "name": "HumanEval_53_add",
    "language": "py",
    "prompt": 'def add(x: int, y: int) -> int:\n    """Add two numbers x and y\n    >>> add(2, 3)\n'
    '    5\n    >>> add(5, 7)\n    12\n    """\n',
    "tests": "def check(candidate):\n    assert candidate(0, 1) == 1\n    assert candidate(1, 0) == 1\n"
    "    assert candidate(2, 3) == 5\n    assert candidate(5, 7) == 12\n"
    "    assert candidate(7, 5) == 12\n\ndef test_check():\n    check(add)\n\ntest_check()\n",
    "stop_tokens": ["\ndef", "\n#", "\nif", "\nclass"],
}
JS_ASSERTS = (
    "  assert.deepEqual(candidate(0, 1),1);\n  assert.deepEqual(candidate(1, 0),1);\n"
    "  assert.deepEqual(candidate(2, 3),5);\n  assert.deepEqual(candidate(5, 7),12);\n"
    "  assert.deepEqual(candidate(7, 5),12);\n}\n\ntest();"
)
JS_ADD = {
    "name": "HumanEval_53_add",
    "language": "js",
    "prompt": "//" + ADD_DOC + "function add(x, y){\n",
    "tests": "const assert = require('node:assert');\n\n\nfunction test() {\n"
    "  let candidate = add;\n" + JS_ASSERTS,
    "stop_tokens": ["\nfunction ", "\n/*", "\n//", "\nconsole.log"],
}
TS_ADD = {
    "name": "HumanEval_53_add",
    "language": "ts",
    "prompt": "//" + ADD_DOC + "function add(x: number, y: number): number {\n",
    "tests": "declare var require: any;\nconst assert = require('node:assert');\n\n\n"
    "function test() {\n  let candidate = add;\n" + JS_ASSERTS,
    "stop_tokens": ["\nfunction ", "\n/*", "\n//", "\nclass"],
}
CPP_ADD = {
    "name": "HumanEval_53_add",
    "language": "cpp",
    "prompt": "#include<assert.h>\n#include<bits/stdc++.h>\n// Add two numbers x and y\n"
    "// >>> add((2), (3))\n// (5)\n// >>> add((5), (7))\n// (12)\nlong add(long x, long y) {\n",
    "tests": "}\nint main() {\n    auto candidate = add;\n    assert(candidate((0), (1)) == (1));\n"
    "    assert(candidate((1), (0)) == (1));\n    assert(candidate((2), (3)) == (5));\n"
    "    assert(candidate((5), (7)) == (12));\n    assert(candidate((7), (5)) == (12));\n}\n",
    "stop_tokens": ["\n}"],
}
PHP_ADD = {
    "name": "HumanEval_53_add",
    "language": "php",
    "prompt": "<?php\n// " + ADD_DOC + "function add($x, $y) {\n",
    "tests": "function candidate(...$args) {\n    return add(...$args);\n}\n\n"
    "function test(): void {\n"
    '    if (candidate(0, 1) !== 1) { throw new Exception("Test failed!"); }\n'
    '    if (candidate(1, 0) !== 1) { throw new Exception("Test failed!"); }\n'
    '    if (candidate(2, 3) !== 5) { throw new Exception("Test failed!"); }\n'
    '    if (candidate(5, 7) !== 12) { throw new Exception("Test failed!"); }\n'
    '    if (candidate(7, 5) !== 12) { throw new Exception("Test failed!"); }\n'
    "}\n\ntest();",
    "stop_tokens": ["\nfunction", "\n?>", "\n//", "\n#"],
}
CPP_CLOSE = {
    "name": "HumanEval_0_has_close_elements",
    "language": "cpp",
    "prompt": "#include<assert.h>\n#include<bits/stdc++.h>\n// Check if in given vector of numbers, "
    "are any two numbers closer to each other than\n// given threshold.\n"
    "// >>> has_close_elements((std::vector<float>({(float)1.0f, (float)2.0f, (float)3.0f})), "
    "(0.5f))\n// (false)\nbool has_close_elements(std::vector<float> numbers, float threshold) {\n",
    "tests": "}\nint main() {\n    auto candidate = has_close_elements;\n"
    "    assert(candidate((std::vector<float>({(float)1.0f, (float)2.0f, (float)3.9f, "
    "(float)4.0f, (float)5.0f, (float)2.2f})), (0.3f)) == (true));\n"
    "    assert(candidate((std::vector<float>({(float)1.0f, (float)2.0f, (float)3.9f, "
    "(float)4.0f, (float)5.0f, (float)2.2f})), (0.05f)) == (false));\n}\n",
    "stop_tokens": ["\n}"],
}
GO_ADD = {
    "name": "HumanEval_53_add",
    "language": "go_test.go",
    "prompt": 'package add_test\n\nimport (\n    "testing"\n    "fmt"\n)\n\n// '
    + ADD_DOC
    + "func add(x int, y int) int {\n",
    "tests": "func TestAdd(t *testing.T) {\n  candidate := add\n\ttype test struct {\n"
    "\t\tactual   interface{}\n\t\texpected interface{}\n\t}\n   tests := []test{\n"
    "     { actual: candidate(0, 1), expected: 1 },\n     { actual: candidate(1, 0), expected: 1 },\n"
    "     { actual: candidate(2, 3), expected: 5 },\n     { actual: candidate(5, 7), expected: 12 },\n"
    "     { actual: candidate(7, 5), expected: 12 },\n   }\n\n"
    "\tfor i, tc := range tests {\n"
    '\t\tt.Run(fmt.Sprintf("test num % d", i), func(t *testing.T) {\n'
    '\t\t\tif fmt.Sprintf("%v", tc.actual) != fmt.Sprintf("%v", tc.expected) {\n'
    "\t\t\t\tt.Errorf(\"expected '%s', got '%s'\", tc.expected, tc.actual)\n"
    "\t\t\t}\n\t\t})\n\t}\n}\n",
    "stop_tokens": ["\nfunc", "struct", "\n// "],
}
RS_ADD = {
    "name": "HumanEval_53_add",
    "language": "rs",
    "prompt": "/// " + ADD_DOC.replace("// ", "/// ") + "fn add(x: isize, y: isize) -> isize {\n",
    "tests": "}\n\nfn main() {\n    let candidate = add;\n    assert_eq!(candidate(0, 1), 1);\n"
    "    assert_eq!(candidate(1, 0), 1);\n    assert_eq!(candidate(2, 3), 5);\n"
    "    assert_eq!(candidate(5, 7), 12);\n    assert_eq!(candidate(7, 5), 12);\n}\n",
    "stop_tokens": ["\n}"],
}
JAVA_IMPORTS = (
    "import java.util.*;\nimport java.lang.reflect.*;\nimport org.javatuples.*;\n"
    "import java.security.*;\nimport java.math.*;\nimport java.io.*;\nimport java.util.stream.*;\n"
)
JAVA_ADD = {
    "name": "HumanEval_53_add",
    "language": "java",
    "prompt": JAVA_IMPORTS + "class Problem {\n    // Add two numbers x and y\n"
    "    // >>> add((2l), (3l))\n    // (5l)\n    // >>> add((5l), (7l))\n    // (12l)\n"
    "    public static long add(long x, long y) {\n",
    "tests": "    }\n    public static void main(String[] args) {\n"
    "    assert(add((0l), (1l)) == (1l));\n    assert(add((1l), (0l)) == (1l));\n"
    "    assert(add((2l), (3l)) == (5l));\n    assert(add((5l), (7l)) == (12l));\n"
    "    assert(add((7l), (5l)) == (12l));\n    }\n\n}\n",
    "stop_tokens": ["\n    }\n"],
}
JAVA_SORT = {
    "name": "HumanEval_34_unique",
    "language": "java",
    "prompt": JAVA_IMPORTS
    + "class Problem {\n    // Return sorted unique elements in an array list\n"
    "    public static ArrayList<Long> unique(ArrayList<Long> l) {\n",
    "tests": "    }\n    public static void main(String[] args) {\n"
    "    assert(unique((new ArrayList<Long>(Arrays.asList((long)5l, (long)3l, (long)5l, (long)2l, "
    "(long)3l, (long)3l, (long)9l, (long)0l, (long)123l)))).equals((new ArrayList<Long>("
    "Arrays.asList((long)0l, (long)2l, (long)3l, (long)5l, (long)9l, (long)123l)))));\n"
    "    }\n\n}\n",
    "stop_tokens": ["\n    }\n"],
}
RS_HISTOGRAM = {
    "name": "HumanEval_111_histogram",
    "language": "rs",
    "prompt": "use std::collections::HashMap;\n\n/// Given a string of space separated lowercase "
    "letters, return a HashMap\n/// of the letters with their counts.\n"
    "fn histogram(test: String) -> HashMap<String, isize> {\n",
    "tests": "}\n\nfn main() {\n    let candidate = histogram;\n"
    '    assert_eq!(candidate(String::from("a b b a")), HashMap::from([(String::from("a"), 2), '
    '(String::from("b"), 2)]));\n'
    '    assert_eq!(candidate(String::from("")), HashMap::from([]));\n}\n',
    "stop_tokens": ["\n}"],
}
JS_SORT = {
    "name": "HumanEval_34_unique",
    "language": "js",
    "prompt": "//Return sorted unique elements in an array\n// >>> unique([5, 3, 5, 2, 3, 3, 9, 0, 123])"
    "\n// [0, 2, 3, 5, 9, 123]\nfunction unique(l){\n",
    "tests": "const assert = require('node:assert');\n\n\nfunction test() {\n"
    "  let candidate = unique;\n"
    "  assert.deepEqual(candidate([5, 3, 5, 2, 3, 3, 9, 0, 123]),[0, 2, 3, 5, 9, 123]);\n}\n\n"
    "test();",
    "stop_tokens": ["\nfunction ", "\n/*", "\n//", "\nconsole.log"],
}

# Right and wrong completions, as a model writes them: each runs on past a stop token (a helper,
# a print, the C++ function's closing brace and a main of its own), which MultiPL-E cuts off.
RIGHT = {
    "py": "    return x + y\n\ndef main():\n    print(add(1, 2))\n",
    "js": "  return x + y;\n}\n\nconsole.log(add(1, 2));\n",
    "ts": "  return x + y;\n}\n\nfunction main(): void {}\n",
    "cpp": "    return x + y;\n}\nint main() { return 0; }\n",
    "php": "    return $x + $y;\n}\n\nfunction main() { echo add(1, 2); }\n",
    "go_test.go": "    return x + y\n}\n\nfunc main() {\n    fmt.Println(add(1, 2))\n}\n",
    "rs": '    x + y\n}\n\nfn main() {\n    println!("{}", add(1, 2));\n}\n',
    "java": "        return x + y;\n    }\n    public static void main(String[] args) {}\n}\n",
}
WRONG = {
    "py": "    return x - y\n",
    "js": "  return x - y;\n}\n",
    "ts": "  return x - y;\n}\n",
    "cpp": "    return x - y;\n}\n",
    "php": "    return $x - $y;\n}\n",
    "go_test.go": "    return x - y\n}\n",
    "rs": "    x - y\n}\n",
    "java": "        return x - y;\n    }\n",
}
EXIT_0 = {
    "py": "    import os\n    os._exit(0)\n",
    "js": "  process.exit(0);\n}\n",
    "ts": "  return process.exit(0);\n}\n",
    "cpp": "    exit(0);\n}\n",
    "php": "    exit(0);\n}\n",
    "go_test.go": "    os.Exit(0)\n    return 0\n}\n",  # with "os" among the prompt's imports
    "rs": "    std::process::exit(0)\n}\n",
    "java": "        System.exit(0);\n        return 0;\n    }\n",
}
# What each framework says about the first failed check (candidate(0, 1) is -1, not 1).
WRONG_FEEDBACK = {
    "py": "assert -1 == 1",
    "js": "-1\n\nshould loosely deep-equal\n\n1",
    "ts": "-1\n\nshould loosely deep-equal\n\n1",
    "cpp": "REQUIRE( -1 == 1 )",
    "php": "expected candidate(0, 1) === 1\nFailed asserting that -1 is identical to 1.",
    "go_test.go": "expected '%!s(int=1)', got '%!s(int=-1)'",  # MultiPL-E's own t.Errorf
    "rs": "left: `-1`,\n right: `1`",
    "java": "add((0l), (1l)) == (1l) ==> expected: <1> but was: <-1>",
}
RECORDS = {
    "py": PY_ADD,
    "js": JS_ADD,
    "ts": TS_ADD,
    "cpp": CPP_ADD,
    "php": PHP_ADD,
    "go_test.go": GO_ADD,
    "rs": RS_ADD,
    "java": JAVA_ADD,
}
LANGUAGE = {
    "py": "python",
    "js": "javascript",
    "ts": "typescript",
    "cpp": "cpp",
    "php": "php",
    "go_test.go": "go",
    "rs": "rust",
    "java": "java",
}


@pytest.fixture(scope="module")
def verifier():
    options = VerifyOptions(sandbox="process", jobs=2, limits=Limits(timeout_s=30.0))
    with Verifier(options) as verifier:
        yield verifier


def verify(verifier, records: list[dict]) -> dict:
    samples = [to_sample(r) for r in records]
    return {v.id: v for v in verifier.verify(samples)}


def test_the_completion_is_cut_at_the_first_stop_token():
    assert cut_at_stop_tokens("    return 1\n}\nint main", ["\n}"]) == "    return 1"
    assert cut_at_stop_tokens("  a\n// b\nfunction c", ["\nfunction ", "\n//"]) == "  a"
    assert cut_at_stop_tokens("  return 1;\n}\n", ["\nfunction "]) == "  return 1;\n}\n"


@pytest.mark.parametrize("code", sorted(RECORDS))
def test_a_record_is_detected_and_becomes_a_sample_of_its_language(code):
    record = {**RECORDS[code], "completion": RIGHT[code]}
    assert detect_format(record) == "multipl-e"
    sample = to_sample(record)
    assert sample.language == LANGUAGE[code]
    assert sample.meta == {"source": "multipl-e", "name": "HumanEval_53_add", "language": code}
    assert sample.id.startswith(f"HumanEval_53_add.{code}#")
    assert to_sample({**record, "id": "mine"}).id == "mine"
    assert "main" not in sample.solution  # what ran past the stop tokens is cut off
    assert entry_point("HumanEval_53_add") == "add"


def test_two_completions_of_one_problem_get_different_ids():
    one = to_sample({**JS_ADD, "completion": RIGHT["js"]})
    two = to_sample({**JS_ADD, "completion": WRONG["js"]})
    assert one.id != two.id
    assert one.id == to_sample({**JS_ADD, "completion": RIGHT["js"]}).id  # a rerun resumes


def test_right_completions_pass_for_every_language(verifier):
    records = [{**RECORDS[c], "completion": RIGHT[c], "id": c} for c in RECORDS]
    records.append({**CPP_CLOSE, "id": "cpp-close", "completion": CLOSE_RIGHT})
    records.append({**JS_SORT, "id": "js-sort", "completion": SORT_RIGHT})
    records.append({**JAVA_SORT, "id": "java-sort", "completion": JAVA_SORT_RIGHT})
    records.append({**RS_HISTOGRAM, "id": "rs-histogram", "completion": HISTOGRAM_RIGHT})
    verdicts = verify(verifier, records)
    failed = {i: (v.stage, v.feedback[:600]) for i, v in verdicts.items() if not v.passed}
    assert not failed
    for code in RECORDS:
        (case,) = verdicts[code].tests.cases
        assert case.outcome == "passed" and "HumanEval_53_add" in case.name


CLOSE_RIGHT = (
    "    for (size_t i = 0; i < numbers.size(); i++)\n"
    "        for (size_t j = i + 1; j < numbers.size(); j++)\n"
    "            if (std::abs(numbers[i] - numbers[j]) < threshold) return true;\n"
    "    return false;\n}\n"
)
SORT_RIGHT = "  return [...new Set(l)].sort((a, b) => a - b);\n}\n"
HISTOGRAM_RIGHT = (  # the prompt's `use` reaches the tests (`use super::*`)
    "    let mut counts = HashMap::new();\n    for word in test.split_whitespace() {\n"
    "        *counts.entry(word.to_string()).or_insert(0) += 1;\n    }\n    counts\n}\n"
)
JAVA_SORT_RIGHT = (
    "        return l.stream().distinct().sorted()"
    ".collect(Collectors.toCollection(ArrayList::new));\n    }\n"
)


def test_wrong_completions_fail_with_the_frameworks_message(verifier):
    records = [{**RECORDS[c], "completion": WRONG[c], "id": c} for c in RECORDS]
    records.append({**JS_SORT, "id": "js-sort", "completion": "  return [...new Set(l)];\n}\n"})
    java_unsorted = "        return new ArrayList<Long>(new LinkedHashSet<Long>(l));\n    }\n"
    records.append({**JAVA_SORT, "id": "java-sort", "completion": java_unsorted})
    verdicts = verify(verifier, records)
    for code in RECORDS:
        verdict = verdicts[code]
        assert verdict.stage == "tests", (code, verdict.feedback)
        (case,) = verdict.tests.cases
        assert case.outcome == "failed" and "HumanEval_53_add" in case.name
        assert WRONG_FEEDBACK[code] in verdict.feedback, (code, verdict.feedback)
    assert verdicts["js-sort"].stage == "tests"
    assert "123" in verdicts["js-sort"].feedback  # node:assert's deep-equal diff
    assert verdicts["java-sort"].stage == "tests"  # `a.equals(b)` keeps its values too
    assert "expected: <[0, 2, 3, 5, 9, 123]> but was: <[5, 3, 2, 9, 0, 123]>" in (
        verdicts["java-sort"].feedback
    )


def test_a_php_check_that_does_not_split_fails_with_its_line(verifier):
    """A check kept as written (its condition has two `!==`) fails with its line, never with the
    values an earlier check kept, which held."""
    check = '    if (candidate(1, 0) !== 1) { throw new Exception("Test failed!"); }\n'
    odd = '    if (candidate(1, 0) !== 2 || "a !== b" === "") { throw new Exception("Test failed!"); }\n'
    assert check in PHP_ADD["tests"]
    record = {**PHP_ADD, "tests": PHP_ADD["tests"].replace(check, odd), "completion": RIGHT["php"]}
    (verdict,) = verify(verifier, [record]).values()
    assert verdict.stage == "tests"
    assert "Test failed at SolutionTest.php:" in verdict.feedback
    assert '"a !== b"' in verdict.feedback


def test_an_early_exit_0_in_the_solution_is_rejected(verifier):
    records = [{**RECORDS[c], "completion": EXIT_0[c], "id": c} for c in RECORDS]
    records[list(RECORDS).index("go_test.go")]["prompt"] = GO_ADD["prompt"].replace(
        '"fmt"\n', '"fmt"\n    "os"\n'
    )
    records.append({**PY_ADD, "completion": "    import sys\n    sys.exit(0)\n", "id": "py-sys"})
    records.append(
        {**JS_ADD, "completion": "  return x + y;\n}\nprocess.exit(0);\n", "id": "js-load"}
    )
    verdicts = verify(verifier, records)
    passed = [code for code, v in verdicts.items() if v.passed]
    assert not passed
    assert {v.stage for v in verdicts.values()} == {"tests"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"language": "rb"}, "MultiPL-E language 'rb' is not supported yet; use one of"),
        (
            {"language": "rb"},
            "cpp, go_test.go, java, javascript, js, php, py, python, rs, rust, ts",
        ),
        ({"completion": None}, "missing field 'completion' (MultiPL-E format)"),
        ({"tests": 3}, "field 'tests' must be a string, got a number"),
        ({"stop_tokens": "\n}"}, "field 'stop_tokens' must be a list of strings"),
        ({"tests": "}\nvoid f() {}\n"}, "HumanEval_53_add: the tests have no `int main()`"),
    ],
)
def test_a_bad_record_says_what_is_wrong(change, message):
    record = {**CPP_ADD, "completion": RIGHT["cpp"], **change}
    record = {k: v for k, v in record.items() if v is not None}
    with pytest.raises(ConversionError) as raised:
        to_sample(record)
    assert message in str(raised.value)


def test_a_known_language_without_a_converter_is_named(monkeypatch):
    monkeypatch.setitem(multipl_e.LANGUAGES, "rb", "ruby")
    with pytest.raises(ConversionError) as raised:
        to_sample({**JS_ADD, "language": "rb", "completion": RIGHT["js"]})
    assert "MultiPL-E language 'rb' (ruby) is not supported yet" in str(raised.value)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            GO_ADD | {"tests": "func helper() {}\n"},
            "the tests have no `func TestXxx(t *testing.T)`",
        ),
        (RS_ADD | {"tests": "}\n"}, "the tests have no `fn main() { ... }`"),
        (JAVA_ADD | {"tests": "    }\n}\n"}, "the tests have no `public static void main("),
    ],
)
def test_a_test_program_without_its_entry_is_a_bad_record(record, message):
    with pytest.raises(ConversionError) as raised:
        to_sample({**record, "completion": WRONG[record["language"]]})
    assert str(raised.value).startswith(f"HumanEval_53_add: {message}")


def test_go_imports_go_to_the_file_that_uses_them():
    """Go rejects an unused import: `testing` and `fmt` go with the tests, and `fmt` with the
    solution only where the completion uses it."""
    plain = to_sample({**GO_ADD, "completion": RIGHT["go_test.go"]})
    assert plain.solution.startswith("package solution\n\n// Add two numbers")
    assert plain.tests.startswith('package solution\n\nimport (\n    "testing"\n    "fmt"\n)\n')
    assert "func Test_HumanEval_53_add(t *testing.T) {" in plain.tests
    uses_fmt = to_sample({**GO_ADD, "completion": "    fmt.Sprint(x)\n    return x + y\n}\n"})
    assert uses_fmt.solution.startswith('package solution\n\nimport (\n    "fmt"\n)\n')


def test_a_java_record_that_uses_javatuples_is_rejected_and_one_that_does_not_drops_it():
    """MultiPL-E imports org.javatuples in every Java prompt; the box has no javatuples."""
    sample = to_sample({**JAVA_ADD, "completion": RIGHT["java"]})
    assert "javatuples" not in sample.solution + sample.tests
    assert "class SolutionTest extends Problem" in sample.tests
    pair = JAVA_ADD | {
        "name": "HumanEval_107_even_odd_palindrome",
        "prompt": JAVA_IMPORTS + "class Problem {\n    // Even and odd palindromes up to n\n"
        "    public static Pair<Long, Long> evenOddPalindrome(long n) {\n",
        "tests": "    }\n    public static void main(String[] args) {\n"
        "    assert(evenOddPalindrome((123l)).equals((Pair.with(8l, 13l))));\n    }\n\n}\n",
    }
    with pytest.raises(ConversionError) as raised:
        to_sample({**pair, "completion": "        return Pair.with(0l, 0l);\n    }\n"})
    assert str(raised.value) == (
        "HumanEval_107_even_odd_palindrome: uses Pair from org.javatuples, which the Java sandbox"
        " does not have (the standard library and JUnit 5 only)"
    )


def test_a_language_with_a_converter_but_no_sandbox_language_is_named(monkeypatch):
    monkeypatch.setitem(multipl_e.LANGUAGES, "zz", "zzlang")
    monkeypatch.setitem(multipl_e.CONVERTERS, "zzlang", "pipeline.multipl_e_langs:javascript")
    with pytest.raises(ConversionError) as raised:
        to_sample({**JS_ADD, "language": "zz", "completion": RIGHT["js"]})
    assert str(raised.value).startswith(
        "HumanEval_53_add: language 'zzlang' (MultiPL-E 'zz') is not registered in the sandbox"
    )


def test_an_assay_record_with_the_same_fields_is_not_taken_for_multipl_e():
    record = {**JS_ADD, "solution": "function add(x, y) {}\n"}
    assert detect_format(record) == "assay"


def test_verify_names_bad_records_by_file_and_line_and_verifies_the_rest(tmp_path):
    src = tmp_path / "multipl-e.jsonl"
    lines = [
        {**PY_ADD, "completion": RIGHT["py"]},
        {**PY_ADD, "language": "lua", "completion": "  return x + y\nend\n"},
        {**JS_ADD, "completion": WRONG["js"]},
        {k: v for k, v in PHP_ADD.items() if k != "tests"} | {"completion": RIGHT["php"]},
    ]
    src.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert [r.error == "" for r in read_records(str(src), "auto")] == [True, False, True, False]
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "verify", str(src), "--out", str(out)]
        + ["--format", "multipl-e", "--sandbox", "process", "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        f"{src}:2: HumanEval_53_add: MultiPL-E language 'lua' is not supported yet" in proc.stderr
    )
    assert f"{src}:4: missing field 'tests' (MultiPL-E format)" in proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["passed"], summary["rejected"], summary["input_errors"]) == (1, 1, 2)
    passed = [json.loads(line) for line in (out / "passed.jsonl").read_text().splitlines()]
    assert passed[0]["language"] == "py" and passed[0]["completion"] == RIGHT["py"]
