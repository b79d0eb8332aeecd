"""The transformers teacher end to end on a tiny random model built here (no hub).

Its answers are noise, so every attempt fails before the sandbox; the point is that the loop
records them properly: problems, attempts, verdicts with feedback, tokens, and nothing in the corpus.
"""

from __future__ import annotations

import json

import pytest

from pipeline.cli import main
from pipeline.store import RunStore

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> str:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    out = str(tmp_path_factory.mktemp("tiny-model"))
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<unk>", "<pad>", "<|end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(["def f(x):\n    return x + 1\n", "Write a function."] * 10, trainer)
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        pad_token="<pad>",
        eos_token="<|end|>",
        chat_template=CHAT_TEMPLATE,
    )
    fast.save_pretrained(out)
    config = transformers.LlamaConfig(
        vocab_size=len(fast),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=8192,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
    )
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config)
    # Every answer ends with end-of-text at the token limit, so problems get a (noise) statement
    # and the loop reaches its attempts.
    model.generation_config.forced_eos_token_id = fast.eos_token_id
    model.save_pretrained(out)
    return out


@pytest.mark.slow
def test_transformers_teacher_end_to_end(tiny_model, tmp_path, capsys):
    run_dir = tmp_path / "run"
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for i in range(3):
        (seeds / f"m{i}.py").write_text(f"def f{i}(x):\n    return x * {i}\n")
    status = main(
        ["run", "--generator", "transformers", "--model", tiny_model, "--seeds", str(seeds),
         "--problems", "3", "--max-revisions", "1", "--max-tokens", "16", "--batch-size", "4",
         "--sampling-seed", "0", "--device", "cpu", "--run-dir", str(run_dir), "--no-progress",
         "--json"]
    )  # fmt: skip
    assert status == 0
    summary = json.loads(capsys.readouterr().out)
    with RunStore.open_readonly(str(run_dir)) as store:
        problems = list(store.iter_problems())
    assert len(problems) == 3 and all(p.status == "rejected" for p in problems)
    for problem in problems:
        assert problem.raw is not None and problem.problem and problem.tokens_out == 16
        assert problem.teacher == f"transformers:{tiny_model}"
        assert [a.round for a in problem.trail] == [0, 1]  # K + 1 attempts, each recorded
        for attempt in problem.trail:
            assert attempt.status == "verified" and attempt.passed is False
            assert attempt.stage in ("no_code", "no_tests") and attempt.feedback
            assert attempt.tokens_in > 0 and attempt.tokens_out == 16
            assert attempt.finish_reason == "stop"
        revise = problem.trail[1].messages[-1]["content"]
        assert problem.trail[0].feedback in revise
    assert summary["corpus"] == 0 and summary["this_run"]["teacher_calls"] == 9
    assert not list((run_dir / "corpus").glob("part-*.jsonl"))
