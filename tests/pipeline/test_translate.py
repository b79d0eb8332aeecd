"""`assay translate` end to end with the scripted translator (translate_teacher.py): a verified
Python corpus (`assay verify` of five samples) into snake (the tests' second language, Python
under another name), JavaScript and C++, and TypeScript, PHP and Go, skipped with "language not
available" until the sandbox has them. Per language: the right translation joins the corpus with
mechanical tests; wrong ones are revised with the test, compiler or lint feedback; the teacher's
own tests must keep the source's checks (`fewer_checks`) and a translation that keeps weakening
them is rejected. Then bad input: skipped sources with their reasons, an uninstalled or unknown
target refused before any teacher call, a changed configuration refused on rerun.
"""

from __future__ import annotations

import json
import os

import pytest

from pipeline.cli import main
from pipeline.jsonl import iter_jsonl
from pipeline.store import RunStore
from pipeline.translate import targets
from pipeline.translate.sources import read_sources
from sandbox import VerifyOptions
from sandbox.languages import Language, Toolchain, lookup, register
from tests.pipeline import translate_teacher

targets.MODULES.setdefault("snake", "pipeline.translate.targets.python")  # snake is Python
NAMES = ["add", "running_sum", "count_vowels", "clamp", "clamp_weak"]
TEACHER = "tests.pipeline.translate_teacher:teacher"


def available(name: str) -> str | None:
    try:
        cls = lookup(name)
    except Exception as exc:  # not in the sandbox yet
        return f"language not available: {exc}"
    missing = cls(VerifyOptions(jobs=1)).unavailable()
    return f"language not available: {missing}" if missing else None


@pytest.fixture(scope="session")
def source(tmp_path_factory) -> str:
    """A verified Python corpus: the five samples through `assay verify`."""
    root = tmp_path_factory.mktemp("translate-source")
    samples = translate_teacher.write_sources(str(root / "samples.jsonl"), NAMES)
    assert main(["verify", samples, "--out", str(root / "verified"), "--jobs", "2"]) == 0
    assert len(list(iter_jsonl(str(root / "verified" / "passed.jsonl")))) == len(NAMES)
    return str(root / "verified")


def translate(source: str, run_dir: str, *extra: str) -> int:
    return main(["translate", source, "--run-dir", run_dir, "--generator", "scripted",
                 "--model", TEACHER, "--max-revisions", "1", "--no-progress", "--jobs", "2",
                 "--timeout", "10", *extra])  # fmt: skip


def corpus(run_dir: str) -> dict[str, dict]:
    folder = os.path.join(run_dir, "corpus")
    records = [r for p in sorted(os.listdir(folder)) for r in iter_jsonl(os.path.join(folder, p))]
    return {translate_teacher.MARKER.search(r["problem"]).group(1): r for r in records}


