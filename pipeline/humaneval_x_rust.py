"""HumanEval-X Rust records as assay Rust samples (solution.rs + tests.rs).

CodeGeeX judges a record as a binary crate depending on rand 0.4, regex 1 and md5 0.7: `fn
main(){}`, the declaration, the prompt (a comment), the completion and the test (`#[cfg(test)]
mod tests { use super::*; ... }`), by `cargo check` and `cargo test`. Here the declaration (its
`use` lines), the prompt and the completion are `solution.rs`, the test module is `tests.rs`,
compiled as if appended. assay's box has the standard library only: every declaration's
`use rand::Rng; use regex::Regex; use md5;` is left out where the code does not name what it
imports (for a record that does not call into those crates the verdict is the same), and the five
canonical solutions or tests that do call them (`NEEDS_CRATES`) are compile rejections whose
reason says `no such crate`. Rust/32's test is commented out in the data: `no_tests`.
"""

from __future__ import annotations

import re
from typing import Any

NEEDS_CRATES = {
    "Rust/38": "rand",
    "Rust/50": "rand",
    "Rust/53": "rand",
    "Rust/91": "regex",
    "Rust/162": "md5",
}
NO_TESTS = {"Rust/32": "its test is commented out"}
_CRATE_USE = re.compile(
    r"^[^\S\n]*use\s+(?:rand::(?P<rng>Rng)|regex::(?P<regex>Regex)|(?P<md5>md5))\s*;[^\S\n]*\n?",
    re.M,
)


def convert(record: dict[str, Any], body: str) -> tuple[str, str]:
    """(solution.rs, tests.rs) of a record, with `body` as the function's body."""
    test = str(record["test"]).strip("\n") + "\n"
    code = body + test

    def keep_if_named(found: re.Match[str]) -> str:
        name = found["rng"] or found["regex"] or found["md5"]
        return found[0] if re.search(rf"\b{name}\b", code) else ""

    declaration = _CRATE_USE.sub(keep_if_named, str(record["declaration"]))
    solution = str(record["prompt"]).strip("\n") + "\n" + declaration.lstrip("\n") + body
    return solution.rstrip() + "\n", test
