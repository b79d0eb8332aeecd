"""g++ as the C++ sandbox runs it: the warning policy, the compile's argv, and its diagnostics.

Which warnings reject (GCC 12's names): those that name undefined behaviour or a memory error, a
defect whatever the author meant. Everything else that -Wall -Wextra find (signed/unsigned
comparisons, unused variables, parentheses, fall-through, ...) is style or a maybe, and is
reported without rejecting: HumanEval-X's own C++ is full of signed/unsigned comparisons.

-Wreturn-type ("control reaches end of non-void function") is reported, not rejected: g++ says it
of loops it cannot see always return (HumanEval-X's canonical CPP/39), and UBSan's `return` check
rejects the run that really flows off the end, naming the function.

The compile step's program is assay's binary check (box/check.cpp): after g++ it reads the linked
test binary, and each finding is an `assay-check: ` line on its stderr, a rejecting message of
code `CHECKED` here (listed first: g++'s warnings cannot crowd it out).
"""

from __future__ import annotations

import re

from sandbox.records import LintMessage

REJECT = (
    "uninitialized",  # a read of a variable never set
    "init-self",  # int x = x;
    "array-bounds",  # an index known to be outside the array
    "format",  # printf/scanf arguments that do not match the format
    "format-overflow",  # sprintf into a buffer known to be too small
    "nonnull",  # a null pointer where the callee requires one
    "sequence-point",  # unsequenced modifications: i = i++
    "div-by-zero",  # integer division by a constant zero
    "shift-count-overflow",  # shifting by the width of the type or more
    "shift-count-negative",
    "shift-negative-value",  # left-shifting a negative value (UB before C++20)
    "return-local-addr",  # returning a pointer or reference to a local
    "dangling-pointer",  # a pointer to a local that outlives it
    "use-after-free",
    "free-nonheap-object",
    "mismatched-new-delete",  # new[] with delete, malloc with delete
    "stringop-overflow",  # memcpy/strcpy past the end of the destination
    "stringop-overread",
    "restrict",  # overlapping buffers passed as restrict
    "aggressive-loop-optimizations",  # a loop iteration known to invoke UB
    "infinite-recursion",  # recursion with no way out
    "delete-incomplete",  # deleting a pointer to an incomplete type
)
WARNINGS = ("-Wall", "-Wextra", *(f"-Werror={name}" for name in REJECT))
# Short, parseable messages: no colour, no source excerpts, at most 20 errors.
DIAGNOSTIC_FORMAT = (
    "-fno-diagnostics-color",
    "-fno-diagnostics-show-caret",
    "-fdiagnostics-show-option",
    "-fmax-errors=20",
)
MAX_MESSAGES = 50

_LOCATED = re.compile(
    r"^(?P<file>[^:\n]+):(?P<line>\d+):(?:(?P<column>\d+):)? (?P<kind>fatal error|error|warning): "
    r"(?P<message>.*?)(?: \[(?P<option>-W[^\]]+)\])?$"
)
_LINKER = re.compile(r"(?P<message>(?:undefined reference to|multiple definition of) .*)$")
CHECKED, CHECKED_FILE = "binary-check", "test_solution"  # the test binary the check read
_CHECKED = re.compile(r"^assay-check: (?P<message>.+)$")


def diagnostics(stderr: str, failed: bool) -> list[LintMessage]:
    """g++'s errors and warnings as lint messages; errors reject, and so does everything when
    the compile failed (a warning made an error by -Werror says so itself)."""
    out: list[LintMessage] = []
    checked = [
        LintMessage(code=CHECKED, message=m["message"], line=0, file=CHECKED_FILE, rejects=True)
        for m in map(_CHECKED.match, stderr.splitlines())
        if m is not None
    ]
    for line in stderr.splitlines():
        found = _LOCATED.match(line)
        if found is not None:
            option = (found["option"] or "").removeprefix("-W")
            error = found["kind"] != "warning"
            code = option.removeprefix("error=") if option else "error" if error else "warning"
            out.append(
                LintMessage(
                    code=code,
                    message=found["message"],
                    line=int(found["line"]),
                    column=int(found["column"] or 0),
                    file=found["file"],
                    rejects=error,
                )
            )
        elif failed and (linked := _LINKER.search(line)) is not None:
            out.append(
                LintMessage(
                    code="link",
                    message=linked["message"],
                    line=0,
                    file="test_solution.cpp",
                    rejects=True,
                )
            )
        if len(out) >= MAX_MESSAGES:
            break
    return checked + out
