"""`assay eval` end to end: real sandbox, real generators; fakes only at the model (scripted)."""

from __future__ import annotations

import contextlib
import json
import os

import pytest

from pipeline.cli import main
from pipeline.eval.benchmarks import HUMANEVAL_STOP
from tests.pipeline.teacher_server import TeacherServer

MODELS = "tests.pipeline.eval_models"
JOBS = str(os.cpu_count() or 2)


def run_eval(capsys, *args: str) -> dict:
    assert main(["eval", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def lines(out) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


@pytest.mark.slow
@pytest.mark.parametrize("model, expected", [("canonical", 1.0), ("stub", 0.0)])
def test_humaneval_canonical_solutions_and_stubs(tmp_path, capsys, model, expected):
    out = tmp_path / "eval"
    summary = run_eval(
        capsys, "--generator", "scripted", "--model", f"{MODELS}:{model}",
        "--prompt-style", "completion", "--jobs", JOBS, "--out", str(out),
    )  # fmt: skip
    assert summary["problems"] == summary["evaluated"] == 164 and summary["complete"]
    assert summary["pass_at_k"] == {"pass@1": expected}
    assert summary["prompt_style"] == "completion"
    assert summary["verifier"]["strength_check"] is False and "fixed" in summary["verifier"]["note"]
    results = lines(out)
    assert len(results) == 164 and {r["task_id"] for r in results} == {
        f"HumanEval/{i}" for i in range(164)
    }
    for r in results:
        assert r["n"] == 1 and r["correct"] == int(expected) and r["prompt_style"] == "completion"
        (sample,) = r["samples"]
        # The scripted canonical answers run past the function; HumanEval's stops cut them.
        assert not any(stop in sample["completion"] for stop in HUMANEVAL_STOP)
        assert sample["stage"] == ("passed" if expected else "tests")
    assert json.loads((out / "summary.json").read_text())["pass_at_k"] == {"pass@1": expected}


@pytest.mark.parametrize("model, expected", [("canonical", 1.0), ("body_only", 1.0), ("stub", 0.0)])
def test_chat_prompts_answer_with_code_blocks(capsys, model, expected):
    summary = run_eval(
        capsys, "--generator", "scripted", "--model", f"{MODELS}:{model}",
        "--prompt-style", "chat", "--limit", "12", "--jobs", JOBS,
    )  # fmt: skip
    assert summary["prompt_style"] == "chat" and summary["evaluated"] == 12
    assert summary["pass_at_k"]["pass@1"] == expected


def write_jsonl(path, records) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


SQUARE_TESTS = "from solution import square\n\n\ndef test_square():\n    assert square(3) == 9\n"
HELD_OUT = [
    {"id": "sq", "problem": "[square] Write square(x).", "tests": SQUARE_TESTS},
    {
        "id": "neg",
        "problem": "[neg] Write neg(x).",
        "tests": "from solution import neg\n\n\ndef test_neg():\n    assert neg(2) == -2\n",
    },
    {"id": "none", "problem": "[none] Write anything.", "tests": SQUARE_TESTS},
]


def statement_model(chat):
    """Right on [square], wrong on [neg], an empty code block on [none]."""
    text = chat[-1]["content"]
    if "[square]" in text:
        return "```python\ndef square(x):\n    return x * x\n```\n\n```python\ndef test_x():\n    pass\n```"
    if "[neg]" in text:
        return "```python\ndef neg(x):\n    return x\n```"
    return "I cannot do that.\n\n```python\n```\n"


def test_statement_benchmark_from_jsonl(tmp_path, capsys):
    bench = write_jsonl(tmp_path / "held_out.jsonl", HELD_OUT)
    out = tmp_path / "eval"
    summary = run_eval(
        capsys, "--generator", "scripted", "--model", f"{__name__}:statement_model",
        "--benchmark", bench, "-k", "1,2", "--samples", "2", "--out", str(out), "--jobs", JOBS,
    )  # fmt: skip
    assert summary["prompt_style"] == "chat"  # statements have no code to continue
    assert summary["pass_at_k"] == {"pass@1": pytest.approx(1 / 3), "pass@2": pytest.approx(1 / 3)}
    by_id = {r["task_id"]: r for r in lines(out)}
    assert by_id["sq"]["correct"] == 2  # the model's own tests are ignored: the benchmark's judge
    assert [s["stage"] for s in by_id["neg"]["samples"]] == ["tests", "tests"]
    assert [s["stage"] for s in by_id["none"]["samples"]] == ["no_code", "no_code"]
    assert summary["by_stage"] == {"passed": 2, "tests": 2, "no_code": 2}
    # the same file, spelled another way: the rerun resumes, it is not another evaluation
    again = run_eval(
        capsys, "--generator", "scripted", "--model", f"{__name__}:statement_model",
        "--benchmark", f"{tmp_path}/./held_out.jsonl", "-k", "1,2", "--samples", "2",
        "--out", str(out), "--jobs", JOBS,
    )  # fmt: skip
    assert again["pass_at_k"] == summary["pass_at_k"] and len(lines(out)) == 3


def test_bad_benchmark_and_k_are_named(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(HELD_OUT[0]) + "\n" + '{"problem": "no tests"}\n')
    assert main(["eval", "--generator", "scripted", "--model", "x:y", "--benchmark", str(bad)]) == 2
    assert f"{bad}:2" in capsys.readouterr().err
    assert (
        main(["eval", "--generator", "scripted", "--model", "x:y", "-k", "10", "--samples", "1"])
        == 2
    )
    assert "--samples 10" in capsys.readouterr().err
    assert main(["eval", "--model", "x", "--benchmark", "mbpp"]) == 2
    assert "unknown benchmark 'mbpp'" in capsys.readouterr().err
    assert main(["eval", "--model", "x", "--benchmark", str(tmp_path / "nosuch.jsonl")]) == 2
    assert "benchmark file not found:" in capsys.readouterr().err
    # HumanEval-X and MultiPL-E records are named as what they are, not read as assay's.
    for record, says in [
        ({"task_id": "CPP/0", "prompt": "", "declaration": "", "test": "", "example_test": ""},
         "is a HumanEval-X record (CPP/0)"),
        ({"name": "HumanEval_53_add", "language": "js", "prompt": "", "tests": "test();",
          "stop_tokens": []}, "is a MultiPL-E record (HumanEval_53_add)"),
    ]:  # fmt: skip
        other = tmp_path / "other.jsonl"
        other.write_text(json.dumps(record) + "\n")
        assert main(["eval", "--model", "x:y", "--generator", "scripted", "--benchmark",
                     str(other)]) == 2  # fmt: skip
        assert f"{other}:1 {says}" in capsys.readouterr().err
    assert main(["eval", "--model", "x", "--language", "rust"]) == 2
    assert "no rust version yet" in capsys.readouterr().err
    assert main(["eval", "--model", "x", "--language", "klingon"]) == 2
    assert "unknown language 'klingon': use one of" in capsys.readouterr().err
    base = ["eval", "--generator", "scripted", "--model", f"{MODELS}:canonical"]
    for args, message in [
        (["--limit", "0"], "--limit must be at least 1, got 0"),
        (["--limit", "-1"], "--limit must be at least 1, got -1"),
        (["--samples", "0"], "--samples must be at least 1"),
        (["-k", "0"], "-k takes positive integers"),
        (["-k", ","], "-k ',': give integers"),
        (["--out", str(bad)], f"--out {bad} is a file, not a directory"),
        (["--concurrency", "0"], "--concurrency: Input should be greater than or equal to 1"),
        (["--max-retries", "-1"], "--max-retries: Input should be greater than or equal to 0"),
        (["--request-timeout", "0"], "--request-timeout: Input should be greater than 0"),
        (["--verifier-from", str(tmp_path)], f"no {tmp_path}/config.toml (give a run directory"),
    ]:
        with contextlib.suppress(SystemExit):  # argparse's own refusals exit 2
            assert main([*base, *args]) == 2, args
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (args, err)


class CountingScript:
    def __init__(self) -> None:
        self.prompts: list[str] = []

    def __call__(self, prompt):
        from tests.pipeline.eval_models import canonical

        self.prompts.append(prompt)
        return canonical(prompt)


def test_rerun_resumes_and_refuses_another_evaluation(tmp_path, capsys, monkeypatch):
    from pipeline.eval.runner import RESULTS
    from tests.pipeline import eval_models

    script = CountingScript()
    monkeypatch.setattr(eval_models, "counting", script, raising=False)
    out = tmp_path / "eval"
    args = ["--generator", "scripted", "--model", f"{MODELS}:counting", "--prompt-style",
            "completion", "--out", str(out), "--jobs", JOBS]  # fmt: skip
    assert run_eval(capsys, *args, "--limit", "5")["pass_at_k"] == {"pass@1": 1.0}
    assert len(script.prompts) == 5
    summary = run_eval(capsys, *args, "--limit", "8")
    assert len(script.prompts) == 8  # only the three new problems were asked
    assert summary["evaluated"] == 8 and len((out / RESULTS).read_text().splitlines()) == 8
    assert main(["eval", *args, "--samples", "3"]) == 2
    assert "holds results of another evaluation (samples" in capsys.readouterr().err
    # the checks that judged the answers are part of what the results mean
    assert main(["eval", *args, "--lint-select", "E,W"]) == 2
    assert "holds results of another evaluation (verifier" in capsys.readouterr().err


def test_options_may_change_until_a_result_is_recorded(tmp_path, capsys):
    """A first try that failed before any result (a mistyped model) does not pin OUT to it."""
    out = str(tmp_path / "eval")
    args = ["--generator", "scripted", "--prompt-style", "completion", "--out", out, "--limit",
            "2", "--jobs", JOBS]  # fmt: skip
    assert main(["eval", *args, "--model", f"{MODELS}:no_such_script"]) != 0
    assert "cannot load scripted teacher" in capsys.readouterr().err
    assert run_eval(capsys, *args, "--model", f"{MODELS}:canonical")["evaluated"] == 2


def test_a_second_process_on_the_same_out_is_refused(tmp_path, capsys, locked_elsewhere):
    out = tmp_path / "eval"
    out.mkdir()
    pid = locked_elsewhere(out)
    args = ["eval", "--generator", "scripted", "--model", f"{MODELS}:canonical", "--out",
            str(out), "--limit", "1"]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"--out {out} is in use by another assay process (pid {pid})" in err
    assert not (out / "results.jsonl").exists()


@pytest.mark.slow
def test_openai_completions_endpoint(capsys):
    from tests.pipeline.eval_models import canonical

    with TeacherServer(canonical, model="base-model") as server:
        summary = run_eval(
            capsys, "--generator", "openai", "--base-url", server.base_url, "--model",
            "base-model", "--prompt-style", "completion", "--limit", "10", "--jobs", JOBS,
        )  # fmt: skip
        requests = server.answered()
    assert summary["pass_at_k"] == {"pass@1": 1.0}
    assert len(requests) == 10
    assert all(r.body["stop"] == list(HUMANEVAL_STOP) and "prompt" in r.body for r in requests)


@pytest.mark.slow
def test_transformers_completion_mode_stops_at_the_benchmarks_sequences(
    tiny_student, tmp_path, capsys
):
    summary = run_eval(
        capsys, "--model", tiny_student, "--device", "cpu", "--prompt-style", "completion",
        "--limit", "4", "--max-tokens", "48", "--jobs", JOBS, "--batch-size", "4",
        "--temperature", "1.0", "--out", str(tmp_path / "e"),
    )  # fmt: skip
    assert summary["prompt_style"] == "completion" and summary["evaluated"] == 4
    assert summary["pass_at_k"] == {"pass@1": 0.0}  # an untrained model
    for line in lines(tmp_path / "e"):
        (sample,) = line["samples"]
        assert not any(stop in sample["completion"] for stop in HUMANEVAL_STOP)


@pytest.mark.slow
def test_transformers_auto_style_follows_the_chat_template(tiny_student, tmp_path, capsys):
    summary = run_eval(
        capsys, "--model", tiny_student, "--device", "cpu", "--limit", "2", "--max-tokens", "8",
        "--jobs", JOBS, "--out", str(tmp_path / "e"),
    )  # fmt: skip
    assert summary["prompt_style"] == "chat"  # the tiny model has a chat template
    for line in lines(tmp_path / "e"):
        assert line["samples"][0]["tokens_out"] <= 8
