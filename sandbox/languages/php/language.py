"""PHP: functions in `solution.php` and PHPUnit tests in `SolutionTest.php`.

Trusted side: one warm `php` process per verifier (php_server.php) parses every file of a chunk
with PHP's own parser (a parse error is the `syntax` stage, with file:line:col) and makes the
strength check's stub (every function's body replaced by a throw). In the box, each run is a
fresh `php` process on assay's harness (box/assay_phpunit.php), which reads the run's token
before any of the sample's code loads, runs Debian's PHPUnit 9 and reports every test on the
authenticated channel, with PHPUnit's own failure text (expected vs actual, the diff).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sandbox.languages import Language, Prechecked, Toolchain, register
from sandbox.languages.php import checks
from sandbox.languages.stubs import StubCache
from sandbox.languages.warm import WarmServer
from sandbox.records import Sample
from sandbox.requests import Phase, RunRequest, RunResult, Step

if TYPE_CHECKING:
    from sandbox.options import VerifyOptions

CONVENTIONS = """\
- Use only PHP 8.2's standard library: no Composer packages, no network.
- The solution is a file `solution.php` that starts with `<?php` and defines functions (or
  classes) in the global namespace, with parameter and return types; it prints nothing.
- Write the tests in a separate file, `SolutionTest.php`, with PHPUnit 9: `<?php`,
  `use PHPUnit\\Framework\\TestCase;`, `require_once __DIR__ . '/solution.php';` and one class
  `final class SolutionTest extends TestCase` whose public `test...(): void` methods assert on
  concrete expected values with `$this->assertSame(...)`, `$this->assertEquals(...)` and the
  like. Test the examples, edge cases and error cases (`$this->expectException(...)`).
