"""Running carried-over tests with each language's real toolchain, outside the sandbox: the test
file assay wrote and a solution written here, compiled and run in a temporary directory, each test
case's outcome read from the framework's own report (TAP, `go test -json`, libtest's lines, JUnit
XML). `missing(language)` says which program is not installed (the tests then skip with it).

Debian packages: nodejs (node), node-typescript (tsc), golang-go, g++ and doctest-dev, php-cli
and phpunit, default-jdk-headless and junit5; rustc (Debian's, or rustup's).
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

from pipeline.translate.targets import target

JUNIT = "/usr/share/java/junit-platform-console-standalone.jar"
PROGRAMS = {
    "javascript": ["node"],
    "typescript": ["node", "tsc"],
    "go": ["go"],
    "rust": ["rustc"],
    "java": ["javac", "java", JUNIT],
    "php": ["php", "phpunit"],
    "cpp": ["g++", "/usr/include/doctest/doctest.h"],
    "python": ["python3"],
}
PACKAGES = {
    "javascript": "nodejs",
    "typescript": "nodejs node-typescript",
    "go": "golang-go",
    "rust": "rustc",
    "java": "default-jdk-headless junit5",
    "php": "php-cli phpunit",
    "cpp": "g++ doctest-dev",
    "python": "python3",
}
# Enough of node's types for the tests to type-check without @types/node.
NODE_SHIM = """
declare module "node:test" {
  export function test(name: string, fn: () => void | Promise<void>): void;
}
declare module "node:assert" {
  export const strict: {
    equal(actual: unknown, expected: unknown, message?: string): void;
    notEqual(actual: unknown, expected: unknown, message?: string): void;
    deepEqual(actual: unknown, expected: unknown, message?: string): void;
    notDeepEqual(actual: unknown, expected: unknown, message?: string): void;
    ok(value: unknown, message?: string): void;
  };
}
"""


def missing(language: str) -> str | None:
    gone = [p for p in PROGRAMS[language] if not (shutil.which(p) or os.path.exists(p))]
    if not gone:
        return None
    return f"{language}: {', '.join(gone)} not installed (apt-get install {PACKAGES[language]})"


def run(language: str, solution: str, tests: str, work: str) -> dict[str, bool]:
    """Test case name -> passed. A compile error raises AssertionError with the compiler's text."""
    os.makedirs(work, exist_ok=True)
    out = target(language)
    files = {out.solution_file: solution, out.tests_file: tests}
    for name, text in files.items():
        with open(os.path.join(work, name), "w", encoding="utf-8") as fh:
            fh.write(text)
    return RUNNERS[language](work, out.solution_file, out.tests_file)


def _sh(argv: list[str], cwd: str, ok: tuple[int, ...] = (0, 1), env: dict | None = None) -> str:
    proc = subprocess.run(
        argv,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    if proc.returncode not in ok:
        raise AssertionError(
            f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        )
    return proc.stdout


def _tap(text: str) -> dict[str, bool]:
    found = re.findall(r"^(not ok|ok) \d+ - (.+?)\s*$", text, re.M)
    return {name: status == "ok" for status, name in found}


def _junit(path: str) -> dict[str, bool]:
    out = {}
    for xml in glob.glob(path):
        for case in ET.parse(xml).getroot().iter("testcase"):
            failed = any(child.tag in ("failure", "error") for child in case)
            out[case.get("name", "").removesuffix("()")] = not failed
    return out


def _javascript(work: str, solution: str, tests: str) -> dict[str, bool]:
    return _tap(_sh(["node", "--test-reporter=tap", tests], work))


def _typescript(work: str, solution: str, tests: str) -> dict[str, bool]:
    with open(os.path.join(work, "node-shim.d.ts"), "w") as fh:
        fh.write(NODE_SHIM)
    _sh(["tsc", "--strict", "--target", "es2020", "--module", "commonjs",
         "--outDir", "out", "node-shim.d.ts", solution, tests], work, ok=(0,))  # fmt: skip
    return _tap(_sh(["node", "--test-reporter=tap", tests.replace(".ts", ".js")], work + "/out"))


def _go(work: str, solution: str, tests: str) -> dict[str, bool]:
    with open(os.path.join(work, "go.mod"), "w") as fh:
        fh.write("module solution\n\ngo 1.19\n")
    env = {"GOCACHE": os.path.join(work, ".gocache"), "GOPROXY": "off", "GOFLAGS": "-mod=mod"}
    text = _sh(["go", "vet", "."], work, ok=(0,), env=env)
    text = _sh(["go", "test", "-json", "."], work, env=env)
    out = {}
    for line in text.splitlines():
        event = json.loads(line) if line.startswith("{") else {}
        if event.get("Test") and event.get("Action") in ("pass", "fail"):
            out[event["Test"]] = event["Action"] == "pass"
    if not out:
        raise AssertionError(f"go test ran nothing:\n{text}")
    return out


def _rust(work: str, solution: str, tests: str) -> dict[str, bool]:
    with open(os.path.join(work, solution)) as a, open(os.path.join(work, tests)) as b:
        source = a.read() + "\n" + b.read()
    with open(os.path.join(work, "lib.rs"), "w") as fh:
        fh.write(source)
    _sh(["rustc", "--edition", "2021", "--test", "-o", "tests_bin", "lib.rs"], work, ok=(0,))
    text = _sh(["./tests_bin", "--test-threads", "1"], work, ok=(0, 101))
    return {
        m[0]: m[1] == "ok" for m in re.findall(r"^test tests::(\w+) \.\.\. (ok|FAILED)", text, re.M)
    }


def _java(work: str, solution: str, tests: str) -> dict[str, bool]:
    _sh(
        ["javac", "-encoding", "US-ASCII", "-cp", JUNIT, "-d", "out", solution, tests],
        work,
        ok=(0,),
    )
    _sh(["java", "-jar", JUNIT, "-cp", "out", "--select-class", "SolutionTest",
         "--reports-dir", "reports", "--disable-banner"], work)  # fmt: skip
    return _junit(os.path.join(work, "reports", "*.xml"))


def _php(work: str, solution: str, tests: str) -> dict[str, bool]:
    _sh(["php", "-l", solution], work, ok=(0,))
    _sh(["phpunit", "--log-junit", "report.xml", tests], work, ok=(0, 1, 2))
    return _junit(os.path.join(work, "report.xml"))


def _cpp(work: str, solution: str, tests: str) -> dict[str, bool]:
    with open(os.path.join(work, "main.cpp"), "w") as fh:
        fh.write("#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN\n#include <doctest/doctest.h>\n")
    _sh(
        ["g++", "-std=c++17", "-Wall", "-Wextra", "-o", "tests_bin", "main.cpp", tests],
        work,
        ok=(0,),
    )
    _sh(["./tests_bin", "--reporters=junit", "--out=report.xml", "--no-exitcode"], work)
    return _junit(os.path.join(work, "report.xml"))


def _python(work: str, solution: str, tests: str) -> dict[str, bool]:
    import sys

    _sh([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml=report.xml",
         tests], work, ok=(0, 1))  # fmt: skip
    return _junit(os.path.join(work, "report.xml"))


RUNNERS = {
    "javascript": _javascript,
    "typescript": _typescript,
    "go": _go,
    "rust": _rust,
    "java": _java,
    "php": _php,
    "cpp": _cpp,
    "python": _python,
}
