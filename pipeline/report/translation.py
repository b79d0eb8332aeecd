"""The funnel of an `assay translate` run, from the counts data.py keeps: sources read, samples,
skipped by reason, and per target language the pairs by route and what became of them."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pipeline.store import ACCEPTED, DUPLICATE, REJECTED


def translation_json(sources: Counter, languages: dict[str, Counter]) -> dict[str, Any] | None:
    """The funnel of a translate run: sources read, samples, skipped (by reason), and per target
    language the pairs by route and what became of them."""
    if not sources and not any(_prefixed(c, "route:") for c in languages.values()):
        return None
    targets = {}
    for name, c in languages.items():
        routes = _prefixed(c, "route:")
        targets[name] = {
            "pairs": c["problems"],
            "routes": {
                route: {"pairs": n, "accepted": c[f"accepted_route:{route}"]}
                for route, n in sorted(routes.items())
            },
            "accepted": c[ACCEPTED],
            "rejected": c[REJECTED],
            "acceptance_rate": _ratio(c[ACCEPTED], c[ACCEPTED] + c[REJECTED] + c[DUPLICATE]),
        }
    return {
        "read": sources["read"],
        "samples": sources["samples"],
        "skipped": dict(_prefixed(sources, "skipped:")),
        "skipped_pairs": dict(_prefixed(sources, "skipped_pairs:")),
        "by_target": targets,
    }


def _prefixed(counter: Counter, prefix: str) -> Counter:
    return Counter({k[len(prefix) :]: v for k, v in counter.items() if k.startswith(prefix)})


def _ratio(a: float, b: float, digits: int = 4) -> float | None:
    return round(a / b, digits) if b else None