@pytest.mark.slow
@pytest.mark.parametrize("language", ["snake", "javascript", "cpp", "typescript", "php", "go"])
def test_a_verified_python_corpus_translates(language, source, tmp_path, capsys):
    if (reason := available(language)) is not None:
        pytest.skip(reason)
    run_dir = str(tmp_path / "run")
    assert translate(source, run_dir, "--to", language) == 0

    records = corpus(run_dir)
    assert sorted(records) == ["add", "clamp", "count_vowels", "running_sum"]
    sources = {s.id: s for s in read_sources([source]).samples}
    for name, record in records.items():
        assert record["language"] == language
        meta = record["meta"]["translation"]
        assert meta["source_language"] == "python" and meta["source_run"] == os.path.normpath(
            source
        )
        assert sources[meta["source_id"]].problem.startswith(f"[scenario {name}]")
        assert meta["source_solution"] == sources[meta["source_id"]].solution
        if name == "clamp":
            assert meta["route"] == "teacher" and "with" in meta["mechanical_refused"]
            assert record["meta"]["trail"][0]["stage"] == "fewer_checks"
        else:
            assert meta["route"] == "mechanical" and meta["checks"] == 2
            # The tests are assay's, not the teacher's: its answers held none.
            assert all(
                "test" not in (step["answer"].split("```")[1]) for step in record["meta"]["trail"]
            )
    assert [s["stage"] for s in records["add"]["meta"]["trail"]] == ["passed"]
    first = records["running_sum"]["meta"]["trail"][0]
    assert first["stage"] == "tests" and "3" in first["feedback"]  # the values that differ
    assert records["count_vowels"]["meta"]["trail"][0]["stage"] in ("lint", "compile", "tests")

    with RunStore.open_readonly(run_dir) as store:
        problems = {
            translate_teacher.MARKER.search(p.seed_text).group(1): p for p in store.iter_problems()
        }
        weak = problems["clamp_weak"]
        assert weak.status == "rejected" and weak.reason == "fewer_checks"
        revise = problems["running_sum"].trail[1].prompt
        assert first["feedback"].strip()[:40] in revise  # the feedback went back to the teacher

    # The report: the funnel per target language, rejections by stage, self-correction by round.
    capsys.readouterr()
    assert main(["report", run_dir, "--json", "--out", str(tmp_path / "report.html")]) == 0
    report = json.loads(capsys.readouterr().out)
    funnel = report["translation"]
    assert (funnel["read"], funnel["samples"], funnel["skipped"]) == (5, 5, {})
    assert funnel["by_target"][language]["routes"] == {
        "mechanical": {"pairs": 3, "accepted": 3},
        "teacher": {"pairs": 2, "accepted": 1},
    }
    by_language = report["by_language"][language]
    assert by_language["accepted_by_round"] == {"0": 1, "1": 3}
    assert by_language["rejections_by_stage"]["final"] == {"fewer_checks": 1}
    page = (tmp_path / "report.html").read_text()
    funnel_table = page[page.index('id="translation-funnel"') :]
    assert f'data-language="{language}"' in funnel_table.split("</table>")[0]

    # Rejudged with the run's own options: nothing changes, and a translation refused for fewer
    # checks than the source's stays refused (its verdict is not the sandbox's to change).
    capsys.readouterr()
    assert main(["rejudge", run_dir, "--json", "--jobs", "2"]) == 0
    rejudged = json.loads(capsys.readouterr().out)
    assert rejudged["problems_changed"] == [] and rejudged["changed_attempts"] == 0
    assert not [t for t in rejudged["transitions"] if t.startswith("fewer_checks")]

    # The export: translation pairs (source code -> target code) besides the usual rows.
    for style in ("translation-pairs", "messages"):
        out = str(tmp_path / style)
        assert main(["export", run_dir, "--out", out, "--style", style, "--no-dedup",
                     "--no-decontaminate"]) == 0  # fmt: skip
        rows = list(iter_jsonl(os.path.join(out, "train.jsonl")))
        assert len(rows) == 4 and {r["language"] for r in rows} == {language}
        for row in rows:
            user, answer = row["messages"][0]["content"], row["messages"][1]["content"]
            record = (
                records[translate_teacher.MARKER.search(answer + user).group(1)]
                if style == "messages"
                else next(r for r in records.values() if r["solution"].strip() in answer)
            )
            if style == "translation-pairs":
                assert row["source_language"] == "python"
                assert user.startswith(f"Translate this python code into {language}:")
                assert record["meta"]["translation"]["source_solution"].strip() in user
            else:
                assert user == record["problem"]


def test_skipped_sources_are_counted_with_their_reason(tmp_path, capsys):
    good = json.loads(
        open(translate_teacher.write_sources(str(tmp_path / "a.jsonl"), ["add"])).read()
    )
    rows = [
        {**good, "verdict": {"passed": True}},
        {**good, "problem": "other", "verdict": {"passed": False, "stage": "tests"}},
        {**good, "problem": "no verdict"},
        {**good, "problem": "cobol", "language": "cobol", "verdict": {"passed": True}},
        {**good, "problem": "no tests", "tests": "", "verdict": {"passed": True}},
        {**good, "verdict": {"passed": True}},  # the same sample again
    ]
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps(r) for r in rows]
    lines.insert(2, "{oops")  # a line that is no record: counted and named, not passed over
    path.write_text("\n".join(lines))  # and the last line without its line end: read too
    status = translate(str(path), str(tmp_path / "run"), "--to", "snake,python", "--json")
    assert status == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["sources"] == {
        "read": 7,
        "samples": 1,
        "skipped": {"not verified": 2, "not a JSON object": 1, "unknown language cobol": 1,
                    "no problem, solution or tests": 1, "duplicate id": 1},
        "skipped_pairs": {"already in the target language": 1},
        "first_bad_line": f"{path}:3: invalid JSON: Expecting property name enclosed in "
                          "double quotes: column 2",
    }  # fmt: skip
    assert summary["counts"]["accepted"] == 1


