"""How busy assay keeps a real engine: tokens/s through the whole loop against vLLM on its own.

The teacher is the tiny coder (tests/engines/tiny_model.py) on vLLM's CPU build. Four ways to
make the same N teacher calls (problem, solve and revision prompts of a real run):

  vllm-offline  the run's own chats, all at once, through vLLM's offline `LLM.chat` (one batch):
                the engine on its own, the reference
  assay-vllm    `assay run --generator vllm` (in-process engine, sandbox on, --jobs 1, every
                slot in flight); it makes the chats the reference then replays
  assay-openai  `vllm serve` + `assay run --generator openai` at --concurrency 8, 32 and 128
  vllm-generator-alone  the reference's chats through assay's vllm generator alone, all at
                once (no loop, no sandbox): what the generator itself costs

tokens/s = completion tokens / the generation window: for the offline batch, the `LLM.chat` call;
for a run, from its first request to its last answer (run.sqlite's timestamps), so the engines'
start-up, which is the same code in every case, is left out; the runs' whole wall time is shown
too, with the start-up before the first call and what follows the last answer. `verified_per_s`
is the run's sandbox verdicts over the window. `in flight` is the mean number of teacher calls open over the window, `idle` the share of it
with none open (the engine waits for the loop). Same engine settings everywhere (vLLM's
defaults, compiled; max_model_len 2048; greedy, max_tokens 400, seed 0).

Run with the engines' virtualenv (`make .venv-engines/.installed`):
    VLLM_CPU_KVCACHE_SPACE=1 .venv-engines/bin/python bench/engine_overhead.py [--problems 256]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.store import RunStore  # noqa: E402
from tests.engines.engines import (  # noqa: E402
    MAX_MODEL_LEN,
    SERVED_NAME,
    assay_run,
    env,
    make_run_dir,
    run_args,
    vllm_server,
)
from tests.engines.tiny_model import build_tiny_coder  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "engine_overhead.json"


def calls_of(run_dir: Path) -> list[dict]:
    """Every teacher call of a run: its chat, tokens out, and [start, end] in unix time."""
    calls = []
    with RunStore.open_readonly(str(run_dir)) as store:
        for p in store.iter_problems():
            if p.raw is not None:  # created just before its call; the call took teacher_s
                start = p.created_at
                calls.append(
                    {
                        "chat": [{"role": "user", "content": p.prompt}],
                        "tokens": p.tokens_out,
                        "span": (start, start + p.teacher_s),
                    }
                )
            for a in p.trail:
                if a.raw is not None:  # stored as soon as answered
                    calls.append(
                        {
                            "chat": a.messages,
                            "tokens": a.tokens_out,
                            "span": (a.created_at - a.teacher_s, a.created_at),
                        }
                    )
    return calls


def window_stats(calls: list[dict]) -> dict:
    spans = sorted(c["span"] for c in calls)
    start, end = spans[0][0], max(e for _, e in spans)
    covered, reach = 0.0, start
    for s, e in spans:  # the union of the calls' spans
        if e > reach:
            covered += e - max(s, reach)
            reach = e
    window = end - start
    tokens = sum(c["tokens"] for c in calls)
    return {
        "calls": len(calls),
        "tokens": tokens,
        "window_s": round(window, 2),
        "tokens_per_s": round(tokens / window, 1),
        "in_flight": round(sum(e - s for s, e in spans) / window, 1),
        "idle": round(1 - covered / window, 3),
    }


def assay(work: Path, generator: str, model: str, problems: int, *extra: str) -> dict:
    started = time.time()
    status, summary, log = assay_run(
        work, run_args(generator, model, problems, "--config", "engine.toml", *extra), 3600
    )
    ended = time.time()
    if status != 0:
        raise SystemExit(f"assay run --generator {generator} failed:\n{log[-3000:]}")
    calls = calls_of(work / "run")
    stats = window_stats(calls)
    first = min(c["span"][0] for c in calls)
    last = max(c["span"][1] for c in calls)
    stats["wall_s"] = round(ended - started, 1)
    stats["before_s"] = round(first - started, 1)  # start-up: interpreter, engine, sandbox
    stats["after_s"] = round(ended - last, 1)  # the last verdicts, the engine's shutdown
    with RunStore.open_readonly(str(work / "run")) as store:
        verified = [a for p in store.iter_problems() for a in p.trail if a.verified_at]
    stats["verified_per_s"] = round(len(verified) / stats["window_s"], 1)
    stats["accepted"] = summary["counts"]["accepted"]
    return stats


def offline(model: str, chats: list[list[dict]]) -> dict:
    """The same chats through vLLM's offline engine, one `LLM.chat` call."""
    from vllm import LLM, SamplingParams

    llm = LLM(model=model, max_model_len=MAX_MODEL_LEN, seed=0, disable_log_stats=True)
    params = SamplingParams(temperature=0.0, top_p=0.95, max_tokens=400, seed=0)
    llm.chat(chats[:1], params, use_tqdm=False)  # as assay's engine, warmed before the clock
    started = time.monotonic()
    outputs = llm.chat(chats, params, use_tqdm=False)
    window = time.monotonic() - started
    tokens = sum(len(o.outputs[0].token_ids) for o in outputs)
    llm.llm_engine.engine_core.shutdown(timeout=30)
    del llm
    return {
        "calls": len(chats),
        "tokens": tokens,
        "window_s": round(window, 2),
        "tokens_per_s": round(tokens / window, 1),
        "in_flight": None,
        "idle": None,
    }


