"""Configuration: TOML + flags, validation before any work, errors that say how to fix them."""

from __future__ import annotations

import pytest

from pipeline.config import ConfigError, RunConfig, resolve, to_toml
from pipeline.engine import Engine
from pipeline.run_identity import check_compatible

GOOD = """
run_dir = "{run_dir}"
problems = 3
max_revisions = 1
[seeds]
path = "{seeds}"
[teacher]
generator = "openai"
model = "m"
concurrency = 8
[sampling]
temperature = 0.2
[verifier]
jobs = 2
"""


@pytest.fixture
def files(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.py").write_text("x = 1\n")
    path = tmp_path / "run.toml"
    path.write_text(GOOD.format(run_dir=tmp_path / "run", seeds=seeds))
    return path, seeds


def test_toml_then_flags_override(files):
    path, _ = files
    config = resolve(str(path), {"problems": 7, "teacher": {"concurrency": 2}})
    assert (config.problems, config.max_revisions) == (7, 1)
    assert (config.teacher.concurrency, config.teacher.model) == (2, "m")
    assert config.sampling.temperature == 0.2 and config.verifier.jobs == 2


def test_saved_config_reads_back_equal(files, tmp_path):
    path, _ = files
    config = resolve(str(path), {"teacher": {"engine_args": {"tensor_parallel_size": 2}}})
    saved = tmp_path / "saved.toml"
    saved.write_text(to_toml(config))
    assert resolve(str(saved), {}) == config


BAD = [
    # (toml extra, flags) -> words of the error
    ("bogus = 1\n", {}, "unknown option 'bogus'"),
    ("[teacher]\nmodle = 'x'\n", {}, "unknown option 'teacher.modle'"),
    ("", {"problems": "many"}, "option 'problems'"),
    ("", {"verifier": {"sandbox": "vm"}}, "option 'verifier.sandbox'"),
    ("", {"sampling": {"top_p": 2}}, "option 'sampling.top_p'"),
    ("", {"teacher": {"model": ""}}, "no teacher model: pass --model"),
    ("", {"teacher": {"generator": "nope"}}, "unknown generator 'nope'"),
    ("", {"seeds": {"path": "/does/not/exist"}}, "seeds path /does/not/exist does not exist"),
]


@pytest.mark.parametrize(("extra", "flags", "words"), BAD)
def test_bad_config_is_refused_with_a_fix(files, extra, flags, words):
    path, _ = files
    text = path.read_text()
    if extra.startswith("["):
        text = text.replace("[teacher]\n", extra)
    else:
        text = extra + text
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        resolve(str(path), flags)
    assert words in str(info.value)


def test_unknown_key_lists_the_known_ones(files):
    path, _ = files
    path.write_text(path.read_text().replace("[teacher]\n", "[teacher]\nmodle = 'x'\n"))
    with pytest.raises(ConfigError, match="use one of .*model"):
        resolve(str(path), {})


def test_missing_config_file():
    with pytest.raises(ConfigError, match="not found: check the --config path"):
        resolve("/no/such.toml", {})


def test_a_config_path_that_cannot_be_read_is_named(tmp_path):
    with pytest.raises(ConfigError, match="cannot be read: Is a directory"):
        resolve(str(tmp_path), {})
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"problems = 3\n# caf\xe9\n")
    with pytest.raises(ConfigError, match=r"latin.toml is not UTF-8 text \(byte 18\)"):
        resolve(str(latin), {})


def test_incompatible_run_dir_is_refused_unless_forced(files):
    path, _ = files
    config = resolve(str(path), {})
    Engine(resolve(str(path), {"teacher": {"model": "typo"}})).prepare()
    first = Engine(config)  # no work recorded yet: anything may change (fixing the typo)
    first.prepare()
    first.store.ensure_problem(0, "a.py:1-1", "x = 1", "openai:m", {})
    first.store.close()
    Engine(config).prepare()  # same config: fine
    other = resolve(str(path), {"teacher": {"model": "another"}, "problems": 9})
    with pytest.raises(ConfigError, match=r"teacher.model: 'm' -> 'another'.*--force"):
        Engine(other).prepare()
    Engine(other, force=True).prepare()
    # Options that do not change recorded work may change freely.
    Engine(resolve(str(path), {"teacher": {"model": "another", "concurrency": 1}})).prepare()


