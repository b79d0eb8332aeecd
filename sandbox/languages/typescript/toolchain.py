"""TypeScript's toolchain: npm packages found beside the global ESLint, and the type checker's
copy in the box cache.

The type checker is TypeScript 7's native `tsc` (a static Go binary, in the platform package
`@typescript/typescript-linux-<arch>`, with its `lib.*.d.ts` beside it) and Node's types
(`@types/node`, pinned to the Node 18 of Debian's bookworm). Trusted code copies both once into
`box_cache_dir()/typescript/<fingerprint>/`, which samples see read-only at
`/opt/assay/typescript/<fingerprint>/` under full isolation, in either backend: the Docker image
needs nothing of npm. Under weak isolation the box runs the npm packages where they are.
typescript-eslint (with the JavaScript `typescript` package it brings) is for the trusted side
only: parsing, lint and transpiling (ts_server.js).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import shlex
import shutil
import tempfile
import threading
from collections.abc import Sequence

from sandbox.isolation.skeleton import BOX_CACHE
from sandbox.languages import box_cache_dir

TSC_VERSION = "7.0.2"
TYPES_NODE_VERSION = "18.19.130"
TYPESCRIPT_ESLINT_VERSION = "8.74.0"
NATIVE_PACKAGE = "@typescript/typescript-linux-" + (
    "arm64" if platform.machine() in ("aarch64", "arm64") else "x64"
)
NPM = (
    f"typescript-eslint@{TYPESCRIPT_ESLINT_VERSION}",
    f"{NATIVE_PACKAGE}@{TSC_VERSION}",
    f"@types/node@{TYPES_NODE_VERSION}",
)
SOLUTION_FILE, TESTS_FILE = "solution.ts", "solution.test.ts"
# `tsc --strict` as the box runs it: types only (the trusted side transpiled each file already,
# one at a time, hence --isolatedModules), Node's CommonJS semantics, ES2022 (Node 18).
TSC_FLAGS = (
    "--strict",
    "--noEmit",
    "--pretty",
    "false",
    "--target",
    "es2022",
    "--lib",
    "es2022",
    "--module",
    "nodenext",
    "--moduleResolution",
    "nodenext",
    "--isolatedModules",
    "--moduleDetection",
    "force",
    "--skipLibCheck",
    "--singleThreaded",
    "--types",
    "node",
)


# The Node types most tests and solutions need (node:test, node:assert, the globals, Buffer,
# util, events, timers); the rest of @types/node only where a sample needs it (`compile_argv`).
LITE_FILES = (
    "compatibility/index.d.ts",
    "globals.typedarray.d.ts",
    "buffer.buffer.d.ts",
    "globals.d.ts",
    "web-globals/abortcontroller.d.ts",
    "web-globals/domexception.d.ts",
    "web-globals/events.d.ts",
    "assert.d.ts",
    "assert/strict.d.ts",
    "buffer.d.ts",
    "console.d.ts",
    "events.d.ts",
    "process.d.ts",
    "test.d.ts",
    "timers.d.ts",
    "util.d.ts",
)
LITE_HEAD = '/// <reference lib="es2020" />\n'
# What Node 18 runs beyond `--lib es2022` (findLast, findLastIndex), a root file of every check.
NODE18_TYPES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node18.d.ts")
LITE_REFERENCE = '/// <reference path="../../types/node/%s" />\n'


class Missing(RuntimeError):
    """A package is not installed; the message names it and the fix."""


def package_version(directory: str) -> str | None:
    try:
        with open(os.path.join(directory, "package.json"), encoding="utf-8") as fh:
            return str(json.load(fh).get("version"))
    except (OSError, ValueError):
        return None


class Packages:
    """Where the npm packages are: beside the global ESLint (`npm install -g` puts them there)."""

    def __init__(self, modules: str) -> None:
        self.modules = modules
        self.native = os.path.join(modules, *NATIVE_PACKAGE.split("/"))
        self.tsc = os.path.join(self.native, "lib", "tsc")
        self.types = os.path.join(modules, "@types")
        self.eslint_plugin = os.path.join(modules, "typescript-eslint")

    def missing(self) -> list[str]:
        """The packages that are absent or at another version than the pinned one."""
        wanted = (
            (self.eslint_plugin, TYPESCRIPT_ESLINT_VERSION, NPM[0]),
            (self.native, TSC_VERSION, NPM[1]),
            (os.path.join(self.types, "node"), TYPES_NODE_VERSION, NPM[2]),
        )
        out = [spec for path, version, spec in wanted if package_version(path) != version]
        if NPM[1] not in out and not os.access(self.tsc, os.X_OK):
            out.append(NPM[1])
        return out


_lock = threading.Lock()
_built: dict[str, str] = {}


def fingerprint(packages: Packages) -> str:
    digest = hashlib.sha256()
    for path in (packages.native, os.path.join(packages.types, "node")):
        with open(os.path.join(path, "package.json"), "rb") as fh:
            digest.update(fh.read())
    digest.update(str(os.stat(packages.tsc).st_size).encode())
    digest.update("\0".join(LITE_FILES).encode())
    with open(NODE18_TYPES, "rb") as fh:
        digest.update(fh.read())
    return digest.hexdigest()[:16]


def box_copy(packages: Packages) -> str:
    """The type checker and Node's types in the box cache (built once, under a file lock, landing
    by rename, so a sample never sees half a copy): the host's path of the directory."""
    with _lock:
        if packages.modules in _built:
            return _built[packages.modules]
        root = os.path.join(box_cache_dir(), "typescript")
        os.makedirs(root, mode=0o755, exist_ok=True)
        target = os.path.join(root, fingerprint(packages))
        if not os.path.isfile(os.path.join(target, "bin", "tsc")):
            with open(os.path.join(root, ".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not os.path.isfile(os.path.join(target, "bin", "tsc")):
                    work = tempfile.mkdtemp(prefix=".copy-", dir=root)
                    shutil.copytree(os.path.join(packages.native, "lib"), f"{work}/bin")
                    shutil.copytree(os.path.join(packages.types, "node"), f"{work}/types/node")
                    shutil.copyfile(NODE18_TYPES, f"{work}/node18.d.ts")
                    os.makedirs(f"{work}/lite/node")
                    with open(f"{work}/lite/node/index.d.ts", "w") as fh:
                        fh.write(LITE_HEAD + "".join(LITE_REFERENCE % f for f in LITE_FILES))
                    with open(f"{work}/lite/node/package.json", "w") as fh:
                        fh.write('{"name": "@types/node", "types": "index.d.ts"}\n')
                    for base, dirs, files in os.walk(work):
                        for name in dirs + files:
                            path = os.path.join(base, name)
                            os.chmod(path, 0o755 if name in dirs or name == "tsc" else 0o644)
                    os.chmod(work, 0o755)
                    os.rename(work, target)
        _built[packages.modules] = target
        return target


def compile_argv(
    packages: Packages,
    full_isolation: bool,
    files: Sequence[str] = (SOLUTION_FILE, TESTS_FILE),
    fallback: bool = True,
) -> tuple[str, ...]:
    """The type check's command line as the box sees it. Under full isolation: first against
    Node's types for what tests and solutions mostly use (`LITE_FILES`: a third of the checker's
    time with all of them), and only where that fails (with `fallback`), against all of Node's
    types, whose messages are the step's. Fewer declarations only add errors, so a sample that
    passes the first would pass the second."""
    if not full_isolation:
        return (packages.tsc, *TSC_FLAGS, "--typeRoots", packages.types, NODE18_TYPES, *files)
    inside = f"{BOX_CACHE}/typescript/{os.path.basename(box_copy(packages))}"

    def check(types: str) -> tuple[str, ...]:
        node18 = f"{inside}/node18.d.ts"
        return (f"{inside}/bin/tsc", *TSC_FLAGS, "--typeRoots", types, node18, *files)

    if not fallback:
        return check(f"{inside}/lite")
    lite, full = shlex.join(check(f"{inside}/lite")), shlex.join(check(f"{inside}/types"))
    return ("/bin/sh", "-c", f"{lite} >/dev/null 2>&1 || exec {full}")
