"""A run's language: checked at config time, part of the run's identity, drawn per slot from a
weighted mix, seeded from its own files, recorded in the store (old stores read as Python), carried
by corpus records with their code fenced by it. `snake` is the test language (tests/pipeline/
languages.py): Python code under other fences and extensions."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter

import pytest

from pipeline.config import ConfigError, RunConfig, resolve, to_toml
from pipeline.corpus import ADDED, Corpus, make_record
from pipeline.engine import Engine
from pipeline.generators import Completion
from pipeline.languages import Mix, code_answer
from pipeline.loop import Attempt, Outcome
from pipeline.run_identity import check_compatible
from pipeline.seeds import SeedError, SlotSeeds
from pipeline.store import RunStore
from sandbox import Verdict
from sandbox.languages import LanguageError, lookup, names


def config(tmp_path, **over) -> RunConfig:
    seeds = tmp_path / "seeds"
    seeds.mkdir(exist_ok=True)
    (seeds / "a.py").write_text("def a():\n    return 1\n")
    (seeds / "b.snk").write_text("def b():\n    return 2\n")
    flags = {
        "run_dir": str(tmp_path / "run"),
        "teacher": {"generator": "scripted", "model": "tests.pipeline.scenarios:teacher"},
        **over,
        "seeds": {"path": str(seeds), **over.get("seeds", {})},
    }
    return resolve(None, flags)


# --- the option --------------------------------------------------------------------------------

LANGUAGE_VALUES = [
    # value of `language` (flag or TOML) -> the config's value, the identity's spec
    ("python", "python", "python"),
    ("py", "python", "python"),  # an alias of the registry
    (" Snake ", "snake", "snake"),
    ("snake=1,python=3", {"python": 3.0, "snake": 1.0}, "python=3,snake=1"),
    ({"snake": 2, "python": 1}, {"python": 1.0, "snake": 2.0}, "python=1,snake=2"),
    ("python=2", "python", "python"),  # a mix of one is that language
]


@pytest.mark.parametrize(("value", "expected", "spec"), LANGUAGE_VALUES)
def test_language_values(tmp_path, value, expected, spec):
    cfg = config(tmp_path, language=value)
    assert cfg.language == expected
    assert cfg.identity("p")["language"] == spec


BAD_LANGUAGES = [
    ("cobol", "unknown language 'cobol': use one of"),
    ("python=0", "the weight of python must be a positive number, got '0'"),
    ("python=x,snake=1", "the weight of python must be a positive number"),
    ("python,py", "language 'python' is named twice"),
    ("", "no language given"),
]


@pytest.mark.parametrize(("value", "words"), BAD_LANGUAGES)
def test_bad_language_is_refused_at_config_time(tmp_path, value, words):
    with pytest.raises(ConfigError) as info:
        config(tmp_path, language=value)
    message = str(info.value)
    assert "option 'language'" in message and words in message
    if "unknown" in words:
        assert all(name in message for name in names())  # the known languages, listed


def test_a_mix_as_a_toml_table_reads_back_equal(tmp_path):
    cfg = config(tmp_path)
    text = (
        to_toml(cfg).replace('language = "python"\n', "") + "\n[languages]\nsnake = 1\npython = 2\n"
    )
    (tmp_path / "run.toml").write_text(text)
    mixed = resolve(str(tmp_path / "run.toml"), {})
    assert mixed.language == {"python": 2.0, "snake": 1.0}
    saved = tmp_path / "saved.toml"
    saved.write_text(to_toml(mixed))
    assert "[language]" in saved.read_text()
    assert resolve(str(saved), {}) == mixed
    # Any RunConfig reads the table (e.g. `run.languages` of a rounds config).
    assert RunConfig.model_validate({"languages": {"snake": 1}}).language == "snake"
    # A flag overrides the table; the table and `language` in one file are one too many.
    assert resolve(str(tmp_path / "run.toml"), {"language": "snake"}).language == "snake"
    (tmp_path / "both.toml").write_text('language = "python"\n' + text)
    with pytest.raises(ConfigError, match="`language` and \\[languages\\] are both set"):
        resolve(str(tmp_path / "both.toml"), {})


def test_the_cli_flag(tmp_path, capsys):
    from pipeline.cli import main

    status = main(["run", "--language", "klingon", "--model", "m", "--seeds", str(tmp_path)])
    assert status == 2
    assert "unknown language 'klingon': use one of" in capsys.readouterr().err


# --- identity ----------------------------------------------------------------------------------


def test_another_language_on_the_same_run_dir_is_refused_unless_forced(tmp_path):
    python = config(tmp_path)
    first = Engine(python)
    first.prepare()
    first.store.ensure_problem(0, "a.py:1-2", "x", "scripted:m", {})
    first.store.close()
    for other in ("snake", "python=1,snake=1"):
        engine = Engine(config(tmp_path, language=other))
        with pytest.raises(ConfigError, match=rf"language: 'python' -> '{other}'.*--force"):
            engine.prepare()
    forced = Engine(config(tmp_path, language="snake"), force=True)
    forced.prepare()
    forced.store.close()


def test_conventions_are_part_of_the_identity(tmp_path):
    a, b = config(tmp_path).identity("p"), config(tmp_path, language="snake").identity("p")
    assert a["conventions"] != b["conventions"]
    with pytest.raises(ConfigError, match="conventions: "):
        check_compatible({**a, "conventions": "older"}, a, force=False)


def test_an_identity_recorded_before_languages_is_a_python_run(tmp_path):
    current = config(tmp_path).identity("p")
    old = {k: v for k, v in current.items() if k != "language"}
    old["seeds"] = {**old["seeds"], "extensions": [".py"]}  # the old default
    check_compatible(old, current, force=False)  # nothing changed
    with pytest.raises(ConfigError, match="language: 'python' -> 'snake'"):
        check_compatible(old, config(tmp_path, language="snake").identity("p"), force=False)


# --- the mix -----------------------------------------------------------------------------------


def test_each_slot_gets_its_language_from_the_seed_in_proportion():
    mix = Mix.parse("python=2,snake=1")
    drawn = [mix.language_of(slot, seed=7) for slot in range(300)]
    assert drawn == [mix.language_of(slot, seed=7) for slot in range(300)]  # deterministic
    assert drawn != [mix.language_of(slot, seed=8) for slot in range(300)]  # the seed matters
    for n in (3, 10, 30, 300):  # every prefix is near the weights, not just the whole run
        assert abs(Counter(drawn[:n])["python"] - 2 * n / 3) <= 1.5
    # The order a mix is written in does not change the draw.
    assert drawn == [Mix.parse("snake=1,python=2").language_of(s, 7) for s in range(300)]
    assert {Mix.parse("snake").language_of(s, 7) for s in range(50)} == {"snake"}


def test_seeds_come_from_each_languages_own_files(tmp_path):
    cfg = config(tmp_path, language="python=1,snake=1")
    seeds = SlotSeeds(cfg.seeds, cfg.seed, cfg.mix)
    picks = [seeds.pick(slot) for slot in range(8)]
    assert {lang for lang, _ in picks} == {"python", "snake"}
    for lang, seed in picks:
        assert seed.source.split(":")[0].endswith(lookup(lang).extensions)
    # Explicit extensions are every language's.
    cfg = config(tmp_path, language="python=1,snake=1", seeds={"extensions": [".snk"]})
    picks = [SlotSeeds(cfg.seeds, cfg.seed, cfg.mix).pick(slot) for slot in range(8)]
    assert {seed.source.split(":")[0][-4:] for _, seed in picks} == {".snk"}


def test_each_pool_is_used_up_before_a_seed_repeats(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(3):
        (tree / f"p{i}.py").write_text(f"x = {i}\n")
        (tree / f"s{i}.snk").write_text(f"y = {i}\n")
    cfg = config(tmp_path, language="python=1,snake=1", seeds={"path": str(tree)})
    seeds = SlotSeeds(cfg.seeds, cfg.seed, cfg.mix)
    by_language: dict[str, list[str]] = {}
    for slot in range(40):
        lang, seed = seeds.pick(slot)
        by_language.setdefault(lang, []).append(seed.source)
    for sources in by_language.values():
        first = sources[:3]
        assert len(set(first)) == 3  # the first draws of a pool are all different


def test_a_jsonl_source_is_one_pool_for_every_language(tmp_path):
    rows = tmp_path / "seeds.jsonl"
    rows.write_text("".join(json.dumps({"code": f"x = {i}"}) + "\n" for i in range(6)))
    cfg = config(tmp_path, language="python=1,snake=1", seeds={"path": str(rows)})
    seeds = SlotSeeds(cfg.seeds, cfg.seed, cfg.mix)
    sources = [seeds.pick(slot)[1].source for slot in range(6)]
    assert len(set(sources)) == 6  # six slots of two languages: six different seeds


def test_a_language_without_seed_files_is_named(tmp_path):
    only_python = tmp_path / "only"
    only_python.mkdir()
    (only_python / "a.py").write_text("x = 1\n")
    cfg = config(tmp_path, language="python=1,snake=1", seeds={"path": str(only_python)})
    with pytest.raises(SeedError, match=r"extensions \.snk \(the snake seeds"):
        SlotSeeds(cfg.seeds, cfg.seed, cfg.mix)


# --- the store ---------------------------------------------------------------------------------

SCHEMA_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE problems (id INTEGER PRIMARY KEY, status TEXT NOT NULL DEFAULT 'pending', reason TEXT,
    seed_source TEXT, seed_text TEXT, teacher TEXT, sampling TEXT, prompt TEXT, raw TEXT,
    problem TEXT, finish_reason TEXT, tokens_in INTEGER, tokens_out INTEGER, teacher_s REAL,
    attempts INTEGER NOT NULL DEFAULT 0, sample_id TEXT, created_at REAL, updated_at REAL);
CREATE TABLE attempts (problem_id INTEGER NOT NULL, round INTEGER NOT NULL, status TEXT NOT NULL,
    prompt TEXT, messages TEXT, raw TEXT, finish_reason TEXT, solution TEXT, tests TEXT,
    verdict TEXT, passed INTEGER, stage TEXT, reason TEXT, feedback TEXT, teacher TEXT,
    sampling TEXT, tokens_in INTEGER, tokens_out INTEGER, teacher_s REAL, verify_s REAL,
    created_at REAL, verified_at REAL, PRIMARY KEY (problem_id, round));
INSERT INTO meta VALUES ('schema_version', '1');
INSERT INTO problems (id, status, seed_source, problem) VALUES (0, 'rejected', 'a.py:1-2', 'P');
"""