class Absent(Language):
    """A language whose compiler is not installed."""

    name = "absentlang"
    fences = ("absentlang",)
    toolchain = Toolchain(programs=(("absentlang-compiler-xyz",),), debian=("absentlang-dev",))


@pytest.fixture
def absent():
    from sandbox.languages import _REGISTRY

    register(Absent)
    yield
    _REGISTRY.pop(Absent.name, None)


def test_a_target_not_installed_is_refused_before_any_teacher_call(
    source, tmp_path, capsys, absent
):
    run_dir = str(tmp_path / "run")
    assert translate(source, run_dir, "--to", "snake,absentlang") == 2
    err = capsys.readouterr().err
    assert "absentlang-compiler-xyz not found" in err and "apt-get install absentlang-dev" in err
    assert not os.path.exists(os.path.join(run_dir, "run.sqlite"))  # nothing started
    assert translate(source, run_dir, "--to", "klingon") == 2
    assert "unknown language 'klingon'" in capsys.readouterr().err


def test_a_rerun_resumes_and_a_changed_configuration_is_refused(source, tmp_path, capsys):
    run_dir = str(tmp_path / "run")
    assert translate(source, run_dir, "--to", "snake", "--json") == 0
    first = json.loads(capsys.readouterr().out)
    assert translate(source, run_dir, "--to", "snake", "--json") == 0
    again = json.loads(capsys.readouterr().out)
    assert again["this_run"]["teacher_calls"] == 0 and again["corpus"] == first["corpus"] == 4
    assert translate(source, run_dir, "--to", "snake", "--max-revisions", "2") == 1
    assert "max_revisions: 1 -> 2" in capsys.readouterr().err
    assert translate(source, source, "--to", "snake") == 2
    assert "is the source" in capsys.readouterr().err


def test_force_with_another_target_translates_each_pair_once(source, tmp_path, capsys):
    """--force over a run with one more target: the recorded pairs stand, and every pair not
    recorded yet is translated once; none is left out or done twice."""
    run_dir = str(tmp_path / "run")
    assert translate(source, run_dir, "--to", "snake") == 0
    assert translate(source, run_dir, "--to", "snake,javascript", "--force") == 0
    capsys.readouterr()
    with RunStore(run_dir) as store:
        rows = store.db.execute("SELECT language, seed_text FROM problems ORDER BY id").fetchall()
    pairs = [(json.loads(seed)["id"], target) for target, seed in rows]
    assert len(pairs) == len(set(pairs)) == 2 * len(NAMES)


def test_an_earlier_source_that_grew_only_adds_pairs(tmp_path, capsys):
    """With several sources, the first one grows (its verify resumed): the recorded slots keep
    their pairs and the new pair follows them, without --force; none is translated twice."""
    first, second = str(tmp_path / "first"), str(tmp_path / "second")
    samples = translate_teacher.write_sources(str(tmp_path / "a.jsonl"), NAMES[:2])
    assert main(["verify", samples, "--out", first, "--jobs", "2"]) == 0
    samples = translate_teacher.write_sources(str(tmp_path / "b.jsonl"), NAMES[3:])
    assert main(["verify", samples, "--out", second, "--jobs", "2"]) == 0
    run_dir = str(tmp_path / "run")
    both = [first, second]

    def run_both(*extra: str) -> int:
        return main(["translate", *both, "--run-dir", run_dir, "--generator", "scripted",
                     "--model", TEACHER, "--max-revisions", "1", "--no-progress", "--jobs", "2",
                     "--timeout", "10", "--to", "snake", *extra])  # fmt: skip

    capsys.readouterr()
    assert run_both("--json") == 0
    before = json.loads(capsys.readouterr().out)["corpus"]
    grown = translate_teacher.write_sources(str(tmp_path / "a2.jsonl"), NAMES[:3])
    assert main(["verify", grown, "--out", first, "--jobs", "2"]) == 0  # one more sample
    capsys.readouterr()
    assert run_both("--json") == 0
    assert json.loads(capsys.readouterr().out)["corpus"] == before + 1
    with RunStore(run_dir) as store:
        rows = store.db.execute("SELECT language, seed_text FROM problems ORDER BY id").fetchall()
    pairs = [(json.loads(seed)["id"], target) for target, seed in rows]
    assert len(pairs) == len(set(pairs)) == 5
    open(os.path.join(second, "passed.jsonl"), "w").close()  # its samples are gone
    assert run_both() == 1
    assert "which the sources and targets no longer give" in capsys.readouterr().err
