"""Reading a run directory: RUN_DIR/run.sqlite as one consistent read-only snapshot, the corpus
streamed with torn and corrupt lines counted, the config. Every failure is a ReportError that says
what the directory is and what to do.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from typing import Any

from pipeline.store import STORE_FILE, ProblemRow, RunStore, StoreError

CORPUS_GLOB = os.path.join("corpus", "part-*.jsonl")


class ReportError(RuntimeError):
    """A run directory cannot be read; the message says why and what to do."""


@dataclass
class CorpusScan:
    files: int = 0
    records: int = 0
    torn_lines: int = 0  # a last line without its newline: a writer killed mid-line
    bad_lines: int = 0  # complete lines that are not a JSON object
    ids: list[str] = field(default_factory=list)


@dataclass
class RunData:
    """One run directory as read: its problems with their trails, the corpus, the config."""

    path: str
    name: str
    meta: dict[str, str]
    problems: list[ProblemRow]
    corpus: CorpusScan
    config: dict[str, Any] | None = None
    # `assay translate`: each slot's route and source (pipeline/translate/task.py), by slot
    translations: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def max_revisions(self) -> int | None:
        value = (self.config or {}).get("max_revisions")
        return value if isinstance(value, int) else None


def check_run_dir(path: str) -> None:
    """Raise ReportError unless `path` looks like a run directory of `assay run`."""
    if not os.path.exists(path):
        raise ReportError(f"run directory {path} does not exist")
    if not os.path.isdir(path):
        raise ReportError(f"{path} is a file, not a run directory: pass the RUN_DIR of `assay run`")
    if os.path.exists(os.path.join(path, STORE_FILE)):
        return
    if os.path.exists(os.path.join(path, "summary.json")) or os.path.exists(
        os.path.join(path, "passed.jsonl")
    ):
        raise ReportError(
            f"{path} is an output directory of `assay verify`, not a run directory: "
            "its summary is in summary.json"
        )
    raise ReportError(
        f"{path} is not an assay run directory (no {STORE_FILE}): "
        f"start a run there with `assay run --run-dir {path}`"
    )


def load_run(path: str) -> RunData:
    """Read a run directory; raises ReportError with a clear message when it cannot."""
    check_run_dir(path)
    store_path = os.path.join(path, STORE_FILE)
    if os.path.getsize(store_path) == 0:
        # Created, but the writer died before the schema: an empty run.
        meta, problems = {}, []
    else:
        meta, problems = _read_store(store_path)
    return RunData(
        path=path,
        name=os.path.basename(os.path.normpath(os.path.abspath(path))),
        meta=meta,
        problems=problems,
        corpus=scan_corpus(path),
        config=_read_config(path),
        translations=_read_translations(store_path),
    )


def _read_store(store_path: str) -> tuple[dict[str, str], list[ProblemRow]]:
    try:
        return _snapshot(store_path)
    except StoreError as exc:
        raise ReportError(str(exc)) from None
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            raise ReportError(
                f"{store_path} is an SQLite database but not an assay run store ({exc})"
            ) from None
        # A read-only open can fail on a WAL database whose -shm file is gone or not ours
        # (e.g. a run dir copied from another machine): read a private copy instead.
        return _snapshot_of_copy(store_path, exc)
    except sqlite3.DatabaseError as exc:
        raise ReportError(f"{store_path} is not an assay run store: {exc}") from None


def _snapshot(store_path: str) -> tuple[dict[str, str], list[ProblemRow]]:
    with RunStore.open_readonly(store_path) as store:
        # One read transaction: a run still writing cannot show us half of a step.
        store.db.execute("BEGIN")
        try:
            meta = {k: v for k, v in store.db.execute("SELECT key, value FROM meta")}
            problems = list(store.iter_problems())
        finally:
            store.db.execute("COMMIT")
    return meta, problems


def _snapshot_of_copy(store_path: str, cause: Exception) -> tuple[dict[str, str], list[ProblemRow]]:
    with tempfile.TemporaryDirectory(prefix="assay-report-") as tmp:
        for suffix in ("", "-wal"):
            if os.path.exists(store_path + suffix):
                shutil.copyfile(store_path + suffix, os.path.join(tmp, STORE_FILE + suffix))
        try:
            return _snapshot(os.path.join(tmp, STORE_FILE))
        except sqlite3.DatabaseError as exc:
            raise ReportError(f"cannot read {store_path}: {cause}; {exc}") from None


def _read_translations(store_path: str) -> dict[int, dict[str, Any]]:
    """The routes of an `assay translate` run; empty for `assay run`'s (no such table)."""
    from pipeline.translate.task import read_routes

    if os.path.getsize(store_path) == 0:
        return {}
    try:
        with RunStore.open_readonly(store_path) as store:
            return read_routes(store.db)
    except (sqlite3.Error, StoreError):
        return {}


def _read_config(path: str) -> dict[str, Any] | None:
    import tomllib

    try:
        with open(os.path.join(path, "config.toml"), "rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return None


def corpus_files(run_dir: str) -> list[str]:
    return sorted(glob.glob(os.path.join(run_dir, CORPUS_GLOB)))


def scan_corpus(run_dir: str) -> CorpusScan:
    """Count the corpus records, streaming; torn and corrupt lines are counted, not read."""
    scan = CorpusScan()
    for path in corpus_files(run_dir):
        scan.files += 1
        with open(path, "rb") as fh:
            for raw in fh:
                if not raw.endswith(b"\n"):
                    scan.torn_lines += 1
                    break
                if not raw.strip():
                    continue
                try:
                    item = json.loads(raw)
                except ValueError:
                    item = None
                if not isinstance(item, dict):
                    scan.bad_lines += 1
                    continue
                scan.records += 1
                scan.ids.append(str(item.get("id", "")))
    return scan
