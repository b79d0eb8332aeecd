"""MultiPL-E records (nuprl/MultiPL-E): HumanEval and MBPP translated into many languages.

A record is `name` ("HumanEval_0_has_close_elements"), `language` (MultiPL-E's code: "py", "js",
"ts", "cpp", "php", "go_test.go", "rs", "java", ...), `prompt` (a signature and doc comment),
`tests` (a whole test program), `stop_tokens`, and a model's `completion`. MultiPL-E runs
`prompt + completion + "\\n" + tests` and passes it on exit status 0, after cutting the completion
at its first stop token (so a C++ completion ends before the function's closing brace, which the
tests supply). Here the completion is cut the same way, and each language's converter
(`CONVERTERS`, in `pipeline.multipl_e_langs` and `pipeline.multipl_e_compiled`) makes an ordinary
sample of that language whose one test runs the whole test program: it passes only when the
program ran to its end and every assertion held, so an early `exit(0)` in the solution fails.

One record is one completion: a file of MultiPL-E's `completions` lists needs one line per
completion. Does not handle: MultiPL-E's languages that assay has no sandbox language for.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pipeline.humaneval_x import ConversionError, require_strings

if TYPE_CHECKING:
    from sandbox.records import Sample

FIELDS = ("name", "language", "prompt", "tests")
# MultiPL-E's language code (its `language` field, its evaluators' keys) to assay's language.
LANGUAGES = {
    "py": "python",
    "python": "python",
    "js": "javascript",
    "javascript": "javascript",
    "ts": "typescript",
    "cpp": "cpp",
    "php": "php",
    "go_test.go": "go",
    "rs": "rust",
    "rust": "rust",
    "java": "java",
}
# A converter takes the record (its `name`, `prompt` and `tests` read) and the completion cut at
# its stop tokens, and returns (solution, tests) in its language's layout.
Converter = Callable[[dict[str, Any], str], tuple[str, str]]
CONVERTERS: dict[str, str] = {
    "python": "pipeline.multipl_e_langs:python",
    "javascript": "pipeline.multipl_e_langs:javascript",
    "typescript": "pipeline.multipl_e_langs:typescript",
    "cpp": "pipeline.multipl_e_langs:cpp",
    "php": "pipeline.multipl_e_langs:php",
    "go": "pipeline.multipl_e_compiled:go",
    "rust": "pipeline.multipl_e_compiled:rust",
    "java": "pipeline.multipl_e_compiled:java",
}
_NAME = re.compile(r"^[^0-9]+_\d+_(.+)$")  # MultiPL-E's own: "HumanEval_0_has_close_elements"


def is_multipl_e(data: dict[str, Any]) -> bool:
    """MultiPL-E's fields, and not assay's own `solution` (which such a record never has)."""
    fields = all(k in data for k in FIELDS) and "solution" not in data
    return fields and isinstance(data.get("language"), str)


def entry_point(name: str) -> str | None:
    """The function a problem's tests call, from its name, as MultiPL-E reads it."""
    found = _NAME.match(name)
    return found.group(1) if found else None


def language_of(data: dict[str, Any]) -> str:
    """assay's language for the record's code; a code assay cannot run is a bad record."""
    code = data["language"]
    language = LANGUAGES.get(code)
    supported = ", ".join(sorted(c for c, lang in LANGUAGES.items() if lang in CONVERTERS))
    if language is None or language not in CONVERTERS:
        what = f"MultiPL-E language {code!r}" + (f" ({language})" if language else "")
        raise ConversionError(
            f"{data['name']}: {what} is not supported yet; use one of {supported}"
        )
    if language != "python":  # the plugin scan only for other languages
        from sandbox.languages import names

        if language not in names():
            raise ConversionError(
                f"{data['name']}: language {language!r} (MultiPL-E {code!r}) is not registered in"
                " the sandbox: `python -m sandbox.languages check` lists the languages"
            )
    return language


def converter(language: str) -> Converter:
    module, _, name = CONVERTERS[language].partition(":")
    return getattr(importlib.import_module(module), name)


def cut_at_stop_tokens(completion: str, stop_tokens: list[str]) -> str:
    """The completion up to its first stop token, as MultiPL-E cuts what a model generated."""
    end = len(completion)
    for token in stop_tokens:
        found = completion.find(token)
        if 0 <= found < end:
            end = found
    return completion[:end]


def to_sample(data: dict[str, Any]) -> Sample:
    from sandbox.records import Sample

    require_strings(data, (*FIELDS, "completion"), "MultiPL-E")
    stop_tokens = data.get("stop_tokens") or []
    if not isinstance(stop_tokens, list) or not all(isinstance(t, str) for t in stop_tokens):
        raise ConversionError("field 'stop_tokens' must be a list of strings (MultiPL-E format)")
    language = language_of(data)
    completion = cut_at_stop_tokens(data["completion"], [t for t in stop_tokens if t])
    solution, tests = converter(language)(data, completion)
    return Sample(
        id=str(data.get("id") or _default_id(data)),
        problem=data["prompt"],
        solution=solution,
        tests=tests,
        language=language,
        meta={"source": "multipl-e", "name": data["name"], "language": data["language"]},
    )


def _default_id(data: dict[str, Any]) -> str:
    """name.code#hash: several completions of one problem in one file keep apart, and a rerun
    finds the same ids (resume)."""
    digest = hashlib.sha256(data["completion"].encode()).hexdigest()[:10]
    return f"{data['name']}.{data['language']}#{digest}"
