"""Seed snippets that inspire problems: source files, a JSONL file, or a (Hugging Face) dataset.

A pool is indexed once and read lazily, so a large dataset is not held in memory. Slot k of a run
takes the seed at position k % n of a permutation drawn for epoch k // n under `--seed`: every
seed is used once before any is reused, and a rerun maps each slot to the same seed.

    directory, file   every file with one of the extensions, recursively (hidden directories,
                      virtualenvs and caches skipped); files longer than `window_lines` are cut
                      into consecutive windows
    *.jsonl[.gz]      one seed per line, from the field `code`, `content` or `text`; a line
                      that is not JSON or has none of them is skipped, counted, and the first
                      such line named in the run's summary
    hf:NAME[:split][:column], a save_to_disk directory, *.parquet, *.json, *.csv
                      one seed per row, through `datasets` (column: `column`, or the first of
                      code/content/text)
JSONL and dataset rows are clipped to their first `window_lines` lines.

The extensions of a directory are `[seeds] extensions` when given, else the language's own (its
`extensions`), so a JavaScript run is seeded from .js files. In a run of several languages
(`SlotSeeds`), each language draws from the pool of its own extensions, without replacement within
that pool; sources that are not read by extension (JSONL, datasets) are one pool for all.
"""

from __future__ import annotations

import gzip
import os
import random
import zlib
from dataclasses import dataclass
from typing import Any

from pipeline.config import SeedsConfig
from pipeline.jsonl import parse_object
from pipeline.languages import DEFAULT, Mix, language

FIELDS = ("code", "content", "text")
SKIP_DIRS = {".git", ".hg", ".venv", "venv", "__pycache__", "node_modules", ".tox", "build", "dist"}
DATASET_FILES = {".parquet": "parquet", ".json": "json", ".csv": "csv"}


class SeedError(ValueError):
    """The seeds cannot be read; the message says how to fix it."""


@dataclass(frozen=True)
class Seed:
    source: str  # where it came from, for provenance
    text: str


class SeedPool:
    """Seeds addressable by index; `pick(slot)` draws without replacement under `seed`."""

    def __init__(self, config: SeedsConfig, seed: int, lang: str = DEFAULT) -> None:
        self.config = config
        self.seed = seed
        self.extensions = tuple(config.extensions or language(lang).extensions)
        self.by_extension = False  # whether the extensions chose the seeds
        self.skipped = 0  # JSONL lines that give no seed (not JSON, no text field)
        self.first_skipped = ""  # the first of them, with its place and why
        path = config.path
        if path.startswith("hf:"):
            self._open_dataset(path)
        elif os.path.isdir(path) and not _is_saved_dataset(path):
            self._index_directory(path)
            self.by_extension = True
        elif os.path.isfile(path) and path.endswith(self.extensions):
            self._index_files([path])
            self.by_extension = True
        elif path.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
            self._index_jsonl(path)
        else:
            self._open_dataset(path)
        if len(self) == 0:
            raise SeedError(
                f"no seeds in {path}: "
                + (
                    f"no non-empty files with extensions {', '.join(self.extensions)} "
                    f"(the {lang} seeds; set [seeds] extensions or --extensions)"
                    if os.path.isdir(path)
                    else "no rows with text"
                )
            )
        self._epochs: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return self._size

    def pick(self, slot: int) -> Seed:
        epoch, position = divmod(slot, len(self))
        order = self._epochs.get(epoch)
        if order is None:
            order = list(range(len(self)))
            random.Random(f"{self.seed}:{epoch}").shuffle(order)
            self._epochs[epoch] = order
            if len(self._epochs) > 2:  # the current epoch and the one before, at most
                del self._epochs[min(self._epochs)]
        return self.get(order[position])

    def _clip(self, text: str) -> str:
        lines = text.splitlines()[: self.config.window_lines]
        return "\n".join(lines)[: self.config.max_chars]

    # Directory ---------------------------------------------------------------------------------
    def _index_directory(self, root: str) -> None:
        paths = []
        for directory, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            paths += [
                os.path.join(directory, name)
                for name in sorted(files)
                if name.endswith(self.extensions)
            ]
        self._index_files(paths)

    def _index_files(self, paths: list[str]) -> None:
        windows: list[tuple[str, int, int]] = []
        size = self.config.window_lines
        for path in paths:
            try:
                with open(path, encoding="utf-8") as fh:
                    lines = fh.read().splitlines()
            except (UnicodeDecodeError, OSError):
                continue
            for start in range(0, len(lines), size):
                if any(line.strip() for line in lines[start : start + size]):
                    windows.append((path, start, min(start + size, len(lines))))
        self._windows = windows
        self._size = len(windows)
        self.get = self._get_window

    def _get_window(self, index: int) -> Seed:
        path, start, end = self._windows[index]
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()[start:end]
        return Seed(f"{path}:{start + 1}-{end}", "\n".join(lines)[: self.config.max_chars])

    # JSONL -------------------------------------------------------------------------------------
    def _index_jsonl(self, path: str) -> None:
        rows: list[tuple[int, str]] = []
        opener = gzip.open if path.endswith(".gz") else open
        number = 0
        try:
            with opener(path, "rb") as fh:
                for number, raw in enumerate(fh, start=1):
                    self._index_line(path, number, raw, rows)
        except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
            what = "the gzip stream is cut off" if isinstance(exc, EOFError) else str(exc)
            raise SeedError(f"cannot read seeds {path} after line {number}: {what}") from None
        self._rows = rows
        self._path = path
        self._size = len(rows)
        self.get = self._get_row

    def _index_line(self, path: str, number: int, raw: bytes, rows: list[tuple[int, str]]) -> None:
        if not raw.strip():
            return
        data = parse_object(raw)
        if isinstance(data, str):
            self._skip(f"{path}:{number}: {data}")
            return
        text = _text_field(data)
        if text is None:
            self._skip(f"{path}:{number}: none of the fields {', '.join(FIELDS)} holds a string")
        elif text.strip():
            rows.append((number, self._clip(text)))

    def _skip(self, why: str) -> None:
        """A JSONL line that gives no seed: counted, and the first one named."""
        self.skipped += 1
        self.first_skipped = self.first_skipped or why

    def _get_row(self, index: int) -> Seed:
        number, text = self._rows[index]
        return Seed(f"{self._path}:{number}", text)

    # Datasets ----------------------------------------------------------------------------------
    def _open_dataset(self, spec: str) -> None:
        try:
            import datasets
        except ImportError:
            raise SeedError(
                f"seeds {spec} need the `datasets` package: pip install 'assay[hf]'"
            ) from None
        split, column = "train", self.config.column or None
        try:
            if spec.startswith("hf:"):
                name, *rest = spec[3:].split(":")
                split = rest[0] if rest and rest[0] else split
                column = rest[1] if len(rest) > 1 and rest[1] else column
                dataset = datasets.load_dataset(name, split=split)
                label = f"hf:{name}:{split}"
            elif os.path.isdir(spec):
                dataset = datasets.load_from_disk(spec)
                if isinstance(dataset, datasets.DatasetDict):
                    dataset = dataset[split if split in dataset else next(iter(dataset))]
                label = spec
            else:
                kind = DATASET_FILES.get(os.path.splitext(spec)[1])
                if kind is None:
                    raise SeedError(
                        f"cannot read seeds from {spec}: give a directory of source files, a "
                        ".jsonl file, a .parquet/.json/.csv file, a saved dataset directory or "
                        "hf:NAME[:split][:column]"
                    )
                dataset = datasets.load_dataset(kind, data_files=spec, split="train")
                label = spec
        except SeedError:
            raise
        except Exception as exc:  # datasets raises many kinds for a missing/unreachable dataset
            raise SeedError(f"cannot load seeds {spec}: {exc}") from None
        columns = list(dataset.column_names)
        if column is None:
            column = next((c for c in FIELDS if c in columns), None)
        if column not in columns:
            raise SeedError(
                f"seeds {spec}: no column {column or '/'.join(FIELDS)!s}; it has "
                f"{', '.join(columns)}: name one with [seeds] column / --seed-column (or as "
                "hf:NAME:SPLIT:COLUMN)"
            )
        self._dataset = dataset.select_columns([column])
        self._column = column
        self._label = label
        self._size = len(dataset)
        self.get = self._get_dataset_row

    def _get_dataset_row(self, index: int) -> Seed:
        text = self._dataset[index][self._column] or ""
        return Seed(f"{self._label}:{self._column}#{index}", self._clip(str(text)))


