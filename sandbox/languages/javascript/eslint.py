"""A warm ESLint on the trusted side: one node process (eslint_server.js) per verifier lints each
chunk of samples, so ESLint's start-up (~0.35 s of CPU) is paid once, not once per chunk.

It parses and lints text; it never runs it. A request is one line of JSON on its stdin (the files of
a chunk), the answer one line on its stdout (each file's messages, as `eslint --format json` gives
them). If the process dies or stops answering it is started again for the next request.
"""

from __future__ import annotations

import json
import os

from sandbox.languages.warm import ServerError as ESLintError
from sandbox.languages.warm import WarmServer

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eslint_server.js")
__all__ = ["ESLint", "ESLintError", "WarmServer", "package_dir", "version"]


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


class ESLint(WarmServer):
    """ESLint in a long-lived node process (`server`: eslint_server.js, or another language's)."""

    def __init__(
        self, node: str, program: str, server: str = SERVER, args: tuple[str, ...] = ()
    ) -> None:
        self.node = node
        self.package = package_dir(program) or program
        super().__init__([node, server, self.package, *args])
