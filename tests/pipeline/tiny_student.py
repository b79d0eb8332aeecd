"""A tiny causal LM built from nothing (no hub): a byte-level BPE tokenizer trained here on code
and chat text, a chat template whose turns end with the end-of-text token, and a 2-layer Llama.
It trains in seconds on a CPU; its answers are noise until it has learnt something.
"""

from __future__ import annotations

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)

CORPUS = [
    "def add(a: int, b: int) -> int:\n    return a + b\n",
    "from solution import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
    "```python\nimport math\n```\n",
    "Write a function that returns the sum of a list of numbers, with pytest tests.",
    "<|user|>Solve this problem.<|end|><|assistant|>Here is my answer.<|end|>",
]


def build(out: str, seed: int = 0, forced_eos: bool = False) -> str:
    """Write the tokenizer and model to `out`; returns `out`. With `forced_eos`, every answer ends
    with end-of-text at the token limit (so a noise answer is a whole one)."""
    import torch
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<unk>", "<pad>", "<|end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(CORPUS * 20, trainer)
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
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=4096,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
    )
    torch.manual_seed(seed)
    model = transformers.LlamaForCausalLM(config)
    if forced_eos:
        model.generation_config.forced_eos_token_id = fast.eos_token_id
    model.save_pretrained(out)
    return out
