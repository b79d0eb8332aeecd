"""A tiny Llama that answers assay's own prompts with code that passes: a real teacher for tests.

`build_tiny_coder(cache_dir)` trains it from scratch on CPU (seeded; ~2.5 minutes of CPU on two
cores) and returns the model directory, a Hugging Face checkpoint with its own byte-level BPE
tokenizer and chat template, which transformers, vLLM and `vllm serve` all load. The training
chats are assay's prompts (prompts/*.jinja, rendered as a run renders them) for the seeds of
`tiny_problems.TASKS`: problem prompt -> statement, solve prompt -> solution and tests, revision
prompt (with the verifier's feedback) -> the fixed answer. It memorises those; it is no coder beyond them.

Training stops when greedy decoding reproduces every answer with a margin (every answer token's
logit above every other by `MARGIN`, teacher-forced), so bfloat16 inference decodes the same text.
The result is cached under `cache_dir/tiny-coder-<hash of the recipe>` (the training chats, the
settings, torch's and transformers' versions): a rerun with the same recipe loads in no time.

Needs torch, transformers and tokenizers only (the main dev environment has them):

    from tests.engines.tiny_model import build_tiny_coder
    model_dir = build_tiny_coder("~/.cache/assay/tiny-models")
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from pipeline.languages import DEFAULT, prompt_slots
from pipeline.loop import DEFAULT_TASK
from pipeline.prompts import Prompts
from tests.engines.tiny_problems import TASKS

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SPECIAL = ["<unk>", "<pad>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]
VOCAB = 2048
MODEL = {
    "hidden_size": 128,
    "intermediate_size": 384,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "max_position_embeddings": 4096,
    "tie_word_embeddings": True,
}
SEED = 0
RECIPE = 1  # the training procedure's version
MARGIN = 2.0  # logits; bfloat16 moves a logit of this model by well under 0.5
LR, WARMUP, DECAY_STEPS, BATCH = 3e-3, 20, 300, 4
MAX_STEPS = 1500
READY = "tiny-coder.ready"

# Where a seed can come from in a run: each task is learnt from its line of seeds.jsonl and one
# other place, so the source is not what the problem hangs on.
SOURCES = [f"seeds.jsonl:{n}" for n in range(1, 12)] + ["data/seeds.jsonl:3", "snippets.py:1-5"]
# The short form of the verifier's feedback, learnt beside each task's own (tiny_problems).
SHORT_FEEDBACK = "Verification failed at stage `tests`: AssertionError.\nReturn code: 1"


def recipe_hash() -> str:
    """What decides the weights: the training chats (tasks and prompts), the settings, torch's
    and transformers' versions, and RECIPE (bump it when the training code changes)."""
    import torch
    import transformers

    recipe = {
        "recipe": RECIPE,
        "chats": chats(),
        "settings": [CHAT_TEMPLATE, SPECIAL, VOCAB, MODEL, SEED, MARGIN, LR, WARMUP, DECAY_STEPS],
        "batch": BATCH,
        "versions": [torch.__version__, transformers.__version__],
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]


# What the loop adds to every prompt of a Python run (its language's conventions, the task's).
SLOTS = {**prompt_slots(DEFAULT), **DEFAULT_TASK.slots}


_feedback: dict[tuple[str, str], str] = {}


def verifier_feedback(solution: str, tests: str) -> str:
    """What the verifier says today of a wrong answer, as the loop quotes it in a revision
    prompt: the model learns the very prompts a run sends, whatever the verifier's wording."""
    if (solution, tests) not in _feedback:
        from sandbox import Sample, VerifyOptions, verify

        (verdict,) = verify([Sample(solution=solution, tests=tests)], VerifyOptions(jobs=1))
        _feedback[solution, tests] = verdict.feedback.strip() or verdict.reason
    return _feedback[solution, tests]


def chats(prompts: Prompts | None = None) -> list[tuple[list[dict[str, str]], str]]:
    """(chat, answer) pairs: every prompt a run sends for the tasks, in its variants."""
    prompts = prompts or Prompts()
    rng = random.Random(SEED)
    pairs = []
    for line, task in enumerate(TASKS, start=1):
        other = rng.choice([s for s in SOURCES if s != f"seeds.jsonl:{line}"])
        for source in (f"seeds.jsonl:{line}", other):
            prompt = prompts.render("problem", source=source, snippet=task.snippet, **SLOTS)
            pairs.append(([_user(prompt)], task.statement))
        chat = [_user(prompts.render("solve", problem=task.statement, **SLOTS))]
        pairs.append((chat, task.answers[0]))
        if len(task.answers) > 1:
            wrong, fixed = task.answers
            solution, tests = _blocks(wrong)
            for feedback in (verifier_feedback(solution, tests), SHORT_FEEDBACK):
                revise = prompts.render(
                    "revise", problem=task.statement, solution=solution, tests=tests,
                    feedback=feedback, **SLOTS,
                )  # fmt: skip
                pairs.append(([*chat, _assistant(wrong), _user(revise)], fixed))
    return pairs