def generator_alone(model: str, chats: list[list[dict]]) -> dict:
    """The same chats through assay's vllm generator alone, all at once: no loop, no sandbox."""
    import asyncio

    from pipeline.config import SamplingConfig, TeacherConfig
    from pipeline.generators import create

    async def go() -> dict:
        teacher = TeacherConfig(
            generator="vllm", model=model, engine_args={"max_model_len": MAX_MODEL_LEN}
        )
        gen = create(teacher, SamplingConfig(temperature=0.0, max_tokens=400, seed=0))
        await gen.start()
        try:
            await gen.generate(chats[:1])
            started = time.monotonic()
            answers = await gen.generate(chats)
            window = time.monotonic() - started
        finally:
            await gen.close()
        tokens = sum(a.tokens_out for a in answers)
        return {
            "calls": len(chats),
            "tokens": tokens,
            "window_s": round(window, 2),
            "tokens_per_s": round(tokens / window, 1),
            "in_flight": None,
            "idle": None,
        }

    return asyncio.run(go())


def one_round(model: str, problems: int, levels: list[int], scratch: Path) -> dict[str, dict]:
    out: dict[str, dict] = {}
    work = make_run_dir(scratch / "assay-vllm", long_seed=False, eager=False)
    out["assay-vllm"] = assay(work, "vllm", model, problems, "--concurrency", str(problems))
    chats = [c["chat"] for c in calls_of(work / "run")]
    out["vllm-offline"] = offline(model, chats)
    out["vllm-generator-alone"] = generator_alone(model, chats)
    with vllm_server(model, scratch / "serve.log", eager=False) as (base_url, _):
        for level in levels:
            work = make_run_dir(scratch / f"openai-{level}", long_seed=False, eager=False)
            out[f"assay-openai-c{level}"] = assay(
                work, "openai", SERVED_NAME, problems, "--base-url", base_url,
                "--concurrency", str(level),
            )  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", type=int, default=256)
    parser.add_argument("--levels", default="8,32,128", help="--concurrency of the openai runs")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    os.environ.update({k: v for k, v in env().items() if k.startswith(("VLLM", "TOKENIZERS"))})
    model = build_tiny_coder(os.environ.get("ASSAY_TINY_MODELS", "~/.cache/assay/tiny-models"))
    levels = [int(x) for x in args.levels.split(",")]
    rounds = []
    for n in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="engine-overhead-") as scratch:
            rounds.append(one_round(model, args.problems, levels, Path(scratch)))
        print(f"round {n + 1}: " + json.dumps(rounds[-1]), file=sys.stderr)
    table = {}
    for name in rounds[0]:
        rates = [r[name]["tokens_per_s"] for r in rounds]
        reference = [r["vllm-offline"]["tokens_per_s"] for r in rounds]
        table[name] = {
            **rounds[0][name],
            "tokens_per_s": statistics.median(rates),
            "ratio": round(
                statistics.median(a / b for a, b in zip(rates, reference, strict=True)), 3
            ),
            "rounds": rates,
        }
    columns = ["calls", "tokens", "window_s", "tokens_per_s", "ratio", "in_flight", "idle",
               "verified_per_s", "before_s", "after_s", "wall_s"]  # fmt: skip
    print(f"{'':22}" + "".join(f"{c:>15}" for c in columns))
    for name, row in table.items():
        cells = ["" if row.get(c) is None else str(row[c]) for c in columns]
        print(f"{name:22}" + "".join(f"{c:>15}" for c in cells))
    Path(args.out).write_text(json.dumps({"problems": args.problems, "table": table}, indent=1))


if __name__ == "__main__":
    main()
