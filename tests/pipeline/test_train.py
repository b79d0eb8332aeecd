"""`assay train`: real TRL on a tiny model built in the test; the output loads where it must."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from pipeline.cli import main

pytest.importorskip("trl")
pytestmark = pytest.mark.slow


def train(capsys, *args: str) -> dict:
    status = main(["train", *args, "--json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return {**json.loads(captured.out), "stderr": captured.err}


def test_full_fine_tune_writes_a_model_directory(tiny_student, scripted_run, tmp_path, capsys):
    out = tmp_path / "student"
    summary = train(
        capsys, "--model", tiny_student, "--data", scripted_run, "--out", str(out),
        "--max-steps", "4", "--batch-size", "2", "--eval-fraction", "0.2", "--lr", "1e-3",
    )  # fmt: skip
    assert summary["steps"] == 4 and summary["rows"] == {"train": 6, "test": 1}
    assert summary["eval_loss"] > 0 and summary["train_loss"] > 0 and not summary["lora"]
    assert summary["device"] == "cpu" and summary["resumed_from"] is None
    # The data the student saw, as `assay export` wrote it: decontaminated, deduplicated, split.
    export = json.loads((out / "data" / "assay-export.json").read_text())
    assert export["inputs"][scripted_run]["records"] == 7
    assert export["splits"] == {"train": 6, "test": 1}
    assert not (out / "checkpoints").exists()  # dropped once the model is written
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(out)
    assert tokenizer.chat_template and tokenizer.eos_token == "<|end|>"
    model = transformers.AutoModelForCausalLM.from_pretrained(out)
    assert model.config.num_hidden_layers == 2
    # A rerun finds it done and trains nothing.
    again = train(capsys, "--model", tiny_student, "--data", scripted_run, "--out", str(out),
                  "--max-steps", "4", "--batch-size", "2", "--eval-fraction", "0.2", "--lr", "1e-3")  # fmt: skip
    assert again["already_done"] and again["steps"] == 4
    # Other options on the same OUT are refused, naming them.
    assert main(["train", "--model", tiny_student, "--data", scripted_run, "--out", str(out),
                 "--max-steps", "9"]) == 1  # fmt: skip
    assert "max_steps" in capsys.readouterr().err
    # `assay run --generator transformers` takes the directory as it is.
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text(json.dumps({"code": "def f(x):\n    return x\n"}) + "\n")
    assert main(["run", "--generator", "transformers", "--model", str(out), "--seeds", str(seeds),
                 "--problems", "1", "--max-revisions", "0", "--max-tokens", "8", "--device", "cpu",
                 "--run-dir", str(tmp_path / "run"), "--no-progress", "--json"]) == 0  # fmt: skip
    this_run = json.loads(capsys.readouterr().out)["this_run"]
    assert this_run["problems"] == 1 and this_run["teacher_calls"] >= 1


@pytest.mark.parametrize("merge", [True, False], ids=["merged", "adapter"])
def test_lora(tiny_student, scripted_run, tmp_path, capsys, merge):
    out = tmp_path / "lora"
    summary = train(
        capsys, "--model", tiny_student, "--data", scripted_run, "--out", str(out), "--lora",
        "--lora-r", "4", "--max-steps", "2", "--batch-size", "2", *(["--merge"] if merge else []),
    )  # fmt: skip
    assert summary["lora"] and summary["merged"] is merge
    assert (out / "adapter_config.json").exists() is not merge
    assert (out / "model.safetensors").exists() is merge
    # Both load in `assay eval` (an adapter through transformers' peft integration).
    assert main(["eval", "--model", str(out), "--device", "cpu", "--limit", "1",
                 "--max-tokens", "4", "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["evaluated"] == 1


def test_kill_during_training_resumes_from_the_last_checkpoint(
    tiny_student, scripted_run, tmp_path, capsys
):
    out = tmp_path / "student"
    args = [sys.executable, "-m", "pipeline.cli", "train", "--model", tiny_student, "--data",
            scripted_run, "--out", str(out), "--max-steps", "40", "--batch-size", "1",
            "--save-steps", "10", "--eval-fraction", "0"]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    state = out / "checkpoints" / "checkpoint-10" / "trainer_state.json"
    deadline = time.monotonic() + 240
    while not state.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert state.exists(), proc.stderr.read().decode()[-2000:]
    assert not (out / "assay-train.json").exists()  # killed before the end
    summary = train(capsys, *args[4:])
    resumed = int(summary["resumed_from"].split("-")[1])
    assert resumed >= 10 and summary["steps"] == 40
    assert f"resuming from {out / 'checkpoints' / summary['resumed_from']}" in summary["stderr"]
    assert f"step {resumed + 1}/40 " in summary["stderr"]  # the finished steps were not redone
    assert "step 1/40 " not in summary["stderr"]


def test_no_data_is_named(tiny_student, tmp_path, capsys):
    assert main(["train", "--model", tiny_student, "--data", str(tmp_path / "nope"),
                 "--out", str(tmp_path / "o")]) == 1  # fmt: skip
    assert "does not exist" in capsys.readouterr().err
    empty = tmp_path / "empty"
    (empty / "corpus").mkdir(parents=True)
    assert main(["train", "--model", tiny_student, "--data", str(empty),
                 "--out", str(tmp_path / "o2")]) == 1  # fmt: skip
    assert "no training data" in capsys.readouterr().err


def test_options_that_cannot_work_are_refused_before_out_records_them(tmp_path, capsys):
    """A bad option is named before OUT records the training's identity (a fix is then not a
    change), before any data is exported or a model loaded."""
    out = tmp_path / "o"
    base = ["train", "--model", "org/model", "--data", str(tmp_path), "--out", str(out)]
    for args, message in [
        (["--eval-fraction", "1.5"], "--eval-fraction must be in [0, 1), got 1.5"),
        (["--batch-size", "0"], "--batch-size must be at least 1, got 0"),
        (["--grad-accum", "0"], "--grad-accum must be at least 1, got 0"),
        (["--dtype", "bogus"], "--dtype must be one of auto, float32, bfloat16, float16"),
        (["--model", "/missing/dir"], "--model /missing/dir: no such directory"),
    ]:
        assert main([*base, *args]) != 0, args
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (args, err)
        assert not out.exists()
