"""Languages for the pipeline's tests, registered in sandbox.languages' own registry.

- `snake`: a test-only second language, so the pipeline's handling of languages (prompts with its
  conventions, answers read by its fences, seeds by its extensions, mixes, identity, the report and
  export by language) is tested on a language that is not the default. Its code is Python under
  another name (it subclasses the Python language), so the real verifier can check it wherever the
  verifier dispatches by language.

`python -m tests.pipeline.languages ARGS...` is the assay CLI with these registered, for tests
that run `assay` in a subprocess.
"""

from __future__ import annotations

import functools
import sys

from sandbox.languages import Language, lookup, register

SNAKE_CONVENTIONS = (
    "- SNAKE-CONVENTIONS: the solution is the module `solution`; the tests are pytest tests "
    "named `test_*` that import from `solution`."
)


def python() -> type[Language]:
    """The sandbox's Python language."""
    return lookup("python")


def snake() -> type[Language]:
    """The test language `snake` (fences ```snake and ```snk, seed files *.snk)."""
    try:
        return lookup("snake")
    except Exception:  # not registered yet: LanguageError
        pass
    base = python()
    attrs = {
        "name": "snake",
        "fences": ("snake", "snk"),
        "extensions": (".snk",),
        "conventions": SNAKE_CONVENTIONS,
        "__doc__": "Python under another name: a second language for the pipeline's tests.",
    }
    return register(type("Snake", (base,), attrs))


@functools.cache
def verified_by_the_sandbox(name: str) -> bool:
    """Whether the verifier checks samples of `name` by their language (a passing sample passes),
    rather than refusing every language but Python."""
    from sandbox import Sample, Verifier, VerifyOptions

    sample = Sample(
        solution="def f():\n    return 1\n",
        tests="from solution import f\n\n\ndef test_f():\n    assert f() == 1\n",
        language=name,
    )
    with Verifier(VerifyOptions(jobs=1)) as verifier:
        return next(iter(verifier.verify([sample]))).passed


def install() -> None:
    python()
    snake()
    from pipeline.translate import targets

    targets.MODULES.setdefault("snake", "pipeline.translate.targets.python")  # its tests are pytest


if __name__ == "__main__":
    install()
    from pipeline.cli import main

    sys.exit(main(sys.argv[1:]))