def test_a_store_of_schema_1_reads_as_python_and_migrates_in_place(tmp_path):
    db = sqlite3.connect(tmp_path / "run.sqlite")
    db.executescript(SCHEMA_1)
    db.close()
    with RunStore.open_readonly(str(tmp_path)) as store:  # a reader changes nothing
        assert [p.language for p in store.iter_problems()] == ["python"]
        assert store.counts_by_language() == {"python": {"rejected": 1}}
        assert store.get_meta("schema_version") == "1"
    with RunStore(str(tmp_path)) as store:  # a writer migrates
        assert store.get_meta("schema_version") == "2"
        assert store.problem(0).language == "python"
        store.ensure_problem(1, "b.snk:1-2", "y", "t", {}, language="snake")
        store.ensure_problem(1, "b.snk:1-2", "y", "t", {}, language="python")  # kept as it was
    with RunStore.open_readonly(str(tmp_path)) as store:
        assert [p.language for p in store.iter_problems()] == ["python", "snake"]
        assert store.counts_by_language() == {
            "python": {"rejected": 1},
            "snake": {"pending": 1},
        }


# --- the corpus --------------------------------------------------------------------------------


def outcome(language: str, problem: str = "Write f.", value: int = 1) -> Outcome:
    from pipeline.answers import parse_answer
    from pipeline.seeds import Seed

    solution = f"def f():\n    return {value}\n"
    tests = f"from solution import f\n\n\ndef test_f():\n    assert f() == {value}\n"
    text = code_answer(solution, tests, language)
    answer = parse_answer(text, language)
    attempt = Attempt(0, [], Completion(text), answer, Verdict(True, "passed"))
    return Outcome(Seed("s", "x"), True, problem=problem, attempts=[attempt], language=language)


def test_corpus_records_carry_their_language_and_fence_their_code(tmp_path):
    record = make_record(outcome("snake"), slot=0, teacher={}, verifier_version="v")
    assert record["language"] == "snake"
    answer = record["messages"][1]["content"]
    assert answer.startswith("```snake\ndef f():") and "```python" not in answer
    corpus = Corpus(str(tmp_path))
    assert corpus.add(record)[0] == ADDED
    # The same problem in another language is another sample; in the same, a duplicate.
    python = make_record(outcome("python", value=2), slot=1, teacher={}, verifier_version="v")
    assert python["messages"][1]["content"].startswith("```python\n")
    assert corpus.add(python)[0] == ADDED
    again = make_record(outcome("snake", "Write  f.", 3), slot=2, teacher={}, verifier_version="v")
    assert corpus.add(again)[0] == "duplicate_problem"
    corpus.close()


def test_a_language_not_installed_still_fences_by_its_name():
    assert code_answer("x", "y", "klingon").startswith("```klingon\nx\n```")
    with pytest.raises(LanguageError):
        lookup("klingon")
