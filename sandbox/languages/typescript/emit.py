"""TypeScript to JavaScript on the trusted side: TypeScript 7's native `tsc` emits a whole chunk's
files in one call, without type checking (`--noCheck`; types are the box's business).

Each file is emitted on its own terms (`--isolatedModules`, no libraries, no module resolution), as
`transpileModule` would, at ~0.5-1 ms a file instead of ~2 ms in the warm server. It reads the text
and writes JavaScript; nothing is run. The compiler's own diagnostics (about the missing
libraries) are not read: a file parsed by ESLint before it gets here, and a file `tsc` wrote no
JavaScript for is the emitter's failure (`ServerError`), which `check_chunk` narrows to the sample.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Sequence

from sandbox.languages import scratch_dir
from sandbox.languages.warm import ServerError

FLAGS = (
    "--noCheck", "--noLib", "--noResolve", "--types", "", "--isolatedModules",
    "--module", "commonjs", "--target", "es2022", "--esModuleInterop",
    # Stack traces name the TypeScript file's lines (node runs with --enable-source-maps).
    "--inlineSourceMap", "--pretty", "false", "--singleThreaded",
)  # fmt: skip
TIMEOUT_S = 300


def emit(tsc: str, files: Sequence[tuple[str, str]]) -> list[str]:
    """Each (name, TypeScript text) as CommonJS JavaScript, in one `tsc` call."""
    if not files:
        return []
    with tempfile.TemporaryDirectory(prefix="assay-ts-emit-", dir=scratch_dir()) as tmp:
        paths = []
        for i, (name, text) in enumerate(files):
            os.mkdir(os.path.join(tmp, str(i)))
            path = os.path.join(tmp, str(i), name)
            with open(path, "w", encoding="utf-8", errors="surrogatepass") as fh:
                fh.write(text)
            paths.append(path)
        try:
            done = subprocess.run(
                [tsc, *FLAGS, *paths], cwd=tmp, capture_output=True, timeout=TIMEOUT_S
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ServerError(f"TypeScript's emitter failed: {exc}") from exc
        out = []
        for path in paths:
            try:
                with open(path[: -len(".ts")] + ".js", encoding="utf-8", errors="replace") as fh:
                    out.append(fh.read())
            except OSError:
                why = (
                    done.stderr.decode(errors="replace").strip()[-300:] or f"exit {done.returncode}"
                )
                raise ServerError(f"TypeScript's emitter wrote no JavaScript: {why}") from None
        return out