class SlotSeeds:
    """Each problem slot's language (from the run's mix) and its seed (from that language's pool).

    With one pool (one language, or a source not read by extension) slot k takes the pool's k-th
    draw. With several, slot k takes its pool's r-th draw, r being how many earlier slots drew
    from the same pool, so each pool is used up once before any of its seeds is reused.
    """

    def __init__(self, config: SeedsConfig, seed: int, mix: Mix) -> None:
        self.mix = mix
        self.seed = seed
        self.pools: dict[str, SeedPool] = {}  # language -> its pool (shared when equal)
        by_extensions: dict[tuple[str, ...], SeedPool] = {}
        for name in mix.names:
            first = next(iter(by_extensions.values()), None)
            if first is not None and not first.by_extension:
                self.pools[name] = first  # JSONL or a dataset: the same seeds for every language
                continue
            extensions = tuple(config.extensions or language(name).extensions)
            if extensions not in by_extensions:
                by_extensions[extensions] = SeedPool(config, seed, name)
            self.pools[name] = by_extensions[extensions]
        self._shared = len(by_extensions) == 1
        self._draws: list[int] = []  # slot -> its pool's draw number, filled in slot order
        self._counts: dict[int, int] = {}  # id(pool) -> draws so far

    def language_of(self, slot: int) -> str:
        return self.mix.language_of(slot, self.seed)

    def skipped_lines(self) -> tuple[int, str]:
        """How many JSONL lines gave no seed, and the first of them (place and why)."""
        pools = list({id(pool): pool for pool in self.pools.values()}.values())
        first = next((pool.first_skipped for pool in pools if pool.skipped), "")
        return sum(pool.skipped for pool in pools), first

    def pick(self, slot: int) -> tuple[str, Seed]:
        name = self.language_of(slot)
        pool = self.pools[name]
        return name, pool.pick(slot if self._shared else self._draw(slot))

    def _draw(self, slot: int) -> int:
        while len(self._draws) <= slot:
            key = id(self.pools[self.language_of(len(self._draws))])
            self._draws.append(self._counts.get(key, 0))
            self._counts[key] = self._draws[-1] + 1
        return self._draws[slot]


def _text_field(data: dict[str, Any]) -> str | None:
    for name in FIELDS:
        if isinstance(data.get(name), str):
            return data[name]
    return None


def _is_saved_dataset(path: str) -> bool:
    return any(
        os.path.exists(os.path.join(path, marker))
        for marker in ("dataset_info.json", "state.json", "dataset_dict.json")
    )
