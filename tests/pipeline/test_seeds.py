"""Seeds: directories cut into windows, JSONL fields, local datasets; drawn without replacement."""

from __future__ import annotations

import json

import pytest

from pipeline.config import SeedsConfig
from pipeline.seeds import SeedError, SeedPool


def pool(path, **kw) -> SeedPool:
    return SeedPool(SeedsConfig(path=str(path), **kw), seed=kw.pop("seed", 0))


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("\n".join(f"a{i} = {i}" for i in range(25)) + "\n")
    (tmp_path / "pkg" / "sub" / "b.py").write_text("def b():\n    return 2\n")
    (tmp_path / "pkg" / "notes.txt").write_text("not code\n")
    (tmp_path / "pkg" / "empty.py").write_text("\n\n")
    (tmp_path / "pkg" / ".venv").mkdir()
    (tmp_path / "pkg" / ".venv" / "c.py").write_text("skipped = True\n")
    return tmp_path / "pkg"


def test_directory_is_read_recursively_in_windows(tree):
    seeds = pool(tree, window_lines=10)
    sources = sorted(seeds.get(i).source.removeprefix(str(tree)) for i in range(len(seeds)))
    assert sources == ["/a.py:1-10", "/a.py:11-20", "/a.py:21-25", "/sub/b.py:1-2"]
    window = next(seeds.get(i) for i in range(len(seeds)) if seeds.get(i).source.endswith(":11-20"))
    assert window.text.splitlines()[0] == "a10 = 10" and len(window.text.splitlines()) == 10


def test_extensions_select_files(tree):
    assert len(pool(tree, extensions=["txt"])) == 1
    with pytest.raises(SeedError, match="no non-empty files with extensions .rs"):
        pool(tree, extensions=[".rs"])


def test_every_seed_is_used_once_before_any_is_reused(tree):
    seeds = pool(tree, window_lines=5)
    n = len(seeds)
    first = [seeds.pick(k).source for k in range(n)]
    second = [seeds.pick(k).source for k in range(n, 2 * n)]
    assert sorted(first) == sorted(second) == sorted({*first})
    assert first != second or n < 3  # a new permutation for the next epoch
    again = pool(tree, window_lines=5)
    assert [again.pick(k).source for k in range(n)] == first  # same --seed, same draw
    other = SeedPool(SeedsConfig(path=str(tree), window_lines=5), seed=1)
    assert [other.pick(k).source for k in range(n)] != first


def test_jsonl_fields_and_clipping(tmp_path):
    path = tmp_path / "s.jsonl"
    rows = [
        {"code": "x = 1"},
        {"content": "y = 2"},
        {"text": "\n".join("z" * 3 for _ in range(99))},
    ]
    rows += [{"other": "no"}, {"code": "  "}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n")
    seeds = pool(path, window_lines=10)
    got = {seeds.get(i).source.rsplit(":", 1)[1]: seeds.get(i).text for i in range(len(seeds))}
    assert got["1"] == "x = 1" and got["2"] == "y = 2" and len(got["3"].splitlines()) == 10
    assert len(seeds) == 3
    # the row without a text field and the line that is not JSON: counted, the first named
    assert seeds.skipped == 2
    assert seeds.first_skipped == f"{path}:4: none of the fields code, content, text holds a string"


def test_jsonl_lines_that_are_not_utf8_are_skipped_and_named(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"code": "caf\xe9"}\n{"code": "x = 1"}\n[1, 2]\n')
    seeds = pool(path)
    assert [seeds.get(i).text for i in range(len(seeds))] == ["x = 1"]
    assert seeds.skipped == 2 and seeds.first_skipped == f"{path}:1: not UTF-8 text (byte 13)"


def test_a_cut_off_gzip_of_seeds_is_a_seed_error(tmp_path):
    import gzip

    whole = gzip.compress(b"".join(b'{"code": "x = %d"}\n' % i for i in range(2000)))
    path = tmp_path / "s.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(
        SeedError, match="cannot read seeds .* after line .*: the gzip stream is cut off"
    ):
        pool(path)


def test_local_dataset_saved_to_disk(tmp_path):
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_dict({"content": ["def a(): pass", "def b(): pass"], "n": [1, 2]})
    ds.save_to_disk(str(tmp_path / "ds"))
    seeds = pool(tmp_path / "ds")
    assert sorted(seeds.get(i).text for i in range(len(seeds))) == [
        "def a(): pass",
        "def b(): pass",
    ]
    assert seeds.get(0).source.endswith(":content#0")


def test_local_parquet_with_a_named_column(tmp_path):
    datasets = pytest.importorskip("datasets")
    datasets.Dataset.from_dict({"src": ["print(1)", "print(2)", "print(3)"]}).to_parquet(
        str(tmp_path / "s.parquet")
    )
    with pytest.raises(SeedError, match="no column code/content/text; it has src"):
        pool(tmp_path / "s.parquet")
    seeds = pool(tmp_path / "s.parquet", column="src")
    assert sorted(seeds.pick(k).text for k in range(3)) == ["print(1)", "print(2)", "print(3)"]


def test_hf_spec_parses_split_and_column(monkeypatch):
    datasets = pytest.importorskip("datasets")
    calls = []

    def fake_load(name, split):
        calls.append((name, split))
        return datasets.Dataset.from_dict({"body": ["a = 1"]})

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    seeds = pool("hf:org/name:valid:body")
    assert calls == [("org/name", "valid")]
    assert seeds.pick(0).text == "a = 1" and seeds.pick(0).source == "hf:org/name:valid:body#0"
