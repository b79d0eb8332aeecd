"""A warm ESLint on the trusted side: one node process (eslint_server.js) per verifier lints each
chunk of samples, so ESLint's start-up (~0.35 s of CPU) is paid once, not once per chunk.

It parses and lints text; it never runs it. A request is one line of JSON on its stdin (the files of
a chunk), the answer one line on its stdout (each file's messages, as `eslint --format json` gives
them). If the process dies or stops answering it is started again for the next request.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import threading

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eslint_server.js")
TIMEOUT_S = 300  # for one chunk's answer: far more than ESLint takes on any real chunk


class ESLintError(RuntimeError):
    """ESLint itself failed (not a sample's lint): the message says how."""


def package_dir(program: str) -> str | None:
    """The ESLint package behind the `eslint` program (bin/eslint.js in the package)."""
    here = os.path.dirname(os.path.realpath(program))
    for candidate in (os.path.dirname(here), here):
        if os.path.exists(os.path.join(candidate, "package.json")):
            return candidate
    return None


def version(program: str) -> str | None:
    """The version of the ESLint package behind the `eslint` program, from its package.json."""
    package = package_dir(program)
    if package is None:
        return None
    try:
        with open(os.path.join(package, "package.json"), encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return str(data.get("version", "")) if data.get("name") == "eslint" else None


class ESLint:
    """ESLint in a long-lived node process; `lint` is safe to call from any thread."""

    def __init__(self, node: str, program: str) -> None:
        self.node = node
        self.package = package_dir(program) or program
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def lint(self, files: list[tuple[str, str]]) -> list[list[dict] | dict]:
        """Each file's messages, in order (a dict with `error` where ESLint failed on it)."""
        request = json.dumps(files, ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n"
        with self._lock:
            proc = self._started()
            try:
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(request)
                proc.stdin.flush()
                ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT_S)
                line = proc.stdout.readline() if ready else b""
            except OSError as exc:
                self._stop()
                raise ESLintError(f"the ESLint process failed: {exc}") from None
            if not line:
                self._stop()
                raise ESLintError("the ESLint process stopped answering")
        answers = json.loads(line)
        if len(answers) != len(files):
            raise ESLintError("the ESLint process answered for other files")
        return answers

    def _started(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [self.node, SERVER, self.package],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
        return self._proc

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def close(self) -> None:
        """End the process (it also ends on its own when this one's end of its stdin closes)."""
        with self._lock:
            if self._proc is not None:
                if self._proc.stdin is not None:
                    self._proc.stdin.close()
                try:
                    self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._stop()
                self._proc = None
