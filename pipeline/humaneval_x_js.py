"""HumanEval-X JavaScript records as assay samples: `solution.js` and a `node:test` test.

A record's test is a script of `console.assert(...)` calls, which in Node only print on failure, and
the reference harness passes a sample when `node test.js` printed nothing. Here the script runs
inside one `node:test` test, with `console.assert` shadowed by a function that counts: the test
passes only when the script ran to its end, at least one assert ran and none failed. An early exit
(`process.exit(0)` in the solution) ends the run before the test reports, which the verifier
rejects.

The solution is the prompt and the body, then `module.exports` of every top-level declaration:
the tests of some problems call the prompt's helpers too (`poly`, `encodeCyclic`). HumanEval-X's
sources declare them at the start of a line, which is what `_DECLARATION` reads; a name declared
only inside a block is not exported.
"""

from __future__ import annotations

import re
from typing import Any

# Canonical solutions the reference harness fails too: 112 and 155 fail their own tests, 162
# needs the npm package js-md5.
EXPECTED_FAILURES = ("JavaScript/112", "JavaScript/155", "JavaScript/162")

_DECLARATION = re.compile(
    r"^(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)"
    r"|^(?:const|let|var|class)\s+([A-Za-z_$][\w$]*)",
    re.MULTILINE,
)

_TEST = """\
// HumanEval-X's test script for {task_id}, as one node:test test: it passes when the script
// ran to its end, at least one console.assert ran and every one held.
const {{ test }} = require("node:test");
const assert = require("node:assert/strict");
const {{ {names} }} = require("./solution.js");

test({title}, () => {{
  const failed = [];
  let asserted = 0;
  const consoleAssert = (condition) => {{
    asserted += 1;
    if (!condition) {{
      const site = {{}};
      Error.captureStackTrace(site, consoleAssert);
      const line = /solution\\.test\\.js:(\\d+)/.exec(String(site.stack));
      failed.push(line ? Number(line[1]) : 0);
    }}
  }};
  const console = Object.create(globalThis.console, {{ assert: {{ value: consoleAssert }} }});

{test}
  assert.ok(asserted > 0, "the test script made no console.assert call");
  if (failed.length > 0) {{
    const lines = require("node:fs").readFileSync(__filename, "utf8").split("\\n");
    const shown = failed.map((n) => `  line ${{n}}: ${{(lines[n - 1] || "").trim()}}`);
    assert.fail(
      `${{failed.length}} of ${{asserted}} console.assert calls failed:\\n${{shown.join("\\n")}}`
    );
  }}
}});
"""


def exported_names(source: str) -> list[str]:
    """The names a HumanEval-X source declares at the start of a line, in order, once each."""
    names: list[str] = []
    for function, other in _DECLARATION.findall(source):
        name = function or other
        if name not in names:
            names.append(name)
    return names


def js_string(text: str) -> str:
    """`text` as a double-quoted JavaScript (or TypeScript) string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def declared_names(source: str, what: str) -> list[str]:
    """The top-level names of `source`, which the solution exports; none is a bad record."""
    from pipeline.humaneval_x import ConversionError

    names = exported_names(source)
    if not names:
        raise ConversionError(f"{what}: no top-level declaration in the prompt and solution")
    return names


def commonjs_solution(source: str, what: str) -> tuple[str, list[str]]:
    """(solution.js, its names): `source` with `module.exports` of every top-level name."""
    names = declared_names(source, what)
    return source.rstrip("\n") + f"\n\nmodule.exports = {{ {', '.join(names)} }};\n", names


def convert(record: dict[str, Any], body: str) -> tuple[str, str]:
    """(solution.js, solution.test.js) of a record whose solution's body is `body`."""
    solution, names = commonjs_solution(str(record["prompt"]) + body, str(record.get("task_id")))
    tests = _TEST.format(
        task_id=record["task_id"],
        names=", ".join(names),
        title=js_string(str(record["task_id"])),
        test=str(record["test"]).rstrip("\n") + "\n",
    )
    return solution, tests