def build_tiny_coder(cache_dir: str | os.PathLike[str], *, log=print) -> str:
    """The model directory, trained on first use and cached by the recipe's hash."""
    cache = Path(cache_dir).expanduser()
    out = cache / f"tiny-coder-{recipe_hash()}"
    if (out / READY).exists():
        return str(out)
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=cache))
    try:
        _train(work, log)
        (work / READY).write_text(recipe_hash() + "\n")
        try:
            work.rename(out)
        except OSError:  # built meanwhile by another process: keep theirs
            if not (out / READY).exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return str(out)


def _train(out: Path, log) -> None:
    import torch
    import transformers

    started = time.monotonic()
    torch.manual_seed(SEED)
    random.seed(SEED)
    tokenizer = _tokenizer(chats())
    tokenizer.save_pretrained(out)
    examples = [_encode(tokenizer, chat, answer) for chat, answer in chats()]
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **MODEL,
    )
    model = transformers.LlamaForCausalLM(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, betas=(0.9, 0.95), weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_factor)
    # Batches of similar lengths (little padding), in a new order each epoch.
    examples.sort(key=lambda e: len(e[0]))
    batches = [examples[i : i + BATCH] for i in range(0, len(examples), BATCH)]
    order = random.Random(SEED)
    step = epoch = 0
    while True:
        model.train()
        total = 0.0
        for part in order.sample(batches, len(batches)):
            ids, labels, mask = _batch(part, tokenizer)
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            total += loss.item()
            step += 1
        epoch += 1
        loss = total / len(batches)
        if loss > 0.02 or epoch % 3:
            continue
        margin = _worst_margin(model, batches, tokenizer)
        log(f"tiny coder: epoch {epoch}, loss {loss:.4f}, worst margin {margin:.2f}")
        if margin >= MARGIN:
            break
        if step >= MAX_STEPS:
            raise RuntimeError(f"the tiny coder did not learn its answers in {step} steps")
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    log(f"tiny coder: trained in {time.monotonic() - started:.0f} s, {step} steps -> {out}")


def _tokenizer(pairs):
    """A byte-level BPE without the regex split, so that template phrases merge into few tokens."""
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    texts = [m["content"] for chat, _ in pairs for m in chat] + [a for _, a in pairs]
    tok.train_from_iterator(texts, trainer)
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        pad_token="<pad>",
        eos_token="<|end|>",
        additional_special_tokens=["<|system|>", "<|user|>", "<|assistant|>"],
        chat_template=CHAT_TEMPLATE,
        model_max_length=MODEL["max_position_embeddings"],
    )


def _encode(tokenizer, chat, answer) -> tuple[list[int], int]:
    """The whole sequence's ids, and where the answer starts."""
    prompt = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(answer + "<|end|>", add_special_tokens=False)["input_ids"]
    return prompt_ids + answer_ids, len(prompt_ids)


def _batch(examples, tokenizer):
    import torch

    width = max(len(ids) for ids, _ in examples)
    ids = torch.full((len(examples), width), tokenizer.pad_token_id)
    labels = torch.full((len(examples), width), -100)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, (seq, start) in enumerate(examples):
        ids[row, : len(seq)] = torch.tensor(seq)
        labels[row, start : len(seq)] = torch.tensor(seq[start:])
        mask[row, : len(seq)] = 1
    return ids, labels, mask


def _lr_factor(step: int) -> float:
    """Warm-up, then a cosine down to a tenth of LR at DECAY_STEPS, then flat."""
    if step < WARMUP:
        return (step + 1) / WARMUP
    done = min(1.0, (step - WARMUP) / (DECAY_STEPS - WARMUP))
    return 0.1 + 0.45 * (1 + math.cos(math.pi * done))


def _worst_margin(model, batches, tokenizer) -> float:
    """Over every answer token: its logit minus the best other logit, teacher-forced; the min."""
    import torch

    model.eval()
    worst = float("inf")
    with torch.inference_mode():
        for part in batches:
            ids, labels, mask = _batch(part, tokenizer)
            logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
            target = labels[:, 1:]
            keep = target != -100
            right = logits.gather(-1, target.clamp(min=0).unsqueeze(-1)).squeeze(-1)
            others = logits.scatter(-1, target.clamp(min=0).unsqueeze(-1), float("-inf"))
            gap = (right - others.max(-1).values)[keep]
            worst = min(worst, gap.min().item())
    return worst


def _blocks(answer: str) -> tuple[str, str]:
    from pipeline.answers import parse_answer

    parsed = parse_answer(answer)
    return parsed.solution.rstrip("\n"), parsed.tests.rstrip("\n")


def _user(content: str) -> dict[str, str]:
    return {"role": "user", "content": content}


def _assistant(content: str) -> dict[str, str]:
    return {"role": "assistant", "content": content}


if __name__ == "__main__":
    print(build_tiny_coder(sys.argv[1] if len(sys.argv) > 1 else "~/.cache/assay/tiny-models"))
