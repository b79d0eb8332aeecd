"""The languages of a run, seen from the pipeline side.

Everything a language is comes from its class in `sandbox.languages` as data: its fences, its
files, its seed extensions, the conventions the prompts teach. Nothing here (or anywhere in
pipeline/) names a language other than the default. This module checks names, gives the prompts
their slots, fences code for corpus records and exports, and draws each problem slot's language
from a weighted mix.

A mix is written `python`, `python=2,javascript=1` (a flag or a TOML string) or as a table
`{python = 2, javascript = 1}`. Slot k gets its language from a golden-ratio sequence started at a
point drawn from the run's seed: deterministic per slot (a rerun, or a resumed slot, gets the same
language), and every prefix of the run is within a slot or two of the weights.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from typing import Any

from sandbox.languages import Language, LanguageError, canonical, lookup, names

DEFAULT = "python"
_GOLDEN = (math.sqrt(5) - 1) / 2


def language(name: str) -> type[Language]:
    """The class of `name`; a LanguageError naming the known languages when there is none."""
    try:
        return lookup(name)
    except ImportError as exc:  # a built-in language whose module is missing from this install
        raise LanguageError(
            f"language {name!r} is not available in this installation ({exc}): "
            f"use one of {', '.join(names())}, or reinstall assay"
        ) from None


def known(name: str) -> bool:
    """Whether `name` (or an alias of it) names a language, without importing its checker."""
    return canonical(name) in names()


def fence(name: str) -> str:
    """The canonical fence tag of a language; the name itself for a language not installed here
    (an export of a corpus made elsewhere still fences its code)."""
    try:
        cls = language(name)
    except LanguageError:
        return canonical(name)
    return cls.fences[0] if cls.fences else cls.name


def fenced(code: str, name: str) -> str:
    return f"```{fence(name)}\n{code.rstrip()}\n```"


def code_answer(solution: str, tests: str, name: str) -> str:
    """The two code blocks of an answer, solution then tests, fenced for `name`: the assistant
    turn of a corpus record and of an export row."""
    return f"{fenced(solution, name)}\n\n{fenced(tests, name)}\n"


def files(name: str) -> tuple[str, str]:
    """The solution and tests file names of a language, for showing code; generic names for a
    language not installed here."""
    try:
        cls = language(name)
    except LanguageError:
        return "solution", "tests"
    return cls.solution_file or "solution", cls.tests_file or "tests"


def prompt_slots(name: str) -> dict[str, str]:
    """What prompts/*.jinja may say about the language: data, the same slots for every one."""
    cls = language(name)
    return {
        "language": cls.name,
        "fence": cls.fences[0] if cls.fences else cls.name,
        "conventions": cls.conventions.strip(),
        "solution_file": cls.solution_file,
        "tests_file": cls.tests_file,
    }


def conventions_digest(languages: list[str]) -> str:
    """A digest of the conventions the prompts of these languages show: part of a run's identity,
    as the templates are."""
    digest = hashlib.sha256()
    for name in sorted(languages):
        digest.update(f"{name}\0{language(name).conventions}\0".encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Mix:
    """Languages with weights, sorted by name (the order they are written in does not matter)."""

    weights: tuple[tuple[str, float], ...]

    @classmethod
    def parse(cls, spec: Any) -> Mix:
        """From `name`, `a=2,b=1` or a {name: weight} mapping; names are checked (LanguageError)."""
        if isinstance(spec, dict):
            items = list(spec.items())
        elif isinstance(spec, str):
            items = []
            for part in filter(None, (p.strip() for p in spec.split(","))):
                name, sep, weight = part.partition("=")
                items.append((name, weight.strip() if sep else 1.0))
        else:
            raise LanguageError(f"a language or a mix such as python=2,javascript=1, not {spec!r}")
        if not items:
            raise LanguageError(f"no language given: use one of {', '.join(names())}")
        weights: dict[str, float] = {}
        for name, weight in items:
            key = language(str(name).strip()).name
            if key in weights:
                raise LanguageError(f"language {key!r} is named twice in {spec!r}")
            weights[key] = _weight(key, weight)
        return cls(tuple(sorted(weights.items())))

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.weights]

    def spec(self) -> str:
        """`python`, or `javascript=1,python=2`: what a run's identity and config record."""
        if len(self.weights) == 1:
            return self.weights[0][0]
        return ",".join(f"{name}={weight:g}" for name, weight in self.weights)

    def config_value(self) -> str | dict[str, float]:
        """The value `language` takes in a saved config.toml: a name, or a table for a mix."""
        return self.spec() if len(self.weights) == 1 else dict(self.weights)

    def language_of(self, slot: int, seed: int) -> str:
        """The language of problem slot `slot` in a run seeded with `seed`."""
        if len(self.weights) == 1:
            return self.weights[0][0]
        start = random.Random(f"{seed}:languages").random()
        point = (start + slot * _GOLDEN) % 1.0
        total = sum(weight for _, weight in self.weights)
        edge = 0.0
        for name, weight in self.weights:
            edge += weight / total
            if point < edge:
                return name
        return self.weights[-1][0]


def _weight(name: str, value: Any) -> float:
    try:
        weight = float(value)
    except (TypeError, ValueError):
        weight = math.nan
    if not math.isfinite(weight) or weight <= 0:
        raise LanguageError(f"the weight of {name} must be a positive number, got {value!r}")
    return weight