- Answer with exactly two ```php code blocks: first the solution, then the tests."""

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "php_server.php")
BOX = os.path.join(HERE, "box")
HARNESS = "assay_phpunit.php"
# Every run: errors on stderr, assert() on (Debian's CLI ini turns it off; the harness's guard
# fails code that turns it off again), no PHP memory limit of its own (the sandbox's limit decides:
# a `memory` verdict), UTC, and no debug_backtrace(): with it, code under test reads its callers'
# arguments and objects (the expected value, the running TestCase); the harness declares
# stand-ins without them (box/assay_backtrace.php).
PHP_FLAGS = (
    "-d",
    "display_errors=stderr",
    "-d",
    "error_reporting=-1",
    "-d",
    "zend.assertions=1",
    "-d",
    "assert.exception=1",
    "-d",
    "memory_limit=-1",
    "-d",
    "date.timezone=UTC",
    "-d",
    "log_errors=0",
    "-d",
    "disable_functions=debug_backtrace,debug_print_backtrace",
)
# PHP starts without Debian's ini files (`-n`: ~3 ms less a start than loading its two dozen
# shared extensions), then loads those of these that Debian's CLI enables. Left out: what reaches
# the system or loads code (FFI, sockets, System V IPC, shmop, ftp, readline, PDO, Phar) and
# formats no test needs (exif, fileinfo, gettext, xsl).
EXTENSIONS = (
    "calendar",
    "ctype",
    "dom",
    "iconv",
    "mbstring",
    "posix",  # the harness's own (posix_kill)
    "simplexml",
    "tokenizer",
    "xml",
    "xmlreader",
    "xmlwriter",
)
# What Debian's php.ini sets and PHP's defaults do not, as every run had it: no `<?` short tags
# (as the trusted parser reads the code), no $_ENV, exceptions' traces without arguments, no dl(),
# no start-up messages.
DEBIAN_INI = (
    "short_open_tag=0",
    "variables_order=GPCS",
    "request_order=GP",
    "zend.exception_ignore_args=1",
    "zend.exception_string_param_max_len=0",
    "enable_dl=0",
    "display_startup_errors=0",
)


@register
class Php(Language):
    name = "php"
    fences = ("php",)
    extensions = (".php",)
    solution_file = checks.SOLUTION_FILE
    empty_solution = checks.EMPTY_SOLUTION
    tests_file = checks.TESTS_FILE
    tests_pattern = r"extends\s+\\?(?:PHPUnit\\Framework\\)?TestCase\b|PHPUnit\\Framework"
    conventions = CONVENTIONS
    toolchain = Toolchain(
        programs=(("php",),),
        debian=("php-cli", "phpunit", "php-parser"),
        paths=("/usr/share/php/PHPUnit/Autoload.php", "/usr/share/php/PhpParser/autoload.php"),
    )

    def __init__(self, options: VerifyOptions) -> None:
        super().__init__(options)
        self._box = {}  # the harness and the file it loads
        for name in sorted(os.listdir(BOX)):
            if name.endswith(".php"):
                with open(os.path.join(BOX, name), encoding="utf-8") as fh:
                    self._box[name] = fh.read()
        self._stubs: StubCache[str] = StubCache()
        self._lock = threading.Lock()
        self._server: WarmServer | None = None
        self._php: str | None = None
        self._flags: tuple[str, ...] = PHP_FLAGS

    def precheck(self, samples: Sequence[Sample]) -> list[Prechecked]:
        """Parse every sample in one request; the stubs of those that passed."""
        results = checks.check(samples, self._parser(), self.options.max_source_bytes)
        for sample, result in zip(samples, results, strict=True):
            if result.verdict is None and self.options.strength_check:
                self._stubs.put(sample.solution, result.stub)
        return [Prechecked(verdict=result.verdict) for result in results]

    def stub(self, solution: str) -> str | None:
        kept, stub = self._stubs.get(solution)
        if kept:
            return stub
        sample = Sample(solution=solution, tests="<?php\n", language=self.name)
        (result,) = checks.check([sample], self._parser(), 1 << 30)
        return None if result.verdict is not None else result.stub

    def request(self, sample: Sample, prechecked: Prechecked, stub: str | None) -> RunRequest:
        if self._php is None:
            with self._lock:  # once, for every thread that asks
                if self._php is None:
                    php = self.toolchain.find("php")
                    self._flags = run_flags(php)
                    self._php = php
        argv = (self._php, *self._flags, HARNESS, self.tests_file)
        files = {**self._box, self.solution_file: sample.solution, self.tests_file: sample.tests}
        # With a stub, the harness goes on to it after a clean pass, without a fresh PHP start.
        # Forked from the worker's PHP zygote where it has one (`zygote.py`), else a fresh PHP.
        phases = [Phase(files=files, steps=(Step(argv=argv, chains=stub is not None, warm=True),))]
        if stub is not None:
            phases.append(
                Phase(
                    files={**files, self.solution_file: stub},
                    steps=(Step(argv=(*argv, "--outcomes-only"), warm=True),),
                    outcomes_only=True,
                )
            )
        return RunRequest(language=self.name, phases=tuple(phases), limits=self.options.limits)

    def details(self, result: RunResult) -> dict[str, str]:
        from sandbox.judge import case_details

        return case_details(result)

    def _parser(self) -> WarmServer:
        """The warm parser of this verifier's prechecks, started on first use; it ends with this
        language object (or the interpreter)."""
        with self._lock:
            if self._server is None:
                self._server = WarmServer([self.toolchain.find("php"), SERVER], "PHP parser")
                weakref.finalize(self, self._server.close)
            return self._server


def run_flags(php: str) -> tuple[str, ...]:
    """A run's flags: `-n`, `EXTENSIONS` where Debian's CLI loads them as shared extensions, then
    `DEBIAN_INI` and `PHP_FLAGS`. Where PHP cannot say which they are, Debian's ini and
    `PHP_FLAGS`."""
    try:
        shared = _extensions(php) - _extensions(php, "-n")
    except (OSError, ValueError, subprocess.SubprocessError):
        return PHP_FLAGS
    loads = [f"extension={name}" for name in EXTENSIONS if name in shared]
    return ("-n", *_defines(*loads, *DEBIAN_INI), *PHP_FLAGS)


def _extensions(php: str, *flags: str) -> set[str]:
    probe = "echo json_encode(get_loaded_extensions());"
    done = subprocess.run(
        [php, *flags, "-r", probe], capture_output=True, text=True, timeout=60, check=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    )  # fmt: skip
    return {str(name).lower() for name in json.loads(done.stdout)}


def _defines(*settings: str) -> tuple[str, ...]:
    return tuple(arg for setting in settings for arg in ("-d", setting))


__all__ = ["Php"]
