"""A run directory's identity: the options that give its recorded work a meaning
(`RunConfig.identity`), which a rerun on the same directory must agree on."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from pipeline.config import ConfigError
from pipeline.languages import DEFAULT, Mix
from sandbox.languages import LanguageError


def digest(identity: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


def upgraded_identity(stored: dict[str, Any]) -> dict[str, Any]:
    """An identity recorded before runs had a language is a Python run whose seed extensions
    defaulted to Python's: said so in today's terms, so only real changes are named."""
    if "language" in stored:
        return stored
    seeds = stored.get("seeds")
    if isinstance(seeds, dict) and seeds.get("extensions") == [".py"]:
        seeds = {**seeds, "extensions": None}
    return {**stored, "language": DEFAULT, "seeds": seeds}


def _one_spelling(identity: dict[str, Any]) -> dict[str, Any]:
    """An identity with what may be written two ways written one way: a local seeds path as
    `os.path.normpath` has it (`./seeds.jsonl` is `seeds.jsonl`), a language mix by its shares
    (`python=4,javascript=2` draws as `python=2,javascript=1` does)."""
    out = dict(identity)
    seeds = out.get("seeds")
    if isinstance(seeds, dict) and isinstance(seeds.get("path"), str) and seeds["path"]:
        if not seeds["path"].startswith("hf:"):
            out["seeds"] = {**seeds, "path": os.path.normpath(seeds["path"])}
    try:
        weights = Mix.parse(out.get("language")).weights
    except LanguageError:
        return out
    total = sum(weight for _, weight in weights)
    out["language"] = [(name, round(weight / total, 12)) for name, weight in weights]
    return out


def check_compatible(stored: dict[str, Any] | None, current: dict[str, Any], force: bool) -> None:
    """Refuse to resume a run dir whose recorded work was made under other options."""
    if stored is None or force:
        return
    stored = upgraded_identity(stored)
    if stored == current:
        return
    same, now = _one_spelling(stored), _one_spelling(current)
    changed = []
    for key in sorted(set(stored) | set(current)):
        if same.get(key) != now.get(key):
            changed.append(f"{key}: {stored.get(key)!r} -> {current.get(key)!r}")
    if not changed:
        return
    raise ConfigError(
        "the run directory was made with another configuration ("
        + "; ".join(changed)
        + "). Use another --run-dir, restore those options, or pass --force to go on with the "
        "new ones (work already recorded is kept as it is)"
    )
