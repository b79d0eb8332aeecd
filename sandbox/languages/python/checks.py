"""Python's trusted-side checks: parse, batched ruff, and the strength check's stub.

Nothing here executes sample code: `compile` only parses, ruff only reads text.
"""

from __future__ import annotations

import ast
import json
import marshal
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from typing import Any

from sandbox.isolation.skeleton import WORK as SANDBOX_WORK
from sandbox.languages import scratch_dir
from sandbox.languages.python.box.report import SOLUTION_FILE, TESTS_FILE, sha256
from sandbox.options import VerifyOptions
from sandbox.records import LintMessage, Sample, Verdict


# Syntax -----------------------------------------------------------------------------------------
def syntax_error(
    sample: Sample, max_bytes: int, codes: dict[str, tuple[str, bytes]] | None = None
) -> Verdict | None:
    """Whether the solution and the tests compile, as the sandbox's import system would compile
    their files (the UTF-8 bytes, a coding cookie honoured). With `codes`, the code of each, for
    the sandbox to import instead of compiling it again (`compiled`)."""
    for name, text in ((SOLUTION_FILE, sample.solution), (TESTS_FILE, sample.tests)):
        data = text.encode("utf-8", "surrogatepass")
        if len(data) > max_bytes:
            return _rejected("syntax", f"{name} is larger than {max_bytes} bytes")
        try:
            code = _compile(data, name)
        except SyntaxError as exc:
            where = f"{name}:{exc.lineno or 0}:{exc.offset or 0}"
            reason = f"{type(exc).__name__}: {exc.msg} at {where}"
            verdict = _rejected("syntax", reason)
            line = (exc.text or "").rstrip("\n")
            verdict.feedback = (
                f"The code does not parse ({type(exc).__name__}) at {where}: {exc.msg}"
                + (f"\n    {line}" if line else "")
            )
            return verdict
        except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
            verdict = _rejected("syntax", f"{name}: {type(exc).__name__}: {exc}")
            verdict.feedback = f"The code does not parse: {name}: {type(exc).__name__}: {exc}"
            return verdict
        if codes is not None:
            codes[name] = _ship(code, data)
    return None


def compiled(text: str, name: str) -> tuple[str, bytes] | None:
    """The code of a file the verifier made (the stubbed solution), for the sandbox to import;
    None if it does not compile (the sandbox's import then reports it)."""
    data = text.encode("utf-8", "surrogatepass")
    try:
        code = _compile(data, name)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None
    return _ship(code, data)


def _compile(data: bytes, name: str) -> Any:
    """As the sandbox's import compiles the file `name` holding `data`."""
    return compile(data, os.path.join(SANDBOX_WORK, name), "exec", dont_inherit=True)


def _ship(code: Any, source: bytes) -> tuple[str, bytes]:
    """Code as a request carries it: the SHA-256 of the bytes it was compiled from (the sandbox
    takes it for those bytes only), and the code, marshalled. Only the process backend reads it,
    on the very interpreter that made it."""
    digest = sha256(source).hexdigest()
    return digest, marshal.dumps(code)


def _rejected(stage: str, reason: str) -> Verdict:
    return Verdict(passed=False, stage=stage, reason=reason)


# Lint -------------------------------------------------------------------------------------------
_RUFF: list[str] = []
_RUFF_LOCK = threading.Lock()


def ruff_binary() -> str:
    """ruff's path, found once. Under a lock: ruff's finder reads `sysconfig`, whose first read
    is not thread-safe (another thread can see its variables half made: EXE is None), and two
    chunks can be linted at once (`Verifier.verify` and `Verifier.submit` on one verifier)."""
    with _RUFF_LOCK:
        if not _RUFF:
            _RUFF.append(_find_ruff())
        return _RUFF[0]