def test_check_compatible_names_every_change():
    a = RunConfig().identity("p1")
    b = RunConfig(seed=3, max_revisions=0).identity("p2")
    with pytest.raises(ConfigError) as info:
        check_compatible(a, b, force=False)
    for key in ("seed: 0 -> 3", "max_revisions: 3 -> 0", "prompts: 'p1' -> 'p2'"):
        assert key in str(info.value)


def test_the_same_seeds_and_mix_written_another_way_are_no_change():
    """`./seeds.jsonl` is `seeds.jsonl`, and python=4,javascript=2 draws each slot's language as
    python=2,javascript=1 does: a rerun so spelled resumes; another file or share is refused."""

    def identity(path: str, language: str) -> dict:
        return RunConfig(seeds={"path": path}, language=language).identity("p")

    stored = identity("seeds.jsonl", "python=2,javascript=1")
    check_compatible(stored, identity("./seeds.jsonl", "javascript=2,python=4"), force=False)
    for path, language, change in [
        ("other.jsonl", "python=2,javascript=1", "seeds:"),
        ("seeds.jsonl", "python=1,javascript=1", "language: 'javascript=1,python=2'"),
    ]:
        with pytest.raises(ConfigError, match=change):
            check_compatible(stored, identity(path, language), force=False)


def test_a_rounds_config_without_a_dir_or_arms_is_refused(tmp_path):
    """`assay rounds --dir ''` would write every round into the current directory, and `--arms ,`
    meant the default arm without a word."""
    from pipeline.rounds_config import load

    path = tmp_path / "rounds.toml"
    path.write_text('base = "org/model"\n')
    with pytest.raises(ConfigError, match="dir is empty"):
        load(str(path), {"dir": ""})
    with pytest.raises(ConfigError, match="arms is empty"):
        load(str(path), {"arms": []})
    assert load(str(path), {"dir": "rounds/x"}).dir == "rounds/x"


def _help_of(command: str) -> str:
    import re

    from pipeline.cli import build_parser

    parser = build_parser(command)
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    return re.sub(r"\s+", " ", sub.format_help())


@pytest.mark.parametrize("command", ["run", "translate"])
def test_help_states_the_defaults_a_run_gets(command):
    """`--help` tells each teacher and sampling default as the config has it; none is a copy
    that could drift (a changed default shows at once)."""
    text = _help_of(command)
    config = RunConfig()
    for flag, value in [
        ("--concurrency", config.teacher.concurrency),
        ("--request-timeout", config.teacher.request_timeout),
        ("--max-retries", config.teacher.max_retries),
        ("--batch-size", config.teacher.batch_size),
        ("--temperature", config.sampling.temperature),
        ("--top-p", config.sampling.top_p),
        ("--max-tokens", config.sampling.max_tokens),
        ("--max-revisions", config.max_revisions),
        ("--base-url", config.teacher.base_url),
    ]:
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        at = text.index(f" {flag} ", text.index("options:"))
        assert f"(default: {shown})" in text[at : text.index(" --", at + len(flag) + 2)], flag


@pytest.mark.parametrize("command", ["verify", "run", "rejudge"])
def test_verifier_help_states_the_sandbox_defaults(command):
    from sandbox import Limits, VerifyOptions

    text = _help_of(command)
    assert f"per test run (default: {Limits().timeout_s:g})" in text
    assert f"in MB (default: {Limits().memory_mb})" in text
    assert f"(default: {VerifyOptions().sandbox})" in text
    config = RunConfig()
    assert (config.verifier.timeout, config.verifier.memory) == (
        Limits().timeout_s,
        Limits().memory_mb,
    )
