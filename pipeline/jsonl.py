"""Append-only JSONL files that survive kill -9: whole lines only, fsynced often.

On open, a last line cut off by a crash is truncated away, so readers never see half a record and
the next append starts on a fresh line.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import time
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO


def repair_tail(path: str) -> int:
    """Cut a partial last line off `path`; returns the number of bytes removed."""
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        return 0
    if size == 0:
        return 0
    with open(path, "rb+") as fh:
        pos = size
        step = 65536
        while pos > 0:
            start = max(0, pos - step)
            fh.seek(start)
            block = fh.read(pos - start)
            if start + len(block) == size and block.endswith(b"\n"):
                return 0
            idx = block.rfind(b"\n")
            if idx >= 0:
                keep = start + idx + 1
                fh.truncate(keep)
                return size - keep
            pos = start
        fh.truncate(0)
        return size


def json_kind(value: Any) -> str:
    """What JSON calls the type of a parsed value: for messages about a field of the wrong type."""
    kinds = {str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    kinds.update({list: "an array", dict: "an object", type(None): "null"})
    return kinds.get(type(value), type(value).__name__)


def parse_object(raw: bytes) -> dict[str, Any] | str:
    """One line of a JSONL file someone gave: the JSON object on it, or why it is not one (a
    message that the caller places by file and line)."""
    try:
        # without its line end: an error at the end of the line is at its last column, not at
        # column 1 of a line after it
        text = raw.decode("utf-8").removeprefix("\ufeff").rstrip("\r\n")  # an editor's BOM
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (byte {exc.start})"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"invalid JSON: {exc.msg}: column {exc.colno}"
    except ValueError as exc:  # a number too long to convert
        return f"invalid JSON: {exc}"
    except RecursionError:
        return "invalid JSON: nested too deeply"
    if not isinstance(data, dict):
        return f"expected a JSON object, got {json_kind(data)}"
    return data


def read_objects(path: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Every non-blank line of a JSONL file someone gave (gzipped or not; a pipe too, as it is
    opened once), numbered from 1: its object, or why it is not one. A file that cannot be read
    to its end (a gzip stream cut off or corrupt, an I/O error) ends with one such message, for
    the line that could not be read."""
    with open(path, "rb") as stream:
        fh: BinaryIO = stream
        if stream.peek(2)[:2] == b"\x1f\x8b":
            fh = gzip.GzipFile(fileobj=stream, mode="rb")
        number = 0
        while True:
            try:
                raw = fh.readline()
            except (EOFError, OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
                what = "the gzip stream is cut off" if isinstance(exc, EOFError) else str(exc)
                yield number + 1, f"cannot read the file from here on: {what}"
                return
            if not raw:
                return
            number += 1
            if raw.strip():
                yield number, parse_object(raw)


DATA_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz", ".parquet", ".csv")


def names_a_file(spec: str) -> bool:
    """Whether an argument that names a file or a dataset (a benchmark, a mix) names a file: it
    starts with `.`, `/` or `~`, or ends as a data file does (a hub dataset is `owner/name`)."""
    return spec.startswith((".", "/", "~")) or spec.lower().endswith(DATA_SUFFIXES)


def read_rows(path: str) -> list[dict[str, Any]]:
    """The objects of a data file someone gave: JSON Lines (gzipped or not), or a file that is one
    JSON array of objects. A ValueError names the first line that is not an object, or says the
    file has none."""
    data = None
    if path.endswith(".json"):  # an array, or JSON Lines under that name (as `datasets` writes)
        with open(path, "rb") as fh:
            try:
                data = json.loads(fh.read())
            except (ValueError, RecursionError):
                pass
    if isinstance(data, list):
        if not all(isinstance(row, dict) for row in data):
            raise ValueError(f"{path}: expected an array of JSON objects")
        rows = data
    else:
        rows = []
        for number, row in read_objects(path):
            if isinstance(row, str):
                raise ValueError(f"{path}:{number}: {row}")
            rows.append(row)
    if not rows:
        raise ValueError(f"{path} holds no rows")
    return rows


def iter_jsonl(path: str) -> Iterator[dict[str, Any]]:
    """Complete, valid lines of `path`; a torn or corrupt line is skipped."""
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return
    with fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break
            try:
                item = json.loads(raw)
            except ValueError:
                continue
            if isinstance(item, dict):
                yield item


class AppendLog:
    """One append-only JSONL file. Each record is one write(2) of a whole line; fsync at most every
    `sync_every_s` seconds and on close, so a process kill loses nothing written."""

    def __init__(self, path: str, sync_every_s: float = 1.0) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        repair_tail(path)
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.sync_every_s = sync_every_s
        self._last_sync = time.monotonic()
        self._dirty = False

    def write(self, record: dict[str, Any]) -> None:
        try:
            data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: JSON's \u escape holds it, UTF-8 does not
            data = (json.dumps(record) + "\n").encode("ascii")
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]
        self._dirty = True
        if time.monotonic() - self._last_sync >= self.sync_every_s:
            self.sync()

    def sync(self) -> None:
        if self._dirty:
            os.fsync(self.fd)
            self._dirty = False
        self._last_sync = time.monotonic()

    def close(self) -> None:
        if self.fd >= 0:
            self.sync()
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> AppendLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_json(path: str, data: Any) -> None:
    """Write `data` as JSON to `path` whole or not at all (`write_text`)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_text(path, json.dumps(data, indent=2))


def write_text(path: str, text: str) -> None:
    """Write `text` to `path` whole or not at all: a temporary file beside it, fsynced, renamed
    over it (kill -9 leaves the old file or the new one, never half of one). Where that fails
    (the path is a directory, say) the temporary file goes too."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
