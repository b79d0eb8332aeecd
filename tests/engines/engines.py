"""Starting the real engines and reading what a run recorded, for tests/engines and the bench.

`assay run` is started as a user starts it (the console script, in a run directory that holds
`seeds.jsonl`), so vLLM spawns its engine processes from a real `__main__`. `vllm serve` is vLLM's
OpenAI-compatible server module on a loopback port, in a session of its own so that it can be
ended with every process it started.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from pipeline.store import RunStore
from tests.engines.tiny_problems import TASKS, write_seeds

SERVED_NAME = "tiny-coder"
MAX_MODEL_LEN = 2048
# One seed whose problem prompt is far over MAX_MODEL_LEN: byte-level tokens of rare characters.
LONG_SEED = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(3000))
ENV = {"VLLM_CPU_KVCACHE_SPACE": "1", "TOKENIZERS_PARALLELISM": "false"}
# Faster start for tests that start an engine only to stop it (no compile warm-up).
EAGER_CONFIG = "[teacher]\nengine_args = { enforce_eager = true, max_model_len = %d }\n"
COMPILED_CONFIG = "[teacher]\nengine_args = { max_model_len = %d }\n"


def bin_path(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def env() -> dict[str, str]:
    return {**os.environ, **ENV}


def make_run_dir(path: Path, *, long_seed: bool = True, eager: bool = True) -> Path:
    """A directory to run in: seeds.jsonl (the tasks, then the long seed) and engine.toml."""
    path.mkdir(parents=True, exist_ok=True)
    write_seeds(str(path / "seeds.jsonl"), extra=(LONG_SEED,) if long_seed else ())
    config = EAGER_CONFIG if eager else COMPILED_CONFIG
    (path / "engine.toml").write_text(config % MAX_MODEL_LEN)
    return path


def run_args(generator: str, model: str, problems: int, *extra: str) -> list[str]:
    return [
        bin_path("assay"), "run", "--generator", generator, "--model", model,
        "--seeds", "seeds.jsonl", "--problems", str(problems), "--max-revisions", "1",
        "--temperature", "0", "--sampling-seed", "0", "--max-tokens", "400",
        "--run-dir", "run", "--no-progress", "--json", *extra,
    ]  # fmt: skip


def assay_run(cwd: Path, args: list[str], timeout: float = 600) -> tuple[int, dict, str]:
    """Run `assay run` to its end: exit status, the --json summary (or {}), stderr's text."""
    log = cwd / f"assay-{time.monotonic_ns()}.log"
    with open(log, "w") as err:
        done = subprocess.run(
            args, cwd=cwd, env=env(), stdout=subprocess.PIPE, stderr=err, text=True,
            timeout=timeout,
        )  # fmt: skip
    text = log.read_text(errors="replace")
    try:
        summary = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
    except json.JSONDecodeError:
        summary = {}
    return done.returncode, summary, text


def outcomes(summary: dict) -> dict[str, int]:
    """The final outcomes of a run's summary that happened: accepted, rejected, duplicate."""
    counts = summary.get("counts", {})
    return {k: counts[k] for k in ("accepted", "rejected", "duplicate") if counts.get(k)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def vllm_server(
    model: str, log: Path, timeout: float = 300, eager: bool = True
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`vllm serve` on a free loopback port: (base_url, process); ended with its processes.
    `eager` skips the compile warm-up: a faster start, slower decoding."""
    port = free_port()
    args = [
        sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model,
        "--served-model-name", SERVED_NAME, "--host", "127.0.0.1", "--port", str(port),
        "--max-model-len", str(MAX_MODEL_LEN), "--seed", "0", "--disable-log-stats",
        *(["--enforce-eager"] if eager else []),
    ]  # fmt: skip
    with open(log, "w") as out:
        proc = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env=env(), start_new_session=True
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"vllm serve exited with {proc.returncode}:\n{tail(log)}")
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"vllm serve did not come up in {timeout} s:\n{tail(log)}")
            time.sleep(0.5)
        yield base_url, proc
    finally:
        stop_group(proc)


def stop_group(proc: subprocess.Popen, sig: int = signal.SIGTERM, grace: float = 30) -> None:
    """End a process started in its own session, and everything in that session."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def descendants(pid: int) -> set[int]:
    """Every live process below pid, by walking /proc's parent links."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    """The pids still running (zombies waiting for a reaper count as gone)."""
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            out.add(pid)
    return out


def stored_answers(run_dir: Path) -> int:
    """Teacher answers recorded in run.sqlite (problem statements and attempts)."""
    if not (run_dir / "run.sqlite").exists():
        return 0
    with RunStore.open_readonly(str(run_dir)) as store:
        return sum((p.raw is not None) + sum(a.raw is not None for a in p.trail)
                   for p in store.iter_problems())  # fmt: skip


def wait_for_answers(run_dir: Path, n: int, proc: subprocess.Popen, timeout: float = 300) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the run ended (status {proc.returncode}) before {n} answers")
        try:
            found = stored_answers(run_dir)
        except Exception:  # the store is being created
            found = 0
        if found >= n:
            return found
        time.sleep(0.2)
    raise AssertionError(f"fewer than {n} answers stored in {timeout} s")


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def expected_tokens(model: str, chat: list[dict[str, str]], answer: str) -> tuple[int, int]:
    """What an engine must count for this chat and answer: the prompt as the model's chat
    template renders it, and the answer's tokens plus the end-of-turn token that stopped it."""
    from transformers import AutoTokenizer

    tok = _tokenizers.setdefault(model, AutoTokenizer.from_pretrained(model))
    prompt = tok.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
    return (
        len(tok(prompt, add_special_tokens=False)["input_ids"]),
        len(tok(answer, add_special_tokens=False)["input_ids"]) + 1,
    )


_tokenizers: dict[str, object] = {}
TASK_OF_STATEMENT = {t.statement: t for t in TASKS}
