"""HumanEval-X Java records as assay Java samples (Solution.java + JUnit 5 tests).

The record's prompt is `class Solution` (with its imports) up to the method's signature, the
solution its body and the class's end; the test is `public class Main` whose `main` throws an
AssertionError when a check fails, judged by CodeGeeX as `java Main` and exit status 0, which a
`System.exit(0)` in the solution fools. Here `Main` stays as it is, no longer public, beside a
JUnit test that calls its `main`: the test passes only when `main` returned, every check held,
and the harness then reported the run to its end (an exit anywhere before is a rejection).
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.humaneval_x import ConversionError

TEST_NAME = "humanEvalX"
_MAIN = re.compile(r"^(\s*)public(\s+class\s+Main\b)", re.M)
IMPORT = re.compile(r"^\s*import\s+[\w.*\s]+;\s*$", re.M)


def convert(record: dict[str, Any], body: str) -> tuple[str, str]:
    """(Solution.java, SolutionTest.java) of a record, with `body` as the method's body."""
    solution = str(record["prompt"]) + body
    test = str(record["test"])
    found = _MAIN.search(test)
    if found is None:
        raise ConversionError(f"{record.get('task_id')}: the test has no `public class Main`")
    program = test[: found.start()] + found.group(1) + found.group(2).lstrip() + test[found.end() :]
    # The test program was compiled below the prompt, in one file: it uses the prompt's imports.
    imports = [m.group(0).strip() for m in IMPORT.finditer(str(record["prompt"]))]
    tests = (
        "\n".join([*imports, "import org.junit.jupiter.api.Test;"])
        + "\n\nclass SolutionTest {\n"
        + f"    @Test\n    void {TEST_NAME}() throws Exception {{\n        Main.main(new String[0]);\n    }}\n"
        + "}\n\n"
        + program.strip()
        + "\n"
    )
    return solution, tests