def _find_ruff() -> str:
    try:
        from ruff.__main__ import find_ruff_bin

        return os.fsdecode(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        found = os.path.join(os.path.dirname(sys.executable), "ruff")
        if os.path.exists(found):
            return found
        raise RuntimeError("ruff is not installed: pip install ruff") from None


def _matches(code: str, prefixes: Sequence[str]) -> bool:
    return any(code.startswith(p) for p in prefixes)


def _ruff_command(options: VerifyOptions) -> list[str]:
    version = f"py{sys.version_info.major}{sys.version_info.minor}"
    cmd = [ruff_binary(), "check", "--isolated", "--no-cache", "--exit-zero"]
    cmd += ["--output-format", "json", "--target-version", version]
    cmd += ["--select", ",".join([*options.lint_select, *options.lint_warn])]
    if options.lint_ignore:
        cmd += ["--ignore", ",".join(options.lint_ignore)]
    return cmd


def lint_codes_problem(options: VerifyOptions) -> str | None:
    """Why ruff refuses the options' rule codes (an unknown selector, say), or None: asked once,
    before any sample, not found out at the first chunk's lint."""
    cmd = [*_ruff_command(options), "--stdin-filename", SOLUTION_FILE, "-"]
    proc = subprocess.run(cmd, input="", capture_output=True, text=True, timeout=60)
    if proc.returncode == 0:
        return None
    causes = [line.strip() for line in proc.stderr.splitlines() if "Cause:" in line]
    return causes[0].removeprefix("Cause:").strip() if causes else proc.stderr.strip()[:300]


def lint(samples: Sequence[Sample], options: VerifyOptions) -> list[list[LintMessage]]:
    """Run ruff once over every sample's solution and tests; messages per sample, in order."""
    results: list[list[LintMessage]] = [[] for _ in samples]
    if not samples:
        return results
    with tempfile.TemporaryDirectory(prefix="assay-lint-", dir=scratch_dir()) as tmp:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        for i, sample in enumerate(samples):
            os.mkdir(os.path.join(tmp, str(i)))
            for name, text in ((SOLUTION_FILE, sample.solution), (TESTS_FILE, sample.tests)):
                # os-level: a Python file object a file costs more than the write
                fd = os.open(os.path.join(tmp, str(i), name), flags, 0o600)
                try:
                    data = memoryview(text.encode("utf-8", "surrogatepass"))
                    while data:
                        data = data[os.write(fd, data) :]
                finally:
                    os.close(fd)
        cmd = _ruff_command(options)
        proc = subprocess.run(cmd + ["."], cwd=tmp, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"ruff failed ({proc.returncode}): {proc.stderr.strip()[:500]}")
        for item in json.loads(proc.stdout or "[]"):
            rel = os.path.relpath(item["filename"], tmp)
            index, _, name = rel.partition(os.sep)
            code = item.get("code") or "E999"
            location = item.get("location") or {}
            results[int(index)].append(
                LintMessage(
                    code=code,
                    message=item.get("message", ""),
                    line=int(location.get("row", 0)),
                    column=int(location.get("column", 0)),
                    file=name,
                    rejects=_matches(code, options.lint_select)
                    and not _matches(code, options.lint_ignore),
                )
            )
    for messages in results:
        messages.sort(key=lambda m: (m.file != SOLUTION_FILE, m.line, m.column))
    return results


def lint_verdict(messages: list[LintMessage]) -> Verdict | None:
    rejecting = [m for m in messages if m.rejects]
    if not rejecting:
        return None
    first = rejecting[0]
    verdict = _rejected("lint", f"{first.code} {first.message}")
    verdict.lint = messages
    return verdict


# The strength check -----------------------------------------------------------------------------
# CPython 3.11's ast.parse keeps its recursion depth per interpreter, not per thread: two threads
# parsing at once can fail with "SystemError: AST constructor recursion depth mismatch" (the pool
# builds stubs on its worker threads).
_PARSING = threading.Lock()


def stub_solution(solution: str) -> str | None:
    """The solution with every function's body replaced by `return None` (a docstring stays);
    an empty module if it has no function (tests that still pass use nothing of it: an empty
    solution's, say). Each body is replaced where the parser says it lies, so the rest of the
    text (signatures, decorators, classes, module code) stays exactly as written."""
    solution = solution.removeprefix("\ufeff")  # a file's BOM, which Python reads past (not ast)
    with _PARSING:
        tree = ast.parse(solution)
    functions = _outermost_functions(tree)
    if not functions:
        return ""
    if "\r" in solution:  # line ends the parser counts differently from str.split("\n")
        for function in functions:
            kept = function.body[:1] if ast.get_docstring(function, clean=False) is not None else []
            function.body = [*kept, ast.Return(ast.Constant(None))]
        return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    lines = solution.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def at(lineno: int, col: int) -> int:  # the parser's (line, UTF-8 byte column) as an index
        line = lines[lineno - 1]
        column = col if line.isascii() else len(line.encode("utf-8")[:col].decode("utf-8"))
        return starts[lineno - 1] + column

    edits = []
    for function in functions:
        body = function.body
        if ast.get_docstring(function, clean=False) is not None:
            docstring, body = body[0], body[1:]
            if not body:  # the docstring alone: a statement after it, on its line
                end = at(docstring.end_lineno or 0, docstring.end_col_offset or 0)
                edits.append((end, end, "; return None"))
                continue
        first, last = body[0], body[-1]
        start = at(first.lineno, first.col_offset)
        edits.append((start, at(last.end_lineno or 0, last.end_col_offset or 0), "return None"))
    for start, end, text in sorted(edits, reverse=True):
        solution = solution[:start] + text + solution[end:]
    return solution


def _outermost_functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Functions not inside another function (methods included); a loop, not recursion, as the
    tree can be deeper than Python's recursion limit."""
    found: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    todo = [tree]
    while todo:
        for child in ast.iter_child_nodes(todo.pop()):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append(child)
            else:
                todo.append(child)
    return found
