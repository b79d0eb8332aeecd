"""`assay export`: the corpora of one or more runs as a Hugging Face dataset for fine-tuning.

    rows = mixed datasets (real data first) + each run's corpus, in order
         -> drop samples that overlap a benchmark (decontaminate.py; counted)
         -> drop near-duplicates across everything (neardup.py; the first seen is kept)
         -> seeded split -> OUT/{split}.jsonl | .parquet | save_to_disk, a dataset card, a summary

Styles: `messages` (problem -> final answer, the chat format TRL's SFTTrainer takes),
`multi-turn` (problem, each faulty answer, its feedback, ..., the fixed answer: one dialog, from
the revision trail in the corpus record's meta), `raw` (problem/solution/tests columns),
`translation-pairs` (source code -> target code, from the records of `assay translate`; other
records are left out and counted).
Every row has a `source` column (`assay:<run name>` or the mixed dataset's own) and a `language`
column; code in `messages` is fenced with its language's tag (```python, ```javascript, ...).
"""

from __future__ import annotations

import json
import os
import random
import shutil
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline.decontaminate import Decontaminator
from pipeline.export_rows import ExportError, Row, mix_rows, run_rows, translation_pair
from pipeline.neardup import NearDuplicates

STYLES = ("messages", "multi-turn", "raw", "translation-pairs")
FORMATS = ("jsonl", "parquet", "hf")
SPLITS = ("test", "validation")  # the names load_dataset(OUT) tells apart by file name
SUMMARY_FILE = "assay-export.json"


@dataclass
class ExportOptions:
    out: str
    format: str = "jsonl"
    style: str = "messages"
    splits: dict[str, float] = field(default_factory=dict)  # name -> fraction; train: the rest
    seed: int = 0
    mix: list[str] = field(default_factory=list)
    benchmarks: list[str] = field(default_factory=lambda: ["humaneval"])  # [] = keep everything
    ngram: int = 10
    contamination_threshold: float = 0.5
    near_dup_threshold: float | None = 0.8  # None = keep near-duplicates
    overwrite: bool = False
    push_to_hub: str | None = None
    private: bool = False
    token: str | None = None

    def validate(self) -> None:
        if self.style not in STYLES:
            raise ExportError(f"--style must be one of {', '.join(STYLES)}, got {self.style!r}")
        if self.format not in FORMATS:
            raise ExportError(f"--format must be one of {', '.join(FORMATS)}, got {self.format!r}")
        for name, frac in self.splits.items():
            if name not in SPLITS:
                raise ExportError(
                    f"--split {name}=...: name the split test or validation (train gets the rest)"
                )
            if not 0 < frac < 1:
                raise ExportError(f"--split {name}={frac}: the fraction must be between 0 and 1")
        if sum(self.splits.values()) >= 1:
            raise ExportError(
                "--split fractions add up to 1 or more: nothing would be left to train"
            )
        if self.push_to_hub and not self.token:
            raise ExportError(
                f"--push-to-hub {self.push_to_hub} needs a Hugging Face token: set HF_TOKEN "
                "(or run `hf auth login`), or export locally without --push-to-hub"
            )
        if not self.out.strip():
            raise ExportError("--out is empty: name the directory to write the dataset to")
        if self.near_dup_threshold is not None and not 0 <= self.near_dup_threshold <= 1:
            raise ExportError(
                f"--near-dup-threshold {self.near_dup_threshold}: give a similarity in [0, 1]"
            )
        if self.ngram < 1:
            raise ExportError(f"--ngram {self.ngram}: give a size of 1 or more (tokens)")
        if not 0 <= self.contamination_threshold <= 1:
            raise ExportError(
                f"--contamination-threshold {self.contamination_threshold}: give a share in [0, 1]"
            )
        out = os.path.abspath(self.out)  # the very path that an --overwrite replaces
        if os.path.exists(out) and not os.path.isdir(out):
            raise ExportError(f"--out {self.out} is a file: give a directory")
        if os.path.exists(out) and os.listdir(out):
            if not self.overwrite:
                raise ExportError(
                    f"--out {self.out} already exists and is not empty: "
                    "choose another directory or pass --overwrite"
                )
            if not os.path.exists(os.path.join(out, SUMMARY_FILE)):
                raise ExportError(
                    f"--out {self.out} holds files that assay export did not write; "
                    "--overwrite only replaces an earlier export"
                )


# --- the export ------------------------------------------------------------------------------


