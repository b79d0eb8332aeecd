"""HumanEval-X Go records as assay Go samples (solution.go + solution_test.go, package solution).

CodeGeeX judges a record as one file by `go test`'s exit status: `test_setup` (package main,
testing, testify's assert), an import of each helper package (`IMPORT_HELPER`) the code names, the
prompt without its `import`, the completion, the test. Here the prompt and completion are
`solution.go` and the test function is `solution_test.go`, both `package solution`, and each file
imports those of the same packages it uses (Go rejects an unused import). The test function runs
under assay's harness, so it passes only when it ran to its end.

Go/95's canonical solution depends on map iteration order: it fails about 30% of runs, here as in
the reference.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.humaneval_x import ConversionError

FLAKY = {"Go/95": "map iteration order"}
# CodeGeeX's IMPORT_HELPER["go"]: imported where the code names them.
IMPORT_HELPER = (
    "math", "strings", "fmt", "strconv", "time", "bytes", "regexp", "sort", "math/rand",
    "crypto/md5",
)  # fmt: skip
IMPORT_PATH = re.compile(r'"([^"\n]+)"')


def convert(record: dict[str, Any], body: str) -> tuple[str, str]:
    """(solution.go, solution_test.go) of a record, with `body` as the function's body."""
    test = str(record["test"])
    if "func Test" not in test:
        raise ConversionError(f"{record.get('task_id')}: the test has no Test function")
    imports = str(record.get("import", ""))
    prompt = str(record["prompt"])
    if imports.strip():
        prompt = prompt.replace(imports, "")
    candidates: list[str] = []
    for text in (str(record.get("test_setup", "")), imports):
        candidates += [p for p in IMPORT_PATH.findall(text) if p not in candidates]
    candidates += [p for p in IMPORT_HELPER if p not in candidates]
    solution_code = prompt.strip("\n") + body
    tests_code = test.strip()
    return go_file(solution_code, candidates, ()), go_file(tests_code, candidates, ("testing",))


def go_file(code: str, candidates: list[str], always: tuple[str, ...]) -> str:
    """`package solution`, the imports among `candidates` that `code` uses, then `code`."""
    from sandbox.languages.go.stub import package_name, used_names

    used = used_names("package solution\n" + code)
    paths = [p for p in candidates if p in always or package_name(p) in used]
    head = "package solution\n\n"
    if paths:
        head += "import (\n" + "".join(f'    "{path}"\n' for path in paths) + ")\n\n"
    return head + code.rstrip() + "\n"