def split_rows(rows: list[Row], splits: dict[str, float], seed: int) -> dict[str, list[Row]]:
    """A seeded shuffle cut into splits; each named split gets round(fraction * n) rows (at least
    one when there are two rows or more), train the rest. Rows keep their order within a split."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    out: dict[str, list[Row]] = {}
    taken = 0
    for name, frac in splits.items():
        k = round(frac * len(rows))
        if k == 0 and len(rows) - taken > 1:
            k = 1
        k = min(k, max(len(rows) - taken - 1, 0))
        out[name] = [rows[i] for i in sorted(order[taken : taken + k])]
        taken += k
    return {"train": [rows[i] for i in sorted(order[taken:])], **out}


def columns(row: Row, style: str) -> dict[str, Any]:
    meta = json.dumps(row.meta, ensure_ascii=False, sort_keys=True)
    if style == "raw":
        return {
            "id": row.id,
            "source": row.source,
            "language": row.language,
            "problem": row.problem,
            "solution": row.solution,
            "tests": row.tests,
            "meta": meta,
        }
    messages = (row.dialog or row.messages) if style == "multi-turn" else row.messages
    if style == "translation-pairs":
        pair = translation_pair(row)
        assert pair is not None  # export() keeps only translations for this style
        source = str(row.meta["translation"].get("source_language") or "")
        return {
            "id": row.id,
            "source": row.source,
            "language": row.language,
            "source_language": source,
            "messages": pair,
            "meta": meta,
        }
    return {
        "id": row.id,
        "source": row.source,
        "language": row.language,
        "messages": messages,
        "meta": meta,
    }


def export(run_dirs: list[str], options: ExportOptions) -> dict[str, Any]:
    """Build and write the dataset; returns the summary (also written to OUT/assay-export.json)."""
    out = os.path.abspath(options.out)
    for run_dir in run_dirs if options.out.strip() else ():  # an empty one: validate() says so
        inside = os.path.abspath(run_dir)
        if inside == out or inside.startswith(out.rstrip("/") + "/"):
            raise ExportError(
                f"--out {options.out} holds the run {run_dir}: give another directory"
            )
    if options.out.strip():
        _leftovers(out)
    options.validate()
    rows: list[Row] = []
    inputs: dict[str, Any] = {}
    for spec in options.mix:  # real data first: it wins against a near-duplicate synthetic row
        mixed = mix_rows(spec)
        rows += mixed
        inputs[spec] = {"kind": "mix", "records": len(mixed)}
    for run_dir in run_dirs:
        found, counts = run_rows(run_dir)
        rows += found
        inputs[run_dir] = {"kind": "run", **counts}
    if not rows:
        raise ExportError(
            "nothing to export: the corpus of "
            + ", ".join(run_dirs)
            + " is empty (no sample was accepted yet; see `assay report`)"
        )

    not_translations = 0
    if options.style == "translation-pairs":
        pairs = [row for row in rows if translation_pair(row) is not None]
        not_translations = len(rows) - len(pairs)
        if not pairs:
            raise ExportError(
                "--style translation-pairs: no record of "
                + ", ".join(run_dirs + options.mix)
                + " is a translation (made by `assay translate`); use --style messages"
            )
        rows = pairs

    kept, dropped_ids = [], Counter()
    seen_ids: set[tuple[str, str]] = set()
    for row in rows:
        key = (row.id, row.problem)
        if key in seen_ids:
            dropped_ids[row.source] += 1
            continue
        seen_ids.add(key)
        kept.append(row)

    contaminated: list[dict[str, Any]] = []
    if options.benchmarks:
        index = Decontaminator(
            options.benchmarks, n=options.ngram, threshold=options.contamination_threshold
        )
        clean = []
        for row in kept:
            hit = index.check(
                {"problem": row.problem, "solution": row.solution, "tests": row.tests}
            )
            if hit is None:
                clean.append(row)
            else:
                contaminated.append({"id": row.id, "source": row.source, **hit.__dict__})
        kept = clean

    near: list[dict[str, str]] = []
    if options.near_dup_threshold is not None:
        index = NearDuplicates(threshold=options.near_dup_threshold)
        unique = []
        for i, row in enumerate(kept):
            other = index.seen(str(i), f"{row.problem}\n{row.solution}")
            if other is None:
                unique.append(row)
            else:
                near.append(
                    {"id": row.id, "source": row.source, "duplicate_of": kept[int(other)].id}
                )
        kept = unique

    if not kept:
        raise ExportError(
            f"every one of {len(rows)} samples was dropped (contaminated: {len(contaminated)}, "
            f"near-duplicates: {len(near)}); nothing to write"
        )
    splits = split_rows(kept, options.splits, options.seed)
    summary = {
        "out": options.out,
        "format": options.format,
        "style": options.style,
        "seed": options.seed,
        "inputs": inputs,
        "rows_in": len(rows),
        "exact_duplicates": sum(dropped_ids.values()),
        "not_translations": not_translations,
        "decontamination": {
            "benchmarks": options.benchmarks,
            "ngram": options.ngram,
            "threshold": options.contamination_threshold,
            "dropped": len(contaminated),
            "by_benchmark": dict(Counter(c["benchmark"] for c in contaminated)),
            "by_source": dict(Counter(c["source"] for c in contaminated)),
            "samples": contaminated,
        },
        "near_duplicates": {
            "threshold": options.near_dup_threshold,
            "dropped": len(near),
            "by_source": dict(Counter(n["source"] for n in near)),
            "samples": near,
        },
        "rows_out": len(kept),
        "by_source": dict(Counter(r.source for r in kept)),
        "by_language": dict(Counter(r.language for r in kept).most_common()),
        "multi_turn_dialogs": sum(1 for r in kept if r.dialog and len(r.dialog) > 2),
        "splits": {name: len(part) for name, part in splits.items()},
    }
    _write(splits, options, summary)
    return summary


def _write(splits: dict[str, list[Row]], options: ExportOptions, summary: dict[str, Any]) -> None:
    import datasets

    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    out = os.path.abspath(options.out)
    tmp = f"{out}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    earlier = None
    try:
        built = datasets.DatasetDict(
            {
                name: datasets.Dataset.from_list([columns(r, options.style) for r in part])
                for name, part in splits.items()
                if part or name == "train"
            }
        )
        files = {}
        for name, ds in built.items():
            if options.format == "jsonl":
                files[name] = f"{name}.jsonl"
                ds.to_json(os.path.join(tmp, files[name]), lines=True, force_ascii=False)
            elif options.format == "parquet":
                files[name] = f"{name}.parquet"
                ds.to_parquet(os.path.join(tmp, files[name]))
        if options.format == "hf":
            built.save_to_disk(tmp)
        with open(os.path.join(tmp, "README.md"), "w") as fh:
            fh.write(dataset_card(summary, files))
        with open(os.path.join(tmp, SUMMARY_FILE), "w") as fh:
            json.dump(summary, fh, indent=2)
        # The earlier export stays whole until the new one takes its place: moved aside, not
        # deleted, then removed once the new one is in (`_leftovers` finishes an interrupted swap).
        if os.path.exists(out):
            earlier = f"{out}.old-{os.getpid()}"
            os.replace(out, earlier)
        os.replace(tmp, out)
        if options.push_to_hub:
            built.push_to_hub(options.push_to_hub, token=options.token, private=options.private)
            summary["pushed_to"] = options.push_to_hub
    finally:
        if earlier is not None and not os.path.exists(out):  # interrupted between the renames
            os.replace(earlier, out)
        elif earlier is not None:
            shutil.rmtree(earlier, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
        if bars:
            datasets.enable_progress_bars()


def _leftovers(out: str) -> None:
    """What an export killed while writing left beside OUT, where its process is gone: its
    build (`OUT.tmp-PID`) is removed; an earlier export it had moved aside (`OUT.old-PID`, killed
    between its two renames) goes back in place if OUT is missing, and is removed otherwise."""
    parent, name = os.path.split(out)
    try:
        entries = os.listdir(parent)
    except OSError:
        return
    for entry in sorted(entries):
        kind, _, pid = entry[len(name) :].rpartition("-")
        if not entry.startswith(name) or kind not in (".tmp", ".old") or not pid.isdigit():
            continue
        if _alive(int(pid)):
            continue
        path = os.path.join(parent, entry)
        if kind == ".old" and not os.path.exists(out):
            os.replace(path, out)
        else:
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def dataset_card(summary: dict[str, Any], files: dict[str, str]) -> str:
    # No `configs:` data_files header: with one, `datasets` caches by the card and can serve a
    # stale copy after --overwrite. Split files named train/test/validation need no header.
    lines = ["---", "tags:", "- code", "- synthetic", "- assay", "---", ""]
    lines += [
        "# Verified code samples (assay)",
        "",
        "Every sample passed `assay verify`: it parses, lints clean of real bugs, and its unit "
        "tests pass in a sandbox and fail against stubs.",
        "",
        "- files: " + (", ".join(files.values()) or "saved with `save_to_disk`"),
        f"- style: `{summary['style']}`; splits: "
        + ", ".join(f"{k} {v}" for k, v in summary["splits"].items()),
        "- sources: " + ", ".join(f"{k} ({v})" for k, v in summary["by_source"].items()),
        "- languages: " + ", ".join(f"{k} ({v})" for k, v in summary["by_language"].items()),
        f"- dropped as contaminated ({', '.join(summary['decontamination']['benchmarks']) or 'off'}, "
        f"{summary['decontamination']['ngram']}-gram overlap): "
        f"{summary['decontamination']['dropped']}",
        f"- dropped as near-duplicates (MinHash, Jaccard >= "
        f"{summary['near_duplicates']['threshold']}): {summary['near_duplicates']['dropped']}",
        "",
    ]
    return "\n".join(lines)
